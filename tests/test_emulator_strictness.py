"""Where Nexus is strict and the emulator must be too: request media types, who may call what,
references Nexus validates, and the exact shapes of those refusals. Each case cites the class of
sonatype/nexus-public (or the report of a Nexus tool) it follows."""
from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.testing import Emulators, Nexus, docker_hosted as hosted

pytestmark = pytest.mark.emulator_only

FILE_STORE = {"name": "store", "path": "store", "softQuota": None}


@pytest.fixture
def nexus(emulators: Emulators) -> Nexus:
    return emulators.get("3.86.0")


# --- error ids ------------------------------------------------------------------------------
def test_bean_validation_ids_name_the_leaf_property(nexus: Nexus) -> None:
    """ResteasyViolationExceptionMapper.getPath keeps what follows the last '.' of the property
    path; a real 3.x answers `PARAMETER timeout` for httpClient.connection.timeout
    (datadrivers/terraform-provider-nexus#173)."""
    body = {"name": "hub", "online": True,
            "storage": {"blobStoreName": "default", "strictContentTypeValidation": True},
            "proxy": {"remoteUrl": "https://registry-1.docker.io", "contentMaxAge": 1440,
                      "metadataMaxAge": 1440},
            "negativeCache": {"enabled": True, "timeToLive": 1440},
            "httpClient": {"blocked": False, "autoBlock": True, "connection": {"timeout": 0}},
            "docker": {"v1Enabled": False, "forceBasicAuth": True},
            "dockerProxy": {"indexType": "HUB"}}
    answer = nexus.admin.post("/v1/repositories/docker/proxy", body)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/vnd.siesta-validation-errors-v1+json"
    assert answer.json() == [{"id": "PARAMETER timeout",
                              "message": "must be greater than or equal to 1"}]


# --- media types ----------------------------------------------------------------------------
@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
def test_json_resources_refuse_other_entities_with_a_bare_415(nexus: Nexus,
                                                              content_type: Any) -> None:
    """@Consumes(APPLICATION_JSON) on FileBlobStoreResource: RESTEasy's NotSupportedException,
    answered by WebappExceptionMapper with the status alone; an entity without Content-Type is
    application/octet-stream (JAX-RS 2.0, 3.7.2)."""
    headers = {"Content-Type": content_type} if content_type else {}
    answer = nexus.admin.post("/v1/blobstores/file", data=b'{"name":"store","path":"store"}',
                              headers=headers)
    assert answer.status_code == 415 and answer.content == b""
    assert nexus.admin.get("/v1/blobstores/file/store").status_code == 404  # nothing written
    charset = nexus.admin.post("/v1/blobstores/file", data=b'{"name":"store","path":"store"}',
                               headers={"Content-Type": "application/json; charset=UTF-8"})
    assert charset.status_code == 204


def test_change_password_takes_text_plain_only(nexus: Nexus) -> None:
    """UserApiResource.changePassword: @Consumes(TEXT_PLAIN); a blank password and an unknown
    user are quoted messages (createWebException)."""
    path = "/v1/security/users/admin/change-password"
    as_json = nexus.admin.put(path, "new-admin-pw")
    assert as_json.status_code == 415 and as_json.content == b""
    plain = {"Content-Type": "text/plain"}
    blank = nexus.admin.put(path, data=b"  ", headers=plain)
    assert blank.status_code == 400
    assert blank.json() == {"id": "*", "message": '"Password must be supplied."'}
    ghost = nexus.admin.put("/v1/security/users/ghost/change-password", data=b"x", headers=plain)
    assert ghost.status_code == 404
    assert ghost.json() == {"id": "*", "message": "\"User 'ghost' not found.\""}
    assert nexus.admin.put(path, data=b"new-admin-pw", headers=plain).status_code == 204
    assert nexus.session("admin", "new-admin-pw").get("/v1/blobstores").status_code == 200


# --- who may call what -----------------------------------------------------------------------
def test_permissions_follow_the_resources_annotations(nexus: Nexus) -> None:
    """@RequiresPermissions("nexus:blobstores:read") on the list, ":create" on POST
    (BlobStoreResource, FileBlobStoreResource): a user with nx-blobstores-read reads and is
    refused the write with AuthorizationExceptionMapper's bare 403."""
    reader = nexus.add_user("reader", "reader-pw", ["nx-blobstores-read"])
    assert reader.get("/v1/blobstores").status_code == 200
    refused = reader.post("/v1/blobstores/file", FILE_STORE)
    assert refused.status_code == 403 and refused.content == b""
    assert reader.get("/v1/security/users").status_code == 403  # nexus:users:read
    assert nexus.admin.get("/v1/blobstores/file/store").status_code == 404


def test_only_an_administrator_changes_passwords_over_rest(nexus: Nexus) -> None:
    """UserApiResource.changePassword needs nexus:*, even for the caller's own password."""
    user = nexus.add_user("dev", "dev-pw", ["nx-repository-view-*-*-read"])
    own = user.put("/v1/security/users/dev/change-password", data=b"other",
                   headers={"Content-Type": "text/plain"})
    assert own.status_code == 403 and own.content == b""
    assert nexus.session("dev", "dev-pw").get("/v1/repositories").status_code == 200


def test_repository_list_shows_what_the_caller_may_browse(nexus: Nexus) -> None:
    """RepositoriesResource has no annotation; RepositoryManagerRESTAdapterImpl.getRepositories
    keeps what the subject may browse: nothing for a caller without credentials (a 200, not a
    403), everything for the anonymous user once anonymous access grants it."""
    for name in ("one", "two"):
        assert nexus.admin.post("/v1/repositories/docker/hosted", hosted(name)).status_code == 201
    user = nexus.add_user("viewer", "viewer-pw", ["nx-repository-view-docker-one-browse"])
    assert [r["name"] for r in user.get("/v1/repositories").json()] == ["one"]
    nobody = nexus.session()
    listed = nobody.get("/v1/repositories")
    assert listed.status_code == 200 and listed.json() == []
    # RepositoryManagerRESTAdapterImpl.getRepository: unknown -> NotFoundException (bare 404),
    # not browsable -> WebApplicationException(FORBIDDEN) (bare 403).
    assert user.get("/v1/repositories/one").json()["name"] == "one"
    hidden = user.get("/v1/repositories/two")
    assert hidden.status_code == 403 and hidden.content == b""
    missing = user.get("/v1/repositories/ghost")
    assert missing.status_code == 404 and missing.content == b""
    assert nexus.admin.put("/v1/security/anonymous", {
        "enabled": True, "userId": "anonymous", "realmName": "NexusAuthorizingRealm"}).status_code == 200
    names = [r["name"] for r in nobody.get("/v1/repositories").json()]
    assert {"one", "two"} <= set(names)  # nx-anonymous holds nx-repository-view-*-*-browse
    # the anonymous subject is not authenticated: @RequiresAuthentication refuses it
    assert nobody.get("/v1/blobstores").status_code == 403


def test_repository_writes_need_repository_admin_on_that_repository(nexus: Nexus) -> None:
    """AuthorizingRepositoryManagerImpl: create needs repository-admin add, update edit, delete
    delete, each on the repository concerned; GET of the typed endpoint answers only what the
    caller may administer (getRepositoryWithAdmin), anything else as not found."""
    creator = nexus.add_user("creator", "creator-pw", [])
    assert nexus.admin.post("/v1/security/privileges/wildcard", {
        "name": "admin-team-repos", "description": "", "pattern":
        "nexus:repository-admin:docker:team-a:add,read,edit"}).status_code == 201
    assert nexus.admin.put("/v1/security/roles/creator-role", {
        "id": "creator-role", "name": "creator-role", "privileges": ["admin-team-repos"],
        "roles": []}).status_code == 204
    refused = creator.post("/v1/repositories/docker/hosted", hosted("other"))
    assert refused.status_code == 403 and refused.content == b""
    assert creator.post("/v1/repositories/docker/hosted", hosted("team-a")).status_code == 201
    assert creator.get("/v1/repositories/docker/hosted/team-a").status_code == 200
    assert creator.put("/v1/repositories/docker/hosted/team-a", hosted("team-a")).status_code == 204
    assert creator.delete("/v1/repositories/team-a").status_code == 403
    assert nexus.admin.post("/v1/repositories/docker/hosted", hosted("theirs")).status_code == 201
    hidden = creator.get("/v1/repositories/docker/hosted/theirs")
    assert hidden.status_code == 404
    assert hidden.json() == {"id": "*", "message": '"Repository not found"'}
    assert [r["name"] for r in creator.get("/v1/repositorySettings").json()] == ["team-a"]


# --- references inside settings ----------------------------------------------------------------
def test_anonymous_access_names_a_realm_the_server_runs(nexus: Nexus) -> None:
    """AnonymousAccessApiResource.validate: the realm must be one of the security manager's
    realms — the active ones plus NexusAuthorizingRealm, which RealmManagerImpl always installs —
    else ValidationErrorsException("realmName", "Realm does not exist")."""
    settings = {"enabled": True, "userId": "anonymous", "realmName": "LdapRealm"}
    refused = nexus.admin.put("/v1/security/anonymous", settings)
    assert refused.status_code == 400
    assert refused.json() == [{"id": "realmName", "message": "Realm does not exist"}]
    assert nexus.admin.get("/v1/security/anonymous").json()["enabled"] is False
    assert nexus.admin.put("/v1/security/realms/active",
                           ["NexusAuthenticatingRealm", "LdapRealm"]).status_code == 204
    assert nexus.admin.put("/v1/security/anonymous", settings).status_code == 200
    default = dict(settings, realmName="NexusAuthorizingRealm")
    assert nexus.admin.put("/v1/security/anonymous", default).status_code == 200
