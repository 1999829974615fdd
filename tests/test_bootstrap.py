"""The bootstrap: its building blocks against a real emulator, and through the engine the
failures an operator meets first (an unreachable or slowly starting Nexus, a password rotation,
a password too short). Engine-level first starts are in tests/test_standup.py."""
from __future__ import annotations

import threading
import time

import pytest

from components.standup.bootstrap import BootstrapError, BootstrapProvider, password_works, wait_writable
from components.client import Connection, NexusClient
from tests.conftest import configure
from tests.emulator.server import Emulator, Fault
from tests.emulator.state import NexusState, Options
from tests.harness import Workspace
from tests.samples import free_ports


@pytest.fixture
def emulator():
    emu = Emulator(NexusState(Options(admin_password="Boot-Pw-123")))
    emu.serve("127.0.0.1", 0)
    yield emu
    emu.shutdown()


def test_waiting_for_writable_ends_with_a_clear_error(emulator):
    emulator.faults.append(Fault("GET", "/service/rest/v1/status/writable", 503, count=1000))
    client = NexusClient(Connection(emulator.base_url, "admin", "Boot-Pw-123", retries=0))
    started = time.monotonic()
    with pytest.raises(BootstrapError) as caught:
        wait_writable(client, timeout=1.0, interval=0.2)
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert f"Nexus at {emulator.base_url} did not become writable within 1 s" in message
    assert "HTTP 503" in message and "nexus.bootstrap.waitTimeoutSeconds" in message


def test_writable_after_a_slow_start(emulator):
    emulator.faults.append(Fault("GET", "/service/rest/v1/status/writable", 503, count=3))
    client = NexusClient(Connection(emulator.base_url, "admin", "Boot-Pw-123", retries=0))
    wait_writable(client, timeout=10, interval=0.05)
    writable = [r["status"] for r in emulator.log.all() if r["path"].endswith("/writable")]
    assert writable == [503, 503, 503, 200]


def test_password_probe_and_fallback_order(emulator, tmp_path):
    good = NexusClient(Connection(emulator.base_url, "admin", "Boot-Pw-123"))
    bad = NexusClient(Connection(emulator.base_url, "admin", "nope"))
    assert password_works(good) and not password_works(bad)
    file = tmp_path / "admin.password"
    file.write_text("first-start-pw\n")
    order = BootstrapProvider.fallback_passwords({"initialPasswordFile": str(file)})
    assert [value for _, value in order] == ["first-start-pw", "admin123"]
    file.unlink()
    order = BootstrapProvider.fallback_passwords({"initialPasswordFile": str(file)})
    assert order[0][1] is None and "absent" in order[0][0]
    rotation = BootstrapProvider.fallback_passwords({"adminPassword": "new-one"}, last_applied="old-one")
    assert [value for _, value in rotation] == ["old-one", "admin123"], "the last applied password first"


# --- B3: an unreachable Nexus fails fast; a starting one is awaited with progress ---------------
def test_a_host_that_does_not_resolve_ends_the_wait_at_once():
    client = NexusClient(Connection("http://nexus.invalid:8081", retries=0))  # RFC 6761: never resolves
    seen: list[str] = []
    with pytest.raises(BootstrapError) as caught:
        wait_writable(client, timeout=120, interval=0.2, progress=seen.append, progress_every=0.1)
    message = str(caught.value)
    assert "cannot reach Nexus: no answer from http://nexus.invalid:8081" in message
    assert "does not resolve" in message
    assert seen == [], "no waiting at all"


def test_a_refused_connection_ends_the_wait_unless_the_container_is_starting():
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(BootstrapError) as caught:
        wait_writable(NexusClient(Connection(url, retries=0)), timeout=120, interval=0.2)
    assert f"cannot reach Nexus: no answer from {url}: the connection was refused" in str(caught.value)

    # The stack just started the container: Jetty's port opens only after a while.
    emulator = Emulator(NexusState(Options(admin_password="Boot-Pw-123")))
    opener = threading.Timer(1.5, emulator.serve, ("127.0.0.1", port))
    opener.start()
    seen: list[str] = []
    try:
        wait_writable(NexusClient(Connection(url, retries=0)), timeout=60, interval=0.2, starting=True,
                      progress=seen.append, progress_every=0.5)
    finally:
        opener.join()
        emulator.shutdown()
    assert seen and all(line.startswith(f"waiting for Nexus at {url} to become writable: ") for line in seen)
    assert "the connection was refused" in seen[0]


@pytest.mark.engine
def test_up_against_a_host_that_does_not_resolve_fails_fast_naming_the_url(tmp_path):
    ws = Workspace.create(tmp_path)
    ws.configure({"nexus": {"url": "http://nexus.invalid:8081", "bootstrap": {"waitTimeoutSeconds": 300}},
                  "blobStores": [{"name": "images", "type": "file"}]}, {"adminPassword": "Boot-Pw-123"})
    started = time.monotonic()
    result = ws.up(check=False)
    assert result.code != 0
    assert time.monotonic() - started < 120, "the 300 s wait for a starting Nexus must not apply"
    assert "cannot reach Nexus: no answer from http://nexus.invalid:8081" in result.output
    assert "its host name 'nexus.invalid' does not resolve" in result.output
    assert "did not become writable" not in result.output


@pytest.mark.engine
def test_a_slowly_starting_nexus_is_awaited_with_progress(workspace, nexus):
    # /status/writable answers 503 (starting) for a while: each poll makes 1 + 3 retried calls.
    nexus.fault(method="GET", path="/service/rest/v1/status/writable", status=503, count=14)
    configure(workspace, nexus, {"blobStores": [{"name": "images", "type": "file"}]},
              bootstrap={"waitTimeoutSeconds": 60})
    result = workspace.up()
    assert f"waiting for Nexus at {nexus.url} to become writable: " in result.output
    assert "of 60 s (last answer: HTTP 503 (starting or read-only))" in result.output
    writable = [r["status"] for r in nexus.requests() if r["path"].endswith("/status/writable")]
    assert writable[-1] == 200 and writable.count(503) == 14


# --- 15 D1: rotating the admin password --------------------------------------------------------
@pytest.mark.engine
def test_rotating_the_admin_password_twice(workspace, nexus):
    values = {"blobStores": [{"name": "images", "type": "file"}],
              "repositories": [{"name": "images", "type": "hosted", "blobStore": "images",
                                "httpPort": free_ports(1)[0]}]}
    configure(workspace, nexus, values)
    workspace.up()
    first, second, third = nexus.password, "Rotated-Pw-2nd", "Rotated-Pw-3rd"

    workspace.pulumi("config", "set", "--secret", "adminPassword", second, check=True)
    nexus.clear_log()
    rotated = workspace.up()
    assert "admin password set (it was the last applied password (from the stack's state))" in rotated.output
    assert [w["path"] for w in nexus.writes()] == ["/service/rest/v1/security/users/admin/change-password"]
    assert nexus.rest("GET", "/v1/status/check", second).status_code == 200
    assert nexus.rest("GET", "/v1/status/check", first).status_code == 401
    assert workspace.refresh_check().code == 0

    # Second rotation, this time with a refresh first (as `up --refresh` and CI deploys do): the
    # refresh reads with the password that still works, then the bootstrap rotates it.
    workspace.pulumi("config", "set", "--secret", "adminPassword", third, check=True)
    refreshed = workspace.up("--refresh")
    assert "admin password set (it was the last applied password" in refreshed.output
    assert nexus.rest("GET", "/v1/status/check", third).status_code == 200
    assert workspace.refresh_check().code == 0
    state = workspace.state_text()
    assert all(password not in state for password in (first, second, third))


@pytest.mark.engine
def test_a_too_short_admin_password_says_the_minimum_and_never_the_value(workspace, nexus):
    configure(workspace, nexus, {"blobStores": [{"name": "images", "type": "file"}]})
    workspace.pulumi("config", "set", "--secret", "adminPassword", "short7", check=True)
    result = workspace.preview()
    assert result.code != 0
    assert "adminPassword: is too short: it needs at least 8 characters" in result.output
    assert "short7" not in result.output and "[secret]" not in result.output
    assert nexus.writes() == []
