"""Repositories: hosted (uploads land here), proxy (a cache of a remote) and group (one endpoint
over several) of every format the release offers, one provider class per format and type: docker's
written out (docker.py: its flat connector fields predate the other formats), the others made from
the official specs of the known releases (formats.py, generic.py). What all share is in
providers.py, the checks in checks.py and, against the detected release, release_checks.py.

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
from .docker import PORT_FIELDS
from .docker import RESOURCES as DOCKER_RESOURCES
from .formats import DOCKER, block_names, config_format, releases
from .generic import RESOURCES as FORMAT_RESOURCES
from .generic import FormatBlocks, adoptable
from .providers import LIST_PATH, SCHEMA, repository_path

__all__ = ["KIND", "RESOURCES", "SCHEMA", "blob_store_of", "server_repositories"]
# (format as the config names it, type) -> resource class: docker's and every other format's.
RESOURCES: dict[tuple[str, str], type] = {**{(DOCKER, t): r for t, r in DOCKER_RESOURCES.items()}, **FORMAT_RESOURCES}
GATED_FIELDS = ("pathEnabled", "writableMember", "subdomain")  # by release or edition
# Fields an adopted entry always writes out (the others only when they differ from the default).
REQUIRED = {"hosted": ("name",), "proxy": ("name", "remoteUrl"), "group": ("name", "members")}


def needs_server(values: Values) -> bool:
    """Gated fields, names 3.89+ refuses, connector ports another repository may hold on the
    server (a rename without renamedFrom), and every format but docker (what the release offers)."""
    repos = values.get("repositories") or []
    return (any(field in repo for repo in repos for field in GATED_FIELDS)
            or any(repo.get("format", DOCKER) != DOCKER for repo in repos)
            or any(repo["name"] != repo["name"].lower() for repo in repos)
            or any(field in repo for repo in repos for field in (*PORT_FIELDS, "renamedFrom")))


def _kinds(client: NexusClient) -> dict[str, tuple[str, str]]:
    return {str(r.get("name", "")).lower(): (r.get("format", ""), r.get("type", ""))
            for r in client.cached_list("repositories", LIST_PATH)}


def _ports(client: NexusClient) -> dict[int, str]:
    return {port: str(r.get("name", "")) for r in client.cached_list("repositories", LIST_PATH)
            for connector in (r.get("docker") or r.get("oci") or {},)  # one port space for both
            for port in (connector.get("httpPort"), connector.get("httpsPort"))
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
                                      {k: v for k, v in item.items() if k not in ("type", "format", "renamedFrom")}),
                         members)
        out[item["name"].lower()] = RESOURCES[(item.get("format", DOCKER), item["type"])](
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
    """Every repository of every format this program knows (one list read)."""
    found = []
    for doc in client.get_json(LIST_PATH) or []:
        name, fmt, repo_type = str(doc["name"]), config_format(str(doc.get("format"))), str(doc.get("type"))
        facets = {"group": repo_type == "group", "holds_data": repo_type == "hosted",
                  "format": doc.get("format"), "type": doc.get("type")}
        resource = RESOURCES.get((fmt, repo_type))
        if resource is None:
            found.append(KIND.found(name, None, repository_path(name), **facets,
                                    reason=f"a {fmt} {repo_type} repository; no Nexus release this program "
                                           "knows has that format and type"))
            continue
        provider = resource.provider_class()
        spec = adoptable(provider, doc, name) if isinstance(provider, FormatBlocks) else provider.to_spec(doc, {"name": name})
        entry = {"name": name, "type": repo_type, **({} if fmt == DOCKER else {"format": fmt}),
                 **config_entry(provider, spec, REQUIRED[repo_type])}
        found.append(KIND.found(name, entry, repository_path(name), entry_secrets(entry), **facets))
    return found


def entry_secrets(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The secrets an adopted entry needs and Nexus never answers."""
    secrets = [("authentication.password", "password of the remote repository")] \
        if (entry.get("authentication") or {}).get("type") else []
    fmt, repo_type = entry.get("format", DOCKER), entry["type"]
    for block in block_names(fmt, repo_type):
        if block.endswith("Signing") and (block in entry or any(api.block_required(fmt, repo_type, block)
                                                                 for api in releases() if api.offers(fmt, repo_type))):
            secrets.append((f"{block}.keypair", "the signing key pair (armored private key; Nexus never answers it)"))
            secrets.append((f"{block}.passphrase", "the signing key's passphrase, if it has one"))
    return secrets


KIND = Kind(
    name="repository", slug="repository", config_path=("repositories",), schema=SCHEMA,
    resource_types=tuple(RESOURCES.values()), declare=declare, problems=problems, inventory=inventory,
    facts=(Fact(REPOSITORIES_FACT, _kinds), Fact(PORTS_FACT, _ports)), needs_server=needs_server,
    raw_problems=renamed_reference_problems, references=references,
    depends_on=("blob store", "cleanup policy", "routing rule"))
