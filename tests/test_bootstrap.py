"""The bootstrap's building blocks against a real emulator (engine-level first starts are in
tests/test_standup.py)."""
from __future__ import annotations

import time

import pytest

from components.bootstrap import BootstrapError, BootstrapProvider, password_works, wait_writable
from components.client import Connection, NexusClient
from tests.emulator.server import Emulator, Fault
from tests.emulator.state import NexusState, Options


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
