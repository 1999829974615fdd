"""The ordered list of active security realms, as one resource.

Docker needs `DockerToken` for bearer tokens (anonymous pull, `docker login` with tokens).
Removing the resource puts Nexus back to its default list.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ..client import NexusClient, ServerInfo
from ..kind import Context, Found, Kind, Resources, after, list_fact
from ..problems import Problem, ServerFacts, Values
from ..provider import NexusProvider, Spec
from ..resource import NexusResource
from ..schema import Fragment

SCHEMA = Fragment.beside(__file__)
ACTIVE_PATH = "/v1/security/realms/active"
AVAILABLE_PATH = "/v1/security/realms/available"
FACT = "available_realms"  # realm ids this server offers (case-sensitive)
DEFAULT_REALMS = ["NexusAuthenticatingRealm"]  # Nexus's own list on a fresh server
REALMS_ID = "realms"
# Nexus 3.60 merged authorization into the authenticating realm and refuses the old id.
RETIRED_REALMS = {"NexusAuthorizingRealm": (3, 60, 0)}


def default_realms(info: ServerInfo) -> list[str]:
    """What a fresh Nexus of this release has active."""
    return DEFAULT_REALMS + ([] if info.at_least("3.60.0") else ["NexusAuthorizingRealm"])


class RealmsProvider(NexusProvider):
    kind = "active realms"
    resource_type = "nexus:Realms"
    replace_on = ()
    singleton = True

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return REALMS_ID

    def normalize(self, spec: Spec) -> Spec:
        return {"active": list(spec["active"])}

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        found = []
        if not spec["active"]:
            found.append(("active", "at least one realm must stay active (NexusAuthenticatingRealm)"))
        if len({r for r in spec["active"]}) != len(spec["active"]):
            found.append(("active", "a realm is listed twice"))
        return found

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return {"active": client.get_json(ACTIVE_PATH) or []}

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return {"active": list(doc["active"])}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("PUT", ACTIVE_PATH, spec["active"])

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        self.create_remote(client, spec)

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("PUT", ACTIVE_PATH, DEFAULT_REALMS)


class Realms(NexusResource, provider=RealmsProvider):
    """Active realms in order."""


# --- the kind -----------------------------------------------------------------------------------
def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    realms = (values.get("security") or {}).get("realms")
    if not realms or server is None:
        return []
    found = []
    available = server.names(FACT)
    for i, realm in enumerate(realms):
        retired = RETIRED_REALMS.get(realm)
        if retired and server.at_least(retired):
            found.append(Problem(f"security.realms[{i}]", f"{realm} is refused by Nexus since "
                                 f"{'.'.join(map(str, retired[:2]))} (its job is part of "
                                 "NexusAuthenticatingRealm); remove it"))
        elif available and realm not in available:
            found.append(Problem(f"security.realms[{i}]", f"unknown realm '{realm}'; this server offers: "
                                 f"{', '.join(sorted(available))}"))
    return found


def needs_server(values: Values) -> bool:
    return bool((values.get("security") or {}).get("realms"))  # checked against the server's list


def declare(ctx: Context) -> Resources:
    realms = ctx.cfg.get("security", {}).get("realms")
    return {REALMS_ID: Realms(REALMS_ID, {"active": realms}, opts=after(ctx.bootstrap))} if realms else {}


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    """The active list, unless it is the server's default (then left unmanaged)."""
    realms = list(client.get_json(ACTIVE_PATH) or [])
    return [KIND.found(REALMS_ID, realms if realms != default_realms(info) else None, "")]


KIND = Kind(
    name="active realms", config_path=("security", "realms"), schema=SCHEMA, resource_types=(Realms,),
    declare=declare, problems=problems, inventory=inventory, singleton=True,
    facts=(list_fact(FACT, AVAILABLE_PATH, "id", ignore_case=False),), needs_server=needs_server)
