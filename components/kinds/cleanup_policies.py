"""Cleanup policies: which components a repository's cleanup task may remove.

Community Edition serves them only on the internal API the UI uses; Pro before 3.94 also on
the public `/v1/cleanup-policies`. The client probes once per run which one answers, and that
probe's list is the cache every policy reads from.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional
from urllib.parse import quote

from ..client import NexusClient, ServerInfo
from ..kind import Context, Fact, Found, Kind, Resources, after, config_entry
from ..problems import KnownNames, Problem, ServerFacts, Values, duplicate_name_problems
from ..provider import NexusProvider, Spec, compact, find_by_name
from ..regex_syntax import cleanup_regex_problem
from ..resource import NexusResource
from ..schema import Fragment

SCHEMA = Fragment.beside(__file__)
FACT = "cleanup_policies"  # lower-cased names of the server's policies
# config field -> API field
CRITERIA = {"lastDownloadedDays": "criteriaLastDownloaded",
            "lastBlobUpdatedDays": "criteriaLastBlobUpdated",
            "assetRegex": "criteriaAssetRegex",
            "releaseType": "criteriaReleaseType",
            "retain": "retain"}


def list_policies(client: NexusClient) -> list[dict[str, Any]]:
    """Every policy, read once per run from the endpoint this Nexus answers on."""
    return client.cached_list("cleanup-policies", client.cleanup_policy_base())


def known_policies(declared: list[Mapping[str, Any]], server: Optional[ServerFacts]) -> KnownNames:
    return KnownNames([p["name"] for p in declared], server, FACT)


class CleanupPolicyProvider(NexusProvider):
    kind = "cleanup policy"
    resource_type = "nexus:CleanupPolicy"

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        out = {"name": spec["name"], "format": spec["format"], "notes": spec["notes"], "adopt": bool(spec.get("adopt"))}
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
        return find_by_name(list_policies(client), object_id)

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


class CleanupPolicy(NexusResource, provider=CleanupPolicyProvider):
    """A cleanup policy (marks components; the retention tasks free the disk)."""


# --- the kind -----------------------------------------------------------------------------------
def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    """Unique names; assetRegex must pass Nexus's REST check (Lucene RegExp) and compile in
    Java (the run)."""
    policies = values.get("cleanupPolicies") or []
    return duplicate_name_problems("cleanupPolicies", policies) + [
        Problem(f"cleanupPolicies[{i}].assetRegex", f"{policy['assetRegex']!r} is not a valid regular "
                f"expression: {problem}")
        for i, policy in enumerate(policies) if policy.get("assetRegex")
        for problem in [cleanup_regex_problem(policy["assetRegex"])] if problem]


def needs_server(values: Values) -> bool:
    return any("retain" in policy for policy in values.get("cleanupPolicies") or [])  # Pro only


def declare(ctx: Context) -> Resources:
    return {item["name"].lower(): CleanupPolicy(item["name"], ctx.cfg.spec(("cleanupPolicies", i), item),
                                                opts=after(ctx.bootstrap))
            for i, item in enumerate(ctx.cfg.get("cleanupPolicies", []))}


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    provider = CleanupPolicyProvider()
    found = []
    for doc in list_policies(client):
        name = str(doc["name"])
        delete = provider._path(client, name)
        entry = config_entry(provider, provider.to_spec(doc, {"name": name}))
        found.append(KIND.found(name, entry, delete, format=doc.get("format")))
    return found


KIND = Kind(
    name="cleanup policy", slug="cleanupPolicy", config_path=("cleanupPolicies",), schema=SCHEMA,
    resource_types=(CleanupPolicy,), declare=declare, problems=problems, inventory=inventory,
    facts=(Fact(FACT, lambda client: frozenset(str(p.get("name", "")).lower()
                                                for p in client.get_json(client.cleanup_policy_base()) or [])),),
    needs_server=needs_server)
