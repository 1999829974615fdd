"""Provider classes as states written before the kinds table name them.

Until then dill pickled every provider by reference to its module path
(`components.blob_store.FileBlobStoreProvider`), and `refresh`, `destroy` and `up` unpickle the
provider a resource's state holds. Those module paths no longer exist, so `install` registers
one stand-in module per old path, which answers each old class name with the class that does
its job now. States written since pickle through `kinds.provider_for` and never need this.

The same holds for the package's name: a state written by a checkout's program pickles
`components.kinds.provider_for`, and the installed package is `nexus_registry`. So when the
package runs under another name, `components` and its submodules are that package's modules
under a second name (`CheckoutName`, a finder consulted after every other one: a project's own
`components` package stays its own; only a submodule it does not have, such as
`components.kinds`, is answered from here). A stack moved from a clone to the installed package
keeps reading its state.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any, Optional, Sequence

CHECKOUT_PACKAGE = "components"  # the package's name in a checkout of the repository

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
    another one) and, installed, the checkout's name. Nothing is imported until an old state is
    unpickled."""
    for module, classes in LEGACY_PROVIDERS.items():
        sys.modules.setdefault(f"{package}.{module}", _LegacyModule(f"{package}.{module}", classes))
    if package != CHECKOUT_PACKAGE:
        answer_checkout_name(package)


class CheckoutName(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`components[.x]` as the already imported `<package>[.x]`: the same module objects under a
    second name (no second copy of any class). It sits first among the finders, since the path
    finder would load a second copy from the alias's `__path__`, and steps aside for a
    `components` (or a submodule of it) that another finder finds, unless it `claims` the name."""

    def __init__(self, package: str, claims: bool) -> None:
        self.package = package
        self.claims = claims

    def target(self, fullname: str) -> Optional[str]:
        if fullname == CHECKOUT_PACKAGE or fullname.startswith(CHECKOUT_PACKAGE + "."):
            return self.package + fullname[len(CHECKOUT_PACKAGE):]
        return None

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target: Optional[types.ModuleType] = None) -> Optional[importlib.machinery.ModuleSpec]:
        real = self.target(fullname)
        if real is None:
            return None
        ours = sys.modules.get(CHECKOUT_PACKAGE) is sys.modules.get(self.package)
        if not (self.claims or (ours and fullname != CHECKOUT_PACKAGE)) and self._found_elsewhere(fullname, path):
            return None
        module = sys.modules.get(real)  # the old module paths' stand-ins are there, without a spec
        if module is None:
            if importlib.util.find_spec(real) is None:
                return None
            module = importlib.import_module(real)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=hasattr(module, "__path__"))

    def _found_elsewhere(self, fullname: str, path: Optional[Sequence[str]]) -> bool:
        return any(finder.find_spec(fullname, path) is not None for finder in sys.meta_path
                   if finder is not self and hasattr(finder, "find_spec"))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return importlib.import_module(self.target(spec.name) or spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        """The module ran already, under its own name."""


def answer_checkout_name(package: str, claims: bool = False) -> None:
    """Lets `components.*` name `package`'s modules. A program's own `components` wins unless the
    caller `claims` the name (nexusctl, which runs no project code, imports the library by it)."""
    for finder in [f for f in sys.meta_path if isinstance(f, CheckoutName) and f.package == package]:
        if finder.claims or not claims:
            return
        sys.meta_path.remove(finder)
    sys.meta_path.insert(0, CheckoutName(package, claims))
