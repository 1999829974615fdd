"""Emulators of several releases and editions for one test module, reset before each use, and
an admin REST session on them (tests that speak HTTP straight to the emulator, no Pulumi)."""
from __future__ import annotations

import threading
from typing import Any, Iterator

import pytest
import requests

from tests.emulator.server import Emulator
from tests.emulator.state import NexusState, Options

PASSWORD = "admin-pw"


class Rest:
    """An admin session on one emulator's REST API; paths are relative to /service/rest."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.state = emulator.state
        self.session = requests.Session()
        self.session.auth = ("admin", PASSWORD)
        self.base = emulator.base_url + "/service/rest"

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        if body is not None:
            kw["json"] = body
        return self.session.request(method, self.base + path, timeout=30, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.call("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.call("DELETE", path, **kw)


class Fleet:
    """One running emulator per (version, edition), started on first use."""

    def __init__(self) -> None:
        self.running: dict[tuple[str, str], Emulator] = {}

    def get(self, version: str, edition: str = "community") -> Rest:
        key = (version, edition)
        if key not in self.running:
            emulator = Emulator(NexusState(Options(version=version, edition=edition,
                                                   admin_password=PASSWORD)))
            emulator.serve("127.0.0.1", 0)
            self.running[key] = emulator
        emulator = self.running[key]
        assert requests.post(emulator.base_url + "/__emulator/reset", timeout=30).status_code == 204
        return Rest(emulator)

    def close(self) -> None:
        """Stopping a server waits out its poll interval, so they stop together."""
        stoppers = [threading.Thread(target=e.shutdown) for e in self.running.values()]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    """The module's emulators (import this fixture into a test module to use it)."""
    instance = Fleet()
    yield instance
    instance.close()
