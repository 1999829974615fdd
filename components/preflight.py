"""Server facts for validation, fetched by the program only when the config needs them.

Most configs validate without asking Nexus anything. Only references to objects that the
config does not declare (e.g. a blob store made by hand) or version/edition-gated fields make
the program look at the server, so a routine preview costs no extra HTTP calls.
"""
from __future__ import annotations

from typing import Any, Optional

import pulumi

from .client import Connection, NexusClient, NexusError
from .config import ServerFacts, StackConfig

GATED_FIELDS = ("pathEnabled", "writableMember", "subdomain")


def needs_server(cfg: StackConfig) -> bool:
    repos = cfg.get("repositories", [])
    policies = cfg.get("cleanupPolicies", [])
    return (any(field in repo for repo in repos for field in GATED_FIELDS)
            or any("retain" in policy for policy in policies))


def server_facts(cfg: StackConfig) -> Optional[ServerFacts]:
    """What the server has, or None when it cannot be asked yet (not started, first start)."""
    connection = Connection.from_settings({**cfg.nexus, "retries": 0, "timeoutSeconds": 10},
                                          cfg.get("adminPassword"))
    client = NexusClient(connection)
    try:
        info = client.server()
    except NexusError as err:
        pulumi.log.warn(f"Nexus is not reachable for server-side checks ({err.message}); "
                        "they run again when it is")
        return None
    try:
        stores = client.get_json("/v1/blobstores") or []
        repos = client.get_json("/v1/repositories") or []
        rules = client.get_json("/v1/routing-rules") or []
        policies = client.get_json(client.cleanup_policy_base()) or []
    except NexusError as err:
        pulumi.log.warn(f"cannot list objects on Nexus for validation ({err.message}); "
                        "references are checked against the config only")
        return ServerFacts(info.version, info.pro)
    return ServerFacts(
        info.version, info.pro,
        blob_stores=frozenset(_names(stores)), cleanup_policies=frozenset(_names(policies)),
        routing_rules=frozenset(_names(rules)),
        repositories={str(r["name"]).lower(): (r.get("format", ""), r.get("type", "")) for r in repos})


def _names(items: list[dict[str, Any]]) -> list[str]:
    return [str(item.get("name", "")).lower() for item in items]
