"""Provider classes as states written before the kinds table name them.

Until then dill pickled every provider by reference to its module path
(`components.blob_store.FileBlobStoreProvider`), and `refresh`, `destroy` and `up` unpickle the
provider a resource's state holds. Those module paths no longer exist, so `install` registers
one stand-in module per old path, which answers each old class name with the class that does
its job now. States written since pickle through `kinds.provider_for` and never need this.
"""
from __future__ import annotations

import sys
import types
from typing import Any

REPOSITORY_BASE = "(the base of every repository provider)"
# Old module (in the package) -> old class name -> the resource type whose provider replaces it.
LEGACY_PROVIDERS: dict[str, dict[str, str]] = {
    "anonymous": {"AnonymousAccessProvider": "nexus:AnonymousAccess"},
    "blob_store": {"FileBlobStoreProvider": "nexus:FileBlobStore", "S3BlobStoreProvider": "nexus:S3BlobStore"},
    "bootstrap": {"BootstrapProvider": "nexus:Bootstrap"},
    "cleanup_policy": {"CleanupPolicyProvider": "nexus:CleanupPolicy"},
    "content_selector": {"ContentSelectorProvider": "nexus:ContentSelector"},
    "deployment_check": {"DeploymentCheckProvider": "nexus:DeploymentCheck"},
    "docker_group": {"DockerGroupProvider": "nexus:DockerGroupRepository"},
    "docker_hosted": {"DockerHostedProvider": "nexus:DockerHostedRepository"},
    "docker_proxy": {"DockerProxyProvider": "nexus:DockerProxyRepository"},
    "docker_repository": {"DockerRepositoryProvider": REPOSITORY_BASE},
    "ldap": {"LdapOrderProvider": "nexus:LdapOrder", "LdapServerProvider": "nexus:LdapServer"},
    "privilege": {"PrivilegeProvider": "nexus:Privilege"},
    "realms": {"RealmsProvider": "nexus:Realms"},
    "role": {"RoleProvider": "nexus:Role"},
    "routing_rule": {"RoutingRuleProvider": "nexus:RoutingRule"},
    "task": {"CleanupServiceProvider": "nexus:CleanupService", "TaskProvider": "nexus:Task"},
    "tls": {"TlsMaterialProvider": "nexus:TlsMaterial"},
    "user": {"UserProvider": "nexus:User"},
    "webhook": {"WebhookProvider": "nexus:Webhook"},
}


class _LegacyModule(types.ModuleType):
    """Resolves an old class name on first use (unpickling), through the kinds table."""

    def __init__(self, name: str, classes: dict[str, str]) -> None:
        super().__init__(name, f"stand-in for {name}, which states written before the kinds table name")
        self._classes = classes

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        resource_type = self._classes.get(name)
        if resource_type is None:
            raise AttributeError(f"{self.__name__} has no {name} (no state ever named it)")
        if resource_type == REPOSITORY_BASE:
            from .kinds.repositories.providers import RepositoryProvider
            return RepositoryProvider
        from .kinds import provider_class
        return provider_class(resource_type)


def install(package: str) -> None:
    """Registers the stand-ins under `package` (the package's own name: also when installed as
    another one). Nothing is imported until an old state is unpickled."""
    for module, classes in LEGACY_PROVIDERS.items():
        sys.modules.setdefault(f"{package}.{module}", _LegacyModule(f"{package}.{module}", classes))
