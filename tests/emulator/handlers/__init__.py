"""Handler modules, one per area of the REST API. Each exposes `register(router, state)`."""
from __future__ import annotations

from typing import Any

from ..routing import Router
from ..state import NexusState
from . import (blobstores, capabilities, cleanup_policies, content_selectors, ldap, privileges,
               realms, repositories, roles, routing_rules, ssrf, system, tasks, users)
from . import blobstores_cloud, email, http_settings, iq, ip_allowlist, license, security_pro, truststore

MODULES = (system, blobstores, cleanup_policies, repositories, routing_rules, realms, users, roles,
           privileges, content_selectors, ldap, ssrf, tasks, capabilities)
MODULES += (http_settings, email, truststore, blobstores_cloud, security_pro, ip_allowlist, iq, license)


def register_all(router: Router, state: NexusState) -> None:
    for module in MODULES:
        module.register(router, state)


def start_extensions(emulator: Any) -> list[Any]:
    """Side servers that live beside the REST API (the docker connectors); each has shutdown()."""
    from .. import connectors
    return [connectors.start(emulator)]
