"""Cleanup policies: which components a repository's cleanup task may remove.

Community Edition serves them only on the internal API the UI uses; Pro before 3.94 also on
the public `/v1/cleanup-policies`. The client probes once per run which one answers, and that
probe's list is the cache every policy reads from.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional
from urllib.parse import quote

import pulumi
import pulumi.dynamic

from .client import NexusClient
from .provider import NexusProvider, Spec, compact, find_by_name, resource_options

# config field -> API field
CRITERIA = {"lastDownloadedDays": "criteriaLastDownloaded",
            "lastBlobUpdatedDays": "criteriaLastBlobUpdated",
            "assetRegex": "criteriaAssetRegex",
            "releaseType": "criteriaReleaseType",
            "retain": "retain"}


class CleanupPolicyProvider(NexusProvider):
    kind = "cleanup policy"

    def normalize(self, spec: Spec) -> Spec:
        out = {"name": spec["name"], "format": spec.get("format", "docker"),
               "notes": spec.get("notes", ""), "adopt": bool(spec.get("adopt", False))}
        out.update({k: spec[k] for k in CRITERIA if spec.get(k) is not None})
        return out

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        if not any(k in spec for k in CRITERIA if k != "retain"):
            return [("lastDownloadedDays", "a cleanup policy needs at least one criterion "
                     "(lastDownloadedDays, lastBlobUpdatedDays, assetRegex or releaseType)")]
        return []

    def body(self, spec: Spec) -> dict[str, Any]:
        body = {"name": spec["name"], "format": spec["format"], "notes": spec["notes"]}
        body.update({api: spec[field] for field, api in CRITERIA.items() if spec.get(field) is not None})
        return body

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        base = client.cleanup_policy_base()
        return find_by_name(client.cached_list("cleanup-policies", base), object_id)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        out = {"name": previous["name"], "format": doc.get("format"), "notes": doc.get("notes") or ""}
        out.update({field: doc.get(api) for field, api in CRITERIA.items()})
        return compact(out)

    def _path(self, client: NexusClient, name: str) -> str:
        return f"{client.cleanup_policy_base()}/{quote(name, safe='')}"

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", client.cleanup_policy_base(), self.body(spec),
                    invalidates=("cleanup-policies",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        client.send("PUT", self._path(client, spec["name"]), self.body(spec),
                    invalidates=("cleanup-policies", "repositories"))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        # Nexus also drops the policy from every repository that named it.
        client.send("DELETE", self._path(client, spec["name"]),
                    invalidates=("cleanup-policies", "repositories"))


class CleanupPolicy(pulumi.dynamic.Resource, module="nexus", name="CleanupPolicy"):
    """A cleanup policy (marks components; the retention tasks free the disk)."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(CleanupPolicyProvider(), resource_name, dict(spec), resource_options(opts))
