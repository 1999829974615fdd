"""SSRF protection (`security.ssrfProtection`; `/v1/security/ssrf-protection`, 3.92+): which
private addresses and domains Nexus may still reach from proxy repositories and S3 endpoints.

The endpoint and the check it drives arrived in 3.92 (docs/nexus-behaviour.md). Nexus stores
domains lower-cased; the lists are compared as sets in config order. Removing the section puts
the default back: protection on, nothing allowed.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Mapping, Optional

from ..client import NexusClient, ServerInfo
from ..kind import Found
from ..problems import Problem, ServerFacts, Values
from ..provider import Spec
from ..resource import NexusResource
from ..schema import Fragment
from ..settings import Availability, SettingsProvider, section, settings_kind

SCHEMA = Fragment.beside(__file__)
PATH = "/v1/security/ssrf-protection"
AVAILABILITY = Availability("SSRF protection settings", PATH, since="3.92.0")
CONFIG_PATH = ("security", "ssrfProtection")
DEFAULTS = {"enabled": True, "allowedIPs": [], "allowedDomains": []}


class SsrfProtectionProvider(SettingsProvider):
    kind = "SSRF protection settings"
    resource_type = "nexus:SsrfProtection"
    path = PATH
    settings_id = "ssrf-protection"

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return {"enabled": spec["enabled"], "allowedIPs": list(dict.fromkeys(spec["allowedIPs"])),
                "allowedDomains": list(dict.fromkeys(d.lower() for d in spec["allowedDomains"]))}

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        current = {"enabled": doc.get("enabled"), "allowedIPs": list(doc.get("allowedIPs") or []),
                   "allowedDomains": list(doc.get("allowedDomains") or [])}
        for key in ("allowedIPs", "allowedDomains"):  # the same set in the config's order is no change
            if sorted(current[key]) == sorted(previous.get(key) or []):
                current[key] = list(previous.get(key) or [])
        return current

    def body(self, spec: Spec) -> dict[str, Any]:
        return {k: spec[k] for k in DEFAULTS}

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("PUT", PATH, DEFAULTS)


class SsrfProtection(NexusResource, provider=SsrfProtectionProvider):
    """SSRF protection and its allow lists."""


def address_problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    found = []
    for i, value in enumerate((section(values, CONFIG_PATH) or {}).get("allowedIPs") or []):
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            found.append(Problem(f"security.ssrfProtection.allowedIPs[{i}]", f"'{value}' is not an IP address or "
                                 "CIDR range (e.g. 10.0.0.0/8, 192.168.1.5, fd00::/8); Nexus refuses it"))
    return found


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    if not AVAILABILITY.on(info):
        return []
    current = SsrfProtectionProvider().to_spec(client.get_json(PATH) or {}, {})
    entry = {k: v for k, v in current.items() if v != DEFAULTS[k]}
    return [KIND.found("ssrfProtection", entry or None, "")]


# --- the kind -----------------------------------------------------------------------------------
KIND = settings_kind("SSRF protection settings", CONFIG_PATH, SCHEMA, SsrfProtection, AVAILABILITY, inventory, checks=(address_problems,))
