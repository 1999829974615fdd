"""Realms, anonymous pull, users, roles, privileges through the real engine, proven on the
emulator's docker connectors."""
from __future__ import annotations

import copy
from typing import Any

import pytest
import requests

from tests.conftest import configure
from tests.harness import changed_steps
from tests.samples import repository, seed_registry

pytestmark = pytest.mark.engine
CI_PASSWORD = "Ci-Robot-Pw-42"


def with_presets(values: dict[str, Any]) -> dict[str, Any]:
    values = copy.deepcopy(values)
    values["security"] = {"anonymousPull": ["hub-group"], "pushers": {"ci": ["ybcard"]}}
    return values


def connector(values: dict[str, Any], name: str) -> str:
    return f"http://127.0.0.1:{repository(values, name)['httpPort']}"


def anonymous_token(base: str) -> requests.Response:
    challenge = requests.get(f"{base}/v2/", timeout=5)
    assert challenge.status_code == 401
    return requests.get(f"{base}/v2/token", params={"service": f"{base}/v2/token",
                                                     "scope": "repository:library/node:pull"}, timeout=5)


def test_anonymous_pull_preset_works_end_to_end_and_goes_away(workspace, nexus):
    values = with_presets(seed_registry())
    configure(workspace, nexus, values, {"security.passwords.ci": CI_PASSWORD})
    preview = workspace.preview()
    for shown in ("nexus:Realms", "nexus:AnonymousAccess", "anonymous-pull-hub-group", "role-anonymous-docker-pull",
                  "user-anonymous", "docker-push-ybcard", "role-docker-pushers-ci", "user-ci"):
        assert shown in preview.output, f"preview does not show {shown}"
    workspace.up()

    group = connector(values, "hub-group")
    assert "Bearer" in requests.get(f"{group}/v2/", timeout=5).headers["WWW-Authenticate"]
    token = anonymous_token(group)
    assert token.status_code == 200, token.text
    assert requests.get(f"{group}/v2/", headers={"Authorization": f"Bearer {token.json()['token']}"},
                        timeout=5).status_code == 200
    assert [r for r in nexus.requests() if r.get("connector") and r["path"] == "/v2/token"][-1]["repository"] == "hub-group"
    # The hosted repository was not opened to anonymous clients.
    assert anonymous_token(connector(values, "ybcard")).status_code == 401
    assert changed_steps(workspace.preview_json()) == []
    assert workspace.refresh_check().code == 0

    del values["security"]["anonymousPull"]
    configure(workspace, nexus, values, {"security.passwords.ci": CI_PASSWORD})
    workspace.up()
    refused = anonymous_token(group)
    assert refused.status_code == 401
    assert "access to the requested resource is not authorized" in refused.text
    settings = nexus.rest("GET", "/v1/security/anonymous", nexus.password).json()
    assert settings["enabled"] is False
    roles = nexus.rest("GET", "/v1/security/users?userId=anonymous", nexus.password).json()[0]["roles"]
    assert roles == ["nx-anonymous"]


def test_ci_pusher_can_push_to_hosted_only(workspace, nexus):
    values = with_presets(seed_registry())
    configure(workspace, nexus, values, {"security.passwords.ci": CI_PASSWORD})
    workspace.up()
    hosted, group = connector(values, "ybcard"), connector(values, "hub-group")
    auth = ("ci", CI_PASSWORD)
    assert requests.get(f"{hosted}/v2/", auth=auth, timeout=5).status_code == 200
    upload = requests.post(f"{hosted}/v2/team/app/blobs/uploads/", auth=auth, timeout=5)
    assert upload.status_code == 202, upload.text
    assert requests.post(f"{hosted}/v2/team/app/blobs/uploads/", auth=("ci", "wrong-password"),
                         timeout=5).status_code == 401
    # Not an admin: the REST API stays closed to the robot.
    assert nexus.rest("GET", "/v1/security/users", CI_PASSWORD, user="ci").status_code == 403
    # The robot has no rights on the group at all...
    assert requests.post(f"{group}/v2/team/app/blobs/uploads/", auth=auth, timeout=5).status_code == 403
    # ...and even the admin cannot push through a group on Community Edition (the seed's HTML 404).
    refused = requests.post(f"{group}/v2/team/app/blobs/uploads/", auth=("admin", nexus.password), timeout=5)
    assert refused.status_code == 404 and refused.text.lstrip().startswith("<")


def test_role_and_privilege_drift_shows_in_refresh(workspace, nexus):
    values = with_presets(seed_registry())
    configure(workspace, nexus, values, {"security.passwords.ci": CI_PASSWORD})
    workspace.up()
    role = nexus.rest("GET", "/v1/security/roles/docker-pushers-ci", nexus.password).json()
    role["privileges"].append("nx-repository-view-docker-hub-group-read")
    assert nexus.rest("PUT", "/v1/security/roles/docker-pushers-ci", nexus.password, role).status_code == 204
    privilege = {"name": "docker-push-ybcard", "description": "tampered", "format": "docker",
                 "repository": "ybcard", "actions": ["ALL"]}
    assert nexus.rest("PUT", "/v1/security/privileges/repository-view/docker-push-ybcard", nexus.password,
                      privilege).status_code == 204

    drift = workspace.refresh_check()
    assert drift.code != 0
    assert "role-docker-pushers-ci" in drift.output and "nx-repository-view-docker-hub-group-read" in drift.output
    assert "docker-push-ybcard" in drift.output and "ALL" in drift.output
    workspace.up("--refresh")
    assert workspace.refresh_check().code == 0
    assert nexus.rest("GET", "/v1/security/roles/docker-pushers-ci", nexus.password).json()["privileges"] == \
        ["docker-push-ybcard"]


def test_passwords_never_reach_state_or_output(workspace, nexus):
    values = with_presets(seed_registry())
    repository(values, "docker-hub")["authentication"] = {"type": "username", "username": "hub-bot"}
    configure(workspace, nexus, values, {"security.passwords.ci": CI_PASSWORD,
                                         "repositories[0].authentication.password": "Hub-Token-Secret"})
    outputs = [workspace.preview().output, workspace.up().output, workspace.preview("--refresh").output,
               workspace.refresh_check().output]
    state = workspace.state_text()
    for secret in (CI_PASSWORD, "Hub-Token-Secret", nexus.password):
        assert secret not in state
        for output in outputs:
            assert secret not in output
    # ...but they did reach Nexus.
    assert requests.get(f"{connector(values, 'ybcard')}/v2/", auth=("ci", CI_PASSWORD), timeout=5).status_code == 200


def test_changing_a_user_password_only_changes_the_password(workspace, nexus):
    values = with_presets(seed_registry())
    configure(workspace, nexus, values, {"security.passwords.ci": CI_PASSWORD})
    workspace.up()
    configure(workspace, nexus, values, {"security.passwords.ci": "Rotated-Pw-2"})
    steps = changed_steps(workspace.preview_json())
    assert [s["urn"].split("::")[-1] for s in steps] == ["user-ci"]
    start = len(nexus.requests())
    workspace.up()
    writes = [(r["method"], r["path"]) for r in nexus.requests()[start:] if r["method"] != "GET"]
    assert writes == [("PUT", "/service/rest/v1/security/users/ci/change-password")]
    assert requests.get(f"{connector(values, 'ybcard')}/v2/", auth=("ci", "Rotated-Pw-2"), timeout=5).status_code == 200


def test_unknown_realm_is_refused_at_preview_with_the_available_list(workspace, nexus):
    values = seed_registry()
    values["security"] = {"realms": ["NexusAuthenticatingRealm", "DockerTokn"]}
    configure(workspace, nexus, values)
    result = workspace.preview()
    assert result.code != 0
    assert "security.realms[1]: unknown realm 'DockerTokn'; this server offers:" in result.output
    assert "DockerToken" in result.output
    assert nexus.writes() == []
