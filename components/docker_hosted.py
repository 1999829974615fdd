"""Docker hosted repositories: where images are pushed. Protected by default (they hold data)."""
from __future__ import annotations

from typing import Any, Mapping, Optional

import pulumi
import pulumi.dynamic

from .client import ServerInfo
from .docker_repository import DockerRepositoryProvider
from .provider import Spec, resource_options


class DockerHostedProvider(DockerRepositoryProvider):
    kind = "docker hosted repository"
    repo_type = "hosted"

    def normalize_specific(self, spec: Spec) -> Spec:
        return {"writePolicy": spec.get("writePolicy", "ALLOW"),
                "latestPolicy": spec.get("latestPolicy"),
                "proprietaryComponents": spec.get("proprietaryComponents", False),
                "cleanupPolicies": list(spec.get("cleanupPolicies", []))}

    def add_specific(self, body: dict[str, Any], spec: Spec, server: Optional[ServerInfo]) -> dict[str, Any]:
        # The specs up to 3.93 enumerate allow|allow_once|deny; 3.94's documents ALLOW_ONCE.
        modern = server is None or server.at_least("3.94.0")
        body["storage"]["writePolicy"] = spec["writePolicy"] if modern else spec["writePolicy"].lower()
        if "latestPolicy" in spec:
            body["storage"]["latestPolicy"] = spec["latestPolicy"]
        body["cleanup"] = self.cleanup_body(spec)
        body["component"] = {"proprietaryComponents": spec["proprietaryComponents"]}
        return body

    def specific_from(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        storage = doc.get("storage") or {}
        latest = storage.get("latestPolicy")
        return {
            "writePolicy": str(storage.get("writePolicy", "")).upper() or None,
            # Some versions omit latestPolicy in GET: absent means "server default", not drift.
            "latestPolicy": latest if latest is not None else previous.get("latestPolicy"),
            "proprietaryComponents": bool((doc.get("component") or {}).get("proprietaryComponents", False)),
            "cleanupPolicies": self.cleanup_from(doc),
        }


class DockerHostedRepository(pulumi.dynamic.Resource, module="nexus", name="DockerHostedRepository"):
    """A docker hosted repository (push target)."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any], protect: bool = True,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(DockerHostedProvider(), resource_name, dict(spec),
                         resource_options(opts, protect=protect))
