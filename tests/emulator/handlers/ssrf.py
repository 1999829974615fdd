"""SSRF protection (`/v1/security/ssrf-protection`) and the outbound-address check it drives.

Nexus refuses to reach private, loopback and link-local addresses from proxy repositories and
S3 blob store endpoints unless the protection is switched off or the address/domain is allowed.
The endpoint and the check arrived together; the terraform provider for Sonatype's own API
verified them on 3.92.0 (sonatype-nexus-community/terraform-provider-sonatyperepo#448), the
published 3.94.0 spec is the first of ours to document them.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Optional
from urllib.parse import urlsplit

from ..http import Request, Response
from ..routing import Router
from ..state import NexusState
from ..validation import check_body, raise_if

SINCE = "3.92.0"


def register(router: Router, state: NexusState) -> None:
    router.add("GET", "/v1/security/ssrf-protection", get_settings, auth="admin", available=_has_endpoint)
    router.add("PUT", "/v1/security/ssrf-protection", put_settings, auth="admin", available=_has_endpoint)


def _has_endpoint(state: NexusState) -> bool:
    """The endpoint (and the protection) exist from 3.92 on."""
    return state.at_least(SINCE)


def get_settings(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json(_settings(state))


def put_settings(state: NexusState, req: Request) -> Response:
    """Replaces the settings; the spec documents 200 (not 204), so the new settings come back."""
    body = req.json()
    errors = check_body(state, "SsrfProtectionConfigurationXO", body)
    ips = body.get("allowedIPs") or []
    domains = body.get("allowedDomains") or []
    for ip in ips:
        try:
            ipaddress.ip_network(str(ip), strict=False)
        except ValueError:
            errors.append(("allowedIPs", f"Invalid IP address: {ip}"))
    raise_if(errors)
    with state.lock:
        state.ssrf.clear()
        state.ssrf.update({"enabled": bool(body["enabled"]),
                           "allowedIPs": list(dict.fromkeys(str(i) for i in ips)),
                           "allowedDomains": list(dict.fromkeys(str(d).lower() for d in domains))})
        return Response.json(_settings(state))


def _settings(state: NexusState) -> dict[str, Any]:
    return {"enabled": state.ssrf.get("enabled", True),
            "allowedIPs": list(state.ssrf.get("allowedIPs", [])),
            "allowedDomains": list(state.ssrf.get("allowedDomains", []))}


def blocked_host(state: NexusState, url: Optional[str]) -> Optional[str]:
    """The host of `url` when SSRF protection forbids reaching it, else None. Names are not
    resolved (the emulator must not depend on DNS): only `localhost` names and literal
    addresses are judged, which covers how tests point proxies at local registries."""
    if not url or not state.at_least(SINCE):
        return None
    with state.lock:
        if not state.ssrf.get("enabled", True):
            return None
        allowed_ips = list(state.ssrf.get("allowedIPs", []))
        allowed_domains = [d.lower() for d in state.ssrf.get("allowedDomains", [])]
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return None
    if any(host == d or host.endswith("." + d) for d in allowed_domains):
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host if host == "localhost" or host.endswith(".localhost") else None
    for allowed in allowed_ips:
        try:
            if address in ipaddress.ip_network(allowed, strict=False):
                return None
        except ValueError:
            continue
    if (address.is_private or address.is_loopback or address.is_link_local
            or address.is_unspecified or address.is_reserved):
        return host
    return None


def outbound_errors(state: NexusState, url: Optional[str], error_id: str) -> list[tuple[str, str]]:
    """A validation error for `url` when SSRF protection refuses it (wording is the emulator's:
    no public source shows Nexus's message)."""
    host = blocked_host(state, url)
    if host is None:
        return []
    return [(error_id, f"The address of host '{host}' is private, loopback or link-local and is "
                       f"blocked by SSRF protection; allow it in the SSRF protection settings")]
