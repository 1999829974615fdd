"""A stack deployed before the kinds table keeps working with the new code.

Its state holds every provider pickled by the module path of the earlier layout
(`components.blob_store.FileBlobStoreProvider`, ...), and `refresh`, `destroy` and `up` read and
delete with the provider the state holds. The test builds such a state: a stack of every kind is
deployed, then each resource's pickled provider in the state is replaced by the exact pickle
the earlier layout wrote for its class (tests/fixtures/legacy-pickles.json) and the state is
imported back. With the new code that state then
- previews empty with a refresh (every read goes through an old pickle): no diff, no replacement;
- deletes an object removed from the config through its old pickle;
- comes out of the next `up` with every provider pickled the stable way, the URNs unchanged.
"""
from __future__ import annotations

import base64
import copy
import json
from typing import Any, Iterator

import pytest

from components import legacy
from tests.conftest import configure
from tests.harness import changed_steps
from tests.samples import seed_registry
from tests.test_kinds import LEGACY_PICKLES

PROVIDER_KEY = "__provider"
SECRET_SIG = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")  # Pulumi's secret marker
USER_PASSWORD = "Legacy-User-Pw-7"
BIND_PASSWORD = "Legacy-Bind-Pw-7"
# The earlier layout's class of each resource type (components.legacy), as its pickles name it.
OLD_CLASS = {resource_type: f"components.{module}.{name}" for module, classes in legacy.LEGACY_PROVIDERS.items()
             for name, resource_type in classes.items() if resource_type != legacy.REPOSITORY_BASE}


def every_kind() -> dict[str, Any]:
    values = copy.deepcopy(seed_registry())
    values["routingRules"] = [{"name": "library-only", "mode": "ALLOW", "matchers": ["^/v2/library/"]}]
    values["repositories"][2]["routingRule"] = "library-only"
    values["security"] = {
        "realms": ["NexusAuthenticatingRealm", "DockerToken"],
        "anonymous": {"enabled": False},
        "contentSelectors": [{"name": "library", "expression": 'format == "docker" and path =^ "/v2/library/"'}],
        "privileges": [{"name": "library-read", "type": "repository-content-selector", "format": "docker",
                        "repository": "hub-group", "contentSelector": "library", "actions": ["READ", "BROWSE"]}],
        "roles": [{"id": "library-readers", "privileges": ["library-read"]},
                  {"id": "auditors", "description": "removed from the config below"}],
        "users": [{"userId": "puller", "roles": ["library-readers"]}],
        "ldap": [{"name": name, "host": f"{name}.example.com", "searchBase": "dc=example,dc=com",
                  "authUsername": "cn=nexus,dc=example,dc=com"} for name in ("corp", "backup")],
    }
    values["tasks"] = [{"name": "compact ybcard", "type": "blobstore.compact",
                        "properties": {"blobstoreName": "ybcard"}, "schedule": "daily"},
                       {"name": "Cleanup service", "type": "repository.cleanup",
                        "schedule": {"type": "cron", "cron": "0 0 2 * * ?"}}]
    values["webhooks"] = [{"name": "audit-trail", "url": "https://hooks.example.org/nexus", "events": ["audit"]}]
    return values


SECRETS = {"security.passwords.puller": USER_PASSWORD, "security.ldap[0].authPassword": BIND_PASSWORD,
           "security.ldap[1].authPassword": BIND_PASSWORD}


def exported(workspace) -> dict[str, Any]:
    """The state with its secrets in plain text (a resource with a secret input has its pickled
    provider stored as a secret too)."""
    result = workspace.pulumi("stack", "export", "--stack", workspace.stack, "--show-secrets", check=True)
    return json.loads(result.stdout)


def providers_of(state: dict[str, Any]) -> Iterator[tuple[dict[str, Any], bytes]]:
    """(resource, its pickled provider) for every dynamic resource of a state."""
    for resource in state["deployment"].get("resources", []):
        pickled = (resource.get("inputs") or {}).get(PROVIDER_KEY)
        if isinstance(pickled, dict):  # a secret: {sig, plaintext: JSON of the value}
            assert pickled.get(SECRET_SIG[0]) == SECRET_SIG[1] and "plaintext" in pickled, pickled
            pickled = json.loads(pickled["plaintext"])
        if pickled is not None:
            yield resource, base64.b64decode(pickled)


def with_legacy_providers(state: dict[str, Any]) -> dict[str, Any]:
    """The state as the earlier layout wrote it: each provider pickled by its old module path."""
    old = copy.deepcopy(state)
    for resource, _ in providers_of(old):
        resource_type = resource["type"].rsplit("/", 1)[-1]  # pulumi-python:dynamic/nexus:Role -> nexus:Role
        pickled = LEGACY_PICKLES[OLD_CLASS[resource_type]]
        for part in ("inputs", "outputs"):
            value = (resource.get(part) or {}).get(PROVIDER_KEY)
            if isinstance(value, dict):  # imported as plain text, encrypted again by the import
                resource[part][PROVIDER_KEY] = {**value, "plaintext": json.dumps(pickled)}
            elif value is not None:
                resource[part][PROVIDER_KEY] = pickled
    return old


def import_state(workspace, state: dict[str, Any]) -> None:
    path = workspace.root.parent / "legacy-state.json"
    path.write_text(json.dumps(state))
    workspace.pulumi("stack", "import", "--stack", workspace.stack, "--file", str(path), check=True)


@pytest.mark.engine
def test_a_state_of_the_earlier_layout_previews_empty_then_upgrades_on_the_next_up(workspace, nexus):
    values = every_kind()
    configure(workspace, nexus, values, SECRETS)
    workspace.up()
    state = exported(workspace)
    types = {r["type"].rsplit("/", 1)[-1] for r, _ in providers_of(state)}
    assert types >= set(OLD_CLASS) - {"nexus:S3BlobStore", "nexus:TlsMaterial"}, types  # (no S3, no stack CA)

    old_state = with_legacy_providers(state)
    import_state(workspace, old_state)
    held = [p for _, p in providers_of(exported(workspace))]
    assert len(held) == len(list(providers_of(state)))
    assert all(b"provider_for" not in p and b"components." in p for p in held)  # as the old layout wrote them
    assert USER_PASSWORD not in workspace.state_text()  # still encrypted after the import

    # Every read of the refresh goes through an old pickle; the server matches: nothing to do.
    refreshed = workspace.preview("--refresh", "--expect-no-changes")
    assert refreshed.code == 0, refreshed.output
    assert workspace.refresh_check().code == 0
    plan = workspace.preview_json()
    assert changed_steps(plan) == [], changed_steps(plan)

    # Removed from the config: deleted through the provider the old state holds.
    values["security"]["roles"] = [r for r in values["security"]["roles"] if r["id"] != "auditors"]
    values["webhooks"] = []
    configure(workspace, nexus, values, SECRETS)
    workspace.up()
    assert nexus.rest("GET", "/v1/security/roles/auditors", nexus.password).status_code == 404
    assert not [c for c in nexus.rest("GET", "/v1/capabilities", nexus.password).json()
                if "hooks.example.org" in json.dumps(c)]

    # The up wrote every remaining provider the stable way; names and types (URNs) unchanged.
    after = exported(workspace)
    assert all(b"provider_for" in p and b"components.role" not in p for _, p in providers_of(after))
    gone = {r["urn"] for r, _ in providers_of(state) if r["urn"].endswith(("::role-auditors", "::webhook-audit-trail"))}
    assert len(gone) == 2
    assert {r["urn"] for r, _ in providers_of(after)} == {r["urn"] for r, _ in providers_of(state)} - gone
    assert workspace.preview("--expect-no-changes").code == 0
