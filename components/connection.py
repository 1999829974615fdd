"""How to reach one Nexus: URL, credentials, TLS trust and client identity.

`nexus.tls` in the stack config says how to trust a Nexus served over HTTPS with a private CA
(the seeds' self-signed Jetty, the CA this project generates, a company CA) and who we are for
mutual TLS: a CA bundle as PEM text (`caPem`), as a file (`caFile`) or by reference to the CA of
the stack's own `tls` section (`caFromStack`); a client certificate and key (`clientCertPem` /
`clientCertFile`, `clientKeyPem` — a Pulumi secret — / `clientKeyFile`); or `insecure: true`,
which turns verification off and says so on every run. Every place that talks to Nexus builds
its TLS context here: the providers' client, the program's preflight, the deployment check and
the nexusctl commands.

The stack's *generated* CA lives only in the Pulumi state (components/tls.py), never in the
config the providers are handed. So the bootstrap resource, whose inputs carry it and which
every other Nexus resource depends on, publishes it to this provider process (`Anchor`); the
others wait for it. The same anchor carries the bootstrap's verdict on the admin password, so a
refresh right after `pulumi config set --secret adminPassword NEW` reads with the password that
still works until the bootstrap has rotated it.
"""
from __future__ import annotations

import contextlib
import json
import os
import ssl
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from typing import Any, Iterator, Mapping, Optional

import requests
import urllib3
from requests.adapters import HTTPAdapter

DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
ANCHOR_WAIT_SECONDS = 30.0  # how long a provider waits for the bootstrap's facts in this run
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"
# Retried on read errors and 5xx: nothing is applied twice. Connection errors are retried for
# every method (nothing reached Nexus); TLS failures never (a retry cannot fix trust).
RETRIED_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class TrustError(Exception):
    """The TLS settings cannot be used (a file is missing, a PEM does not parse); the message
    names the config key."""


@dataclass(frozen=True)
class Trust:
    """`nexus.tls` resolved: what to trust and who we are. Hashable (part of the client cache
    key); the client key never appears in repr()."""

    ca_pem: Optional[str] = field(default=None, repr=False)
    ca_file: Optional[str] = None
    ca_from_stack: bool = False  # the CA of the stack's tls section (see from_config)
    client_cert_pem: Optional[str] = field(default=None, repr=False)
    client_cert_file: Optional[str] = None
    client_key_pem: Optional[str] = field(default=None, repr=False)
    client_key_file: Optional[str] = None
    insecure: bool = False

    @classmethod
    def from_config(cls, settings: Optional[Mapping[str, Any]], stack_tls: Optional[Mapping[str, Any]] = None,
                    stack_ca_pem: Optional[str] = None) -> "Trust":
        """From `nexus.tls`. With `caFromStack`, a CA supplied in `tls.ca.certPem` is used at
        once; a generated one comes from `stack_ca_pem` (nexusctl reads the stack output) or,
        in a provider process, from the bootstrap (`Anchor`)."""
        settings = settings or {}
        ca_pem = settings.get("caPem")
        from_stack = bool(settings.get("caFromStack"))
        if from_stack:
            supplied = ((stack_tls or {}).get("ca") or {}).get("certPem")
            ca_pem = supplied or stack_ca_pem
        return cls(ca_pem=ca_pem, ca_file=_path(settings.get("caFile")), ca_from_stack=from_stack,
                   client_cert_pem=settings.get("clientCertPem"),
                   client_cert_file=_path(settings.get("clientCertFile")),
                   client_key_pem=settings.get("clientKeyPem"),
                   client_key_file=_path(settings.get("clientKeyFile")),
                   insecure=bool(settings.get("insecure", False)))

    @property
    def configured(self) -> bool:
        return self != Trust()

    @property
    def waits_for_stack_ca(self) -> bool:
        """The CA is the stack's generated one and not known in this process yet."""
        return self.ca_from_stack and not self.ca_pem

    @property
    def has_identity(self) -> bool:
        return bool(self.client_cert_pem or self.client_cert_file)

    def with_stack_ca(self, pem: str) -> "Trust":
        return replace(self, ca_pem=pem)

    def describe_ca(self) -> str:
        """Where the trusted CAs come from, for error messages."""
        if self.insecure:
            return "nothing (nexus.tls.insecure: true)"
        if self.ca_from_stack:
            return "the CA of the stack's tls section (nexus.tls.caFromStack)"
        if self.ca_file:
            return f"the CA bundle {self.ca_file} (nexus.tls.caFile)"
        if self.ca_pem:
            return "the CA bundle in nexus.tls.caPem"
        return "the default trust store (set nexus.tls.caPem, caFile or caFromStack for a private CA)"

    def context(self) -> ssl.SSLContext:
        """The client-side SSL context: the configured CAs only (else the default bundle), the
        client identity loaded without writing the key to disk, or no verification at all."""
        if self.waits_for_stack_ca:
            raise TrustError("nexus.tls.caFromStack: the stack's generated CA is not known yet")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif self.ca_pem or self.ca_file:
            try:
                if self.ca_pem:
                    context.load_verify_locations(cadata=self.ca_pem)
                if self.ca_file:
                    context.load_verify_locations(cafile=self.ca_file)
            except (OSError, ssl.SSLError, ValueError) as exc:
                raise TrustError(f"{self._ca_key()}: cannot read the CA bundle ({_reason(exc)}); give PEM "
                                 "certificates (-----BEGIN CERTIFICATE-----)") from None
        else:
            context.load_verify_locations(cafile=default_bundle())
        if self.has_identity:
            self._load_identity(context)
        return context

    def _load_identity(self, context: ssl.SSLContext) -> None:
        if not (self.client_key_pem or self.client_key_file):
            raise TrustError("nexus.tls: a client certificate needs its key (clientKeyPem, a secret: pulumi "
                             "config set --secret --path nexus.tls.clientKeyPem, or clientKeyFile)")
        try:
            with _readable(self.client_cert_pem, self.client_cert_file) as cert, \
                    _readable(self.client_key_pem, self.client_key_file) as key:
                context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError, ValueError) as exc:
            # Never echo the key: only which keys are wrong and the library's short reason.
            raise TrustError("nexus.tls.clientCert*/clientKey*: cannot load the client certificate and key "
                             f"({_reason(exc)}); give a PEM certificate and its unencrypted PEM private key") from None

    def _ca_key(self) -> str:
        if self.ca_from_stack:
            return "nexus.tls.caFromStack"
        return "nexus.tls.caFile" if self.ca_file and not self.ca_pem else "nexus.tls.caPem"


@dataclass(frozen=True)
class Connection:
    """How to reach one Nexus. The password is deliberately left out of repr()."""

    url: str
    username: str = "admin"
    password: str = field(default="", repr=False)
    version_hint: Optional[str] = None
    edition_hint: Optional[str] = None
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    trust: Trust = Trust()
    # A provider's connection: a 401 may wait for the bootstrap's verdict on the password.
    follows_bootstrap: bool = False

    @classmethod
    def from_settings(cls, nexus: Mapping[str, Any], password: Optional[str],
                      stack_tls: Optional[Mapping[str, Any]] = None,
                      stack_ca_pem: Optional[str] = None) -> "Connection":
        """Build from the `nexus` config object, the `adminPassword` secret and, for
        `nexus.tls.caFromStack`, the stack's `tls` section."""
        return cls(url=str(nexus["url"]).rstrip("/"),
                   username=str(nexus.get("username", "admin")),
                   password=password or "",
                   version_hint=nexus.get("versionHint"),
                   edition_hint=nexus.get("editionHint"),
                   timeout=float(nexus.get("timeoutSeconds", DEFAULT_TIMEOUT)),
                   retries=int(nexus.get("retries", DEFAULT_RETRIES)),
                   trust=Trust.from_config(nexus.get("tls"), stack_tls, stack_ca_pem))

    @property
    def secure(self) -> bool:
        return self.url.lower().startswith("https://")

    def with_password(self, password: str) -> "Connection":
        return replace(self, password=password)

    def with_trust(self, trust: Trust) -> "Connection":
        return replace(self, trust=trust)


def connection_from_raw_config(raw: Mapping[str, Any]) -> Connection:
    """The connection from the engine's raw config map (`<project>:nexus` holds JSON text,
    `<project>:adminPassword` the decrypted secret, `<project>:tls` the stack's TLS section)."""
    nexus_keys = [k for k in raw if k.endswith(":nexus")]
    if len(nexus_keys) != 1:
        raise ValueError("the stack config needs exactly one `nexus` object "
                         f"(found keys: {sorted(nexus_keys) or 'none'})")
    namespace = nexus_keys[0].rsplit(":", 1)[0]
    nexus, tls = (_json(raw.get(f"{namespace}:{key}")) for key in ("nexus", "tls"))
    connection = Connection.from_settings(nexus, raw.get(f"{namespace}:adminPassword"), stack_tls=tls)
    return replace(connection, follows_bootstrap=True)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def insecure_warning(url: str) -> str:
    return (f"nexus.tls.insecure is on: the certificate of {url} is NOT verified, so anyone between here and "
            "Nexus can read the admin password. Give the CA instead (nexus.tls.caPem, caFile or caFromStack) "
            "and remove insecure.")


def default_bundle() -> str:
    """The CA bundle requests trusts by default (certifi, or REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE)."""
    from requests.utils import DEFAULT_CA_BUNDLE_PATH
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or DEFAULT_CA_BUNDLE_PATH


# --- transport ---------------------------------------------------------------------------------
class TrustAdapter(HTTPAdapter):
    """HTTPS with the SSL context built from `nexus.tls`: its CAs replace the default bundle,
    its client identity is presented for mutual TLS."""

    def __init__(self, context: ssl.SSLContext, **kwargs: Any) -> None:
        self._context = context
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        kwargs["ssl_context"] = self._context
        return super().proxy_manager_for(proxy, **kwargs)

    def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        for key in ("ca_certs", "ca_cert_dir", "cert_file", "key_file"):
            pool_kwargs.pop(key, None)
        pool_kwargs.update(ssl_context=self._context, cert_reqs=self._context.verify_mode)
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """Trust comes from the context alone: requests would add certifi's bundle here."""


def unreachable_message(connection: Connection, method: str, exc: requests.RequestException) -> tuple[str, str]:
    """(kind, message) for a call that got no HTTP answer: "no answer from <url>", why, whether
    it was retried (connection errors are, for every method; a read error only for idempotent
    methods, since a POST may already have been applied), and what to check."""
    url, retries = connection.url, connection.retries
    cause = exc.args[0] if exc.args else None
    cause = getattr(cause, "reason", cause)
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls", tls_failure_message(connection, str(cause or exc))
    if isinstance(cause, urllib3.exceptions.NameResolutionError):
        host = urlsplit(url).hostname or url
        return "dns", (f"no answer from {url}: its host name {host!r} does not resolve (DNS); check nexus.url "
                       f"({retries} retries)")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "timeout", f"no answer from {url}: no connection within {connection.timeout:g} s ({retries} retries)"
    if isinstance(cause, urllib3.exceptions.NewConnectionError) and "refused" in str(cause).lower():
        return "refused", (f"no answer from {url}: the connection was refused, nothing listens there (Nexus "
                           f"stopped or still starting, or a wrong port in nexus.url) ({retries} retries)")
    if isinstance(cause, urllib3.exceptions.NewConnectionError):
        return "other", f"no answer from {url}: cannot connect ({short(cause)}) ({retries} retries)"
    timed_out = isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(cause,
                                                                               urllib3.exceptions.ReadTimeoutError)
    kind = "timeout" if timed_out else "reset"
    what = (f"no answer from {url} within {connection.timeout:g} s" if kind == "timeout"
            else f"no answer from {url}: the connection closed ({type(exc).__name__}: {short(exc)})")
    if method.upper() in RETRIED_METHODS:
        return kind, f"{what} (after {retries} retries)"
    return kind, (f"{what}; a {method.upper()} is not retried because Nexus may already have applied it: "
                  "check the object before repeating the run")


def tls_failure_message(connection: Connection, detail: str) -> str:
    """Why a TLS handshake failed, in terms of the `nexus.tls` settings that fix it."""
    trust = connection.trust
    lowered = detail.lower()
    if "certificate verify failed" in lowered:
        fix = ("the certificate of Nexus is not signed by a CA trusted here (trusted: "
               f"{trust.describe_ca()}). Give the CA that signed it: nexus.tls.caPem (PEM text), nexus.tls.caFile "
               "(a path) or nexus.tls.caFromStack: true (the stack's own tls CA); nexus.tls.insecure: true skips "
               "verification (never in production)")
        if "hostname" in lowered or "ip address mismatch" in lowered:
            fix = ("the certificate of Nexus does not name the host of nexus.url; reissue it with that name "
                   "(tls.hostnames / tls.ipAddresses) or use a URL with a name it carries")
    elif any(sign in lowered for sign in ("certificate required", "handshake failure", "unknown ca",
                                          "bad certificate", "unsupported certificate", "eof occurred")):
        fix = ("Nexus (or the proxy in front of it) closed the handshake: it wants a client certificate. Set "
               "nexus.tls.clientCertPem (or clientCertFile) and nexus.tls.clientKeyPem (a secret) or clientKeyFile"
               if not trust.has_identity else
               "Nexus (or the proxy in front of it) refused the client certificate of nexus.tls.clientCert*: "
               "it must be signed by a CA the server trusts and allow client authentication (extendedKeyUsage "
               "clientAuth)")
    elif "wrong version number" in lowered or "record layer failure" in lowered:
        fix = "the port does not speak TLS: use http:// in nexus.url, or the HTTPS port"
    else:
        fix = f"trusted: {trust.describe_ca()}"
    return f"no answer from {connection.url}: the TLS handshake failed ({short(Exception(detail))}): {fix}"


def short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"


# --- what the bootstrap tells the other providers of this run ----------------------------------
class Anchor:
    """Facts only the bootstrap resource knows from the stack's state, published to the other
    providers of this process: the generated CA, and which admin password works right now."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._stack_ca: Optional[str] = None
        self._passwords: dict[tuple[str, str], Optional[str]] = {}

    def publish_stack_ca(self, pem: Optional[str]) -> None:
        if pem and PEM_CERTIFICATE in pem:
            with self._changed:
                self._stack_ca = pem
                self._changed.notify_all()

    def stack_ca(self, wait: float = ANCHOR_WAIT_SECONDS) -> Optional[str]:
        with self._changed:
            self._changed.wait_for(lambda: self._stack_ca is not None, timeout=wait)
            return self._stack_ca

    def publish_password(self, connection: Connection, working: Optional[str]) -> None:
        """`working` is the admin password that logs in now, or None when none does."""
        with self._changed:
            self._passwords[(connection.url, connection.username)] = working
            self._changed.notify_all()

    def working_password(self, connection: Connection, wait: float = ANCHOR_WAIT_SECONDS) -> Optional[str]:
        key = (connection.url, connection.username)
        with self._changed:
            self._changed.wait_for(lambda: key in self._passwords, timeout=wait)
            return self._passwords.get(key)

    def reset(self) -> None:
        with self._changed:
            self._stack_ca = None
            self._passwords.clear()


ANCHOR = Anchor()


# --- helpers ------------------------------------------------------------------------------------
def _path(value: Optional[str]) -> Optional[str]:
    """`~` expanded; relative paths are relative to the project directory (the program's and the
    providers' working directory)."""
    return str(Path(value).expanduser()) if value else None


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
    return str(text)[:160]


@contextlib.contextmanager
def _readable(pem: Optional[str], path: Optional[str]) -> Iterator[str]:
    """A path OpenSSL can read: the given file, or the PEM text in an anonymous in-memory file
    (memfd), so a private key never touches the disk."""
    if path or not pem:
        yield path or ""
        return
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("nexus-tls", os.MFD_CLOEXEC)
        try:
            os.write(fd, pem.encode())
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    fd, name = tempfile.mkstemp(prefix="nexus-tls-")  # 0600; removed right after loading
    try:
        os.write(fd, pem.encode())
        os.close(fd)
        yield name
    finally:
        os.unlink(name)
