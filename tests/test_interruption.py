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
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from components import client as nexus_client
from components import interrupted
from components.client import NexusError
from components.kinds.blob_stores import FileBlobStoreProvider
from components.kinds.cleanup_policies import CleanupPolicyProvider
from components.kinds.content_selectors import ContentSelectorProvider
from components.kinds.privileges import PrivilegeProvider
from components.kinds.repositories.docker import DockerGroupProvider, DockerHostedProvider, DockerProxyProvider
from components.kinds.roles import RoleProvider
from components.kinds.routing_rules import RoutingRuleProvider
from components.kinds.users import UserProvider
from components.provider import AlreadyExists, NexusProvider
from tests.conftest import ADMIN_PASSWORD
from tests.harness import EmulatorProcess, Workspace, install_cli, nexusctl, pulumi_binary, temp_dir

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


# --- through the real chain ----------------------------------------------------------------------
HOSTED_POSTS = "/service/rest/v1/repositories/docker/hosted"


def small_stack(count: int = 6) -> dict[str, Any]:
    """Objects enough for a kill half-way: hosted repositories (slowed down by a fault), a
    content selector, a privilege, a role and a user that refer to them."""
    return {
        "repositories": [{"name": f"team-{i}", "type": "hosted", "protect": False} for i in range(count)],
        "security": {
            "contentSelectors": [{"name": "team-images", "expression": 'format == "docker"'}],
            "privileges": [{"name": "team-pull", "type": "repository-view", "format": "docker",
                            "repository": "team-0", "actions": ["READ", "BROWSE"]}],
            "roles": [{"id": "team-pullers", "privileges": ["team-pull"]}],
            "users": [{"userId": "team-robot", "roles": ["team-pullers"]}],
        },
    }


SECRETS = {"security.passwords.team-robot": "Team-Robot-Pw-1"}


def configure(ws: Workspace, emulator: Any, values: dict[str, Any], **nexus: Any) -> None:
    ws.configure({"nexus": {"url": emulator.url, **nexus}, **values},
                 {"adminPassword": emulator.password, **SECRETS})


def on_server(emulator: Any) -> dict[str, Any]:
    """What the stack manages on the server, by kind (names only, built-ins left out)."""
    state = emulator.state()
    return {"repositories": sorted(n for n, r in state["repositories"].items() if r.get("format") == "docker"),
            "content_selectors": sorted(state["content_selectors"]),
            "privileges": sorted(n for n, p in state["privileges"].items() if not p.get("readOnly")),
            "roles": sorted(n for n, r in state["roles"].items() if not r.get("readOnly")),
            "users": sorted(set(state["users"]) - {"admin", "anonymous"})}


def expected(values: dict[str, Any]) -> dict[str, Any]:
    security = values["security"]
    return {"repositories": sorted(r["name"] for r in values["repositories"]),
            "content_selectors": sorted(c["name"] for c in security["contentSelectors"]),
            "privileges": sorted(p["name"] for p in security["privileges"]),
            "roles": sorted(r["id"] for r in security["roles"]),
            "users": sorted(u["userId"] for u in security["users"])}


def assert_converged(ws: Workspace, emulator: Any, values: dict[str, Any]) -> None:
    preview = ws.pulumi("preview", "--expect-no-changes")
    assert preview.code == 0, preview.output
    drift = ws.refresh_check()
    assert drift.code == 0, drift.output
    assert on_server(emulator) == expected(values)


def start_up(ws: Workspace, through_nexusctl: bool) -> subprocess.Popen:
    cmd = ([sys.executable, "-m", "nexusctl", "pulumi", ws.stack, "up", "--yes", "--skip-preview"]
           if through_nexusctl else
           [pulumi_binary(), "up", "--yes", "--skip-preview", "--stack", ws.stack, "--non-interactive"])
    return subprocess.Popen(cmd, cwd=ws.root, env=ws.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def wait_for_posts(emulator: Any, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(1 for r in emulator.requests() if r["method"] == "POST" and r["path"] == HOSTED_POSTS) >= count:
            return
        time.sleep(0.1)
    raise AssertionError("the run never got that far")


def process_tree(root: int) -> dict[int, str]:
    """pid -> command line of every live descendant of `root`."""
    listing = subprocess.run(["ps", "-ww", "-eo", "pid=,ppid=,stat=,args="], capture_output=True, text=True).stdout
    rows = [line.split(None, 3) for line in listing.splitlines() if line.strip()]
    children: dict[int, list[tuple[int, str, str]]] = {}
    for pid, ppid, stat, args in ((int(r[0]), int(r[1]), r[2], r[3] if len(r) > 3 else "") for r in rows):
        children.setdefault(ppid, []).append((pid, stat, args))
    found: dict[int, str] = {}
    pending = [root]
    while pending:
        for pid, stat, args in children.get(pending.pop(), []):
            if not stat.startswith("Z"):
                found[pid] = args
            pending.append(pid)
    return found


def alive(pid: int) -> bool:
    try:
        return not Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def end(pids: Any) -> None:
    """Test cleanup: processes this test started and the engine left behind."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def kill_plain_up_half_way(ws: Workspace, emulator: Any, values: dict[str, Any]) -> dict[int, str]:
    """SIGKILL of a plain `pulumi up` after its third repository create (slowed down by a
    fault so there is a half-way); returns what the engine had running, for the checks."""
    configure(ws, emulator, values)
    emulator.fault(method="POST", path=HOSTED_POSTS, delay=1, count=100)
    run = start_up(ws, through_nexusctl=False)
    wait_for_posts(emulator, 3)
    left = process_tree(run.pid)
    run.kill()
    run.communicate()
    return left


@pytest.fixture
def engine_ws(tmp_path: Path, nexus: Any) -> Iterator[Workspace]:
    ws = Workspace.create(tmp_path)
    install_cli(ws)
    yield ws


@pytest.mark.engine
def test_a_create_answered_after_the_timeout_is_taken_over_by_the_next_plain_up(engine_ws, nexus):
    """Nexus finishes the create after the client gave up: the run fails saying what the next
    one does, and the next plain `up` records the object without creating it twice."""
    values = small_stack(2)
    configure(engine_ws, nexus, values, timeoutSeconds=2)
    nexus.fault(method="POST", path=HOSTED_POSTS, delay=4)
    failed = engine_ws.up(check=False)
    assert failed.code != 0
    assert "within 2 s" in failed.output and "the next `pulumi up` finds it and takes it over" in failed.output
    deadline = time.monotonic() + 30
    while len(on_server(nexus)["repositories"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)  # the slow create lands on the server after all
    nexus.clear_log()
    engine_ws.up()
    sent = [(w["method"], w["path"]) for w in nexus.writes()]
    assert sent.count(("POST", HOSTED_POSTS)) == 1, sent  # tried once, refused as a duplicate: taken over
    assert len(set(sent)) == len(sent) and all(method == "POST" for method, _ in sent), sent
    assert_converged(engine_ws, nexus, values)


@pytest.mark.engine
def test_an_up_killed_after_some_creates_is_converged_by_the_next_plain_up(engine_ws, nexus):
    """SIGKILL of a plain `pulumi up` (per-step checkpoints) half-way: the objects it created are
    taken over by the next plain `up`, and the dynamic provider does not outlive the engine."""
    values = small_stack()
    left = kill_plain_up_half_way(engine_ws, nexus, values)
    provider = [pid for pid, args in left.items() if "pulumi.dynamic" in args]
    assert provider, left
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in provider) and time.monotonic() < deadline:
        time.sleep(0.1)
    still = [pid for pid in provider if alive(pid)]
    end(left)  # the language host waits for its 5-minute engine health check (README)
    assert not still, "the dynamic provider outlived the killed engine"
    nexus.control("DELETE", "faults")
    pending = engine_ws.export()["deployment"].get("pending_operations") or []
    assert pending, "the killed run left no pending creates"
    assert "currently locked" in engine_ws.up(check=False).output
    engine_ws.pulumi("cancel", "--yes", check=True)  # what plain pulumi needs; nexusctl does it itself

    engine_ws.up()
    assert_converged(engine_ws, nexus, values)


@pytest.mark.engine
def test_a_killed_project_up_leaves_no_process_and_no_lock_behind(engine_ws, nexus):
    """`make up` / nexusctl (no per-step checkpoints): pulumi killed half-way; nexusctl ends what
    it left running, the next run clears the stale lock and converges."""
    values = small_stack()
    configure(engine_ws, nexus, values)
    nexus.fault(method="POST", path=HOSTED_POSTS, delay=1, count=100)
    run = start_up(engine_ws, through_nexusctl=True)
    wait_for_posts(nexus, 3)
    pulumi = next(pid for pid, args in process_tree(run.pid).items() if "pulumi up" in args)
    left = process_tree(pulumi)
    os.kill(pulumi, signal.SIGKILL)
    output, _ = run.communicate(timeout=30)
    assert "ended" in output and "the interrupted pulumi left running" in output
    try:
        assert not [pid for pid in left if alive(pid)], left
    finally:
        end(left)
    nexus.control("DELETE", "faults")

    done = nexusctl(engine_ws, "pulumi", engine_ws.stack, "up", "--yes", "--skip-preview")
    assert done.code == 0, done.output
    assert "cleared the stack lock left by pulumi" in done.output
    assert_converged(engine_ws, nexus, values)


@pytest.mark.engine
def test_an_object_changed_in_config_after_the_kill_is_taken_over_from_the_stack_record(engine_ws, nexus):
    """The config changed between the killed run and the next: the object differs, so a plain
    `up` refuses it (it cannot tell it from someone else's); the project's `up` reads the
    interrupted run's pending creates from the state, takes it over, and clears them."""
    values = small_stack()
    end(kill_plain_up_half_way(engine_ws, nexus, values))
    nexus.control("DELETE", "faults")
    time.sleep(1.5)  # the creates in flight land
    pending = {op["resource"]["inputs"].get("name") for op in engine_ws.export()["deployment"]["pending_operations"]}
    made = set(on_server(nexus)["repositories"])
    changed = sorted(pending & made)[0]
    next(r for r in values["repositories"] if r["name"] == changed)["writePolicy"] = "DENY"
    configure(engine_ws, nexus, values)
    engine_ws.pulumi("cancel", "--yes", check=True)

    refused = engine_ws.up(check=False)
    assert refused.code != 0
    assert f"'{changed}' already exists" in refused.output and "writePolicy" in refused.output
    done = nexusctl(engine_ws, "pulumi", engine_ws.stack, "up", "--yes", "--skip-preview")
    assert done.code == 0, done.output
    assert "an interrupted run of this stack created" in done.output
    assert nexus.state()["repositories"][changed]["storage"]["writePolicy"].upper() == "DENY"
    # The engine keeps pending creates (and warns at every `up`) until cleared: the project's
    # `up` clears those whose objects are in the state now.
    assert "cleared the interrupted run's pending creates" in done.output
    assert not engine_ws.export()["deployment"].get("pending_operations")
    assert engine_ws.pulumi("preview", "--expect-no-changes").code == 0
    assert on_server(nexus) == expected(values)


def test_project_commands_repair_what_a_killed_run_left_in_the_file_backend(tmp_path):
    """A 0-byte `.attrs` sidecar ("failed to load checkpoint: EOF" for every command, `pulumi
    cancel` included), an unreadable state file, a lock of a process gone from this machine:
    the project's commands put each right and say so; a lock held on another machine stays."""
    ws = Workspace.create(tmp_path)
    install_cli(ws)
    stacks = tmp_path / "state" / ".pulumi" / "stacks" / PROJECT
    (stacks / "test.json.attrs").write_bytes(b"")
    assert "failed to load checkpoint: EOF" in ws.pulumi("cancel", "--yes").output
    state = stacks / "test.json"
    good = state.read_bytes()
    state.write_bytes(good[: len(good) // 2])
    locks = tmp_path / "state" / ".pulumi" / "locks" / "organization" / PROJECT / "test"
    locks.mkdir(parents=True, exist_ok=True)  # the cancel attempt made it
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = locks / "1b2e6b9c-0000-4000-8000-000000000001.json"
    stale.write_text(json.dumps({"pid": gone.pid, "username": "ci", "hostname": os.uname().nodename,
                                 "timestamp": "2026-01-01T00:00:00Z"}))

    done = nexusctl(ws, "pulumi", "test", "stack", "export")
    assert done.code == 0, done.output
    assert json.loads(done.stdout)["version"] == 3
    assert "rebuilt" in done.stderr and "test.json.attrs" in done.stderr
    assert "could not be read" in done.stderr and "restored the backup" in done.stderr
    assert "cleared the stack lock left by pulumi" in done.stderr and not stale.exists()
    assert ws.pulumi("cancel", "--yes").code == 0  # plain pulumi works again

    foreign = locks / "1b2e6b9c-0000-4000-8000-000000000002.json"
    foreign.write_text(json.dumps({"pid": 1, "username": "ci", "hostname": "ci-runner-7",
                                   "timestamp": "2026-01-01T00:00:00Z"}))
    kept = nexusctl(ws, "pulumi", "test", "stack", "export")
    assert "locked by a run on ci-runner-7" in kept.stderr and "pulumi cancel" in kept.stderr
    assert foreign.exists()


def test_tasks_and_webhooks_an_earlier_run_created_are_taken_over(tmp_path):
    """Tasks and webhooks get ids from the server, so they are found by name / by URL: one that
    matches the config is taken over (a webhook's secret, never answered, is sent again)."""
    from components.kinds.tasks.providers import TaskProvider
    from components.kinds.webhooks import WebhookProvider

    server = EmulatorProcess(tmp_path / "data", version="3.94.0", admin_password=ADMIN_PASSWORD)
    try:
        task, hook = TaskProvider(), WebhookProvider()
        task_spec = checked(task, {"name": "compact default", "type": "blobstore.compact",
                                   "properties": {"blobstoreName": "default"},
                                   "schedule": {"type": "daily", "time": "04:30"}})
        hook_spec = checked(hook, {"name": "audit", "url": "https://hooks.example.org/audit",
                                   "events": ["repository"], "secret": "Hook-Secret-1"})
        new_run(server)
        first = (task.create(dict(task_spec)).id, hook.create(dict(hook_spec)).id)
        new_run(server)
        server.clear_log()
        again = (task.create(dict(task_spec)).id, hook.create(dict(hook_spec)).id)
        assert again == first
        assert writes(server) == [("PUT", f"/service/rest/v1/capabilities/{first[1]}")]
        new_run(server)
        with pytest.raises(AlreadyExists):
            task.create(checked(task, {**task_spec, "schedule": {"type": "daily", "time": "05:00"}}))
    finally:
        server.stop()
