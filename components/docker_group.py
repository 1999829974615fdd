"""Docker group repositories: one pull endpoint over hosted and proxies, members in order.

On Community Edition a group cannot take pushes (writableMember is Pro only), which is why
the reverse proxy sends writes to the hosted repository's connector.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import pulumi
import pulumi.dynamic

from .client import ServerInfo
from .docker_repository import DockerRepositoryProvider
from .provider import Spec, resource_options


class DockerGroupProvider(DockerRepositoryProvider):
    kind = "docker group repository"
    repo_type = "group"

    def normalize_specific(self, spec: Spec) -> Spec:
        return {"members": list(spec.get("members", [])), "writableMember": spec.get("writableMember")}

    def add_specific(self, body: dict[str, Any], spec: Spec, server: Optional[ServerInfo]) -> dict[str, Any]:
        body["group"] = {"memberNames": list(spec["members"])}
        if spec.get("writableMember"):
            body["group"]["writableMember"] = spec["writableMember"]
        return body

    def specific_from(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        group = doc.get("group") or {}
        return {"members": list(group.get("memberNames") or []),
                "writableMember": group.get("writableMember") or None}


class DockerGroupRepository(pulumi.dynamic.Resource, module="nexus", name="DockerGroupRepository"):
    """A docker group repository (one place to pull from)."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any], protect: bool = False,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(DockerGroupProvider(), resource_name, dict(spec),
                         resource_options(opts, protect=protect))
