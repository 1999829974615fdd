"""The IP allow list (`security.ipAllowlist`; `/v1/security/ip-allowlist`, 3.94 Pro): its mode and
its entries, as one resource.

Entries have server-generated ids; they are matched by address, so an update adds what is
missing, rewrites changed descriptions and removes (in one bulk call) what the config no longer
lists. Entries are compared as a set, sorted by address. Removing the section disables the list
and clears its entries.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Mapping, Optional
from urllib.parse import quote

from ..client import NexusClient, ServerInfo
from ..kind import Found
from ..problems import Problem, ServerFacts, Values
from ..provider import Spec, compact
from ..resource import NexusResource
from ..schema import Fragment
from ..settings import Availability, SettingsProvider, section, settings_kind

SCHEMA = Fragment.beside(__file__)
PATH = "/v1/security/ip-allowlist"
ENTRIES_PATH = f"{PATH}/entries"
AVAILABILITY = Availability("The IP allow list", PATH, since="3.94.0", pro=True)
CONFIG_PATH = ("security", "ipAllowlist")
PAGE_SIZE = 256  # the list's maximum: one page holds all


def _entries(items: Any) -> list[dict[str, Any]]:
    return sorted((compact({"ipOrCidr": str(e["ipOrCidr"]).strip(), "description": e.get("description") or None})
                   for e in items or []), key=lambda e: e["ipOrCidr"])


class IpAllowlistProvider(SettingsProvider):
    kind = "IP allow list"
    resource_type = "nexus:IpAllowlist"
    path = PATH
    settings_id = "ip-allowlist"

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return compact({"mode": spec["mode"], "entries": _entries(spec.get("entries")) or None})

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        settings = client.get_json(PATH) or {}
        return {"mode": settings.get("mode"), "entries": self.server_entries(client)}

    def server_entries(self, client: NexusClient) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page = 0
        while True:
            answer = client.get_json(f"{ENTRIES_PATH}?page={page}&pageSize={PAGE_SIZE}") or {}
            found += answer.get("entries") or []
            page += 1
            if page >= int(answer.get("totalPages") or 0):
                return found

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return compact({"mode": doc.get("mode"),
                        "entries": _entries({"ipOrCidr": e["entry"], "description": e.get("description")}
                                            for e in doc.get("entries") or []) or None})

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        self.update_remote(client, spec, {})

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        """Entries first, then the mode: ENFORCE never applies to a list still being written."""
        server = {e["entry"]: e for e in self.server_entries(client)}
        wanted = {e["ipOrCidr"]: e for e in spec.get("entries") or []}
        extra = [e["id"] for text, e in server.items() if text not in wanted]
        if extra:
            client.send("DELETE", f"{ENTRIES_PATH}/bulk", extra, ok=(200,))
        for text, entry in wanted.items():
            body = {"ipOrCidr": text, "description": entry.get("description")}
            if text not in server:
                client.send("POST", ENTRIES_PATH, body, ok=(201,))
            elif (server[text].get("description") or None) != entry.get("description"):
                client.send("PUT", f"{ENTRIES_PATH}/{quote(server[text]['id'], safe='')}", body, ok=(200,))
        client.send("PUT", f"{PATH}/mode", {"mode": spec["mode"]})

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("PUT", f"{PATH}/mode", {"mode": "DISABLED"})
        client.send("DELETE", f"{ENTRIES_PATH}?confirm=true")


class IpAllowlist(NexusResource, provider=IpAllowlistProvider):
    """The IP allow list: mode and entries."""


def entry_problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    """Nexus refuses addresses it cannot parse, ranges with host bits set, and duplicates."""
    settings = section(values, CONFIG_PATH) or {}
    found = [] if settings.get("mode") != "ENFORCE" or settings.get("entries") else [
        Problem("security.ipAllowlist.entries", "ENFORCE with no entries refuses every client, this stack's own "
                "calls included: list the addresses allowed (this stack's runner among them), or use MONITOR")]
    seen: dict[str, int] = {}
    for i, entry in enumerate(settings.get("entries") or []):
        at, text = f"security.ipAllowlist.entries[{i}].ipOrCidr", str(entry["ipOrCidr"]).strip()
        try:
            ipaddress.ip_network(text, strict=True) if "/" in text else ipaddress.ip_address(text)
        except ValueError:
            found.append(Problem(at, f"'{text}' is not an address or a CIDR range without host bits "
                                     "(e.g. 10.1.0.0/16, 192.168.1.5); Nexus refuses it"))
        first = seen.setdefault(text, i)
        if first != i:
            found.append(Problem(at, f"'{text}' is also entries[{first}]; list each address once"))
    return found


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    if not AVAILABILITY.on(info):
        return []
    current = IpAllowlistProvider().to_spec(IpAllowlistProvider().fetch(client, "ip-allowlist") or {}, {})
    if current["mode"] == "DISABLED" and not current.get("entries"):
        return [KIND.found("ipAllowlist", None, "")]
    return [KIND.found("ipAllowlist", {k: v for k, v in current.items() if v}, "")]


# --- the kind -----------------------------------------------------------------------------------
KIND = settings_kind("IP allow list", CONFIG_PATH, SCHEMA, IpAllowlist, AVAILABILITY, inventory, checks=(entry_problems,))
