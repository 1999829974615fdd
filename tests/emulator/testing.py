"""An in-process emulator with REST sessions, for the emulator's own tests
(tests/test_emulator_*.py): one server per (version, edition), reset between uses."""
from __future__ import annotations

import threading
from typing import Any, Iterator, Optional

import pytest
import requests

from .server import Emulator
from .state import NexusState, Options

ADMIN_PASSWORD = "admin-pw"


def docker_hosted(name: str) -> dict[str, Any]:
    """A minimal valid docker hosted repository request."""
    return {"name": name, "online": True,
            "storage": {"blobStoreName": "default", "strictContentTypeValidation": True,
                        "writePolicy": "ALLOW"},
            "docker": {"v1Enabled": False, "forceBasicAuth": True}}


class Nexus:
    """A running emulator; `admin` and `as_user(...)` give REST sessions on it."""

    def __init__(self, version: str, edition: str = "community") -> None:
        self.emulator = Emulator(NexusState(Options(version=version, edition=edition,
                                                    admin_password=ADMIN_PASSWORD)))
        self.emulator.serve("127.0.0.1", 0)
        self.state = self.emulator.state
        self.rest = self.emulator.base_url + "/service/rest"
        self.admin = self.session("admin", ADMIN_PASSWORD)

    def session(self, user: Optional[str] = None, password: Optional[str] = None) -> "Session":
        return Session(self.rest, (user, password) if user else None)

    def reset(self) -> "Nexus":
        assert requests.post(f"{self.emulator.base_url}/__emulator/reset").status_code == 204
        return self

    def add_user(self, user_id: str, password: str, privileges: list[str]) -> "Session":
        """A user holding exactly these privileges (through one role of its own)."""
        role = f"{user_id}-role"
        assert self.admin.post("/v1/security/roles", {
            "id": role, "name": role, "privileges": privileges, "roles": []}).status_code == 200
        assert self.admin.post("/v1/security/users", {
            "userId": user_id, "firstName": user_id, "lastName": "User",
            "emailAddress": f"{user_id}@example.org", "password": password, "status": "active",
            "roles": [role]}).status_code == 200
        return self.session(user_id, password)


class Session:
    """REST calls relative to /service/rest, as one user (or nobody)."""

    def __init__(self, rest: str, auth: Optional[tuple[Any, Any]]) -> None:
        self.rest = rest
        self.http = requests.Session()
        self.http.auth = auth

    def request(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        if body is not None:
            kw["json"] = body
        return self.http.request(method, self.rest + path, timeout=10, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)


class Servers:
    """Emulators shared by a test module, one per (version, edition), reset on every use;
    stopping waits out the poll interval, so they are stopped together at the end."""

    def __init__(self) -> None:
        self.running: dict[tuple[str, str], Nexus] = {}

    def get(self, version: str = "3.86.0", edition: str = "community") -> Nexus:
        key = (version, edition)
        if key not in self.running:
            self.running[key] = Nexus(version, edition)
            return self.running[key]
        return self.running[key].reset()

    def stop(self) -> None:
        threads = [threading.Thread(target=n.emulator.shutdown) for n in self.running.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    """The module's emulators (import this fixture into a test module to use it)."""
    running = Servers()
    yield running
    running.stop()

