"""Anonymous access: one of the four settings anonymous `docker pull` needs.

Removing the resource turns anonymous access off again.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import pulumi
import pulumi.dynamic

from .client import NexusClient
from .provider import NexusProvider, Spec, resource_options

ANONYMOUS_ID = "anonymous"
DEFAULTS = {"enabled": False, "userId": "anonymous", "realmName": "NexusAuthorizingRealm"}


class AnonymousAccessProvider(NexusProvider):
    kind = "anonymous access"
    replace_on = ()
    singleton = True

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return ANONYMOUS_ID

    def normalize(self, spec: Spec) -> Spec:
        return {k: spec.get(k, default) for k, default in DEFAULTS.items()}

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return client.get_json("/v1/security/anonymous")

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return {k: doc.get(k) for k in DEFAULTS}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("PUT", "/v1/security/anonymous", {k: spec[k] for k in DEFAULTS})

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        self.create_remote(client, spec)

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("PUT", "/v1/security/anonymous", {**{k: spec[k] for k in DEFAULTS}, "enabled": False})


class AnonymousAccess(pulumi.dynamic.Resource, module="nexus", name="AnonymousAccess"):
    """Anonymous access on/off, its user and realm."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(AnonymousAccessProvider(), resource_name, dict(spec), resource_options(opts))
