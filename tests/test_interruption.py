"""Crash- and timeout-safe creation (issue 14, points 1, 2 and 7).

In-process provider tests run the create path against one emulator per module, several kinds
per table; engine tests drive the real CLI: a create whose answer comes after the client's
timeout, and an `up` killed with SIGKILL after some creates, each followed by a plain `up`
that converges (then `preview --expect-no-changes` and the drift check exit 0, and the server
holds exactly the config).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from components import client as nexus_client
from components import interrupted
from components.blob_store import FileBlobStoreProvider
from components.cleanup_policy import CleanupPolicyProvider
from components.client import NexusError
from components.content_selector import ContentSelectorProvider
from components.docker_group import DockerGroupProvider
from components.docker_hosted import DockerHostedProvider
from components.docker_proxy import DockerProxyProvider
from components.privilege import PrivilegeProvider
from components.provider import AlreadyExists, NexusProvider
from components.role import RoleProvider
from components.routing_rule import RoutingRuleProvider
from components.user import UserProvider
from tests.conftest import ADMIN_PASSWORD
from tests.harness import EmulatorProcess, Workspace, pulumi_binary, temp_dir

PROJECT = "nexus-registry"

# One object of every kind with a POST endpoint, and a change to one of its fields.
CASES: list[tuple[NexusProvider, dict[str, Any], dict[str, Any]]] = [
    (FileBlobStoreProvider(), {"name": "bs-1", "softQuota": {"type": "spaceUsedQuota", "limitMb": 100}},
     {"softQuota": {"type": "spaceUsedQuota", "limitMb": 200}}),
    (CleanupPolicyProvider(), {"name": "cp-1", "format": "docker", "lastDownloadedDays": 30},
     {"lastDownloadedDays": 60}),
    (RoutingRuleProvider(), {"name": "rr-1", "mode": "ALLOW", "matchers": ["^/v2/library/.*"]},
     {"matchers": ["^/v2/team/.*"]}),
    (DockerHostedProvider(), {"name": "hosted-1", "writePolicy": "ALLOW_ONCE"}, {"writePolicy": "DENY"}),
    (DockerProxyProvider(), {"name": "proxy-1", "remoteUrl": "https://registry-1.docker.io",
                             "indexType": "HUB"}, {"remoteUrl": "https://gcr.io", "indexType": "REGISTRY"}),
    (DockerGroupProvider(), {"name": "group-1", "members": ["hosted-1"]}, {"members": ["hosted-1", "proxy-1"]}),
    (ContentSelectorProvider(), {"name": "cs-1", "expression": 'format == "docker"'},
     {"expression": 'format == "docker" and path =^ "/v2/team/"'}),
    (PrivilegeProvider(), {"name": "priv-1", "type": "repository-view", "format": "docker",
                           "repository": "hosted-1", "actions": ["READ", "BROWSE"]}, {"actions": ["READ"]}),
    (RoleProvider(), {"id": "role-1", "privileges": ["priv-1"]}, {"description": "pullers"}),
    (UserProvider(), {"userId": "user-1", "roles": ["role-1"], "password": "User-1-Pw-1"},
     {"emailAddress": "robot@example.org"}),
]
IDS = [type(provider).__name__ for provider, _, _ in CASES]


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    server = EmulatorProcess(temp_dir("nexus-interrupt-") / "data", admin_password=ADMIN_PASSWORD)
    yield server
    server.stop()


def fresh(emulator: EmulatorProcess, upto: int = len(CASES)) -> None:
    """A first-start server holding the first `upto` objects of CASES, made by a create."""
    emulator.control("POST", "reset")
    new_run(emulator)
    for provider, spec, _ in CASES[:upto]:
        provider.create(checked(provider, spec))


def new_run(emulator: EmulatorProcess) -> None:
    """What a new provider process starts with: the stack's connection, empty run caches."""
    with nexus_client._RUN_LOCK:
        nexus_client._RUN_CLIENTS.clear()
    nexus_client.use_stack_config({f"{PROJECT}:nexus": json.dumps({"url": emulator.url, "timeoutSeconds": 5}),
                                   f"{PROJECT}:adminPassword": ADMIN_PASSWORD})


def checked(provider: NexusProvider, spec: dict[str, Any]) -> dict[str, Any]:
    return provider.check({}, dict(spec)).inputs


def writes(emulator: EmulatorProcess) -> list[tuple[str, str]]:
    return [(w["method"], w["path"]) for w in emulator.writes()]


def test_objects_an_earlier_run_created_are_taken_over_without_a_write(emulator):
    """The killed run's creates reached Nexus; the next run's create finds each object, sees it
    matches the config and records it — no write (a user's password is checked by a login)."""
    fresh(emulator)
    new_run(emulator)
    emulator.clear_log()
    for provider, spec, _ in CASES:
        result = provider.create(checked(provider, spec))
        assert result.id == provider.object_id(spec)
    posts = [path for method, path in writes(emulator)]
    assert all(method == "POST" for method, _ in writes(emulator)), writes(emulator)
    assert len(posts) == len(CASES)  # each create was tried once and refused as a duplicate
    # one list read per kind (not per object), plus the user's login check
    reads = [r["path"] for r in emulator.requests() if r["method"] == "GET"]
    assert len(reads) <= len(CASES) + 2, reads


@pytest.mark.parametrize("index", range(len(CASES)), ids=IDS)
def test_an_object_that_differs_is_refused_unless_this_stack_recorded_creating_it(emulator, index, tmp_path,
                                                                                    monkeypatch):
    provider, spec, change = CASES[index]
    fresh(emulator, upto=index + 1)  # with what it refers to (members, privileges, roles)
    wanted = checked(provider, {**spec, **change})
    emulator.clear_log()
    new_run(emulator)
    with pytest.raises(AlreadyExists) as refused:
        provider.create(dict(wanted))
    message = str(refused.value)
    assert "already exists" in message and "adopt: true" in message
    assert next(iter(change)) in message  # names the field that differs
    assert all(method != "PUT" for method, _ in writes(emulator))

    # The record an interrupted run of this stack left: the inputs it sent for this object.
    record = tmp_path / "interrupted.json"
    sent = {k: v for k, v in checked(provider, spec).items() if k != "password"}
    interrupted.write_record([sent], record)
    monkeypatch.setenv(interrupted.RECORD_ENV, str(record))
    monkeypatch.setattr(interrupted, "_loaded", None)
    new_run(emulator)
    emulator.clear_log()
    provider.create(dict(wanted))
    assert any(method == "PUT" for method, _ in writes(emulator)), writes(emulator)
    new_run(emulator)
    current = provider.to_spec(provider.fetch(nexus_client.for_run(), provider.object_id(spec)), wanted)
    assert provider.differences(provider._with_carried(current, wanted), wanted) == []
    monkeypatch.setattr(interrupted, "_loaded", None)


def test_a_record_for_another_object_or_another_content_proves_nothing(emulator, tmp_path, monkeypatch):
    provider = DockerHostedProvider()
    fresh(emulator, upto=0)
    provider.create(checked(provider, {"name": "by-hand", "writePolicy": "DENY"}))
    record = tmp_path / "interrupted.json"
    interrupted.write_record([checked(provider, {"name": "by-hand", "writePolicy": "ALLOW_ONCE"}),
                              checked(RoleProvider(), {"id": "by-hand"})], record)
    monkeypatch.setenv(interrupted.RECORD_ENV, str(record))
    monkeypatch.setattr(interrupted, "_loaded", None)
    new_run(emulator)
    with pytest.raises(AlreadyExists):
        provider.create(checked(provider, {"name": "by-hand", "writePolicy": "ALLOW"}))
    monkeypatch.setattr(interrupted, "_loaded", None)


def test_a_user_whose_password_differs_gets_it_set_again(emulator):
    """Nexus never answers a password: the login check tells, and only then is it sent."""
    provider = UserProvider()
    spec = {"userId": "rotated", "password": "Old-Pw-1", "roles": ["nx-anonymous"]}
    fresh(emulator, upto=0)
    provider.create(checked(provider, spec))
    new_run(emulator)
    emulator.clear_log()
    provider.create(checked(provider, {**spec, "password": "New-Pw-2"}))
    assert writes(emulator) == [("POST", "/service/rest/v1/security/users"),
                                ("PUT", "/service/rest/v1/security/users/rotated/change-password")]
    assert emulator.rest("GET", "/v1/status", "New-Pw-2", user="rotated").status_code == 200


def test_duplicate_user_500_is_recognised_as_exists(emulator):
    """nexus-public#1047: a duplicate user is a bare 500; a look at the server decides."""
    provider = UserProvider()
    fresh(emulator, upto=0)
    provider.create(checked(provider, {"userId": "dup", "password": "Dup-Pw-1", "roles": ["nx-anonymous"]}))
    answer = emulator.rest("POST", "/v1/security/users", ADMIN_PASSWORD,
                           {"userId": "dup", "firstName": "d", "lastName": "d", "emailAddress": "d@x.org",
                            "password": "x", "status": "active", "roles": ["nx-anonymous"]})
    assert answer.status_code == 500
    new_run(emulator)
    with pytest.raises(AlreadyExists, match="lastName"):
        provider.create(checked(provider, {"userId": "dup", "password": "Dup-Pw-1", "roles": ["nx-anonymous"], "lastName": "Other"}))


def test_a_post_without_answer_says_what_the_next_run_does(emulator):
    """Connection reset after the request was sent: never retried; the message says the next
    run takes the object over if Nexus made it."""
    provider = RoleProvider()
    fresh(emulator, upto=0)
    emulator.fault(method="POST", path="/service/rest/v1/security/roles", reset=True)
    emulator.clear_log()
    with pytest.raises(NexusError) as failed:
        provider.create(checked(provider, {"id": "lost-answer"}))
    message = str(failed.value)
    assert "not retried" in message and "next `pulumi up`" in message and "takes it over" in message
    assert writes(emulator) == [("POST", "/service/rest/v1/security/roles")]  # sent once, never again
