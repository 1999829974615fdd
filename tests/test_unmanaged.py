"""`nexusctl unmanaged`: what Nexus holds beyond the stack, and the opt-in --adopt / --delete."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from nexusctl import unmanaged
from components.config import schema_problems
from nexusctl.inventory import Found
from tests.conftest import configure
from tests.harness import install_cli, nexusctl
from tests.samples import seed_registry

DEFAULT_REPOSITORIES = {"maven-central", "maven-public", "maven-releases", "maven-snapshots", "nuget-group",
                        "nuget-hosted", "nuget.org-proxy"}
HAND_MADE = {"legacy", "hand-made", "30", "ops"}
HOSTED = {"maven-releases", "maven-snapshots", "nuget-hosted"}  # they hold artifacts


def names(nexus: Any, path: str, key: str = "name") -> set[str]:
    return {item[key] for item in nexus.rest("GET", path, nexus.password).json()}


@pytest.mark.engine
def test_lists_adopts_and_deletes_only_when_asked(workspace, nexus):
    values = copy.deepcopy(seed_registry())
    # The stack refers to a blob store it does not declare: made by hand, it must never be deleted.
    values["repositories"].append({"name": "old-cache", "type": "proxy", "remoteUrl": "https://quay.io",
                                   "blobStore": "legacy", "cleanupPolicies": ["docker-unused-30d"]})
    # What presets expand to (roles, privileges, users, realms) is declared, not unmanaged.
    values["security"] = {"anonymousPull": ["hub-group"], "pushers": {"ci": ["ybcard"]}}

    def call(method: str, path: str, body: Any) -> None:
        assert nexus.rest(method, path, nexus.password, body).status_code < 300, path

    call("POST", "/v1/blobstores/file", {"name": "legacy", "path": "legacy", "softQuota": None})
    configure(workspace, nexus, values, {"security.passwords.ci": "Ci-Robot-Pw-42"})
    workspace.up()
    install_cli(workspace)
    call("POST", "/v1/repositories/docker/hosted", {
        "name": "hand-made", "online": True,
        "storage": {"blobStoreName": "legacy", "strictContentTypeValidation": True, "writePolicy": "ALLOW"},
        "docker": {"v1Enabled": False, "forceBasicAuth": True}})
    # Strings that look like a number or a boolean must stay strings in the stack file.
    call("POST", "/v1/security/content-selectors", {"name": "30", "description": "true",
                                                     "expression": 'format == "docker"'})
    call("POST", "/v1/security/roles", {"id": "ops", "name": "ops", "description": "", "privileges": ["nx-all"],
                                         "roles": []})

    listed = nexusctl(workspace, "unmanaged", "test", "--format", "json")
    assert listed.code == unmanaged.EXIT_UNMANAGED, listed.output
    report = json.loads(listed.stdout)  # the JSON alone on stdout, the list on stderr
    assert report["status"] == "unmanaged" and "objects on the server are not declared" in listed.stderr
    found = {f["name"]: f for f in report["unmanaged"]}
    assert set(found) == DEFAULT_REPOSITORIES | HAND_MADE
    assert all(found[n]["adoptable"] for n in DEFAULT_REPOSITORIES | HAND_MADE)  # every format (issue 13)

    before = nexus.state()
    dry_run = nexusctl(workspace, "unmanaged", "test", "--delete")
    assert dry_run.code == unmanaged.EXIT_UNMANAGED
    assert "would delete content selector 30" in dry_run.stdout
    assert "keep   repository hand-made: it holds artifacts, so it is deleted only when named: --delete hand-made" \
        in dry_run.stdout
    assert "keep   blob store legacy: the stack's config refers to it (repository old-cache)" in dry_run.stdout
    assert nexus.state() == before, "--delete without --yes deleted something"

    # Nexus's own maven and nuget repositories stay out of the stack for now: ignored while adopting.
    doc = yaml.safe_load(workspace.stack_file.read_text())
    doc["config"]["nexus-registry:unmanaged"] = {
        "ignore": [{"kind": "repository", "format": "maven2"}, {"kind": "repository", "format": "nuget"}]}
    workspace.stack_file.write_text("# hand-written notes stay\n" + yaml.safe_dump(doc, sort_keys=False))
    adopted = nexusctl(workspace, "unmanaged", "test", "--adopt")
    assert adopted.code == unmanaged.EXIT_NONE, adopted.output
    assert "Declared 4 objects in stack 'test' with adopt: true" in adopted.stdout
    text = workspace.stack_file.read_text()
    assert text.startswith("# hand-written notes stay\n")  # comments kept...
    security = yaml.safe_load(text)["config"]["nexus-registry:security"]
    assert "secure" in security["passwords"]["ci"] and "Ci-Robot-Pw-42" not in text  # ...and secrets too
    assert [r["id"] for r in security["roles"]] == ["ops"] and security["contentSelectors"][0]["name"] == "30"
    nexus.clear_log()
    workspace.up()
    assert {w["status"] for w in nexus.writes()} <= {400}, "taking them over changed something"
    assert nexus.state() == before

    doc = yaml.safe_load(workspace.stack_file.read_text())
    del doc["config"]["nexus-registry:unmanaged"]
    workspace.stack_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    left = nexusctl(workspace, "unmanaged", "test", "--format", "json")
    assert {f["name"] for f in json.loads(left.stdout)["unmanaged"]} == DEFAULT_REPOSITORIES

    # Only what holds no data goes without a name: maven-releases & co. are hosted.
    deleted = nexusctl(workspace, "unmanaged", "test", "--delete", "--yes")
    assert deleted.code == unmanaged.EXIT_UNMANAGED, deleted.output
    assert "deleted repository maven-public" in deleted.stdout
    for name in sorted(HOSTED):
        assert f"keep   repository {name}: it holds artifacts, so it is deleted only when named" in deleted.stdout
    assert names(nexus, "/v1/repositories") & DEFAULT_REPOSITORIES == HOSTED
    assert {"hand-made", "old-cache", "ybcard", "hub-group"} <= names(nexus, "/v1/repositories")
    assert {"legacy", "default"} <= names(nexus, "/v1/blobstores")  # referenced by the config / built in

    # Names are exact (no patterns) and all checked before anything is deleted.
    wrong = nexusctl(workspace, "unmanaged", "test", "--delete", "maven-snapshots", "--delete", "maven-*", "--yes")
    assert wrong.code == unmanaged.EXIT_USAGE and "--delete maven-*: no unmanaged object has this exact name" \
        in wrong.stderr and "nothing was deleted" in wrong.stderr, wrong.output
    assert names(nexus, "/v1/repositories") & DEFAULT_REPOSITORIES == HOSTED
    one = nexusctl(workspace, "unmanaged", "test", "--delete", "maven-releases", "--yes", "--format", "json")
    assert one.code == unmanaged.EXIT_UNMANAGED, one.output
    assert [d["name"] for d in json.loads(one.stdout)["deleted"]] == ["maven-releases"]
    assert names(nexus, "/v1/repositories") & DEFAULT_REPOSITORIES == HOSTED - {"maven-releases"}

    # A shared Nexus: what belongs to others is ignored, and the report is clean.
    doc = yaml.safe_load(workspace.stack_file.read_text())
    doc["config"]["nexus-registry:unmanaged"] = {
        "ignore": [{"kind": "repository", "format": "nuget"}, {"name": "MAVEN-snap*"}]}
    workspace.stack_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    clean = nexusctl(workspace, "unmanaged", "test", "--format", "json")
    assert clean.code == unmanaged.EXIT_NONE, clean.output
    assert {f["name"] for f in json.loads(clean.stdout)["ignored"]} == {"nuget-hosted", "maven-snapshots"}
    assert "(2 more ignored by unmanaged.ignore)" in clean.stderr
    ignored = nexusctl(workspace, "unmanaged", "test", "--delete", "nuget-hosted", "--yes")
    assert ignored.code == unmanaged.EXIT_USAGE and "ignored by the stack's unmanaged.ignore" in ignored.stderr
    assert nexusctl(workspace, "drift", "test").code == 0


def found(kind: str, name: str) -> Found:
    section = {"repository": ("repositories",), "blob store": ("blobStores",)}[kind]
    return Found(kind, name, section, None, delete_path=f"/x/{name}")


def test_names_to_delete_are_exact_and_say_which_kind():
    objects = [found("repository", "legacy"), found("blob store", "legacy"), found("repository", "maven-releases")]
    assert unmanaged.named_objects(["repository:legacy", "blobStore:legacy"], objects, []) == objects[:2]
    with pytest.raises(ValueError, match="say which one: --delete repository:legacy or --delete blobStore:legacy"):
        unmanaged.named_objects(["legacy"], objects, [])
    with pytest.raises(ValueError, match="did you mean maven-releases"):
        unmanaged.named_objects(["MAVEN-RELEASES"], objects, [])
    with pytest.raises(ValueError, match="ignored by the stack's unmanaged.ignore"):
        unmanaged.named_objects(["secret-team"], objects, [found("repository", "secret-team")])


@pytest.mark.parametrize("rule, name, facets, matches", [
    ({"name": "team-b-*"}, "Team-B-Cache", unmanaged.Facets("docker", "proxy"), True),
    ({"kind": "blobStore", "name": "team-b-*"}, "team-b-cache", unmanaged.Facets("docker", "proxy"), False),
    ({"kind": "repository", "format": "maven2"}, "releases", unmanaged.Facets("maven2", "hosted"), True),
    ({"format": "maven*", "type": "proxy"}, "releases", unmanaged.Facets("maven2", "hosted"), False),
    ({"format": "npm"}, "releases", unmanaged.Facets(), False),  # no format: never matched by one
    ({"type": "hosted"}, "releases", unmanaged.Facets("raw", "hosted"), True),
])
def test_ignore_rules_match_when_every_field_does(rule, name, facets, matches):
    obj = found("repository", name)
    assert (unmanaged.ignored_by([{"name": "other"}, rule], obj, facets) == 1) is matches


def test_the_ignore_list_is_checked_like_any_other_config_key():
    good = {"nexus": {"url": "http://nexus:8081"},
            "unmanaged": {"ignore": [{"kind": "repository", "format": "maven2", "type": "hosted"},
                                     {"name": "team-*"}]}}
    assert list(schema_problems(good)) == []
    bad = {"nexus": {"url": "http://nexus:8081"}, "unmanaged": {"ignore": [{}, {"kind": "repo"}, {"names": "x"}]}}
    assert sorted(p.path for p in schema_problems(bad)) == ["unmanaged.ignore[0]", "unmanaged.ignore[1].kind",
                                                           "unmanaged.ignore[2]"]
