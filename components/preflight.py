"""Server facts for validation, fetched by the program only when the config needs them.

Most configs validate without asking Nexus anything. References to objects the config does
not declare (a blob store made by hand), version- or edition-gated fields and realm ids make
the program look at the server, and then only at the lists those checks read: each kind says
when its checks need the server (`Kind.needs_server`) and which lists they read (`Kind.facts`).
"""
from __future__ import annotations

from typing import Any, Optional

import pulumi

from .client import Connection, NexusClient, NexusError
from .kind import Fact
from .kinds import KINDS
from .problems import ServerFacts, Values
from .stack_config import StackConfig

FACTS: dict[str, Fact] = {fact.name: fact for kind in KINDS for fact in kind.facts}


def needs_server(values: Values) -> bool:
    """Checks that cannot be made from the config alone (asked of a config, presets expanded,
    whose shapes passed the schema)."""
    return any(kind.needs_server(values) for kind in KINDS)


class LiveFacts(ServerFacts):
    """Facts read from a running Nexus, one list at a time, on first use."""

    def __init__(self, client: NexusClient, version: tuple[int, int, int], pro: bool) -> None:
        super().__init__(version, pro)
        self.client = client
        self.locked_out = False

    def load(self, name: str, empty: Any) -> Any:
        if self.locked_out:
            return empty
        try:
            return FACTS[name].read(self.client)
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
