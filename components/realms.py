"""The ordered list of active security realms, as one resource.

Docker needs `DockerToken` for bearer tokens (anonymous pull, `docker login` with tokens).
Removing the resource puts Nexus back to its default list.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import pulumi
import pulumi.dynamic

from .client import NexusClient
from .provider import NexusProvider, Spec, resource_options

DEFAULT_REALMS = ["NexusAuthenticatingRealm"]
REALMS_ID = "realms"
# Nexus 3.60 merged authorization into the authenticating realm and refuses the old id.
RETIRED_REALMS = {"NexusAuthorizingRealm": (3, 60, 0)}


class RealmsProvider(NexusProvider):
    kind = "active realms"
    replace_on = ()
    singleton = True

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return REALMS_ID

    def normalize(self, spec: Spec) -> Spec:
        return {"active": list(spec.get("active", DEFAULT_REALMS))}

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        found = []
        if not spec["active"]:
            found.append(("active", "at least one realm must stay active (NexusAuthenticatingRealm)"))
        if len({r for r in spec["active"]}) != len(spec["active"]):
            found.append(("active", "a realm is listed twice"))
        return found

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return {"active": client.get_json("/v1/security/realms/active") or []}

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return {"active": list(doc["active"])}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("PUT", "/v1/security/realms/active", spec["active"])

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        self.create_remote(client, spec)

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("PUT", "/v1/security/realms/active", DEFAULT_REALMS)


class Realms(pulumi.dynamic.Resource, module="nexus", name="Realms"):
    """Active realms in order."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(RealmsProvider(), resource_name, dict(spec), resource_options(opts))
