"""Server facts for validation, fetched by the program only when the config needs them.

Most configs validate without asking Nexus anything. References to objects the config does
not declare (a blob store made by hand), version- or edition-gated fields and realm ids make
the program look at the server, and then only at the lists those checks read.
"""
from __future__ import annotations

from typing import Any, Optional

import pulumi

from .client import Connection, NexusClient, NexusError
from .config import MAPPED_FACTS, ServerFacts, StackConfig

GATED_FIELDS = ("pathEnabled", "writableMember", "subdomain")
# fact name -> REST list path and how to name its items
LISTS = {
    "blob_stores": ("/v1/blobstores", "name"),
    "routing_rules": ("/v1/routing-rules", "name"),
    "roles": ("/v1/security/roles", "id"),
    "privileges": ("/v1/security/privileges", "name"),
    "content_selectors": ("/v1/security/content-selectors", "name"),
    "available_realms": ("/v1/security/realms/available", "id"),
}


def needs_server(cfg: StackConfig) -> bool:
    """Checks that cannot be made from the config alone (asked only of a config whose shapes
    passed the schema)."""
    repos = cfg.get("repositories", [])
    policies = cfg.get("cleanupPolicies", [])
    security = cfg.get("security", {})
    stores = cfg.get("blobStores", [])
    return (any(field in repo for repo in repos for field in GATED_FIELDS)
            or any("expirationDays" in store for store in stores)  # gone from Nexus 3.79
            or any(repo["name"] != repo["name"].lower() for repo in repos)
            # a connector port another repository holds (a rename without renamedFrom)
            or any(field in repo for repo in repos for field in ("httpPort", "httpsPort", "renamedFrom"))
            or any("retain" in policy for policy in policies)
            or bool(security.get("realms") or security.get("anonymousPull"))
            # task templates and API, the capabilities API, references to server objects
            or any(cfg.get(key) for key in ("tasks", "retention", "webhooks")))


class LiveFacts(ServerFacts):
    """Facts read from a running Nexus, one list at a time, on first use."""

    def __init__(self, client: NexusClient, version: tuple[int, int, int], pro: bool) -> None:
        super().__init__(version, pro)
        self.client = client
        self.locked_out = False

    def load(self, name: str) -> Any:
        empty: Any = {} if name in MAPPED_FACTS else frozenset()
        if self.locked_out:
            return empty
        try:
            if name in MAPPED_FACTS:
                return repository_facts(self._list("repository_settings") or [])[name]
            if name == "repository_settings":  # every repository with its docker ports, one call
                return self.client.get_json("/v1/repositorySettings") or []
            if name == "cleanup_policies":
                found = self.client.get_json(self.client.cleanup_policy_base()) or []
                key = "name"
            else:
                path, key = LISTS[name]
                found = self.client.get_json(path) or []
        except NexusError as err:
            if err.status == 401:  # a first start: the bootstrap has not set the password yet
                self.locked_out = True
                pulumi.log.info("Nexus does not accept adminPassword yet (a first start, or a new password the "
                                "bootstrap applies in this run); references to objects outside the config "
                                "are checked after the bootstrap")
            else:
                pulumi.log.warn(f"cannot read {name.replace('_', ' ')} from Nexus for validation "
                                f"({err.message}); checked against the config only")
            return empty
        names = {str(item.get(key, "")) for item in found}
        # Realm ids are case-sensitive; object names are not.
        return frozenset(names if name == "available_realms" else {n.lower() for n in names})


def repository_facts(settings: list[dict[str, Any]]) -> dict[str, Any]:
    """The repository facts from one /v1/repositorySettings answer."""
    kinds = {str(r.get("name", "")).lower(): (r.get("format", ""), r.get("type", "")) for r in settings}
    ports = {port: str(r.get("name", "")) for r in settings
             for port in ((r.get("docker") or {}).get("httpPort"), (r.get("docker") or {}).get("httpsPort"))
             if port is not None}
    return {"repositories": kinds, "repository_ports": ports}


def server_facts(cfg: StackConfig) -> Optional[ServerFacts]:
    """What the server has, or None when it cannot be asked yet (not started yet)."""
    connection = Connection.from_settings({**cfg.nexus, "retries": 0, "timeoutSeconds": 10},
                                          cfg.get("adminPassword"), stack_tls=cfg.get("tls"))
    if connection.trust.waits_for_stack_ca:
        pulumi.log.info("server-side checks skipped: Nexus is trusted through the stack's generated CA "
                        "(nexus.tls.caFromStack), which only the resources know; they check on the server")
        return None
    client = NexusClient(connection)
    try:
        info = client.server()
    except NexusError as err:
        pulumi.log.warn(f"Nexus is not reachable for server-side checks ({err.message}); "
                        "they run again when it is")
        return None
    return LiveFacts(client, info.version, info.pro)
