"""First-start take-over of a Nexus: wait until writable, set the admin password, accept the EULA.

Idempotent by construction: the desired password is tried first, then the one-time password
from admin.password, then the documented default (admin123). Passwords are never logged.
Every other Nexus resource depends on this one.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Mapping, Optional

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from . import client as nexus
from .client import NexusClient, NexusError
from .provider import NexusProvider, Spec, compact, resource_options, strip_provider

DEFAULT_PASSWORD = "admin123"  # with NEXUS_SECURITY_RANDOMPASSWORD=false
BOOTSTRAP_ID = "bootstrap"


class BootstrapError(Exception):
    pass


def wait_writable(client: NexusClient, timeout: float, interval: float = 1.0) -> None:
    """Polls /status/writable: a fresh container answers 200 only after 30-90 s."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while True:
        try:
            response = client.request("GET", "/v1/status/writable", ok=(200, 503), auth=False)
            assert response is not None
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code} (starting or read-only)"
        except NexusError as err:
            last = err.message
        if time.monotonic() >= deadline:
            raise BootstrapError(
                f"Nexus at {client.connection.url} did not become writable within {timeout:.0f} s "
                f"(last answer: {last}). Check that it runs and the URL is right, or raise "
                f"nexus.bootstrap.waitTimeoutSeconds.")
        time.sleep(interval)


def password_works(client: NexusClient) -> bool:
    try:
        client.request("GET", "/v1/status/check", ok=(200,))
        return True
    except NexusError as err:
        if err.status == 401:
            return False
        raise


class BootstrapProvider(NexusProvider):
    kind = "bootstrap"
    replace_on = ()
    write_only = (("adminPassword",),)
    control = ("waitTimeoutSeconds", "initialPasswordFile")

    def normalize(self, spec: Spec) -> Spec:
        return compact({"adminPassword": spec.get("adminPassword"),
                        "acceptEula": bool(spec.get("acceptEula", False)),
                        "waitTimeoutSeconds": float(spec.get("waitTimeoutSeconds", 300)),
                        "initialPasswordFile": spec.get("initialPasswordFile")})

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        if not spec.get("adminPassword"):
            return [("adminPassword", "set the desired admin password: "
                     "pulumi config set --secret adminPassword <password>")]
        return []

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return BOOTSTRAP_ID

    # --- the work -----------------------------------------------------------------------------
    def converge(self, spec: Spec) -> None:
        desired = nexus.for_run()
        wait_writable(desired, spec["waitTimeoutSeconds"])
        self.ensure_password(desired, spec)
        self.ensure_eula(desired, spec["acceptEula"])

    def ensure_password(self, desired: NexusClient, spec: Spec) -> None:
        if desired.connection.password != spec["adminPassword"]:
            raise BootstrapError("the adminPassword input differs from the stack's adminPassword "
                                 "config; they must be the same secret")
        if password_works(desired):
            return
        tried = ["adminPassword (401)"]
        for label, candidate in self.fallback_passwords(spec):
            if candidate is None:
                tried.append(label)
                continue
            first = nexus.client_for(desired.connection.with_password(candidate))
            if password_works(first):
                first.request("PUT", "/v1/security/users/admin/change-password",
                              text_body=spec["adminPassword"], ok=(204, 200))
                pulumi.log.info(f"admin password set (it was the {label})")
                return
            tried.append(f"{label} (401)")
        raise BootstrapError(
            "cannot log in as admin with any known password: " + ", ".join(tried) + ". If the "
            "admin password was changed by hand, set adminPassword to it "
            "(pulumi config set --secret adminPassword) and run again.")

    @staticmethod
    def fallback_passwords(spec: Spec) -> list[tuple[str, Optional[str]]]:
        found: list[tuple[str, Optional[str]]] = []
        path = spec.get("initialPasswordFile")
        if path:
            file = Path(path).expanduser()
            text = file.read_text().strip() if file.is_file() else None
            found.append((f"first-start password from {file}" if text else
                          f"first-start password file {file} (absent: Nexus deletes it once the "
                          f"password was changed)", text))
        found.append(("documented default admin123", DEFAULT_PASSWORD))
        return found

    def eula_state(self, client: NexusClient) -> Optional[dict[str, Any]]:
        """The EULA document, or None where there is none (Pro, or before 3.77)."""
        server = client.server()
        if server.pro or not server.at_least("3.77.0"):
            return None
        return client.get_json("/v1/system/eula", missing_ok=True)

    def ensure_eula(self, client: NexusClient, accept: bool) -> None:
        eula = self.eula_state(client)
        if eula is None or eula.get("accepted"):
            return
        if not accept:
            raise BootstrapError(
                "this Community Edition Nexus has not accepted its EULA, and until it does, "
                "repository access is blocked. Read it (GET /service/rest/v1/system/eula) and set "
                "nexus.bootstrap.acceptEula: true to accept it.")
        # The disclaimer must go back exactly as the server wrote it.
        client.send("POST", "/v1/system/eula", {**eula, "accepted": True}, ok=(204, 200))
        pulumi.log.info("Community Edition EULA accepted")

    # --- Pulumi plumbing ----------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = strip_provider(props)
        self.converge(spec)
        return CreateResult(BOOTSTRAP_ID, spec)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec = strip_provider(news)
        self.converge(spec)
        return UpdateResult(spec)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Drift here means: the admin password no longer works, or the EULA was un-accepted."""
        current = strip_provider(props)
        client = nexus.for_run()
        if not password_works(client):
            current["adminPassword"] = ""
        eula = self.eula_state(client) if current.get("adminPassword") else None
        if eula is not None and not eula.get("accepted"):
            current["acceptEula"] = False
        return ReadResult(id_, current, dict(current))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """A bootstrap cannot be undone; forgetting it is enough."""


class Bootstrap(pulumi.dynamic.Resource, module="nexus", name="Bootstrap"):
    """Takes over a freshly started Nexus; every Nexus object depends on it."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(BootstrapProvider(), resource_name, dict(spec), resource_options(opts))
