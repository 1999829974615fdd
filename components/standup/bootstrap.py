"""First-start take-over of a Nexus: wait until writable, set the admin password, accept the EULA.

Idempotent by construction: the desired password is tried first, then the last applied one
(the stack's state: `pulumi config set --secret adminPassword NEW` rotates it), then the
one-time password from admin.password, then the documented default (admin123). Passwords are
never logged. Every other Nexus resource depends on this one, so it also tells the other
providers of the run what only the state knows (components/connection.py `Anchor`): the
stack's generated CA, and which admin password works right now.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from .. import client as nexus
from ..client import NexusClient, NexusError, NexusUnreachable
from ..connection import ANCHOR
from ..kind import after
from ..provider import NexusProvider, Spec, compact, strip_provider
from ..resource import NexusResource
from ..schema import Fragment
from ..stack_config import StackConfig

SETTINGS = Fragment.section("nexus").at("bootstrap")  # nexus.bootstrap: the defaults of the settings below
DEFAULT_PASSWORD = "admin123"  # with NEXUS_SECURITY_RANDOMPASSWORD=false
BOOTSTRAP_ID = "bootstrap"
PROGRESS_EVERY_SECONDS = 5.0
LAST_APPLIED = "last applied password (from the stack's state)"


class BootstrapError(Exception):
    pass


def wait_writable(client: NexusClient, timeout: float, interval: float = 1.0, starting: bool = False,
                  progress: Callable[[str], None] = pulumi.log.info,
                  progress_every: float = PROGRESS_EVERY_SECONDS) -> None:
    """Polls /status/writable: a fresh container answers 200 only after 30-90 s, saying how
    long it has waited every few seconds. A host name that does not resolve, a TLS failure and
    — unless the stack has just started a container — a refused connection end the wait at once."""
    url = client.connection.url
    started = time.monotonic()
    deadline, report_at = started + timeout, started + progress_every
    last = "no answer yet"
    while True:
        try:
            response = client.request("GET", "/v1/status/writable", ok=(200, 503), auth=False)
            assert response is not None
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code} (starting or read-only)"
        except NexusUnreachable as err:
            if err.kind in ("dns", "tls") or (err.kind == "refused" and not starting):
                hint = ("" if err.kind != "refused" else " Start Nexus, or fix the port in nexus.url; a stack "
                        "that runs the container (the `container` section) waits for it instead.")
                raise BootstrapError(f"cannot reach Nexus: {err.message}.{hint}") from None
            last = err.message
        except NexusError as err:
            last = err.message
        now = time.monotonic()
        if now >= deadline:
            raise BootstrapError(
                f"Nexus at {url} did not become writable within {timeout:.0f} s "
                f"(last answer: {last}). Check that it runs and the URL is right, or raise "
                f"nexus.bootstrap.waitTimeoutSeconds.")
        if now >= report_at:
            progress(f"waiting for Nexus at {url} to become writable: {now - started:.0f} s of "
                     f"{timeout:.0f} s (last answer: {last})")
            report_at = now + progress_every
        time.sleep(interval)


def password_works(client: NexusClient) -> bool:
    try:
        client.request("GET", "/v1/status/check", ok=(200,), auth_fallback=False)
        return True
    except NexusError as err:
        if err.status == 401:
            return False
        raise


class BootstrapProvider(NexusProvider):
    kind = "bootstrap"
    resource_type = "nexus:Bootstrap"
    replace_on = ()
    write_only = (("adminPassword",),)
    # startsContainer: the stack has just (re)started the container, so a refused connection
    # means "still starting"; stackCaPem: the stack's generated CA for nexus.tls.caFromStack.
    control = ("waitTimeoutSeconds", "initialPasswordFile", "startsContainer", "stackCaPem")

    def normalize(self, spec: Spec) -> Spec:
        spec = SETTINGS.with_defaults(spec)
        return compact({"adminPassword": spec.get("adminPassword"),
                        "acceptEula": bool(spec["acceptEula"]),
                        "waitTimeoutSeconds": float(spec["waitTimeoutSeconds"]),
                        "initialPasswordFile": spec.get("initialPasswordFile"),
                        "startsContainer": True if spec.get("startsContainer") else None,
                        "stackCaPem": spec.get("stackCaPem")})

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        if not spec.get("adminPassword"):
            return [("adminPassword", "set the desired admin password: "
                     "pulumi config set --secret adminPassword <password>")]
        return []

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return BOOTSTRAP_ID

    # --- the work -----------------------------------------------------------------------------
    def converge(self, spec: Spec, last_applied: Optional[str] = None) -> None:
        ANCHOR.publish_stack_ca(spec.get("stackCaPem"))
        desired = nexus.for_run(as_configured=True)
        wait_writable(desired, spec["waitTimeoutSeconds"], starting=bool(spec.get("startsContainer")))
        self.ensure_password(desired, spec, last_applied)
        ANCHOR.publish_password(desired.connection, desired.connection.password)
        self.ensure_eula(desired, spec["acceptEula"])

    def ensure_password(self, desired: NexusClient, spec: Spec, last_applied: Optional[str] = None) -> None:
        if desired.connection.password != spec["adminPassword"]:
            raise BootstrapError("the adminPassword input differs from the stack's adminPassword "
                                 "config; they must be the same secret")
        if password_works(desired):
            return
        tried = ["adminPassword (401)"]
        for label, candidate in self.fallback_passwords(spec, last_applied):
            if candidate is None:
                tried.append(label)
                continue
            first = nexus.client_for(desired.connection.with_password(candidate))
            if password_works(first):
                first.request("PUT", "/v1/security/users/admin/change-password",
                              text_body=spec["adminPassword"], ok=(204, 200), auth_fallback=False)
                pulumi.log.info(f"admin password set (it was the {label})")
                return
            tried.append(f"{label} (401)")
        raise BootstrapError(
            "cannot log in as admin with any known password: " + ", ".join(tried) + ". If the "
            "admin password was changed by hand, set adminPassword to it "
            "(pulumi config set --secret adminPassword) and run again.")

    @staticmethod
    def fallback_passwords(spec: Spec, last_applied: Optional[str] = None) -> list[tuple[str, Optional[str]]]:
        found: list[tuple[str, Optional[str]]] = []
        if last_applied and last_applied != spec.get("adminPassword"):
            found.append((LAST_APPLIED, last_applied))
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
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        ANCHOR.publish_stack_ca(news.get("stackCaPem"))
        return super().check(olds, news)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Unchanged, the configured password is the one to use; changed, `update` says which
        works once it has rotated it (everything else waits for this resource)."""
        ANCHOR.publish_stack_ca(news.get("stackCaPem") or olds.get("stackCaPem"))
        result = super().diff(id_, olds, news)
        if not result.changes:
            connection = nexus.configured_connection()
            ANCHOR.publish_password(connection, connection.password)
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = strip_provider(props)
        self.converge(spec)
        return CreateResult(BOOTSTRAP_ID, spec)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec = strip_provider(news)
        self.converge(spec, last_applied=strip_provider(olds).get("adminPassword"))
        return UpdateResult(spec)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Drift here means: the last applied admin password no longer works, or the EULA was
        un-accepted. Which password works is published, so the other resources of a refresh
        read with it even before `up` has rotated to a newly configured one."""
        current = strip_provider(props)
        ANCHOR.publish_stack_ca(current.get("stackCaPem"))
        configured = nexus.for_run(as_configured=True)
        working: Optional[NexusClient] = None
        for candidate in dict.fromkeys(filter(None, (current.get("adminPassword"), configured.connection.password))):
            client = nexus.client_for(configured.connection.with_password(candidate))
            if password_works(client):
                working = client
                break
        ANCHOR.publish_password(configured.connection, working.connection.password if working else None)
        current["adminPassword"] = working.connection.password if working else ""
        eula = self.eula_state(working) if working else None
        if eula is not None and not eula.get("accepted"):
            current["acceptEula"] = False
        return ReadResult(id_, current, dict(current))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """A bootstrap cannot be undone; forgetting it is enough."""


class Bootstrap(NexusResource, provider=BootstrapProvider):
    """Takes over a freshly started Nexus; every Nexus object depends on it."""


def declare(cfg: StackConfig, depends_on: Sequence[pulumi.Resource] = (),
            extra: Optional[Mapping[str, Any]] = None) -> Bootstrap:
    """The bootstrap of this stack; `extra` comes from the stand-up (components/standup/build.py)."""
    settings = SETTINGS.with_defaults(cfg.nexus.get("bootstrap", {}))
    return Bootstrap("bootstrap", {
        "adminPassword": pulumi.Output.secret(cfg.get("adminPassword")),
        "acceptEula": settings["acceptEula"],
        "waitTimeoutSeconds": settings["waitTimeoutSeconds"],
        "initialPasswordFile": settings.get("initialPasswordFile"),
        **(extra or {}),
    }, opts=after(*depends_on))
