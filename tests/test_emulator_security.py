"""The emulator's security REST surface, case by case against what a real Nexus answers.

Sources of the cases (Nexus's own code unless said otherwise):
sonatype/nexus-public UserApiResource, ApiCreateUser, ApiUser, DefaultSecuritySystem,
RoleApiResource, RoleXORequest, PrivilegeApiResourceSupport, PrivilegeDescriptorSupport,
RepositoryPrivilegeDescriptorSupport, RealmApiResource, SelectorFactory, CselValidator;
nexus-public#1047 (duplicate user -> 500); NexuShell#8 (PUT user validation list from 3.31.1);
the nexus UI's content selector test ("HelperBean.expression", "Invalid CSEL: tokenization error").
"""
from __future__ import annotations

import json

import pytest
import requests

from tests.emulator.csel import evaluate_csel, parse_csel, CselError
from tests.emulator.state import DEFAULT_VERSION
from tests.emulator.testing import Emulators, Nexus

API = "/v1/security"


class Security(Nexus):
    """An emulator with paths relative to /service/rest/v1/security."""

    def add_repository(self, name: str, fmt: str = "docker", kind: str = "hosted") -> None:
        """Repositories belong to another handler; tests put the GET document in directly."""
        with self.state.lock:
            self.state.repositories[name.lower()] = {
                "name": name, "format": fmt, "type": kind, "online": True,
                "storage": {"blobStoreName": "default", "strictContentTypeValidation": True},
                "docker": {"v1Enabled": False, "forceBasicAuth": True, "httpPort": None,
                           "httpsPort": None}}


def security(emulators: Emulators, version: str = DEFAULT_VERSION, edition: str = "community") -> Security:
    """The module's emulator of a release and edition, reset, seen from /v1/security."""
    return Security(emulators.get(version, edition).emulator, API)


@pytest.fixture
def nexus(emulators: Emulators) -> Security:
    return security(emulators)


def new_user(user_id: str = "jane", **extra: object) -> dict:
    body = {"userId": user_id, "firstName": "Jane", "lastName": "Doe",
            "emailAddress": f"{user_id}@example.org", "password": "s3cret", "status": "active",
            "roles": ["nx-anonymous"]}
    body.update(extra)
    return body


def quoted(message: str) -> dict:
    """Nexus's WebApplicationMessageException body: the message JSON-quoted inside."""
    return {"id": "*", "message": json.dumps(message)}


# --- authorization --------------------------------------------------------------------------------
def test_security_endpoints_need_admin(nexus: Security) -> None:
    assert nexus.post("/users", new_user()).status_code == 200
    for path in ("/users", "/roles", "/privileges", "/realms/active", "/anonymous",
                 "/content-selectors", "/ldap"):
        assert requests.get(nexus.base + path, auth=("jane", "s3cret")).status_code == 403
        assert requests.get(nexus.base + path).status_code == 403
    assert requests.get(nexus.base + "/users", auth=("jane", "wrong")).status_code == 401


# --- realms ---------------------------------------------------------------------------------------
def test_available_realms_by_version_and_edition(emulators: Emulators) -> None:
    for options, present, absent in (
            ({"version": "3.59.0"}, {"NexusAuthorizingRealm", "DockerToken"}, {"User-Token-Realm"}),
            ({"version": "3.86.0"}, {"DockerToken", "LdapRealm", "NuGetApiKey"},
             {"NexusAuthorizingRealm", "SamlRealm"}),
            ({"version": "3.86.0", "edition": "pro"}, {"User-Token-Realm", "SamlRealm"}, set())):
        instance = security(emulators, **options)
        ids = {r["id"] for r in instance.get("/realms/available").json()}
        assert present <= ids and not (absent & ids)
        assert all(set(r) == {"id", "name"} for r in instance.get("/realms/available").json())


def test_active_realms_put_and_unknown_id(nexus: Security) -> None:
    assert nexus.get("/realms/active").json() == ["NexusAuthenticatingRealm"]
    docker = ["NexusAuthenticatingRealm", "DockerToken"]
    assert nexus.put("/realms/active", docker).status_code == 204
    assert nexus.get("/realms/active").json() == ["NexusAuthenticatingRealm", "DockerToken"]
    bad = nexus.put("/realms/active", ["DockerToken", "Bogus", "NexusAuthorizingRealm"])
    assert bad.status_code == 400
    assert bad.headers["Content-Type"].startswith("text/plain")
    assert bad.text == '"Unknown realmIds: [Bogus, NexusAuthorizingRealm]"'
    assert nexus.get("/realms/active").json() == ["NexusAuthenticatingRealm", "DockerToken"]


# --- anonymous ------------------------------------------------------------------------------------
def test_anonymous_get_and_put(nexus: Security) -> None:
    assert nexus.get("/anonymous").json() == {"enabled": False, "userId": "anonymous",
                                              "realmName": "NexusAuthorizingRealm"}
    body = {"enabled": True, "userId": "anonymous", "realmName": "NexusAuthorizingRealm"}
    answer = nexus.put("/anonymous", body)
    assert answer.status_code == 200 and answer.json() == body
    assert nexus.get("/anonymous").json()["enabled"] is True
    missing = nexus.put("/anonymous", {"enabled": True})
    assert missing.status_code == 400
    assert {e["id"] for e in missing.json()} == {"PARAMETER userId", "PARAMETER realmName"}


# --- users ----------------------------------------------------------------------------------------
def test_create_user_answers_the_user_without_password(nexus: Security) -> None:
    answer = nexus.post("/users", new_user())
    assert answer.status_code == 200
    assert answer.json() == {"userId": "jane", "firstName": "Jane", "lastName": "Doe",
                             "emailAddress": "jane@example.org", "source": "default",
                             "status": "active", "readOnly": False, "roles": ["nx-anonymous"],
                             "externalRoles": []}
    assert "password" not in json.dumps(nexus.get("/users").json())
    # authenticated but not an admin: 403, not 401
    assert requests.get(nexus.base + "/users", auth=("jane", "s3cret")).status_code == 403


def test_list_users_by_prefix_and_source(nexus: Security) -> None:
    nexus.post("/users", new_user("jane"))
    nexus.post("/users", new_user("janet"))
    ids = [u["userId"] for u in nexus.get("/users", params={"userId": "jan"}).json()]
    assert ids == ["jane", "janet"]
    assert [u["userId"] for u in nexus.get("/users").json()] == ["admin", "anonymous", "jane",
                                                                 "janet"]
    assert nexus.get("/users", params={"source": "LDAP"}).json() == []
    assert len(nexus.get("/users", params={"source": "default"}).json()) == 4


def test_create_user_validation(nexus: Security) -> None:
    answer = nexus.post("/users", {"userId": "x"})
    assert answer.status_code == 400
    assert {e["id"] for e in answer.json()} == {
        "PARAMETER firstName", "PARAMETER lastName", "PARAMETER emailAddress",
        "PARAMETER password", "PARAMETER status", "PARAMETER roles"}
    assert {"id": "PARAMETER roles", "message": "must not be empty"} in answer.json()
    bad_name = nexus.post("/users", new_user("_bad"))
    assert bad_name.status_code == 400 and bad_name.json()[0]["id"] == "PARAMETER userId"
    blank = nexus.post("/users", new_user(password="   "))
    assert blank.status_code == 400 and blank.json() == quoted("A non-empty password is required.")
    unknown_role = nexus.post("/users", new_user(roles=["nope"]))
    assert unknown_role.status_code == 400
    assert unknown_role.json() == [{"id": "roles", "message": "Unable to locate roleId: nope"}]


def test_duplicate_user_is_a_bare_500(nexus: Security) -> None:
    """nexus-public#1047: DuplicateUserException is not caught by UserApiResource."""
    assert nexus.post("/users", new_user()).status_code == 200
    again = nexus.post("/users", new_user())
    assert again.status_code == 500 and again.text.startswith("ERROR: (ID ")


def test_update_user(nexus: Security) -> None:
    nexus.post("/users", new_user())
    body = new_user(firstName="Janet", status="locked", password="changed")
    del body["password"]
    body.update({"source": "default", "roles": ["nx-admin"]})
    assert nexus.put("/users/jane", body).status_code == 204
    user = next(u for u in nexus.get("/users").json() if u["userId"] == "jane")
    assert user["firstName"] == "Janet" and user["status"] == "locked"
    assert user["roles"] == ["nx-admin"]
    # a PUT cannot change the password; only change-password can
    body["status"] = "active"
    body["password"] = "other"
    nexus.put("/users/jane", body)
    assert requests.get(nexus.base + "/users", auth=("jane", "s3cret")).status_code == 200
    assert requests.get(nexus.base + "/users", auth=("jane", "other")).status_code == 401


def test_update_user_errors(nexus: Security) -> None:
    """Validation list as seen from Nexus 3.31.1 (NexuShell#8), then UserApiResource's checks."""
    empty = nexus.put("/users/admin", {"status": "active"})
    assert empty.status_code == 400
    assert sorted(empty.json(), key=lambda e: e["id"]) == [
        {"id": "PARAMETER emailAddress", "message": "must not be empty"},
        {"id": "PARAMETER firstName", "message": "must not be empty"},
        {"id": "PARAMETER lastName", "message": "must not be empty"},
        {"id": "PARAMETER roles", "message": "must not be empty"},
        {"id": "PARAMETER source", "message": "must not be blank"},
        {"id": "PARAMETER userId", "message": "must not be blank"}]
    body = dict(new_user("ghost"), source="default")
    mismatch = nexus.put("/users/other", body)
    assert mismatch.status_code == 400
    assert mismatch.json() == quoted("The path's userId does not match the body")
    missing = nexus.put("/users/ghost", body)
    assert missing.status_code == 404 and missing.json() == quoted("User 'ghost' not found.")
    bad_role = nexus.put("/users/ghost", dict(body, roles=["none"]))
    assert bad_role.status_code == 400 and bad_role.json()[0]["id"] == "roles"
    bad_source = nexus.put("/users/ghost", dict(body, source="Crowd"))
    assert bad_source.status_code == 404
    assert bad_source.json() == quoted("Unable to locate source: Crowd")


def test_disabled_user_cannot_authenticate(nexus: Security) -> None:
    nexus.post("/users", new_user(status="disabled"))
    assert requests.get(nexus.base + "/users", auth=("jane", "s3cret")).status_code == 401


def test_delete_user_rules(nexus: Security) -> None:
    nexus.post("/users", new_user())
    assert nexus.delete("/users/jane").status_code == 204
    gone = nexus.delete("/users/jane")
    assert gone.status_code == 404 and gone.json() == quoted("User 'jane' not found.")
    own = nexus.delete("/users/admin")
    assert own.status_code == 400
    assert own.json() == quoted("Can not delete currently signed in user")
    nexus.put("/anonymous", {"enabled": True, "userId": "anonymous",
                             "realmName": "NexusAuthorizingRealm"})
    anonymous = nexus.delete("/users/anonymous")
    assert anonymous.status_code == 400
    assert anonymous.json() == quoted("Can not delete anonymous user")
    nexus.put("/anonymous", {"enabled": False, "userId": "anonymous",
                             "realmName": "NexusAuthorizingRealm"})
    assert nexus.delete("/users/anonymous").status_code == 204


# --- roles ----------------------------------------------------------------------------------------
def test_role_lifecycle(nexus: Security) -> None:
    body = {"id": "docker-pull", "name": "docker pull", "description": "pull",
            "privileges": ["nx-repository-view-docker-*-read"], "roles": ["nx-anonymous"]}
    created = nexus.post("/roles", body)
    assert created.status_code == 200
    assert created.json() == dict(body, source="default", readOnly=False)
    assert nexus.get("/roles/docker-pull").json() == created.json()
    assert [r["id"] for r in nexus.get("/roles").json()] == ["docker-pull", "nx-admin",
                                                             "nx-anonymous"]
    assert nexus.put("/roles/docker-pull", dict(body, name="renamed")).status_code == 204
    assert nexus.get("/roles/docker-pull").json()["name"] == "renamed"
    assert nexus.delete("/roles/docker-pull").status_code == 204
    missing = nexus.get("/roles/docker-pull")
    assert missing.status_code == 404 and missing.json() == quoted("Role 'docker-pull' not found.")


def test_role_errors(nexus: Security) -> None:
    assert {e["id"] for e in nexus.post("/roles", {}).json()} == {"PARAMETER id", "PARAMETER name"}
    body = {"id": "r1", "name": "r1", "privileges": [], "roles": []}
    nexus.post("/roles", body)
    duplicate = nexus.post("/roles", body)
    assert duplicate.status_code == 400
    assert duplicate.json() == quoted("Role 'r1' already exists, use a unique roleId.")
    privilege = nexus.post("/roles", dict(body, id="r2", privileges=["nx-nope"]))
    assert privilege.json() == quoted("Privilege 'nx-nope' contained in role 'r2' not found.")
    role = nexus.post("/roles", dict(body, id="r2", roles=["ghost"]))
    assert role.status_code == 400
    assert role.json() == quoted("Role 'ghost' contained in role 'r2' not found.")
    conflict = nexus.put("/roles/r1", dict(body, id="r9"))
    assert conflict.status_code == 409
    assert conflict.json() == quoted(
        "The Role id 'r9' does not match the id used in the path 'r1'.")
    assert nexus.put("/roles/zz", dict(body, id="zz")).status_code == 404
    bad_source = nexus.get("/roles", params={"source": "bogus"})
    assert bad_source.status_code == 400
    assert bad_source.json() == quoted("Source 'bogus' not found.")


def test_builtin_roles_cannot_change(nexus: Security) -> None:
    body = {"id": "nx-admin", "name": "nx-admin", "privileges": ["nx-all"], "roles": []}
    changed = nexus.put("/roles/nx-admin", body)
    assert changed.status_code == 400
    assert changed.json() == quoted(
        "Role 'nx-admin' is internal and cannot be modified or deleted.")
    deleted = nexus.delete("/roles/nx-anonymous")
    assert deleted.status_code == 400
    assert deleted.json() == quoted(
        "Role 'nx-anonymous' is internal and cannot be modified or deleted.")


def test_role_cycles_refused(nexus: Security) -> None:
    nexus.post("/roles", {"id": "a", "name": "a"})
    nexus.post("/roles", {"id": "b", "name": "b", "roles": ["a"]})
    cycle = nexus.put("/roles/a", {"id": "a", "name": "a", "roles": ["b"]})
    assert cycle.status_code == 400
    assert cycle.json() == quoted(
        "Role 'a' cannot contain itself either directly or indirectly through child roles.")


def test_deleting_a_role_drops_references(nexus: Security) -> None:
    nexus.post("/roles", {"id": "child", "name": "child"})
    nexus.post("/roles", {"id": "parent", "name": "parent", "roles": ["child"]})
    nexus.post("/users", new_user(roles=["child", "nx-anonymous"]))
    nexus.delete("/roles/child")
    assert nexus.get("/roles/parent").json()["roles"] == []
    assert next(u for u in nexus.get("/users").json() if u["userId"] == "jane")["roles"] == [
        "nx-anonymous"]


# --- privileges -----------------------------------------------------------------------------------
def test_builtin_privileges(nexus: Security) -> None:
    privileges = {p["name"]: p for p in nexus.get("/privileges").json()}
    assert privileges["nx-all"] == {"type": "wildcard", "name": "nx-all",
                                    "description": "All permissions", "readOnly": True,
                                    "pattern": "nexus:*"}
    assert privileges["nx-repository-view-*-*-read"] == {
        "type": "repository-view", "name": "nx-repository-view-*-*-read",
        "description": "Read privilege for all repository views", "readOnly": True,
        "format": "*", "repository": "*", "actions": ["READ"]}
    assert privileges["nx-repository-view-docker-*-*"]["actions"] == ["ALL"]
    # Admin privileges exist for all repositories and per repository, never per format
    # (RepositoryAdminSecurityContributor.initial; RepositoryFormatSecurityContributor adds views).
    assert privileges["nx-repository-admin-*-*-*"]["description"] == \
        "All privileges for all repository administration"
    assert "nx-repository-admin-docker-*-*" not in privileges
    for name in ("nx-healthcheck-read", "nx-search-read", "nx-users-read", "nx-blobstores-all"):
        assert privileges[name]["readOnly"] is True
    names = [p["name"] for p in nexus.get("/privileges").json()]
    assert names == sorted(names)


def test_repository_privileges_follow_repositories(nexus: Security) -> None:
    nexus.add_repository("docker-hosted")
    names = {p["name"] for p in nexus.get("/privileges").json()}
    for action in ("browse", "read", "edit", "add", "delete", "*"):
        assert f"nx-repository-view-docker-docker-hosted-{action}" in names
        # RepositoryAdminSecurityContributor.add: "no per-repo repository-admin ADD action"
        assert (f"nx-repository-admin-docker-docker-hosted-{action}" in names) == (action != "add")
    one = nexus.get("/privileges/nx-repository-view-docker-docker-hosted-read").json()
    assert one["description"] == "Read privilege for docker-hosted repository views"
    with nexus.state.lock:
        del nexus.state.repositories["docker-hosted"]
    assert nexus.get("/privileges/nx-repository-view-docker-docker-hosted-read").status_code == 404


def test_create_repository_view_privilege(nexus: Security) -> None:
    nexus.add_repository("docker-hosted")
    body = {"name": "hosted-push", "description": "push", "format": "docker",
            "repository": "docker-hosted", "actions": ["ADD", "EDIT", "READ"]}
    created = nexus.post("/privileges/repository-view", body)
    assert created.status_code == 201 and created.content == b""
    assert nexus.get("/privileges/hosted-push").json() == dict(
        body, type="repository-view", readOnly=False)
    assert nexus.put("/privileges/repository-view/hosted-push",
                     dict(body, actions=["ALL"])).status_code == 204
    assert nexus.get("/privileges/hosted-push").json()["actions"] == ["ALL"]


def test_repository_privilege_references(nexus: Security) -> None:
    nexus.add_repository("docker-hosted")
    base = {"name": "p", "format": "docker", "repository": "docker-hosted", "actions": ["READ"]}
    cases = [
        (dict(base, repository="nope"), "Invalid repository 'nope' supplied."),
        (dict(base, format="npm"), "Invalid format 'npm' supplied for repository 'docker-hosted'."),
        (dict(base, format="cobol", repository="*"), "Invalid format 'cobol' supplied."),
        (dict(base, actions=["RUN", "READ"]),
         "Privilege of type 'repository-view' cannot use action(s) of type 'RUN'."),
    ]
    for body, message in cases:
        answer = nexus.post("/privileges/repository-view", body)
        assert answer.status_code == 400 and answer.json() == quoted(message), body
    shape = nexus.post("/privileges/repository-view", {"name": ".bad"})
    assert shape.status_code == 400
    assert {e["id"] for e in shape.json()} == {"PARAMETER name", "PARAMETER actions",
                                               "PARAMETER format", "PARAMETER repository"}
    assert nexus.post("/privileges/repository-view", dict(base, repository="*",
                                                          format="*")).status_code == 201


def test_privilege_conflicts_and_internal(nexus: Security) -> None:
    body = {"name": "my-wild", "pattern": "nexus:repository-view:docker:*:read"}
    assert nexus.post("/privileges/wildcard", body).status_code == 201
    again = nexus.post("/privileges/wildcard", body)
    assert again.status_code == 400
    assert again.json() == quoted("Privilege 'my-wild' already exists, use a unique name.")
    clash = nexus.post("/privileges/wildcard", dict(body, name="nx-all"))
    assert clash.json() == quoted("Privilege 'nx-all' already exists, use a unique name.")
    mismatch = nexus.put("/privileges/wildcard/my-wild", dict(body, name="other"))
    assert mismatch.status_code == 409
    assert mismatch.json() == quoted(
        "The privilege name 'other' does not match the name used in the path 'my-wild'.")
    internal = nexus.put("/privileges/wildcard/nx-all", dict(body, name="nx-all"))
    assert internal.status_code == 400
    assert internal.json() == quoted(
        "Privilege 'nx-all' is internal and cannot be modified or deleted.")
    assert nexus.delete("/privileges/nx-all").status_code == 400
    missing = nexus.put("/privileges/wildcard/ghost", dict(body, name="ghost"))
    assert missing.status_code == 404 and missing.json() == quoted("Privilege 'ghost' not found.")


def test_delete_privilege_drops_it_from_roles(nexus: Security) -> None:
    nexus.post("/privileges/application", {"name": "bs-read", "domain": "blobstores",
                                           "actions": ["READ"]})
    nexus.post("/roles", {"id": "r", "name": "r", "privileges": ["bs-read", "nx-search-read"]})
    assert nexus.delete("/privileges/bs-read").status_code == 204
    assert nexus.get("/roles/r").json()["privileges"] == ["nx-search-read"]
    assert nexus.delete("/privileges/bs-read").status_code == 404


def test_application_and_script_privileges(nexus: Security) -> None:
    app = {"name": "tasks-run", "domain": "tasks", "actions": ["START", "READ"]}
    assert nexus.post("/privileges/application", app).status_code == 201
    assert nexus.get("/privileges/tasks-run").json() == dict(
        app, type="application", description="", readOnly=False)
    browse = nexus.post("/privileges/application", dict(app, name="x", actions=["BROWSE"]))
    assert browse.json() == quoted(
        "Privilege of type 'application' cannot use action(s) of type 'BROWSE'.")
    script = {"name": "run-it", "scriptName": "cleanup", "actions": ["RUN"]}
    assert nexus.post("/privileges/script", script).status_code == 201
    assert nexus.post("/privileges/application",
                      dict(app, name="y", actions=["FLY"])).status_code == 400


def test_content_selector_privilege_needs_the_selector(nexus: Security) -> None:
    body = {"name": "lib", "format": "docker", "repository": "*", "contentSelector": "lib-only",
            "actions": ["READ"]}
    missing = nexus.post("/privileges/repository-content-selector", body)
    assert missing.json() == quoted("Invalid content selector 'lib-only' supplied.")
    nexus.post("/content-selectors", {
        "name": "lib-only", "expression": 'format == "docker" and path =^ "/v2/library/"'})
    assert nexus.post("/privileges/repository-content-selector", body).status_code == 201
    in_use = nexus.delete("/content-selectors/lib-only")
    assert in_use.status_code == 400
    assert in_use.json() == {"id": "*",
                             "message": "Content selector lib-only is in use and cannot be deleted"}


# --- content selectors ----------------------------------------------------------------------------
def test_content_selector_lifecycle(nexus: Security) -> None:
    body = {"name": "docker-v2", "description": "all docker",
            "expression": 'format == "docker" and path =^ "/v2/"'}
    assert nexus.post("/content-selectors", body).status_code == 204
    assert nexus.get("/content-selectors").json() == [dict(body, type="csel")]
    assert nexus.get("/content-selectors/docker-v2").json() == dict(body, type="csel")
    assert nexus.put("/content-selectors/docker-v2",
                     {"description": "x", "expression": 'format == "docker"'}).status_code == 204
    assert nexus.get("/content-selectors/docker-v2").json()["expression"] == 'format == "docker"'
    duplicate = nexus.post("/content-selectors", dict(body, name="DOCKER-v2"))
    assert duplicate.status_code == 400 and duplicate.json()[0]["id"] == "PARAMETER name"
    assert nexus.delete("/content-selectors/docker-v2").status_code == 204
    missing = nexus.get("/content-selectors/docker-v2")
    assert missing.status_code == 404
    assert missing.json() == quoted("No selector found for docker-v2")


def test_content_selector_expression_errors(nexus: Security) -> None:
    cases = {
        'format == "maven2': "Invalid CSEL: tokenization error in '\"maven2' at line 1 column 18",
        '(format == "docker"': "Invalid CSEL: parse error in '' at line 1 column 20",
        'format == "docker")': "Invalid CSEL: parse error in ')' at line 1 column 19",
        'name == "x"': "Invalid CSEL: 'Invalid identifier=name, expected one of [format, path]' "
                       "at line 1 column 1",
        'format != "docker"': "Invalid CSEL: Expression not supported in CSEL selector in "
                              "'format != \"docker\"' at line 1 column 8",
    }
    for expression, message in cases.items():
        answer = nexus.post("/content-selectors", {"name": "s", "expression": expression})
        assert answer.status_code == 400, expression
        assert answer.json() == [{"id": "HelperBean.expression", "message": message}]
    assert nexus.get("/content-selectors").json() == []


def test_csel_evaluation() -> None:
    expression = 'format == "docker" and (path =^ "/v2/library/" or path =~ "/v2/team/.*")'
    assert evaluate_csel(expression, {"format": "docker", "path": "/v2/library/alpine/tags/list"})
    assert evaluate_csel(expression, {"format": "docker", "path": "/v2/team/app/manifests/1"})
    assert not evaluate_csel(expression, {"format": "docker", "path": "/v2/other/x"})
    assert not evaluate_csel(expression, {"format": "npm", "path": "/v2/library/x"})
    assert parse_csel("coordinate.groupId == 'org.example' || format == 'maven2'")
    with pytest.raises(CselError):
        parse_csel('coordinate.nope == "x"')


# --- LDAP -----------------------------------------------------------------------------------------
def ldap_body(**extra: object) -> dict:
    body = {"name": "corp", "protocol": "ldaps", "useTrustStore": True, "host": "ldap.example.org",
            "port": 636, "searchBase": "dc=example,dc=org", "authScheme": "SIMPLE",
            "authUsername": "cn=bind,dc=example,dc=org", "authPassword": "bindpw",
            "connectionTimeoutSeconds": 30, "connectionRetryDelaySeconds": 300,
            "maxIncidentsCount": 3, "userBaseDn": "ou=people", "userSubtree": True,
            "userObjectClass": "inetOrgPerson", "userIdAttribute": "uid",
            "userRealNameAttribute": "cn", "userEmailAddressAttribute": "mail",
            "ldapGroupsAsRoles": True, "groupType": "dynamic", "userMemberOfAttribute": "memberOf"}
    body.update(extra)
    return body


def test_ldap_lifecycle(nexus: Security) -> None:
    assert nexus.post("/ldap", ldap_body()).status_code == 201
    backup = ldap_body(name="backup", host="ldap2.example.org")
    assert nexus.post("/ldap", backup).status_code == 201
    servers = nexus.get("/ldap").json()
    assert [(s["name"], s["order"]) for s in servers] == [("corp", 0), ("backup", 1)]
    assert "authPassword" not in servers[0] and servers[0]["id"]
    assert servers[0]["host"] == "ldap.example.org" and servers[0]["groupType"] == "dynamic"
    one = nexus.get("/ldap/corp").json()
    assert one == servers[0]
    assert nexus.post("/ldap/change-order", ["backup", "corp"]).status_code == 204
    assert [s["name"] for s in nexus.get("/ldap").json()] == ["backup", "corp"]
    update = ldap_body(host="ldap3.example.org", id=one["id"])
    del update["authPassword"]  # 3.86's UpdateLdapServerXo requires it
    assert nexus.put("/ldap/corp", update).json() == [
        {"id": "PARAMETER authPassword", "message": "must not be blank"}]
    assert nexus.put("/ldap/corp", ldap_body(host="ldap3.example.org")).status_code == 204
    assert nexus.get("/ldap/corp").json()["host"] == "ldap3.example.org"
    assert nexus.get("/ldap/corp").json()["id"] == one["id"]
    assert nexus.delete("/ldap/corp").status_code == 204
    assert nexus.delete("/ldap/corp").status_code == 404
    assert nexus.get("/ldap/corp").status_code == 404


def test_ldap_validation(nexus: Security) -> None:
    missing = nexus.post("/ldap", {"name": "x"})
    assert missing.status_code == 400
    ids = {e["id"] for e in missing.json()}
    assert {"PARAMETER host", "PARAMETER port", "PARAMETER protocol", "PARAMETER searchBase",
            "PARAMETER authScheme", "PARAMETER connectionTimeoutSeconds"} <= ids
    assert nexus.post("/ldap", ldap_body(protocol="http")).status_code == 400
    static = nexus.post("/ldap", ldap_body(groupType="static"))
    assert {e["id"] for e in static.json()} == {
        "PARAMETER groupBaseDn", "PARAMETER groupIdAttribute", "PARAMETER groupMemberAttribute",
        "PARAMETER groupMemberFormat", "PARAMETER groupObjectClass"}
    digest = nexus.post("/ldap", ldap_body(authScheme="DIGEST_MD5"))
    assert digest.json() == [{"id": "PARAMETER authRealm", "message": "must not be blank"}]
    timeout = nexus.post("/ldap", ldap_body(connectionTimeoutSeconds=0))
    assert timeout.json() == [{"id": "PARAMETER connectionTimeoutSeconds",
                               "message": "must be greater than or equal to 1"}]
    anonymous_bind = ldap_body(authScheme="NONE")
    del anonymous_bind["authUsername"], anonymous_bind["authPassword"]
    assert nexus.post("/ldap", anonymous_bind).status_code == 201


def test_ldap_required_fields_follow_the_release(emulators: Emulators) -> None:
    """3.94's schemas require the user attributes and no longer the password on update (the
    stored one is kept); 3.86's do the opposite."""
    body = ldap_body()
    del body["userIdAttribute"]
    instance = security(emulators, "3.94.0")
    assert instance.post("/ldap", body).json() == [
        {"id": "PARAMETER userIdAttribute", "message": "must not be blank"}]
    assert instance.post("/ldap", ldap_body()).status_code == 201
    read = instance.get("/ldap/corp").json()  # 3.94's schema spells the enums its own way
    assert (read["protocol"], read["authScheme"], read["groupType"]) == (
        "LDAPS", "simple", "DYNAMIC")
    update = ldap_body(port=389, protocol="ldap")
    del update["authPassword"]
    assert instance.put("/ldap/corp", update).status_code == 204
    with instance.state.lock:
        assert instance.state.ldap_servers[0]["_authPassword"] == "bindpw"
