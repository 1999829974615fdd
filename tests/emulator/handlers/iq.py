"""IQ Server / Repository Firewall connection: `GET/PUT /v1/iq`, `POST /v1/iq/enable`,
`/v1/iq/disable`, `/v1/iq/verify-connection`. In all three specs; a Pro feature
(help.sonatype.com "Nexus Repository 3 Pro Setup": the integration "require[s] Nexus Repository
Pro"), so on Community Edition the paths are unknown (404).

Behaviour (3.94.0 spec; sonatype/nexus-public CapabilityResource.filterProperties, since Nexus
keeps this connection as a capability): a fresh server is not configured (enabled=false, url
null, authenticationType USER); PUT answers 200 with the stored configuration; the password
reads back as the placeholder for USER authentication and "" for PKI, and a PUT that sends the
placeholder (or none) keeps it; url is required (an http(s) URL) and timeoutSeconds is 1-3600;
failOpenModeEnabled exists from 3.77 (3.86.2 spec). enable/disable answer 204, or 400 while no
URL is configured. verify-connection answers 200 {success, reason}: the emulator reports success
when the IQ URL accepts a TCP connection (it does not speak IQ's REST protocol).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..http import Request, Response
from ..routing import Router
from ..state import NexusState
from ..validation import Errors, quoted, raise_if
from .support import (PLACEHOLDER, SPEC_3_86, available, blank, kept_secret, object_body,
                      read, unreachable)

AUTH_TYPES = ("USER", "PKI")
NOT_CONFIGURED = "Sonatype Repository Firewall connection not configured"


def register(router: Router, state: NexusState) -> None:
    pro = available(pro=True)
    router.add("GET", "/v1/iq", get_connection, available=pro)
    router.add("PUT", "/v1/iq", put_connection, available=pro)
    router.add("POST", "/v1/iq/enable", enable, available=pro)
    router.add("POST", "/v1/iq/disable", disable, available=pro)
    router.add("POST", "/v1/iq/verify-connection", verify_connection, available=pro)
    state.seeders.append(seed)


def seed(state: NexusState) -> None:
    state.iq.clear()
    state.iq.update({"enabled": False, "showLink": False, "url": None,
                     "authenticationType": "USER", "username": None, "password": None,
                     "useTrustStoreForUrl": False, "timeoutSeconds": None, "properties": None,
                     "failOpenModeEnabled": False})


def _view(state: NexusState) -> dict[str, Any]:
    view = dict(state.iq)
    if view["authenticationType"] == "PKI":
        view["password"] = ""
    elif view["password"]:
        view["password"] = PLACEHOLDER
    if not state.at_least(SPEC_3_86):
        view.pop("failOpenModeEnabled")
    return view


def get_connection(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json(_view(state))


def put_connection(state: NexusState, req: Request) -> Response:
    body = object_body(req.json())
    values: dict[str, Any] = {key: read(body, key, bool) for key in
                              ("enabled", "showLink", "useTrustStoreForUrl", "failOpenModeEnabled")}
    values.update({key: read(body, key, str) for key in
                   ("url", "authenticationType", "username", "password", "properties")})
    values["timeoutSeconds"] = read(body, "timeoutSeconds", int)
    errors: Errors = []
    if blank(values["url"]):
        errors.append(("PARAMETER url", "must not be empty"))
    elif urlsplit(values["url"]).scheme not in ("http", "https"):
        errors.append(("PARAMETER url", "must be an http:// or https:// URL"))
    auth = values["authenticationType"] or "USER"
    if auth not in AUTH_TYPES:
        errors.append(("PARAMETER authenticationType", f"must be one of {', '.join(AUTH_TYPES)}"))
    timeout = values["timeoutSeconds"]
    if timeout is not None and not 1 <= timeout <= 3600:
        errors.append(("PARAMETER timeoutSeconds", "must be greater than or equal to 1"
                       if timeout < 1 else "must be less than or equal to 3600"))
    raise_if(errors)
    with state.lock:
        values["authenticationType"] = auth
        values["password"] = None if auth == "PKI" else kept_secret(values["password"],
                                                                     state.iq.get("password"))
        for key in ("enabled", "showLink", "useTrustStoreForUrl", "failOpenModeEnabled"):
            values[key] = bool(values[key])
        state.iq.update(values)
        return Response.json(_view(state))


def _switch(state: NexusState, enabled: bool) -> Response:
    with state.lock:
        if blank(state.iq.get("url")):
            raise quoted(400, NOT_CONFIGURED)
        state.iq["enabled"] = enabled
    return Response.empty(204)


def enable(state: NexusState, req: Request) -> Response:
    return _switch(state, True)


def disable(state: NexusState, req: Request) -> Response:
    return _switch(state, False)


def verify_connection(state: NexusState, req: Request) -> Response:
    with state.lock:
        url = state.iq.get("url")
    if blank(url):
        return Response.json({"success": False, "reason": NOT_CONFIGURED, "applicationCount": 0})
    problem = unreachable(url)
    if problem is not None:
        return Response.json({"success": False, "applicationCount": 0,
                              "reason": f"Unable to connect to {url}: {problem}"})
    return Response.json({"success": True, "reason": "", "applicationCount": 0})
