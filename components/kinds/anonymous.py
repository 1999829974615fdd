"""Anonymous access: one of the four settings anonymous `docker pull` needs.

Removing the resource turns anonymous access off again.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ..client import NexusClient, ServerInfo
from ..kind import Context, Found, Kind, Resources, after
from ..problems import Problem, ServerFacts, Values
from ..provider import NexusProvider, Spec
from ..resource import NexusResource
from ..schema import Fragment

SCHEMA = Fragment.beside(__file__)
PATH = "/v1/security/anonymous"
ANONYMOUS_ID = "anonymous"
FIELDS = ("enabled", "userId", "realmName")
ALWAYS_INSTALLED_REALM = "NexusAuthorizingRealm"  # Nexus accepts it whatever the active realms are


class AnonymousAccessProvider(NexusProvider):
    kind = "anonymous access"
    resource_type = "nexus:AnonymousAccess"
    replace_on = ()
    singleton = True

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return ANONYMOUS_ID

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return {k: spec[k] for k in FIELDS}

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return client.get_json(PATH)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return {k: doc.get(k) for k in FIELDS}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("PUT", PATH, {k: spec[k] for k in FIELDS})

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        self.create_remote(client, spec)

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("PUT", PATH, {**{k: spec[k] for k in FIELDS}, "enabled": False})


class AnonymousAccess(NexusResource, provider=AnonymousAccessProvider):
    """Anonymous access on/off, its user and realm."""


# --- the kind -----------------------------------------------------------------------------------
def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    """Nexus refuses anonymous access through a realm it does not run (the active realms, plus
    NexusAuthorizingRealm which it always installs)."""
    security = values.get("security") or {}
    realm = (security.get("anonymous") or {}).get("realmName")
    active = security.get("realms")
    if not realm or active is None or realm == ALWAYS_INSTALLED_REALM or realm in active:
        return []
    return [Problem("security.anonymous.realmName", f"'{realm}' is not an active realm "
                    f"(security.realms: {', '.join(active)}); Nexus refuses it. Add it to "
                    "security.realms or leave realmName out (NexusAuthorizingRealm)")]


def declare(ctx: Context) -> Resources:
    settings = ctx.cfg.get("security", {}).get("anonymous")
    if not settings:
        return {}
    realms = ctx.of("active realms").get("realms")
    return {ANONYMOUS_ID: AnonymousAccess(ANONYMOUS_ID, dict(settings), opts=after(ctx.bootstrap, realms))}


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    """Only what differs from the defaults (None: the defaults, left unmanaged)."""
    doc = client.get_json(PATH) or {}
    defaults = SCHEMA.with_defaults({})
    changed = {k: doc[k] for k in FIELDS if k in doc and doc[k] != defaults[k]}
    return [KIND.found(ANONYMOUS_ID, changed or None, "")]


KIND = Kind(
    name="anonymous access", config_path=("security", "anonymous"), schema=SCHEMA,
    resource_types=(AnonymousAccess,), declare=declare, problems=problems, inventory=inventory,
    singleton=True, depends_on=("active realms",))
