"""What deleting a repository does to the objects that refer to it, as Nexus does it.

RepositoryManagerImpl.delete: removeRepositoryFromAllGroups, then untrack(), whose
securityContributor.remove() (RepositoryAdminSecurityContributor and
RepositoryFormatSecurityContributor) removes the repository's own privileges —
nx-repository-view-<format>-<name>-{*,browse,read,edit,add,delete} and
nx-repository-admin-<format>-<name>-{*,browse,read,edit,delete} (no per-repository admin "add") —
and calls SecurityConfigurationManagerImpl.cleanRemovedPrivilege for each, which takes their ids
out of every role (SecurityConfigurationCleanerImpl.privilegeRemoved). Nothing else reacts to
RepositoryDeletedEvent: privileges people created that name the repository stay (and stay in
roles), tasks naming it stay (they fail when run), and a repository webhook capability stays but
turns passive until a repository of that name exists again (RepositoryExistsCondition).
"""
from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.testing import Emulators, Nexus, docker_hosted as hosted

pytestmark = pytest.mark.emulator_only


def group(name: str, members: list[str]) -> dict[str, Any]:
    return {"name": name, "online": True,
            "storage": {"blobStoreName": "default", "strictContentTypeValidation": True},
            "group": {"memberNames": members}, "docker": {"v1Enabled": False, "forceBasicAuth": True}}


def role(nexus: Nexus, role_id: str) -> dict[str, Any]:
    answer = nexus.admin.get(f"/v1/security/roles/{role_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def nexus(emulators: Emulators) -> Nexus:
    nexus = emulators.get("3.94.0")
    admin = nexus.admin
    for name in ("app", "other"):
        assert admin.post("/v1/repositories/docker/hosted", hosted(name)).status_code == 201
    assert admin.post("/v1/repositories/docker/group", group("all", ["app", "other"])).status_code == 201
    assert admin.post("/v1/security/privileges/repository-view", {
        "name": "app-push", "description": "", "format": "docker", "repository": "app",
        "actions": ["ADD", "READ"]}).status_code == 201
    assert admin.post("/v1/security/roles", {
        "id": "deployers", "name": "deployers", "roles": [],
        "privileges": ["nx-repository-view-docker-app-read", "nx-repository-admin-docker-app-edit",
                       "app-push", "nx-repository-view-docker-other-read"]}).status_code == 200
    return nexus


def test_deleting_a_repository_removes_its_memberships_and_its_own_privileges(nexus: Nexus) -> None:
    admin = nexus.admin
    assert admin.delete("/v1/repositories/app").status_code == 204
    assert admin.get("/v1/repositories/docker/group/all").json()["group"]["memberNames"] == ["other"]
    names = {p["name"] for p in admin.get("/v1/security/privileges").json()}
    assert not any(n.startswith("nx-repository-view-docker-app-") or
                   n.startswith("nx-repository-admin-docker-app-") for n in names)
    # the user-created privilege naming it stays, and so does the role's id of it
    assert admin.get("/v1/security/privileges/app-push").json()["repository"] == "app"
    assert role(nexus, "deployers")["privileges"] == ["app-push",
                                                      "nx-repository-view-docker-other-read"]


def test_a_recreated_repository_gets_its_privileges_back_but_not_its_places(nexus: Nexus) -> None:
    admin = nexus.admin
    assert admin.delete("/v1/repositories/app").status_code == 204
    assert admin.post("/v1/repositories/docker/hosted", hosted("app")).status_code == 201
    assert admin.get("/v1/security/privileges/nx-repository-view-docker-app-read").status_code == 200
    assert "nx-repository-view-docker-app-read" not in role(nexus, "deployers")["privileges"]
    assert admin.get("/v1/repositories/docker/group/all").json()["group"]["memberNames"] == ["other"]
    # restoring is an ordinary update of the role and the group
    restored = dict(role(nexus, "deployers"))
    restored["privileges"] = restored["privileges"] + ["nx-repository-view-docker-app-read"]
    assert admin.put("/v1/security/roles/deployers", restored).status_code == 204
    assert admin.put("/v1/repositories/docker/group/all",
                     group("all", ["app", "other"])).status_code == 204


def test_tasks_and_webhooks_naming_a_deleted_repository_stay(nexus: Nexus) -> None:
    admin = nexus.admin
    task = admin.post("/v1/tasks", {
        "type": "repository.docker.gc", "name": "gc app", "enabled": True,
        "notificationCondition": "FAILURE", "frequency": {"schedule": "manual"},
        "properties": {"repositoryName": "app", "deployOffset": "24"}})
    assert task.status_code == 201, task.text
    hook = admin.post("/v1/capabilities", {
        "type": "webhook.repository", "enabled": True, "notes": "",
        "properties": {"repository": "app", "names": "component", "url": "https://ci.example/hook"}})
    assert hook.status_code == 200, hook.text
    assert admin.delete("/v1/repositories/app").status_code == 204
    assert admin.get(f"/v1/tasks/{task.json()['id']}").status_code == 200
    [capability] = admin.get("/v1/capabilities").json()
    assert capability["active"] is False
    assert capability["stateDescription"] == "Repository 'app' does not exist"
    assert admin.post("/v1/repositories/docker/hosted", hosted("app")).status_code == 201
    assert admin.get("/v1/capabilities").json()[0]["active"] is True


def test_deleting_a_privilege_or_a_role_cleans_the_references(nexus: Nexus) -> None:
    """SecurityConfigurationManagerImpl.deletePrivilegeByName / deleteRole call the cleaner:
    privilegeRemoved (roles) and roleRemoved (roles and users)."""
    admin = nexus.admin
    assert admin.delete("/v1/security/privileges/app-push").status_code == 204
    assert "app-push" not in role(nexus, "deployers")["privileges"]
    assert admin.post("/v1/security/roles", {"id": "lead", "name": "lead", "privileges": [],
                                             "roles": ["deployers"]}).status_code == 200
    assert admin.post("/v1/security/users", {
        "userId": "ci", "firstName": "ci", "lastName": "bot", "emailAddress": "ci@example.org",
        "password": "ci-pw", "status": "active", "roles": ["deployers"]}).status_code == 200
    assert admin.delete("/v1/security/roles/deployers").status_code == 204
    assert role(nexus, "lead")["roles"] == []
    [user] = admin.get("/v1/security/users?userId=ci").json()
    assert user["roles"] == []
