"""`nexusctl unmanaged`: what Nexus holds beyond the stack, and the opt-in --adopt / --delete."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from nexusctl import unmanaged
from tests.conftest import configure
from tests.harness import install_cli, nexusctl
from tests.samples import seed_registry

pytestmark = pytest.mark.engine
DEFAULT_REPOSITORIES = {"maven-central", "maven-public", "maven-releases", "maven-snapshots", "nuget-group",
                        "nuget-hosted", "nuget.org-proxy"}
HAND_MADE = {"legacy", "hand-made", "30", "ops"}


def names(nexus: Any, path: str, key: str = "name") -> set[str]:
    return {item[key] for item in nexus.rest("GET", path, nexus.password).json()}


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

    listed = nexusctl(workspace, "unmanaged", "test", "--json", "-")
    assert listed.code == unmanaged.EXIT_UNMANAGED, listed.output
    report = json.loads(listed.stdout[listed.stdout.index("{"):])
    found = {f["name"]: f for f in report["unmanaged"]}
    assert set(found) == DEFAULT_REPOSITORIES | HAND_MADE
    assert not found["maven-central"]["adoptable"] and "manages docker repositories only" in found["maven-central"]["reason"]
    assert all(found[n]["adoptable"] for n in HAND_MADE)

    before = nexus.state()
    dry_run = nexusctl(workspace, "unmanaged", "test", "--delete")
    assert dry_run.code == unmanaged.EXIT_UNMANAGED
    assert "would delete repository hand-made" in dry_run.stdout
    assert "keep   blob store legacy: the stack's config refers to it (repository old-cache)" in dry_run.stdout
    assert nexus.state() == before, "--delete without --yes deleted something"

    workspace.stack_file.write_text("# hand-written notes stay\n" + workspace.stack_file.read_text())
    adopted = nexusctl(workspace, "unmanaged", "test", "--adopt")
    assert adopted.code == unmanaged.EXIT_UNMANAGED, adopted.output  # the maven/nuget ones cannot be adopted
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

    left = nexusctl(workspace, "unmanaged", "test", "--json", "-")
    assert {f["name"] for f in json.loads(left.stdout[left.stdout.index("{"):])["unmanaged"]} == DEFAULT_REPOSITORIES

    deleted = nexusctl(workspace, "unmanaged", "test", "--delete", "--yes")
    assert deleted.code == unmanaged.EXIT_NONE, deleted.output
    assert "deleted repository maven-public" in deleted.stdout
    repositories = names(nexus, "/v1/repositories")
    assert not repositories & DEFAULT_REPOSITORIES
    assert {"hand-made", "old-cache", "ybcard", "hub-group"} <= repositories
    assert {"legacy", "default"} <= names(nexus, "/v1/blobstores")
    assert nexusctl(workspace, "unmanaged", "test").code == unmanaged.EXIT_NONE
    assert nexusctl(workspace, "drift", "test").code == 0
