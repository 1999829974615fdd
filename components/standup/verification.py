"""Post-deploy checks: walk the path a docker client takes and say precisely what is broken.

A converged stack only proves that Nexus *stored* the settings. These checks prove they work:
the REST status, the `/v2/` challenge on every docker connector (Basic or Bearer, as
forceBasicAuth says), the anonymous token where anonymous pull is declared, and — when the
stack has a reverse proxy and TLS — the same through the registry host name, with the
certificate chain, SANs and expiry. Each check is a plain function returning a `Check`, so
`nexusctl verify` and a Pulumi resource that fails a deployment can share them; `plan()` and
`run_checks()` derive the list from a stack config whose presets are expanded
(`config.expanded_values`, or the config `stack.load_validated_config()` returns).
"""
from __future__ import annotations

import functools
import http.client
import ipaddress
import json
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, Optional, Sequence
from urllib.parse import urlencode, urlsplit

from cryptography import x509

from .reverse_proxy import SCHEMA as REVERSE_PROXY
from .tls import SCHEMA as TLS

DEFAULT_TIMEOUT = 5.0
EULA_REFUSAL = "End User License Agreement"
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "[::]")


@dataclass(frozen=True)
class Check:
    """One verified link of the path: what was checked, whether it works, and what was seen
    (on failure: what is wrong and what to do)."""

    name: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


@dataclass(frozen=True)
class Options:
    """Where the checks connect when that differs from what the config says."""

    connector_host: Optional[str] = None  # host of the docker connectors; default: nexus.url's host
    proxy_address: Optional[str] = None  # address of the reverse proxy; default: listenAddress or DNS
    ca_file: Optional[str] = None  # CA bundle for TLS endpoints; default: the system trust store
    # TLS for nexus.url itself, from nexus.tls (CA, client certificate, insecure); default: ca_file
    nexus_context: Optional[ssl.SSLContext] = None
    reverse_proxy: bool = True  # also check through reverseProxy.registryHost when configured
    timeout: float = DEFAULT_TIMEOUT
    now: Optional[datetime] = None  # for the expiry check; default: the current time


# --- one HTTP exchange -----------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode() or "null")


class Unreachable(Exception):
    """No HTTP answer: refused, timed out, or the TLS handshake failed."""


def request(url: str, *, headers: Optional[Mapping[str, str]] = None, timeout: float = DEFAULT_TIMEOUT,
            ca_file: Optional[str] = None, connect_to: Optional[str] = None,
            context: Optional[ssl.SSLContext] = None) -> Answer:
    """GET `url` without credentials unless given in `headers`. `connect_to` opens the TCP
    connection to another address while Host and TLS SNI/verification keep the URL's host name
    (a registry host that DNS does not resolve yet, or a proxy reached on loopback). `context`
    replaces the one built from `ca_file` (nexus.tls: client certificate, insecure)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = (http.client.HTTPSConnection if secure else http.client.HTTPConnection)(host, port, timeout=timeout)
    try:
        conn.sock = socket.create_connection((connect_to or host, port), timeout=timeout)
        if secure:
            tls = context or ssl.create_default_context(cafile=ca_file)
            conn.sock = tls.wrap_socket(conn.sock, server_hostname=host)
        conn.request("GET", path, headers=dict(headers or {}))
        response = conn.getresponse()
        body = response.read()
    except ssl.SSLCertVerificationError as exc:
        trusted = "the nexus.tls settings" if context is not None else ca_file or "the system trust store"
        raise Unreachable(f"the TLS certificate of {host}:{port} does not verify "
                          f"({exc.verify_message}) against {trusted}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise Unreachable(f"no answer from {parts.scheme}://{connect_to or host}:{port} "
                          f"({type(exc).__name__}: {exc})") from None
    finally:
        conn.close()
    return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)


# --- checks ----------------------------------------------------------------------------------
def nexus_status(nexus_url: str, *, timeout: float = DEFAULT_TIMEOUT, ca_file: Optional[str] = None,
                 connect_to: Optional[str] = None, name: str = "Nexus status",
                 context: Optional[ssl.SSLContext] = None) -> Check:
    """GET /service/rest/v1/status: 200 once Nexus serves requests."""
    url = f"{nexus_url.rstrip('/')}/service/rest/v1/status"
    try:
        answer = request(url, timeout=timeout, ca_file=ca_file, connect_to=connect_to, context=context)
    except Unreachable as exc:
        return Check(name, False, f"{exc}: is Nexus running, and is the URL its web/REST port?")
    if answer.status == 200:
        return Check(name, True, f"{url} answers 200")
    if answer.status == 503:
        return Check(name, False, f"{url} answers 503: Nexus is starting or cannot serve "
                                  "(database or blob store unavailable; see nexus.log)")
    return Check(name, False, f"{url} answers {answer.status}: this is not the Nexus REST API "
                              "(wrong port, or a proxy page in front of it)")


def connector_challenge(base_url: str, repository: str, force_basic_auth: bool, *,
                        timeout: float = DEFAULT_TIMEOUT, ca_file: Optional[str] = None,
                        connect_to: Optional[str] = None, name: Optional[str] = None) -> Check:
    """GET /v2/ without credentials: Nexus always answers 401, challenging with Basic when the
    repository forces basic auth and with Bearer (its token endpoint) otherwise."""
    name = name or f"docker connector of {repository} ({base_url})"
    url = f"{base_url.rstrip('/')}/v2/"
    try:
        answer = request(url, timeout=timeout, ca_file=ca_file, connect_to=connect_to)
    except Unreachable as exc:
        return Check(name, False, f"{exc}: Nexus opens this connector for repository '{repository}'; "
                                  "check that the repository exists with this port, that the port is "
                                  "published (container ports) and that no firewall blocks it")
    expected = "basic" if force_basic_auth else "bearer"
    if answer.status == 401:
        challenge = answer.headers.get("www-authenticate", "")
        scheme = challenge.split(" ", 1)[0].lower()
        if scheme == expected:
            return Check(name, True, f"401 with a {scheme.capitalize()} challenge, as forceBasicAuth: "
                                     f"{str(force_basic_auth).lower()} wants")
        if not challenge:
            return Check(name, False, "401 without a WWW-Authenticate challenge: docker clients cannot log "
                                      "in; something between the client and Nexus drops the header")
        if expected == "bearer":
            return Check(name, False, f"401 with a {scheme.capitalize()} challenge, but the config has "
                                      "forceBasicAuth: false (clients should be sent to the token "
                                      "endpoint): forceBasicAuth was turned on on the server or the "
                                      "DockerToken realm is off; `nexusctl drift` shows which")
        return Check(name, False, f"401 with a {scheme.capitalize()} challenge, but the config has "
                                  "forceBasicAuth: true: it was turned off on the server; `nexusctl drift` "
                                  "shows it, `pulumi up` puts it back")
    return Check(name, False, _unexpected(answer, "401 (a docker login challenge)"))


def anonymous_pull(base_url: str, repository: str, *, timeout: float = DEFAULT_TIMEOUT,
                   ca_file: Optional[str] = None, connect_to: Optional[str] = None,
                   name: Optional[str] = None) -> Check:
    """What dockerd does for an anonymous pull (or a registry-mirrors entry): follow the /v2/
    challenge to the token endpoint without credentials, then present the token to /v2/."""
    name = name or f"anonymous pull from {repository} ({base_url})"
    base = base_url.rstrip("/")
    try:
        challenge = request(f"{base}/v2/", timeout=timeout, ca_file=ca_file, connect_to=connect_to)
        realm = _bearer_params(challenge.headers.get("www-authenticate", ""))
        if challenge.status != 401 or realm is None:
            return Check(name, False, f"/v2/ did not send clients to a token endpoint (status "
                                      f"{challenge.status}, challenge "
                                      f"{challenge.headers.get('www-authenticate') or 'none'!r}): anonymous "
                                      "pull needs forceBasicAuth: false and the DockerToken realm")
        token_url = realm.get("realm") or f"{base}/v2/token"
        query = urlencode({"service": realm.get("service", token_url), "scope": "repository:library/alpine:pull"})
        token = request(f"{token_url}?{query}", timeout=timeout, ca_file=ca_file, connect_to=connect_to)
        if token.status != 200:
            return Check(name, False, f"the token endpoint {token_url} refused an anonymous token "
                                      f"({token.status}); Nexus issues one only when all of these hold: "
                                      "the DockerToken realm is active, anonymous access is on with the "
                                      "built-in anonymous user, forceBasicAuth is false on the repository "
                                      "and the anonymous user may read it (`nexusctl drift` shows which "
                                      "changed)")
        value = _token_value(token)
        if not value:
            return Check(name, False, f"the token endpoint {token_url} answered 200 without a token")
        accepted = request(f"{base}/v2/", headers={"Authorization": f"Bearer {value}"}, timeout=timeout,
                           ca_file=ca_file, connect_to=connect_to)
    except Unreachable as exc:
        return Check(name, False, str(exc))
    if accepted.status != 200:
        return Check(name, False, f"an anonymous token was issued but /v2/ refused it ({accepted.status}); "
                                  "the DockerToken realm may be inactive")
    return Check(name, True, "anonymous token issued and accepted")


def tls_certificate(host: str, port: int, *, expected_names: Sequence[str] = (), ca_file: Optional[str] = None,
                    connect_to: Optional[str] = None, renew_before_days: int = 0,
                    timeout: float = DEFAULT_TIMEOUT, now: Optional[datetime] = None,
                    name: Optional[str] = None) -> Check:
    """The certificate served for `host`: the chain verifies against the CA (and the name
    matches, as docker checks), its SANs cover every expected name, it is not about to expire."""
    name = name or f"TLS certificate of {host}:{port}"
    try:
        sock = socket.create_connection((connect_to or host, port), timeout=timeout)
    except OSError as exc:
        return Check(name, False, f"no answer from {connect_to or host}:{port} ({type(exc).__name__}: {exc})")
    context = ssl.create_default_context(cafile=ca_file)
    try:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as exc:
        sock.close()
        return Check(name, False, f"the chain does not verify against {ca_file or 'the system trust store'} "
                                  f"({exc.verify_message}): give the CA that issued it (--ca-file, the "
                                  "reverse proxy's ca.crt), or reissue the certificate with `pulumi up` "
                                  "and reload the proxy")
    except (OSError, ssl.SSLError) as exc:
        sock.close()
        return Check(name, False, f"TLS handshake with {host}:{port} failed ({exc}): is TLS on this port?")
    cert = x509.load_der_x509_certificate(der)
    sans = _subject_alt_names(cert)
    missing = [n for n in expected_names if _san_key(n) not in sans]
    if missing:
        return Check(name, False, f"the certificate lacks SANs for {', '.join(missing)} (has "
                                  f"{', '.join(sorted(sans)) or 'none'}); clients using those names will "
                                  "refuse it: `pulumi up` reissues it for tls.hostnames/ipAddresses, then "
                                  "reload the proxy")
    expires = cert.not_valid_after_utc
    current = now or datetime.now(timezone.utc)
    if expires - current < timedelta(days=renew_before_days):
        return Check(name, False, f"the certificate expires on {expires:%Y-%m-%d}, within tls.renewBeforeDays "
                                  f"({renew_before_days}): `pulumi up` renews it, then reload the proxy")
    return Check(name, True, f"chain verifies, SANs cover {', '.join(expected_names) or host}, "
                             f"valid until {expires:%Y-%m-%d}")


# --- the list for a stack --------------------------------------------------------------------
def plan(values: Mapping[str, Any], options: Options = Options()) -> list[Callable[[], Check]]:
    """The checks a stack config calls for, in path order, not yet run. `values` is the config
    with presets expanded."""
    nexus_url = str(values["nexus"]["url"]).rstrip("/")
    connector_host = options.connector_host or urlsplit(nexus_url).hostname or "127.0.0.1"
    timeout, ca_file = options.timeout, options.ca_file
    security = values.get("security") or {}
    anonymous = {n.lower() for n in security.get("anonymousPull") or []}
    tls = TLS.with_defaults(values["tls"]) if values.get("tls") else {}  # no section: no TLS
    tls_on = bool(tls) and bool(tls["enabled"])
    jetty_https = tls_on and bool(tls["jettyHttps"])
    expected_names = [*tls["hostnames"], *tls["ipAddresses"]] if tls_on else []
    renew = int(tls["renewBeforeDays"]) if tls_on else 0
    checks: list[Callable[[], Check]] = [lambda: nexus_status(nexus_url, timeout=timeout, ca_file=ca_file,
                                                              context=options.nexus_context)]
    repos = values.get("repositories") or []
    for repo in repos:
        name, force_basic = repo["name"], repo.get("forceBasicAuth", True)
        endpoints = []
        # int(): values that went through the Pulumi engine carry every number as a float.
        if repo.get("httpPort"):
            endpoints.append(f"http://{_host(connector_host)}:{int(repo['httpPort'])}")
        if repo.get("httpsPort") and jetty_https:
            endpoints.append(f"https://{_host(connector_host)}:{int(repo['httpsPort'])}")
        for base in endpoints:
            checks.append(_bind(connector_challenge, base, name, force_basic, timeout=timeout, ca_file=ca_file))
            if name.lower() in anonymous:
                checks.append(_bind(anonymous_pull, base, name, timeout=timeout, ca_file=ca_file))
    if jetty_https:
        port = int(tls["httpsPort"])
        checks.append(_bind(tls_certificate, connector_host, port, expected_names=expected_names, ca_file=ca_file,
                            renew_before_days=renew, timeout=timeout, now=options.now,
                            name=f"TLS certificate of Nexus (Jetty HTTPS {connector_host}:{port})"))
    proxy = values.get("reverseProxy")
    if proxy and options.reverse_proxy:
        checks += _reverse_proxy_checks(proxy, repos, anonymous, expected_names, renew, options)
    return checks


def run_checks(values: Mapping[str, Any], options: Options = Options()) -> list[Check]:
    """Every check of `plan()`, run concurrently (a dead port costs one timeout, not N), in
    plan order."""
    planned = plan(values, options)
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda check: check(), planned))


def failures(checks: Sequence[Check]) -> list[Check]:
    return [c for c in checks if not c.ok]


def _reverse_proxy_checks(proxy: Mapping[str, Any], repos: Sequence[Mapping[str, Any]], anonymous: set[str],
                          expected_names: Sequence[str], renew: int, options: Options) -> list[Callable[[], Check]]:
    """TLS ends at the proxy: the registry host name must serve a valid certificate and route
    /v2/ to the pull (group) repository, whose challenge and anonymous token must come through."""
    proxy = REVERSE_PROXY.with_defaults(proxy)
    host, port = proxy["registryHost"], int(proxy["listenPort"])
    listen = proxy.get("listenAddress")
    connect_to = options.proxy_address or (listen if listen and listen not in WILDCARD_ADDRESSES else None)
    timeout, ca_file = options.timeout, options.ca_file
    base = f"https://{host}" + ("" if port == 443 else f":{port}")
    pull = next((r for r in repos if r["name"].lower() == str(proxy["pullRepository"]).lower()), {})
    checks = [
        _bind(tls_certificate, host, port, expected_names=expected_names or [host], ca_file=ca_file,
              connect_to=connect_to, renew_before_days=renew, timeout=timeout, now=options.now,
              name=f"TLS certificate of the registry host {host}:{port}"),
        _bind(connector_challenge, base, proxy["pullRepository"], pull.get("forceBasicAuth", True),
              timeout=timeout, ca_file=ca_file, connect_to=connect_to,
              name=f"registry host {base} (pull repository {proxy['pullRepository']})"),
    ]
    if str(proxy["pullRepository"]).lower() in anonymous:
        checks.append(_bind(anonymous_pull, base, proxy["pullRepository"], timeout=timeout, ca_file=ca_file,
                            connect_to=connect_to,
                            name=f"anonymous pull through {base} ({proxy['pullRepository']})"))
    if proxy.get("uiHost"):
        ui = f"https://{proxy['uiHost']}" + ("" if port == 443 else f":{port}")
        checks.append(_bind(nexus_status, ui, timeout=timeout, ca_file=ca_file, connect_to=connect_to,
                            name=f"Nexus UI host {ui}"))
    return checks


# --- helpers ---------------------------------------------------------------------------------
def _bind(function: Callable[..., Check], *args: Any, **kwargs: Any) -> Callable[[], Check]:
    """A check not yet run (a partial: its arguments stay readable, e.g. its name)."""
    return functools.partial(function, *args, **kwargs)


def _host(host: str) -> str:
    """An IPv6 literal needs brackets in a URL."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _unexpected(answer: Answer, wanted: str) -> str:
    text = answer.body.decode(errors="replace")
    if answer.status == 403 and EULA_REFUSAL in text:
        return ("403: Nexus blocks repository access until the EULA is accepted "
                "(nexus.bootstrap.acceptEula: true, then pulumi up)")
    if answer.status == 503:
        return "503: the repository is offline (online: false on the server?) or Nexus is not ready"
    if answer.status == 200:
        return ("200 without credentials: Nexus never lets an anonymous client past /v2/, so this is not a "
                "Nexus docker connector (another service on the port, or a proxy answering itself)")
    return f"{answer.status} instead of {wanted}: {text.strip()[:160] or 'empty body'}"


def _bearer_params(challenge: str) -> Optional[dict[str, str]]:
    """`Bearer realm="…",service="…"` -> {"realm": …, "service": …}; None for other schemes."""
    scheme, _, rest = challenge.partition(" ")
    if scheme.lower() != "bearer":
        return None
    params = {}
    for part in rest.split(","):
        key, _, value = part.strip().partition("=")
        if key:
            params[key.lower()] = value.strip().strip('"')
    return params


def _token_value(answer: Answer) -> str:
    try:
        doc = answer.json()
    except ValueError:
        return ""
    return str(doc.get("token") or doc.get("access_token") or "") if isinstance(doc, dict) else ""


def _subject_alt_names(cert: x509.Certificate) -> set[str]:
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    names = {n.lower() for n in extension.get_values_for_type(x509.DNSName)}
    return names | {str(ip) for ip in extension.get_values_for_type(x509.IPAddress)}


def _san_key(name: str) -> str:
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name.lower()
