"""The one Nexus REST client: auth, timeouts, retries, error mapping, server facts, run caches.

Providers never hold a client or credentials: the engine hands every dynamic provider the
stack's configuration at start-up (`configure`), `use_stack_config` stores the connection
settings for this process, and `for_run()` returns the process-wide client built from them,
completed with what the bootstrap published (components/connection.py: the stack's generated
CA, the admin password that works now). HTTPS trust and client identity come from `nexus.tls`.
One provider process serves one Pulumi operation, so caches here live exactly one run.
"""
from __future__ import annotations

import json
import ssl
import threading
from typing import Any, Callable, Iterable, Mapping, Optional

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from . import trace
from .answers import (NexusError, NexusUnreachable, ServerInfo, error_message, parse_server_header,
                      parse_version, wire_numbers)
from .connection import (ANCHOR, DEFAULT_RETRIES, DEFAULT_TIMEOUT, RETRIED_METHODS, Connection, Trust,
                         TrustAdapter, TrustError, connection_from_raw_config, insecure_warning,
                         unreachable_message)

REST_PREFIX = "/service/rest"
TAKEOVER_PREFIX = "takeover:"  # run caches of the create path (components.provider.TakeoverLists)

__all__ = ["Connection", "Trust", "NexusClient", "NexusError", "NexusUnreachable", "ServerInfo",
           "parse_version", "wire_numbers", "DEFAULT_RETRIES", "DEFAULT_TIMEOUT"]


class NexusClient:
    """Thread-safe client for one Nexus; one per provider process and connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._local = threading.local()
        self._lock = threading.Lock()
        self._probe_lock = threading.Lock()  # one server / cleanup-endpoint probe at a time
        self._server: Optional[ServerInfo] = None
        self._cleanup_base: Optional[str] = None
        self._lists: dict[str, Any] = {}
        self._list_locks: dict[str, threading.Lock] = {}
        self._tls_context: Optional[ssl.SSLContext] = None

    # --- transport ------------------------------------------------------------------------
    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = trace.session()  # NEXUS_RAC_TRACE: an HTTP trace of every call (components/trace.py)
            session.auth = (self.connection.username, self.connection.password)
            # Connection errors are retried for every method (nothing reached Nexus); read errors
            # and 5xx only for idempotent ones; TLS failures never (a retry cannot fix trust).
            retry = Retry(total=self.connection.retries, connect=self.connection.retries,
                          read=self.connection.retries, status=self.connection.retries, other=0,
                          backoff_factor=0.3, status_forcelist=(502, 503, 504),
                          allowed_methods=RETRIED_METHODS,
                          raise_on_status=False, respect_retry_after_header=True)
            adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=16)
            session.mount("http://", adapter)
            session.mount("https://", self._https_adapter(retry) if self.connection.trust.configured else adapter)
            session.verify = not self.connection.trust.insecure
            self._local.session = session
        return session

    def _https_adapter(self, retry: Retry) -> HTTPAdapter:
        """The adapter for `nexus.tls`: one SSL context per client (CAs, client identity)."""
        with self._lock:
            if self._tls_context is None:
                self._tls_context = self.connection.trust.context()  # TrustError: see request()
                if self.connection.trust.insecure:
                    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
                    _warn_once(insecure_warning(self.connection.url))
        return TrustAdapter(self._tls_context, max_retries=retry, pool_connections=4, pool_maxsize=16)

    def request(self, method: str, path: str, *, json_body: Any = None, text_body: Optional[str] = None,
                binary_body: Optional[bytes] = None, ok: Iterable[int] = (200, 201, 204), missing_ok: bool = False,
                auth: bool = True, auth_fallback: bool = True) -> Optional[requests.Response]:
        """One call under /service/rest. Returns None for 404 when missing_ok; raises NexusError.
        `auth_fallback`: on a 401, use the admin password the bootstrap found working in this run."""
        url = f"{self.connection.url}{REST_PREFIX}{path}"
        headers = {"Accept": "application/json"}
        data: Optional[bytes] = None
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(wire_numbers(json_body)).encode()
        elif text_body is not None:
            headers["Content-Type"] = "text/plain"
            data = text_body.encode()
        elif binary_body is not None:  # a file as it is (the licence)
            headers["Content-Type"] = "application/octet-stream"
            data = binary_body
        try:
            response = self.session.request(method, url, data=data, headers=headers,
                                            timeout=self.connection.timeout,
                                            auth=None if auth else _NoAuth())
        except TrustError as exc:
            raise NexusUnreachable(method, path, 0, str(exc), kind="tls") from None
        except requests.RequestException as exc:
            kind, message = unreachable_message(self.connection, method, exc)
            raise NexusUnreachable(method, path, 0, message, kind=kind) from None
        self._learn_server(response)
        if response.status_code == 401 and auth and auth_fallback and self.connection.follows_bootstrap:
            working = ANCHOR.working_password(self.connection)
            if working and working != self.connection.password:
                return client_for(self.connection.with_password(working)).request(
                    method, path, json_body=json_body, text_body=text_body, binary_body=binary_body, ok=ok,
                    missing_ok=missing_ok,
                    auth_fallback=False)
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code not in tuple(ok):
            message, ids = error_message(response)
            raise NexusError(method, path, response.status_code, message, ids)
        return response

    def get_json(self, path: str, missing_ok: bool = False) -> Any:
        response = self.request("GET", path, missing_ok=missing_ok, ok=(200,))
        return None if response is None else (response.json() if response.content else None)

    def send(self, method: str, path: str, body: Any = None, ok: Iterable[int] = (200, 201, 204),
             invalidates: Iterable[str] = ()) -> Optional[requests.Response]:
        """A write; drops the run caches it makes stale."""
        try:
            return self.request(method, path, json_body=body, ok=ok)
        finally:
            for name in invalidates:
                self.invalidate(name)
                if method == "DELETE":  # creation's lists must not find a deleted object again
                    self.invalidate(TAKEOVER_PREFIX + name)

    # --- server facts (once per run) --------------------------------------------------------
    def _learn_server(self, response: requests.Response) -> None:
        """Every Nexus answer carries its version: remember it instead of asking separately."""
        if self._server is None:
            parsed = parse_server_header(response.headers.get("Server"))
            if parsed is not None:
                with self._lock:
                    self._server = ServerInfo(parsed[0], parsed[1], "header")

    def server(self) -> ServerInfo:
        """Version and edition from the `Server` header, or the configured hint when a reverse
        proxy strips it. Concurrent first callers wait for one probe."""
        with self._lock:
            if self._server is not None:
                return self._server
        with self._probe_lock:
            return self._probe_server()

    def _probe_server(self) -> ServerInfo:
        if self._server is not None:
            return self._server
        response = self.request("GET", "/v1/status", ok=(200, 503), auth=False)
        assert response is not None
        if self._server is not None:
            return self._server
        if self.connection.version_hint:
            info = ServerInfo(parse_version(self.connection.version_hint),
                              self.connection.edition_hint or "community", "hint")
        else:
            raise NexusError("GET", "/v1/status", response.status_code,
                             "the Server header does not tell the Nexus version (a reverse proxy "
                             "may strip it); set nexus.versionHint (e.g. \"3.86.0\") in the stack config")
        with self._lock:
            self._server = info
        return info

    def cleanup_policy_base(self) -> str:
        """Which cleanup-policy endpoint answers: public `/v1/cleanup-policies` (Pro before 3.94)
        or `/internal/cleanup-policies`. Probed once per run, never guessed from the edition;
        the probe's answer seeds the policy list cache."""
        with self._lock:
            if self._cleanup_base is not None:
                return self._cleanup_base
        server = self.server()
        with self._probe_lock:
            if self._cleanup_base is not None:
                return self._cleanup_base
            return self._probe_cleanup(server)

    def _probe_cleanup(self, server: ServerInfo) -> str:
        bases = ["/v1/cleanup-policies", "/internal/cleanup-policies"]
        if not server.pro or server.at_least("3.94.0"):
            bases.reverse()  # the likely one first; the other is still tried if it is absent
        for base in bases:
            found = self.get_json(base, missing_ok=True)
            if found is not None:
                with self._lock:
                    self._cleanup_base = base
                    self._lists["cleanup-policies"] = found
                return base
        raise NexusError("GET", "/v1/cleanup-policies", 404,
                         "neither /v1/cleanup-policies nor /internal/cleanup-policies answers; "
                         "this Nexus cannot manage cleanup policies over REST")

    # --- run caches -------------------------------------------------------------------------
    def cached(self, name: str, load: Callable[[], Any]) -> Any:
        """A list read once per run and shared by every resource (refresh reads N objects with
        one call). Concurrent callers wait for the first load instead of repeating it."""
        with self._lock:
            if name in self._lists:
                return self._lists[name]
            lock = self._list_locks.setdefault(name, threading.Lock())
        with lock:
            with self._lock:
                if name in self._lists:
                    return self._lists[name]
            value = load()
            with self._lock:
                self._lists[name] = value
            return value

    def cached_list(self, name: str, path: str) -> list[dict[str, Any]]:
        return self.cached(name, lambda: self.get_json(path) or [])

    def invalidate(self, name: str) -> None:
        with self._lock:
            self._lists.pop(name, None)

    def accepts_login(self, username: str, password: str) -> bool:
        """Whether Nexus accepts these credentials: a read with them is refused with 401 only
        for a wrong password (or a disabled user); 200 and 403 (no privilege) both mean yes.
        No answer counts as no: the caller then sets the password again."""
        try:
            response = self.session.request("GET", f"{self.connection.url}{REST_PREFIX}/v1/security/users",
                                            params={"userId": username}, auth=(username, password),
                                            headers={"Accept": "application/json"},
                                            timeout=self.connection.timeout)
        except requests.RequestException:
            return False
        return response.status_code != 401


class _NoAuth(requests.auth.AuthBase):
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.pop("Authorization", None)
        return request


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    """A warning on the Pulumi output (stderr outside an engine run), once per process."""
    import pulumi
    with _RUN_LOCK:
        if message in _WARNED:
            return
        _WARNED.add(message)
    pulumi.log.warn(message)


# --- process-wide connection from the stack config -------------------------------------------
_RUN_LOCK = threading.RLock()
_RUN_CONNECTION: Optional[Connection] = None
_RUN_CLIENTS: dict[Connection, NexusClient] = {}


def use_stack_config(raw: Mapping[str, Any]) -> None:
    """Called from a provider's `configure`: remember how to reach Nexus for this process."""
    global _RUN_CONNECTION
    connection = connection_from_raw_config(raw)
    with _RUN_LOCK:
        _RUN_CONNECTION = connection


def configured_connection() -> Connection:
    """This process's connection exactly as the stack config gives it."""
    with _RUN_LOCK:
        if _RUN_CONNECTION is None:
            raise NexusError("-", "-", 0, "no Nexus connection configured for this provider process")
        return _RUN_CONNECTION


def run_connection(as_configured: bool = False) -> Connection:
    """This process's connection, completed with what the bootstrap published: the stack's
    generated CA (waited for), and the admin password that works now unless `as_configured`
    (the bootstrap's own checks use the configured one)."""
    connection = configured_connection()
    if connection.trust.waits_for_stack_ca:
        pem = ANCHOR.stack_ca()
        if pem is None:
            raise NexusUnreachable("-", "-", 0, (
                "nexus.tls.caFromStack: the stack's generated CA is only in the state of the bootstrap resource, "
                "which did not run first in this operation. Run a whole `pulumi up` or `pulumi refresh` (not "
                "--target), or point nexus.tls.caFile at the CA (pulumi stack output caCertPem > ca.pem)"),
                kind="tls")
        connection = connection.with_trust(connection.trust.with_stack_ca(pem))
    if not as_configured:
        working = ANCHOR.working_password(connection, wait=0)
        if working:
            connection = connection.with_password(working)
    return connection


def for_run(as_configured: bool = False) -> NexusClient:
    """The client for this process's connection (shared by all providers, so caches are too)."""
    return client_for(run_connection(as_configured))


def client_for(connection: Connection) -> NexusClient:
    with _RUN_LOCK:
        client = _RUN_CLIENTS.get(connection)
        if client is None:
            client = _RUN_CLIENTS[connection] = NexusClient(connection)
        return client
