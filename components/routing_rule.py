"""Routing rules: allow or block request paths on proxy repositories (allow/deny lists)."""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional
from urllib.parse import quote

import pulumi
import pulumi.dynamic

from .client import NexusClient
from .provider import NexusProvider, Spec, find_by_name, resource_options


class RoutingRuleProvider(NexusProvider):
    kind = "routing rule"

    def normalize(self, spec: Spec) -> Spec:
        return {"name": spec["name"], "description": spec.get("description", ""),
                "mode": spec.get("mode", "BLOCK"), "matchers": list(spec.get("matchers", [])),
                "adopt": bool(spec.get("adopt", False))}

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        found = []
        for i, matcher in enumerate(spec["matchers"]):
            try:
                re.compile(matcher)
            except re.error as exc:
                found.append((f"matchers[{i}]", f"{matcher!r} is not a valid regular expression: {exc}"))
        return found

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return find_by_name(client.cached_list("routing-rules", "/v1/routing-rules"), object_id)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return {"name": previous["name"], "description": doc.get("description") or "",
                "mode": doc.get("mode"), "matchers": list(doc.get("matchers") or [])}

    def body(self, spec: Spec) -> dict[str, Any]:
        return {k: spec[k] for k in ("name", "description", "mode", "matchers")}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", "/v1/routing-rules", self.body(spec), invalidates=("routing-rules",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        client.send("PUT", f"/v1/routing-rules/{quote(spec['name'], safe='')}", self.body(spec),
                    invalidates=("routing-rules",))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", f"/v1/routing-rules/{quote(spec['name'], safe='')}",
                    invalidates=("routing-rules",))


class RoutingRule(pulumi.dynamic.Resource, module="nexus", name="RoutingRule"):
    """A routing rule; proxies refer to it by name."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(RoutingRuleProvider(), resource_name, dict(spec), resource_options(opts))
