"""Docker connectors of the emulator: one listener per repository httpPort, answering the Docker
Registry v2 handshake the way Nexus does.

Cases and where they come from:
* forceBasicAuth=false selects bearer-token auth, true selects BASIC (nexus-public PR #31 review:
  "forceBasicAuth=true means use BASIC auth. forceBasicAuth=false means use bearer token auth.");
* the Docker Bearer Token Realm is required for docker clients and anonymous pulls
  (help.sonatype.com/en/docker-authentication.html); the anonymous bearer token only works with
  the built-in `anonymous` user (nexus-public#311);
* the token answer carries no expiry (dockerd logs "Increasing token expiration to: 60 seconds")
  and a refused anonymous pull reads "unauthorized: access to the requested resource is not
  authorized" (the seed post's dockerd log);
* a push to a Community Edition group port gets an HTML 404 ("error parsing HTTP 404 response
  body: invalid character '<'", the seed post);
* until the EULA is accepted the registry port answers "You must accept the End User License
  Agreement (EULA)" (juev/registry EULA-ISSUE.md), with 403 (a CE 3.8x troubleshooting note).
"""
from __future__ import annotations

import json

import pytest
import requests

from tests.emulator.server import Emulator
from tests.emulator.state import NexusState, Options
from tests.emulator.testing import ADMIN, ADMIN_PASSWORD, Emulators
from tests.registry_client import (MANIFEST_V2, UNAUTHORIZED, Connectors, anonymous_token, bearer,
                                   free_port, port_open, push, v2)

@pytest.fixture
def nexus(emulators: Emulators) -> Connectors:
    return Connectors(emulators.get().emulator)


# --- listeners ------------------------------------------------------------------------------------
def test_listeners_follow_repositories(nexus: Connectors) -> None:
    https = free_port()
    port = nexus.repository("docker-hosted", https_port=https)
    assert port_open(port)
    assert not port_open(https)  # no Jetty HTTPS: the HTTPS connector silently does not start
    moved = free_port()
    with nexus.state.lock:
        nexus.state.repositories["docker-hosted"]["docker"]["httpPort"] = moved
    nexus.emulator.after_change()
    assert port_open(moved) and not port_open(port)
    with nexus.state.lock:
        del nexus.state.repositories["docker-hosted"]
    nexus.emulator.after_change()
    assert not port_open(moved)


def test_connector_opens_for_repositories_present_at_start() -> None:
    port = free_port()
    state = NexusState(Options(admin_password=ADMIN_PASSWORD))
    state.seeders.append(lambda s: s.repositories.update({"early": {
        "name": "early", "format": "docker", "type": "hosted", "online": True,
        "docker": {"forceBasicAuth": True, "httpPort": port, "httpsPort": None}}}))
    emulator = Emulator(state)
    try:
        assert requests.get(v2(port), auth=ADMIN).status_code == 200
    finally:
        emulator.shutdown()
    assert not port_open(port)


# --- the /v2/ challenge ---------------------------------------------------------------------------
def test_v2_challenge_depends_on_force_basic_auth(nexus: Connectors) -> None:
    nexus.configure()
    bearer_port = nexus.repository("open", force_basic=False)
    basic_port = nexus.repository("closed", force_basic=True)
    answer = requests.get(v2(bearer_port))
    assert answer.status_code == 401 and answer.json() == UNAUTHORIZED
    token_url = f"http://127.0.0.1:{bearer_port}/v2/token"
    assert answer.headers["WWW-Authenticate"] == f'Bearer realm="{token_url}",service="{token_url}"'
    assert answer.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    assert answer.headers["Server"].startswith("Nexus/")
    answer = requests.get(v2(basic_port))
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'BASIC realm="Sonatype Nexus Repository Manager"'


def test_v2_always_challenges_an_anonymous_client(nexus: Connectors) -> None:
    """Even when anonymous pull is possible: docker needs the challenge to fetch its token."""
    nexus.configure()
    port = nexus.repository("open")
    assert requests.get(v2(port)).status_code == 401


def test_forwarded_host_in_challenge(nexus: Connectors) -> None:
    port = nexus.repository("open")
    answer = requests.get(v2(port), headers={"Host": "registry.example.org",
                                             "X-Forwarded-Proto": "https"})
    url = "https://registry.example.org/v2/token"
    assert answer.headers["WWW-Authenticate"] == f'Bearer realm="{url}",service="{url}"'


def test_basic_credentials(nexus: Connectors) -> None:
    port = nexus.repository("closed", force_basic=True)
    answer = requests.get(v2(port), auth=ADMIN)
    assert answer.status_code == 200 and answer.json() == {}
    assert answer.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    wrong = requests.get(v2(port), auth=("admin", "nope"))
    assert wrong.status_code == 401 and wrong.json() == UNAUTHORIZED


# --- tokens ---------------------------------------------------------------------------------------
def test_login_token_flow(nexus: Connectors) -> None:
    nexus.configure(anonymous=False)
    port = nexus.repository("open")
    token = requests.get(v2(port, "/v2/token"), params={"account": "admin"}, auth=ADMIN)
    assert token.status_code == 200
    assert set(token.json()) == {"token"} and token.json()["token"].startswith("DockerToken.")
    assert requests.get(v2(port), headers=bearer(token.json()["token"])).status_code == 200
    assert requests.get(v2(port), headers=bearer("DockerToken.forged")).status_code == 401
    assert requests.get(v2(port, "/v2/token"), auth=("admin", "bad")).status_code == 401


def test_bearer_tokens_need_the_docker_token_realm(nexus: Connectors) -> None:
    """Without the realm docker login fails: the token cannot authenticate anyone."""
    nexus.configure(realm=False, anonymous=False)
    port = nexus.repository("open")
    token = requests.get(v2(port, "/v2/token"), auth=ADMIN).json()["token"]
    assert requests.get(v2(port), headers=bearer(token)).status_code == 401


def test_anonymous_token_when_anonymous_pull_is_possible(nexus: Connectors) -> None:
    nexus.configure()
    port = nexus.repository("open")
    token = anonymous_token(port)
    assert token.status_code == 200
    headers = bearer(token.json()["token"])
    assert requests.get(v2(port), headers=headers).status_code == 200
    missing = requests.get(v2(port, "/v2/library/alpine/manifests/latest"), headers=headers)
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"


@pytest.mark.parametrize("breaks", ["realm", "anonymous", "force_basic", "no_read", "other_user"])
def test_anonymous_token_refused_unless_every_condition_holds(nexus: Connectors, breaks: str) -> None:
    nexus.configure(realm=breaks != "realm", anonymous=breaks != "anonymous")
    port = nexus.repository("open", force_basic=breaks == "force_basic")
    if breaks == "no_read":
        requests.post(f"{nexus.v1}/security/roles", auth=ADMIN, json={
            "id": "nothing", "name": "nothing", "privileges": ["nx-search-read"]})
        user = {"userId": "anonymous", "firstName": "Anonymous", "lastName": "User",
                "emailAddress": "anonymous@example.org", "source": "default",
                "status": "active", "roles": ["nothing"]}
        assert requests.put(f"{nexus.v1}/security/users/anonymous", json=user,
                            auth=ADMIN).status_code == 204
    if breaks == "other_user":
        requests.post(f"{nexus.v1}/security/users", auth=ADMIN, json={
            "userId": "guest", "firstName": "G", "lastName": "U", "emailAddress": "g@example.org",
            "password": "x", "status": "active", "roles": ["nx-anonymous"]})
        requests.put(f"{nexus.v1}/security/anonymous", auth=ADMIN, json={
            "enabled": True, "userId": "guest", "realmName": "NexusAuthorizingRealm"})
    answer = anonymous_token(port)
    assert answer.status_code == 401
    assert answer.json() == UNAUTHORIZED


def test_anonymous_read_on_the_group_is_what_counts(nexus: Connectors) -> None:
    nexus.configure()
    hosted = nexus.repository("docker-hosted")
    group = nexus.repository("docker-group", kind="group", members=["docker-hosted"])
    requests.post(f"{nexus.v1}/security/roles", auth=ADMIN, json={
        "id": "group-pull", "name": "group-pull",
        "privileges": ["nx-repository-view-docker-docker-group-read"]})
    user = {"userId": "anonymous", "firstName": "Anonymous", "lastName": "User",
            "emailAddress": "anonymous@example.org", "source": "default", "status": "active",
            "roles": ["group-pull"]}
    assert requests.put(f"{nexus.v1}/security/users/anonymous", json=user,
                        auth=ADMIN).status_code == 204
    assert anonymous_token(group).status_code == 200
    assert anonymous_token(hosted).status_code == 401


def test_token_revoked_when_anonymous_access_is_turned_off(nexus: Connectors) -> None:
    nexus.configure()
    port = nexus.repository("open")
    headers = bearer(anonymous_token(port).json()["token"])
    nexus.configure(anonymous=False)
    answer = requests.get(v2(port, "/v2/library/alpine/manifests/latest"), headers=headers)
    assert answer.status_code == 401 and answer.json() == UNAUTHORIZED


# --- pull and push --------------------------------------------------------------------------------
def test_push_to_hosted_and_pull_through_group(nexus: Connectors) -> None:
    hosted = nexus.repository("docker-hosted", force_basic=True)
    group = nexus.repository("docker-group", kind="group", members=["docker-hosted"],
                             force_basic=True)
    digest = push(hosted, ADMIN)
    manifest = requests.get(v2(group, "/v2/team/app/manifests/1.0"), auth=ADMIN)
    assert manifest.status_code == 200
    assert json.loads(manifest.content)["layers"][0]["digest"] == digest
    assert manifest.headers["Content-Type"] == MANIFEST_V2
    head = requests.head(v2(group, f"/v2/team/app/blobs/{digest}"), auth=ADMIN)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(b"layer-bytes"))
    assert requests.get(v2(group, "/v2/team/app/tags/list"), auth=ADMIN).json() == {
        "name": "team/app", "tags": ["1.0"]}
    assert requests.get(v2(group, "/v2/_catalog"), auth=ADMIN).json() == {
        "repositories": ["team/app"]}
    unknown = requests.get(v2(group, "/v2/team/app/blobs/sha256:00"), auth=ADMIN)
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == "BLOB_UNKNOWN"
    assert requests.get(v2(group, "/v2/nope/tags/list"), auth=ADMIN).json()["errors"][0][
        "code"] == "NAME_UNKNOWN"


def test_push_to_community_group_is_an_html_404(nexus: Connectors) -> None:
    nexus.repository("docker-hosted", force_basic=True)
    group = nexus.repository("docker-group", kind="group", members=["docker-hosted"],
                             force_basic=True)
    answer = requests.post(v2(group, "/v2/team/app/blobs/uploads/"), auth=ADMIN)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError, match="Expecting value: line 1 column 1"):
        json.loads(answer.text)  # what dockerd reports as "invalid character '<'"


def test_push_to_proxy_is_refused(nexus: Connectors) -> None:
    proxy = nexus.repository("docker-proxy", kind="proxy", force_basic=True)
    answer = requests.post(v2(proxy, "/v2/team/app/blobs/uploads/"), auth=ADMIN)
    assert answer.status_code == 405
    assert answer.json()["errors"][0]["code"] == "UNSUPPORTED"


def test_push_needs_permission(nexus: Connectors) -> None:
    nexus.configure()
    port = nexus.repository("docker-hosted")
    requests.post(f"{nexus.v1}/security/users", auth=ADMIN, json={
        "userId": "reader", "firstName": "R", "lastName": "R", "emailAddress": "r@example.org",
        "password": "pw", "status": "active", "roles": ["nx-anonymous"]})
    denied = requests.post(v2(port, "/v2/team/app/blobs/uploads/"), auth=("reader", "pw"))
    assert denied.status_code == 403
    assert denied.json() == {"errors": [{"code": "DENIED",
                                         "message": "requested access to the resource is denied",
                                         "detail": None}]}
    anonymous = requests.post(v2(port, "/v2/team/app/blobs/uploads/"),
                              headers=bearer(anonymous_token(port).json()["token"]))
    assert anonymous.status_code == 401 and "WWW-Authenticate" in anonymous.headers
    requests.post(f"{nexus.v1}/security/roles", auth=ADMIN, json={
        "id": "pusher", "name": "pusher",
        "privileges": ["nx-repository-view-docker-docker-hosted-add",
                       "nx-repository-view-docker-docker-hosted-edit",
                       "nx-repository-view-docker-docker-hosted-read"]})
    requests.post(f"{nexus.v1}/security/users", auth=ADMIN, json={
        "userId": "ci", "firstName": "C", "lastName": "I", "emailAddress": "ci@example.org",
        "password": "pw", "status": "active", "roles": ["pusher"]})
    push(port, ("ci", "pw"))


def test_upload_digest_mismatch(nexus: Connectors) -> None:
    port = nexus.repository("docker-hosted", force_basic=True)
    start = requests.post(v2(port, "/v2/app/blobs/uploads/"), auth=ADMIN)
    done = requests.put(v2(port, start.headers["Location"]), data=b"x",
                        params={"digest": "sha256:" + "0" * 64}, auth=ADMIN)
    assert done.status_code == 400 and done.json()["errors"][0]["code"] == "DIGEST_INVALID"
    again = requests.put(v2(port, start.headers["Location"]), data=b"x", auth=ADMIN)
    assert again.json()["errors"][0]["code"] == "BLOB_UPLOAD_UNKNOWN"


def test_content_selector_privilege_limits_paths(nexus: Connectors) -> None:
    port = nexus.repository("docker-hosted", force_basic=True)
    api = f"{nexus.v1}/security"
    assert requests.post(f"{api}/content-selectors", auth=ADMIN, json={
        "name": "library", "expression": 'format == "docker" and path =^ "/v2/library/"'}
    ).status_code == 204
    assert requests.post(f"{api}/privileges/repository-content-selector", auth=ADMIN, json={
        "name": "library-read", "format": "docker", "repository": "docker-hosted",
        "contentSelector": "library", "actions": ["READ"]}).status_code == 201
    requests.post(f"{api}/roles", auth=ADMIN, json={"id": "lib", "name": "lib",
                                                    "privileges": ["library-read"]})
    requests.post(f"{api}/users", auth=ADMIN, json={
        "userId": "lib", "firstName": "L", "lastName": "L", "emailAddress": "l@example.org",
        "password": "pw", "status": "active", "roles": ["lib"]})
    inside = requests.get(v2(port, "/v2/library/alpine/manifests/3"), auth=("lib", "pw"))
    assert inside.status_code == 404  # allowed, just not there
    outside = requests.get(v2(port, "/v2/team/app/manifests/1"), auth=("lib", "pw"))
    assert outside.status_code == 403


# --- refusals and the request log -----------------------------------------------------------------
def test_eula_pending_blocks_every_connector_request(emulators: Emulators) -> None:
    instance = Connectors(emulators.get("3.86.0", first_start=True).emulator)  # EULA not accepted
    with instance.state.lock:
        password = instance.state.passwords["admin"]
    port = instance.repository("docker-hosted", force_basic=True)
    for method, path in (("GET", "/v2/"), ("GET", "/v2/token"),
                         ("POST", "/v2/a/blobs/uploads/")):
        answer = requests.request(method, v2(port, path), auth=("admin", password))
        assert answer.status_code == 403
        assert answer.text == "You must accept the End User License Agreement (EULA)"
    assert all(e["reason"] == "eula-pending" for e in instance.connector_log())
    with instance.state.lock:
        instance.state.eula_accepted = True
    assert requests.get(v2(port), auth=("admin", password)).status_code == 200


def test_offline_repository(nexus: Connectors) -> None:
    port = nexus.repository("docker-hosted", online=False, force_basic=True)
    answer = requests.get(v2(port), auth=ADMIN)
    assert answer.status_code == 503
    assert answer.json()["errors"][0]["code"] == "UNAVAILABLE"


def test_every_connector_request_is_logged(nexus: Connectors) -> None:
    hosted = nexus.repository("docker-hosted", force_basic=True)
    group = nexus.repository("docker-group", kind="group", members=["docker-hosted"],
                             force_basic=True)
    requests.get(v2(group), auth=ADMIN)
    requests.head(v2(hosted, "/v2/x/manifests/1"), auth=ADMIN)
    assert nexus.connector_log() == [
        {"method": "GET", "path": "/v2/", "status": 200, "repository": "docker-group",
         "port": group, "connector": True},
        {"method": "HEAD", "path": "/v2/x/manifests/1", "status": 404,
         "repository": "docker-hosted", "port": hosted, "connector": True}]
    log = requests.get(nexus.emulator.base_url + "/__emulator/requests").json()
    assert [e["repository"] for e in log if e.get("connector")] == ["docker-group", "docker-hosted"]
