"""Stack config validation: schema, secrets, cross references — and nothing written when wrong."""
from __future__ import annotations

import json

import pytest

from components.config import validate
from components.config_schema import SCHEMA_DIR
from components.problems import ServerFacts
from components.stack_config import SECRET_PATHS, StackConfig
from tests.conftest import configure
from tests.samples import seed_registry


def problems(values: dict, secret_keys: frozenset = frozenset({"adminPassword"}), server=None) -> list[str]:
    values = {"nexus": {"url": "http://nexus:8081"}, "adminPassword": "x" * 10, **values}
    return [str(p) for p in validate(StackConfig(values, secret_keys), server)]


def test_seed_registry_is_valid():
    assert problems(seed_registry()) == []


def test_unknown_blob_store_policy_rule_and_member_name_the_path_and_fix():
    values = seed_registry()
    values["repositories"][0]["blobStore"] = "docker-hubb"
    values["repositories"][1]["cleanupPolicies"] = ["nope"]
    values["repositories"][2]["routingRule"] = "no-rule"
    values["repositories"][4]["members"].append("missing")
    found = problems(values)
    assert any(p.startswith("repositories[0].blobStore: blob store 'docker-hubb' is not declared") for p in found)
    assert any(p.startswith("repositories[1].cleanupPolicies[0]: cleanup policy 'nope'") for p in found)
    assert any(p.startswith("repositories[2].routingRule: routing rule 'no-rule'") for p in found)
    assert any(p.startswith("repositories[4].members[4]: member 'missing' is not declared") for p in found)


def test_duplicate_names_are_case_insensitive():
    values = seed_registry()
    values["repositories"].append({"name": "Docker-Hub", "type": "hosted"})
    values["blobStores"].append({"name": "YBCARD", "type": "file"})
    found = problems(values)
    assert any("repositories[5].name: 'Docker-Hub' duplicates repositories[0]" in p for p in found)
    assert any("blobStores[4].name: 'YBCARD' duplicates blobStores[3]" in p for p in found)


def test_port_used_twice_and_nexus_port():
    values = seed_registry()
    values["repositories"][1]["httpPort"] = values["repositories"][0]["httpPort"]
    values["repositories"][2]["httpPort"] = 8081
    found = problems(values)
    assert any(p.startswith("repositories[1].httpPort: port") and "already used by repositories[0].httpPort" in p
               for p in found)
    assert any(p.startswith("repositories[2].httpPort: port 8081 is the Nexus web/REST port") for p in found)


def test_schema_errors_name_the_path():
    found = problems({"repositories": [
        {"name": "bad name", "type": "hosted"},
        {"name": "p", "type": "proxy", "remoteUrl": "ftp://mirror"},
        {"name": "h", "type": "hosted", "writePolicy": "SOMETIMES", "colour": "blue"},
        {"name": "g", "type": "group"},
    ]})
    assert any(p.startswith("repositories[0].name: 'bad name' is not valid") for p in found)
    assert any(p.startswith("repositories[1].remoteUrl: 'ftp://mirror' is not valid") for p in found)
    assert any(p.startswith("repositories[2].writePolicy: 'SOMETIMES' is not one of ALLOW, ALLOW_ONCE, DENY")
               for p in found)
    assert any(p.startswith("repositories[2]: ") and "'colour' was unexpected" in p and "Allowed here:" in p
               for p in found)
    assert any(p.startswith("repositories[3]: 'members' is a required property") for p in found)


def test_unknown_top_level_key_and_missing_nexus():
    found = [str(p) for p in validate(StackConfig({"repos": []}))]
    assert any(p.startswith("repos: unknown config key") for p in found)
    assert any(p.startswith("nexus: missing") for p in found)


def test_secret_in_plain_text_is_refused_with_the_command_to_fix_it():
    values = seed_registry()
    values["repositories"][0]["authentication"] = {"type": "username", "username": "bot", "password": "plain"}
    found = problems(values)
    assert ("repositories[0].authentication.password: is a secret but is stored in plain text in the stack "
            "file; remove it and run: pulumi config set --secret --path "
            "'repositories[0].authentication.password' <value>") in found
    assert problems(values, frozenset({"adminPassword", "repositories"})) == []
    assert any(p.startswith("adminPassword: is a secret") for p in problems({}, frozenset()))


def test_group_cycles_and_self_membership():
    found = problems({"repositories": [
        {"name": "a", "type": "group", "members": ["b"]},
        {"name": "b", "type": "group", "members": ["a", "b"]},
    ]})
    assert any(p == "repositories[1].members[1]: a group cannot contain itself" for p in found)
    assert any(p.startswith("repositories[1].members[0]: groups form a cycle: a → b → a;") for p in found)


def test_https_connector_needs_jetty_https():
    values = {"repositories": [{"name": "h", "type": "hosted", "httpsPort": 5001}]}
    assert any(p.startswith("repositories[0].httpsPort: an HTTPS docker connector needs Jetty HTTPS")
               for p in problems(values))


def test_server_facts_resolve_references_and_gate_features():
    values = {"repositories": [
        {"name": "g", "type": "group", "members": ["made-by-hand", "maven-central"], "writableMember": "made-by-hand"},
        {"name": "h", "type": "hosted", "blobStore": "old-store", "pathEnabled": True},
    ]}
    server = ServerFacts((3, 80, 0), pro=False, blob_stores=frozenset({"old-store"}),
                         repositories={"made-by-hand": ("docker", "hosted"), "maven-central": ("maven2", "proxy")})
    found = problems(values, server=server)
    assert not any("made-by-hand' is not declared" in p for p in found)
    assert not any("old-store" in p for p in found)
    assert any("maven-central' exists on the server but is a maven2 repository" in p for p in found)
    assert any(p.startswith("repositories[0].writableMember: writableMember is a Nexus Pro feature") for p in found)
    assert any(p.startswith("repositories[1].pathEnabled: pathEnabled needs Nexus 3.83") for p in found)


def test_every_write_only_schema_field_is_a_declared_secret():
    """The schemas mark secrets with writeOnly; the loader's SECRET_PATHS must know each one."""
    def walk(schema, path, root):
        if not isinstance(schema, dict):
            return
        if schema.get("writeOnly"):
            yield path
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            yield from walk(root["$defs"][ref.split("/")[-1]], path, root)
        for sub in schema.get("allOf", []):
            yield from walk(sub, path, root)
        for key in ("then",):
            if key in schema:
                yield from walk(schema[key], path, root)
        for name, sub in schema.get("properties", {}).items():
            yield from walk(sub, path + (name,), root)
        if "items" in schema:
            yield from walk(schema["items"], path + ("*",), root)
        if isinstance(schema.get("additionalProperties"), dict):
            yield from walk(schema["additionalProperties"], path + ("*",), root)

    found = set()
    for file in SCHEMA_DIR.glob("*.schema.json"):
        schema = json.loads(file.read_text())
        key = file.name.split(".")[0]
        found |= set(walk(schema, (key,), schema))
    assert found, "no writeOnly fields found: the walk is broken"
    assert found <= set(SECRET_PATHS), f"undeclared secrets: {sorted(found - set(SECRET_PATHS))}"


@pytest.mark.engine
def test_invalid_config_fails_before_any_write(workspace, nexus):
    values = seed_registry()
    values["repositories"][4]["members"].append("typo-hub")
    configure(workspace, nexus, values)
    result = workspace.up(check=False)
    assert result.code != 0
    assert "repositories[4].members[4]: member 'typo-hub' is not declared" in result.output
    assert "nothing was changed on Nexus" in result.output
    assert "Traceback" not in result.output
    assert nexus.writes() == []
    assert workspace.resources("nexus:Bootstrap") == []


def test_regexes_and_csel_are_checked_before_any_write():
    found = problems({"routingRules": [{"name": "r", "mode": "BLOCK", "matchers": ["^/v2/(library"]}],
                      "security": {"contentSelectors": [
                          {"name": "s", "expression": 'format == "docker" and (path =^ "/v2/library/"'},
                          {"name": "t", "expression": 'format == "docker'}]}})
    assert any(p.startswith("routingRules[0].matchers[0]: '^/v2/(library' is not a valid (Java) regular expression")
               for p in found)
    assert "security.contentSelectors[0].expression: invalid CSEL expression: 1 unclosed '('" in found
    assert "security.contentSelectors[1].expression: invalid CSEL expression: unterminated \" quote" in found


def test_retired_and_unknown_realms_are_refused_with_the_server_list():
    server = ServerFacts((3, 86, 0), pro=False,
                         available_realms=frozenset({"NexusAuthenticatingRealm", "DockerToken", "LdapRealm"}))
    found = problems({"security": {"realms": ["NexusAuthenticatingRealm", "NexusAuthorizingRealm", "Dockertoken"]}},
                     server=server)
    assert any(p.startswith("security.realms[1]: NexusAuthorizingRealm is refused by Nexus since 3.60") for p in found)
    assert "security.realms[2]: unknown realm 'Dockertoken'; this server offers: DockerToken, LdapRealm, " \
           "NexusAuthenticatingRealm" in found
    old = ServerFacts((3, 55, 0), pro=False, available_realms=frozenset({"NexusAuthorizingRealm", "NexusAuthenticatingRealm"}))
    assert problems({"security": {"realms": ["NexusAuthenticatingRealm", "NexusAuthorizingRealm"]}}, server=old) == []


def test_anonymous_access_through_an_inactive_realm_is_refused():
    """Nexus answers 400 realmName "Realm does not exist" (tests/test_emulator_strictness.py)."""
    security = {"realms": ["NexusAuthenticatingRealm", "DockerToken"],
                "anonymous": {"enabled": True, "realmName": "LdapRealm"}}
    found = problems({"security": security})
    assert any(p.startswith("security.anonymous.realmName: 'LdapRealm' is not an active realm")
               for p in found)
    security["realms"].append("LdapRealm")
    assert not any("realmName" in p for p in problems({"security": security}))
