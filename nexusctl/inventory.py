"""What a live Nexus holds, as stack config entries: read by `nexusctl adopt` and `unmanaged`.

Each kind reads its own list endpoint (`Kind.inventory`, components/kinds). Each entry is the
shortest config that the object's provider normalizes back to exactly what the server answers
(a field is left out when its default gives the same value), so a generated file reads like a
hand-written stack. An object the config cannot declare comes with the reason instead of an
entry: built-ins are skipped altogether (the default blob store, read-only roles and
privileges, admin, the tasks Nexus makes itself while untouched); repositories of a format no
known release has and anything the config schema cannot express are listed with why.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components.client import NexusClient
from components.kind import Found, nest
from components.kinds import KINDS

__all__ = ["AUTOMATION_SECTIONS", "SECTIONS", "Found", "Inventory", "nest", "read_inventory"]
# Sections of the stack config that hold lists of objects, in the order they are written.
SECTIONS: tuple[tuple[str, ...], ...] = tuple(k.config_path for k in KINDS if not k.singleton and not k.automation)
# Read by adopt only: tasks and webhooks have server-generated ids (webhooks not even a name).
AUTOMATION_SECTIONS: tuple[tuple[str, ...], ...] = tuple(k.config_path for k in KINDS if k.automation)


@dataclass
class Inventory:
    """What a live Nexus holds, in config terms."""

    objects: list[Found] = field(default_factory=list)
    # One-per-server settings (realms, anonymous access) that differ from a fresh server's, by section.
    settings: dict[tuple[str, ...], Any] = field(default_factory=dict)
    # Their secrets Nexus never answers (path inside the section, what it is), by section.
    setting_secrets: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = field(default_factory=dict)
    version: tuple[int, int, int] = (0, 0, 0)
    pro: bool = False


def read_inventory(client: NexusClient, automation: bool = False) -> Inventory:
    """Every object the stack config can declare, with its config entry (NexusError when Nexus
    refuses or cannot be reached); with `automation`, scheduled tasks and webhooks too."""
    info = client.server()
    inventory = Inventory(version=info.version, pro=info.pro)
    for kind in KINDS:
        if kind.automation and not automation:
            continue
        found = kind.inventory(client, info)
        if kind.singleton:
            inventory.settings.update({f.section: f.item for f in found if f.item is not None})
            inventory.setting_secrets.update({f.section: f.secrets for f in found if f.item is not None and f.secrets})
        else:
            inventory.objects += found
    return inventory
