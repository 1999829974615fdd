"""Outbound HTTP settings: `GET/PUT/DELETE /v1/http` (HttpSettingsXo).

Exists from 3.77 on (absent from the 3.68.1 spec, present in 3.86.2 and 3.94.0) in both
editions: help.sonatype.com "HTTP Configuration API" first said "Only available in Pro", its
current text addresses all "Nexus Repository customers".

Semantics follow Nexus's own conversion of these settings (sonatype/nexus-public
HttpSettingsComponent, DefaultsCustomizer, NonProxyHostsValidator, HostnameValidator):
* a proxy is stored only while `enabled` is true; a disabled one is dropped and GET answers null;
* authentication is stored only while `authInfo.enabled` is true; NTLM when ntlmHost or
  ntlmDomain is set, plain username/password otherwise (the NTLM fields then read back null);
* a password left blank or sent as the placeholder keeps the stored one; GET answers the
  placeholder for a stored password ("The returned password fields are redacted");
* timeout/retries left out fall back to Nexus's defaults, which GET reports: 20 s request
  timeout and 2 retries (DefaultsCustomizer, nexus.httpclient.*);
* DELETE resets everything to those defaults (204).
"""
from __future__ import annotations

from typing import Any, Optional

from ..http import Request, Response
from ..routing import Router
from ..state import NexusState
from ..validation import Errors, raise_if
from .support import (HOSTNAME, HOSTNAME_MESSAGE, SPEC_3_86, available, blank, kept_secret,
                      masked, object_body, port_errors, read)

DEFAULT_TIMEOUT = 20
DEFAULT_RETRIES = 2
PROXIES = ("httpProxy", "httpsProxy")
NON_PROXY_MESSAGE = "Invalid Java http.nonProxyHosts expression"


def register(router: Router, state: NexusState) -> None:
    gate = available(since=SPEC_3_86)
    router.add("GET", "/v1/http", get_settings, available=gate)
    router.add("PUT", "/v1/http", put_settings, available=gate)
    router.add("DELETE", "/v1/http", reset_settings, available=gate)
    state.seeders.append(seed)


def seed(state: NexusState) -> None:
    state.http_settings.clear()
    state.http_settings.update({"userAgent": None, "timeout": None, "retries": None,
                                "httpProxy": None, "httpsProxy": None, "nonProxyHosts": None})


def get_settings(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json(answer(state.http_settings))


def answer(stored: dict[str, Any]) -> dict[str, Any]:
    return {"userAgent": stored["userAgent"],
            "timeout": stored["timeout"] if stored["timeout"] is not None else DEFAULT_TIMEOUT,
            "retries": stored["retries"] if stored["retries"] is not None else DEFAULT_RETRIES,
            "httpProxy": _proxy_view(stored["httpProxy"]),
            "httpsProxy": _proxy_view(stored["httpsProxy"]),
            "nonProxyHosts": list(stored["nonProxyHosts"]) if stored["nonProxyHosts"] is not None
            else None}


def _proxy_view(proxy: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    if proxy is None:
        return None
    auth = proxy["authInfo"]
    view = None if auth is None else {
        "enabled": True, "username": auth["username"], "password": masked(auth["password"]),
        "ntlmHost": auth["ntlmHost"], "ntlmDomain": auth["ntlmDomain"]}
    return {"enabled": True, "host": proxy["host"], "port": str(proxy["port"]), "authInfo": view}


def put_settings(state: NexusState, req: Request) -> Response:
    body = object_body(req.json())
    timeout, retries = read(body, "timeout", int), read(body, "retries", int)
    user_agent = read(body, "userAgent", str)
    hosts = read(body, "nonProxyHosts", list)
    proxies = {key: read(body, key, dict) for key in PROXIES}
    errors: Errors = []
    if timeout is not None and not 1 <= timeout <= 3600:
        errors.append(("PARAMETER timeout", "must be greater than or equal to 1" if timeout < 1
                       else "must be less than or equal to 3600"))
    if retries is not None and not 0 <= retries <= 10:
        errors.append(("PARAMETER retries", "must be greater than or equal to 0" if retries < 0
                       else "must be less than or equal to 10"))
    if hosts is not None and not all(_valid_non_proxy_host(h) for h in hosts):
        errors.append(("PARAMETER nonProxyHosts", NON_PROXY_MESSAGE))
    parsed = {key: _proxy(key, proxies[key], errors) for key in PROXIES}
    raise_if(errors)
    with state.lock:
        stored = state.http_settings
        for key in PROXIES:
            previous = (stored[key] or {}).get("authInfo") or {}
            new = parsed[key]
            if new is not None and new["authInfo"] is not None:
                new["authInfo"]["password"] = kept_secret(new["authInfo"]["password"],
                                                          previous.get("password"))
            stored[key] = new
        stored.update({"userAgent": None if blank(user_agent) else user_agent, "timeout": timeout,
                       "retries": retries,
                       "nonProxyHosts": list(dict.fromkeys(hosts)) if hosts is not None else None})
    return Response.empty(204)


def _proxy(key: str, body: Optional[dict[str, Any]], errors: Errors) -> Optional[dict[str, Any]]:
    """The stored proxy, or None when it is absent or disabled (Nexus keeps no disabled proxy)."""
    if body is None:
        return None
    enabled = read(body, "enabled", bool, key)
    host, port = read(body, "host", str, key), read(body, "port", str, key)
    auth = read(body, "authInfo", dict, key)
    if not enabled:
        return None
    if blank(host):
        errors.append((f"PARAMETER {key}.host", "must not be blank"))
    elif not HOSTNAME.match(host.strip()):
        errors.append((f"PARAMETER {key}.host", HOSTNAME_MESSAGE))
    port_problems = port_errors(port, f"PARAMETER {key}.port")
    errors.extend(port_problems)
    return {"host": (host or "").strip(), "port": None if port_problems else int(port),
            "authInfo": _auth(f"{key}.authInfo", auth)}


def _auth(path: str, body: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    if body is None or not read(body, "enabled", bool, path):
        return None
    ntlm_host, ntlm_domain = read(body, "ntlmHost", str, path), read(body, "ntlmDomain", str, path)
    ntlm = not (blank(ntlm_host) and blank(ntlm_domain))
    return {"username": read(body, "username", str, path),
            "password": read(body, "password", str, path),
            "ntlmHost": ntlm_host if ntlm else None, "ntlmDomain": ntlm_domain if ntlm else None}


def _valid_non_proxy_host(value: str) -> bool:
    """NonProxyHostsValidator: non-blank, no '|', letters/digits/-_.:[] with an optional leading
    or trailing '*'."""
    if blank(value) or "|" in value:
        return False
    core = value[1:] if value.startswith("*") else value
    core = core[:-1] if core.endswith("*") else core
    return bool(core) and all(c.isalnum() or c in "-_.:[]" for c in core)


def reset_settings(state: NexusState, req: Request) -> Response:
    with state.lock:
        seed(state)
    return Response.empty(204)
