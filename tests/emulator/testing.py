"""In-process emulators for tests that speak HTTP straight to the emulator (no Pulumi): the
`emulators` fixture (tests/conftest.py) hands each test module one `Emulators`, which keeps one
running server per configuration for the whole module and resets it to a first start before
every use, plus REST sessions on it.

Starting a server is cheap; stopping one waits out its poll interval, so the module's servers
are stopped together when the module ends.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Optional

import requests

from .server import Emulator
from .state import DEFAULT_VERSION, NexusState, Options

ADMIN_PASSWORD = "admin-pw"
ADMIN = ("admin", ADMIN_PASSWORD)


def docker_hosted(name: str) -> dict[str, Any]:
    """A minimal valid docker hosted repository request."""
    return {"name": name, "online": True,
            "storage": {"blobStoreName": "default", "strictContentTypeValidation": True,
                        "writePolicy": "ALLOW"},
            "docker": {"v1Enabled": False, "forceBasicAuth": True}}


class Session:
    """REST calls relative to one base URL, as one user (or nobody)."""

    def __init__(self, base: str, auth: Optional[tuple[str, str]]) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.auth = auth

    def request(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        if body is not None:
            kw["json"] = body
        kw.setdefault("timeout", 30)
        return self.http.request(method, self.base + path, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)


class Nexus(Session):
    """A running emulator; itself an admin session on its REST API under `prefix` (paths are
    relative to /service/rest unless a prefix such as "/v1/security" is given)."""

    def __init__(self, emulator: Emulator, prefix: str = "") -> None:
        self.emulator = emulator
        self.state = emulator.state
        self.base_url = emulator.base_url
        self.rest = f"{self.base_url}/service/rest"
        super().__init__(self.rest + prefix, ADMIN)

    @property
    def admin(self) -> "Nexus":
        return self

    def under(self, prefix: str) -> "Nexus":
        """The same emulator with paths relative to /service/rest<prefix>."""
        return Nexus(self.emulator, prefix)

    def session(self, user: Optional[str] = None, password: Optional[str] = None,
                prefix: str = "") -> Session:
        """REST calls as another user (or nobody, without arguments)."""
        return Session(self.rest + prefix, (user, password or "") if user else None)

    def control(self, method: str, name: str, body: Any = None) -> requests.Response:
        """The emulator's control API (/__emulator/<name>): reset, faults, requests, ..."""
        return requests.request(method, f"{self.base_url}/__emulator/{name}", json=body,
                                timeout=30)

    def reset(self) -> "Nexus":
        assert self.control("POST", "reset").status_code == 204
        return self

    def add_user(self, user_id: str, password: str, privileges: list[str]) -> Session:
        """A user holding exactly these privileges (through one role of its own)."""
        role = f"{user_id}-role"
        assert self.post("/v1/security/roles", {
            "id": role, "name": role, "privileges": privileges, "roles": []}).status_code == 200
        assert self.post("/v1/security/users", {
            "userId": user_id, "firstName": user_id, "lastName": "User",
            "emailAddress": f"{user_id}@example.org", "password": password, "status": "active",
            "roles": [role]}).status_code == 200
        return self.session(user_id, password)

    def put_repository(self, doc: dict[str, Any]) -> None:
        """Puts a repository's GET document straight into the state (for tests of other areas
        that need one without going through the repositories handler), then lets the listeners
        (connectors, system tasks) follow as after a REST write."""
        with self.state.lock:
            self.state.repositories[doc["name"].lower()] = doc
        self.emulator.after_change()


class Emulators:
    """One test module's emulators: shared ones per configuration, reset on every use, and
    private ones for tests that need a server of their own (a data directory)."""

    def __init__(self) -> None:
        self.shared: dict[tuple[Any, ...], Emulator] = {}
        self.private: list[Emulator] = []

    def get(self, version: str = DEFAULT_VERSION, edition: str = "community", *,
            skip_default_repositories: bool = False, first_start: bool = False) -> Nexus:
        """The module's server of this configuration, reset to a first start. `first_start`:
        the admin password is random (in the state) and the EULA not yet accepted."""
        key = (version, edition, skip_default_repositories, first_start)
        if key in self.shared:
            return Nexus(self.shared[key]).reset()
        emulator = self._serve(Options(version=version, edition=edition,
                                       admin_password=None if first_start else ADMIN_PASSWORD,
                                       skip_default_repositories=skip_default_repositories))
        self.shared[key] = emulator
        return Nexus(emulator)

    def start(self, version: str = DEFAULT_VERSION, edition: str = "community", *,
              data_dir: Optional[Path] = None) -> Nexus:
        """A server of its own (stopped with the others when the module ends)."""
        emulator = self._serve(Options(version=version, edition=edition,
                                       admin_password=ADMIN_PASSWORD, data_dir=data_dir))
        self.private.append(emulator)
        return Nexus(emulator)

    @staticmethod
    def _serve(options: Options) -> Emulator:
        emulator = Emulator(NexusState(options))
        emulator.serve("127.0.0.1", 0)
        return emulator

    def stop(self) -> None:
        """Stopping a server waits out its poll interval, so they stop together."""
        stoppers = [threading.Thread(target=e.shutdown)
                    for e in [*self.shared.values(), *self.private]]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
