"""Fixtures: a fresh Nexus emulator per test (or a real Nexus in live mode) and a Pulumi workspace.

Live mode: `NEXUS_URL=http://host:8081 NEXUS_PASSWORD=... make test` runs the same engine tests
against a real, disposable Nexus. Tests that need the emulator's control API (request log,
faults, first-start state) are skipped there.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
import requests

from tests.emulator.testing import Emulators
from tests.harness import EmulatorProcess, Workspace

ADMIN_PASSWORD = "Admin-Test-Pw-1"
LIVE_URL = os.environ.get("NEXUS_URL")


class LiveNexus:
    """A real Nexus given by NEXUS_URL / NEXUS_PASSWORD."""

    is_live = True

    def __init__(self, url: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.password = password
        self.http = requests.Session()

    def rest(self, method: str, path: str, password: Optional[str] = None, body: Any = None,
             user: str = "admin") -> requests.Response:
        return self.http.request(method, f"{self.url}/service/rest{path}", json=body,
                                 auth=(user, password or self.password), timeout=30)

    def __getattr__(self, name: str) -> Any:
        if name in ("requests", "writes", "state", "fault", "clear_log", "control", "first_password"):
            pytest.skip("needs the emulator's control API (not available against a real Nexus)")
        raise AttributeError(name)

    def stop(self) -> None:
        pass


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "nexus(version, edition, first_start): emulator options")


@pytest.fixture(scope="module")
def emulators() -> Iterator[Emulators]:
    """In-process emulators a test module keeps for all its tests, one per configuration, reset
    before every use (tests/emulator/testing.py): the one way tests that speak HTTP straight to
    the emulator get a server."""
    running = Emulators()
    yield running
    running.stop()


@pytest.fixture
def nexus(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A running Nexus. Emulator options come from @pytest.mark.nexus(...)."""
    marker = request.node.get_closest_marker("nexus")
    options = dict(marker.kwargs) if marker else {}
    if LIVE_URL:
        if options.get("first_start") or options.get("version") or options.get("edition"):
            pytest.skip("needs an emulator with specific start options")
        target: Any = LiveNexus(LIVE_URL, os.environ.get("NEXUS_PASSWORD", ""))
    else:
        first_start = options.pop("first_start", False)
        target = EmulatorProcess(tmp_path / "nexus-data",
                                 admin_password=None if first_start else ADMIN_PASSWORD, **options)
        target.is_live = False
        target.password = ADMIN_PASSWORD
    yield target
    target.stop()


@pytest.fixture
def workspace(tmp_path: Path, nexus: Any) -> Iterator[Workspace]:
    ws = Workspace.create(tmp_path)
    yield ws
    if getattr(nexus, "is_live", False):  # leave a real Nexus as we found it
        ws.pulumi("state", "unprotect", "--all", "--yes")
        ws.pulumi("destroy", "--yes", "--skip-preview")


def configure(ws: Workspace, nexus: Any, values: dict[str, Any], secrets: Optional[dict[str, str]] = None,
              **nexus_settings: Any) -> None:
    """Stack config for `nexus` plus the given sections; the admin password is a secret."""
    settings = {"url": nexus.url, **nexus_settings}
    ws.configure({"nexus": settings, **values},
                 {"adminPassword": nexus.password, **(secrets or {})})
