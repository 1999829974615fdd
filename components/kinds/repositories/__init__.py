"""Repositories: hosted (uploads land here), proxy (a cache of a remote) and group (one endpoint
over several), one provider class per format and type. Docker is the one format managed today
(components/kinds/repositories/docker.py); the generic parts (providers.py) and the checks
(checks.py) are shaped for the others.

Every repository of a run is read from one `/v1/repositorySettings` answer; groups are declared
after their members; `renamedFrom` becomes a Pulumi alias of the old name plus
`delete_before_replace`, since Nexus has no rename (the provider's diff replaces on `name`).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

import pulumi

from ...client import NexusClient, ServerInfo
from ...kind import Context, Fact, Found, Kind, Resources, after, config_entry, nested_first, referring
from ...problems import Values
from ...provider import INSTANCE
from .checks import (PORTS_FACT, REPOSITORIES_FACT, blob_store_of, problems, renamed_reference_problems,
                     server_repositories)
from .docker import FORMAT, PORT_FIELDS, RESOURCES
from .providers import LIST_PATH, SCHEMA, repository_path

__all__ = ["KIND", "SCHEMA", "blob_store_of", "server_repositories"]
GATED_FIELDS = ("pathEnabled", "writableMember", "subdomain")  # by release or edition
# Fields an adopted entry always writes out (the others only when they differ from the default).
REQUIRED = {"hosted": ("name",), "proxy": ("name", "remoteUrl"), "group": ("name", "members")}


def needs_server(values: Values) -> bool:
    """Gated fields, names 3.89+ refuses, and connector ports another repository may hold on the
    server (a rename without renamedFrom)."""
    repos = values.get("repositories") or []
    return (any(field in repo for repo in repos for field in GATED_FIELDS)
            or any(repo["name"] != repo["name"].lower() for repo in repos)
            or any(field in repo for repo in repos for field in (*PORT_FIELDS, "renamedFrom")))


def _kinds(client: NexusClient) -> dict[str, tuple[str, str]]:
    return {str(r.get("name", "")).lower(): (r.get("format", ""), r.get("type", ""))
            for r in client.cached_list("repositories", LIST_PATH)}


def _ports(client: NexusClient) -> dict[int, str]:
    return {port: str(r.get("name", "")) for r in client.cached_list("repositories", LIST_PATH)
            for port in ((r.get("docker") or {}).get("httpPort"), (r.get("docker") or {}).get("httpsPort"))
            if port is not None}


def declare(ctx: Context) -> Resources:
    """Groups after their members (nested groups included)."""
    out: Resources = {}
    ordered = nested_first(ctx.cfg.get("repositories", []), lambda repo: repo["name"].lower(),
                           lambda repo: [m.lower() for m in repo.get("members", [])])
    stores, rules, policies = ctx.of("blob store"), ctx.of("routing rule"), ctx.of("cleanup policy")
    for i, item in ordered:
        deps = [ctx.bootstrap, stores.get(blob_store_of(item).lower()),
                rules.get(str(item.get("routingRule", "")).lower())]
        deps += [policies.get(p.lower()) for p in item.get("cleanupPolicies", [])]
        members = {f"repository:{m}": out.get(m.lower()) for m in item.get("members", [])}
        deps += list(members.values())
        spec = referring(ctx.cfg.spec(("repositories", i),
                                      {k: v for k, v in item.items() if k not in ("type", "renamedFrom")}),
                         members)
        out[item["name"].lower()] = RESOURCES[item["type"]](
            item["name"], {**spec, INSTANCE: None}, protect=item.get("protect"),
            opts=pulumi.ResourceOptions.merge(after(*deps), renamed(item)))
    return out


def renamed(item: Mapping[str, Any]) -> Optional[pulumi.ResourceOptions]:
    """`renamedFrom: old`: the state's resource of the old name becomes this one (an alias), and
    as Nexus has no rename it is replaced with the old repository deleted first (its connector
    port and name are unique on the server)."""
    old = item.get("renamedFrom")
    if not old:
        return None
    return pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old)], delete_before_replace=True)


def references(values: Values) -> Iterable[tuple[tuple[str, ...], str, str]]:
    for repo in values.get("repositories") or []:
        by = f"repository {repo['name']}"
        yield ("blobStores",), blob_store_of(repo), by
        if repo.get("routingRule"):
            yield ("routingRules",), repo["routingRule"], by
        for policy in repo.get("cleanupPolicies") or []:
            yield ("cleanupPolicies",), policy, by
        for member in repo.get("members") or []:
            yield ("repositories",), member, by


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    """Every repository; those of formats this project does not manage yet are listed with why."""
    found = []
    for doc in client.get_json(LIST_PATH) or []:
        name, fmt, repo_type = str(doc["name"]), str(doc.get("format")), str(doc.get("type"))
        facets = {"group": repo_type == "group", "holds_data": repo_type == "hosted",
                  "format": doc.get("format"), "type": doc.get("type")}
        resource = RESOURCES.get(repo_type) if fmt == FORMAT else None
        if resource is None:
            found.append(KIND.found(name, None, repository_path(name), **facets,
                                    reason=f"a {fmt} {repo_type} repository; this project manages docker "
                                           "repositories only"))
            continue
        provider = resource.provider_class()
        entry = {"name": name, "type": repo_type,
                 **config_entry(provider, provider.to_spec(doc, {"name": name}), REQUIRED[repo_type])}
        secrets = [("authentication.password", "password of the remote registry")] \
            if (entry.get("authentication") or {}).get("type") else []
        found.append(KIND.found(name, entry, repository_path(name), secrets, **facets))
    return found


KIND = Kind(
    name="repository", slug="repository", config_path=("repositories",), schema=SCHEMA,
    resource_types=tuple(RESOURCES.values()), declare=declare, problems=problems, inventory=inventory,
    facts=(Fact(REPOSITORIES_FACT, _kinds), Fact(PORTS_FACT, _ports)), needs_server=needs_server,
    raw_problems=renamed_reference_problems, references=references,
    depends_on=("blob store", "cleanup policy", "routing rule"))
