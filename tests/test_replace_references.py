"""Replacing a repository (delete-before-replace: a new blob store, a rename) and everything that
refers to it, in one `pulumi up`.

Nexus cleans up after a deleted repository (tests/test_emulator_side_effects.py has the
evidence): it leaves every group and its own nx-repository-view/admin privileges leave every
role. The providers give every created object an instance token and every dependent the tokens
of what it refers to (components/provider.py INSTANCE/REFERENCES), so a re-created repository
makes the engine re-apply its group, the privileges naming it, the roles holding its
privileges, and its tasks and webhooks — in the same run, with nothing left for the drift check.
"""
from __future__ import annotations

import copy
from typing import Any

import pytest

from components.kinds.privileges import PrivilegeProvider
from components.kinds.repositories.docker import DockerGroupProvider
from components.kinds.roles import RoleProvider
from components.kinds.tasks.providers import TaskProvider
from components.kinds.webhooks import WebhookProvider
from components.provider import INSTANCE, REFERENCES
from tests.conftest import configure
from tests.harness import changed_steps
from tests.samples import repository, seed_registry

CI_PASSWORD = "Ci-Robot-Pw-42"
MIRROR_PRIVILEGES = ["nx-repository-view-docker-aliyun-hub-browse",
                     "nx-repository-view-docker-aliyun-hub-read", "aliyun-pull"]


def registry() -> dict[str, Any]:
    values = copy.deepcopy(seed_registry())
    values["blobStores"].append({"name": "aliyun-hub-2", "type": "file"})
    values["security"] = {
        "anonymousPull": ["hub-group"], "pushers": {"ci": ["ybcard"]},
        "privileges": [{"name": "aliyun-pull", "type": "repository-view", "format": "docker",
                        "repository": "aliyun-hub", "actions": ["BROWSE", "READ"]}],
        "roles": [{"id": "mirror-readers", "privileges": MIRROR_PRIVILEGES}],
    }
    values["tasks"] = [{"name": "gc aliyun", "type": "repository.docker.gc",
                        "properties": {"repositoryName": "aliyun-hub", "deployOffset": 24},
                        "schedule": {"type": "daily", "time": "02:00"}}]
    values["webhooks"] = [{"name": "aliyun-events", "repository": "aliyun-hub",
                           "events": ["component"], "url": "https://ci.example.org/nexus"}]
    return values


def group_members(nexus: Any) -> list[str]:
    doc = nexus.rest("GET", "/v1/repositories/docker/group/hub-group", nexus.password).json()
    return doc["group"]["memberNames"]


@pytest.mark.engine
def test_moving_a_member_proxy_to_another_blob_store_converges_in_one_up(workspace, nexus):
    values = registry()
    configure(workspace, nexus, values, {"security.passwords.ci": CI_PASSWORD})
    workspace.up()
    members = group_members(nexus)
    assert "aliyun-hub" in members

    repository(values, "aliyun-hub")["blobStore"] = "aliyun-hub-2"
    configure(workspace, nexus, values, {"security.passwords.ci": CI_PASSWORD})
    preview = workspace.preview_json()
    planned = {s["urn"].rsplit("::", 1)[-1]: s["op"] for s in changed_steps(preview)}
    assert planned.get("aliyun-hub") in ("replace", "delete-replaced", "create-replacement")
    for dependent in ("hub-group", "aliyun-pull", "role-mirror-readers", "task-gc aliyun",
                      "webhook-aliyun-events"):
        assert planned.get(dependent) == "update", (dependent, planned)

    workspace.up()
    doc = nexus.rest("GET", "/v1/repositories/docker/proxy/aliyun-hub", nexus.password).json()
    assert doc["storage"]["blobStoreName"] == "aliyun-hub-2"
    assert group_members(nexus) == members  # back in the group, in its place
    role = nexus.rest("GET", "/v1/security/roles/mirror-readers", nexus.password).json()
    assert sorted(role["privileges"]) == sorted(MIRROR_PRIVILEGES)
    again = workspace.preview("--expect-no-changes")
    assert again.code == 0, again.output
    drift = workspace.refresh_check()
    assert drift.code == 0, drift.output


def test_tokens_never_reach_a_request_body():
    """The control input is the engine's business: request bodies are built field by field."""
    references = {REFERENCES: {"repository:aliyun-hub": "f00"}, INSTANCE: "abc"}
    role = RoleProvider().normalize({"id": "r", "privileges": ["p"]})
    assert REFERENCES not in RoleProvider().body({**role, **references})
    privilege = PrivilegeProvider().normalize({"name": "p", "type": "repository-view",
                                               "repository": "aliyun-hub", "actions": ["READ"]})
    assert REFERENCES not in PrivilegeProvider().body({**privilege, **references})
    group = DockerGroupProvider().normalize({"name": "g", "members": ["aliyun-hub"]})
    body = DockerGroupProvider().body({**group, **references})
    assert REFERENCES not in body and INSTANCE not in body
    hook = WebhookProvider().normalize({"name": "w", "repository": "aliyun-hub",
                                        "events": ["component"], "url": "https://x.example"})
    assert "references" not in str(WebhookProvider().body({**hook, **references}, False))
    task = TaskProvider().normalize({"name": "t", "type": "repository.docker.gc",
                                     "properties": {"repositoryName": "aliyun-hub"}})
    from components.kinds.tasks.providers import task_body
    assert "references" not in str(task_body({**task, **references}))
