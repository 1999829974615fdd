"""IP allow list: `/v1/security/ip-allowlist` (settings), `/mode`, `/entries`, `/entries/{id}`,
`/entries/bulk`. Only the 3.94.0 spec has it; help.sonatype.com "IP Allow List" lists it for
Nexus Repository Pro (and Cloud), so it exists on Pro from 3.94 on.

From the 3.94.0 spec and that page: modes DISABLED (default), MONITOR, ENFORCE; entries are IPv4
or IPv6 addresses or CIDR ranges (entryType IPV4, IPV6, CIDR_IPV4, CIDR_IPV6) with an optional
description (<= 255 characters), at most 256 of them; adding an entry answers 201 with the entry,
a duplicate or one past the limit is a 409; updating answers 200, an unknown id 404; clearing all
entries needs `?confirm=true` (400 without); the settings report how many addresses the entries
cover. The emulator keeps a CIDR as sent after checking it, and does NOT enforce the list on its
own traffic (ENFORCE would have to know the client address, which tests all share as 127.0.0.1).
"""
from __future__ import annotations

import ipaddress
import uuid
from datetime import datetime, timezone
from typing import Any, Optional

from ..http import ApiError, Request, Response
from ..routing import Router
from ..state import NexusState
from ..validation import quoted
from .support import SPEC_3_94, available, blank, object_body, read

MODES = ("DISABLED", "MONITOR", "ENFORCE")
MAX_ENTRIES = 256
DESCRIPTION_MAX = 255


def register(router: Router, state: NexusState) -> None:
    gate = available(since=SPEC_3_94, pro=True)
    base = "/v1/security/ip-allowlist"
    for method, path, handler in (
            ("GET", base, get_settings), ("PUT", f"{base}/mode", put_mode),
            ("GET", f"{base}/entries", list_entries), ("POST", f"{base}/entries", add_entry),
            ("DELETE", f"{base}/entries", clear_entries),
            ("DELETE", f"{base}/entries/bulk", delete_entries),
            ("PUT", f"{base}/entries/{{id}}", update_entry)):
        router.add(method, path, handler, available=gate)
    state.seeders.append(seed)


def seed(state: NexusState) -> None:
    state.ip_allowlist.clear()
    state.ip_allowlist.update({"mode": "DISABLED", "entries": {}})


def _network(text: str) -> Optional[Any]:
    try:
        return ipaddress.ip_network(text.strip(), strict=True) if "/" in text else \
            ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _entry_type(value: Any) -> str:
    if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return f"CIDR_IPV{value.version}"
    return f"IPV{value.version}"


def get_settings(state: NexusState, req: Request) -> Response:
    with state.lock:
        entries = list(state.ip_allowlist["entries"].values())
        mode = state.ip_allowlist["mode"]
    covered = {4: 0, 6: 0}
    for entry in entries:
        value = _network(entry["entry"])
        covered[value.version] += value.num_addresses if hasattr(value, "num_addresses") else 1
    return Response.json({"mode": mode, "effectiveMode": mode, "featureEnabled": True,
                          "maxEntries": MAX_ENTRIES, "totalEntries": len(entries),
                          "ipv4AddressesCovered": covered[4], "ipv6AddressesCovered": covered[6]})


def put_mode(state: NexusState, req: Request) -> Response:
    body = object_body(req.json())
    mode = read(body, "mode", str)
    if mode not in MODES:
        raise quoted(400, f"Invalid mode: {mode}. Valid values are: {', '.join(MODES)}")
    with state.lock:
        state.ip_allowlist["mode"] = mode
    return Response.empty(204)


def list_entries(state: NexusState, req: Request) -> Response:
    try:
        page, size = int(req.arg("page") or 0), int(req.arg("pageSize") or 20)
    except ValueError:
        raise ApiError(404)  # JAX-RS: an unconvertible @QueryParam
    if page < 0 or size < 1:
        raise quoted(400, "Invalid pagination parameters")
    search = (req.arg("search") or "").lower()
    with state.lock:
        entries = [dict(e) for e in state.ip_allowlist["entries"].values()
                   if search in e["entry"].lower() or search in (e["description"] or "").lower()]
    pages = (len(entries) + size - 1) // size
    return Response.json({"entries": entries[page * size:(page + 1) * size], "page": page,
                          "pageSize": size, "totalEntries": len(entries), "totalPages": pages})


def _entry_values(req: Request) -> tuple[str, Any, Optional[str]]:
    body = object_body(req.json())
    text, description = read(body, "ipOrCidr", str), read(body, "description", str)
    if blank(text):
        raise ApiError.validation([("PARAMETER ipOrCidr", "must not be empty")])
    if description is not None and len(description) > DESCRIPTION_MAX:
        raise ApiError.validation([("PARAMETER description",
                                    f"size must be between 0 and {DESCRIPTION_MAX}")])
    value = _network(text)
    if value is None:
        raise quoted(400, f"Invalid IP address or CIDR notation: '{text}'")
    return text.strip(), value, description


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _duplicate(state: NexusState, text: str, own_id: Optional[str]) -> bool:
    return any(e["entry"] == text and e["id"] != own_id
               for e in state.ip_allowlist["entries"].values())


def add_entry(state: NexusState, req: Request) -> Response:
    text, value, description = _entry_values(req)
    with state.lock:
        entries = state.ip_allowlist["entries"]
        if _duplicate(state, text, None):
            raise quoted(409, f"Entry already exists: {text}")
        if len(entries) >= MAX_ENTRIES:
            raise quoted(409, f"The IP allow list already holds the maximum of {MAX_ENTRIES} "
                              "entries")
        now = _now()
        entry = {"id": str(uuid.uuid4()), "entry": text, "entryType": _entry_type(value),
                 "description": description, "createdAt": now, "createdBy": req.user,
                 "updatedAt": now, "updatedBy": req.user}
        entries[entry["id"]] = entry
        return Response.json(dict(entry), 201)


def update_entry(state: NexusState, req: Request) -> Response:
    text, value, description = _entry_values(req)
    with state.lock:
        entry = state.ip_allowlist["entries"].get(req.params["id"])
        if entry is None:
            raise quoted(404, f"Entry not found: {req.params['id']}")
        if _duplicate(state, text, entry["id"]):
            raise quoted(409, f"IP address already exists: {text}")
        entry.update({"entry": text, "entryType": _entry_type(value), "description": description,
                      "updatedAt": _now(), "updatedBy": req.user})
        return Response.json(dict(entry))


def clear_entries(state: NexusState, req: Request) -> Response:
    if (req.arg("confirm") or "").lower() != "true":
        raise quoted(400, "confirm=true query parameter is required to prevent accidental data "
                          "loss")
    with state.lock:
        state.ip_allowlist["entries"].clear()
    return Response.empty(204)


def delete_entries(state: NexusState, req: Request) -> Response:
    ids = req.json()
    if not isinstance(ids, list) or not ids:
        raise quoted(400, "Entry IDs list cannot be empty")
    with state.lock:
        entries = state.ip_allowlist["entries"]
        deleted = [i for i in ids if isinstance(i, str) and entries.pop(i, None) is not None]
    return Response.json({"deletedCount": len(deleted), "failedCount": len(ids) - len(deleted),
                          "failedIds": [i for i in ids if i not in deleted]})
