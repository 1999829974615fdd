"""Nexus registry as code: the client, the provider base, the kinds of Nexus objects (kinds/), the
stand-up (standup/) and the program (program.py, registry.py); docs/DESIGN.md has the layers.

The same files are the checkout's `components` package and the installed `nexus_registry`
(every import inside is relative). What a library user takes from here: `NexusRegistry` (a whole
Nexus as one component resource) and the resource classes of every kind, by class name
(`from nexus_registry import DockerHostedRepository`), loaded on first use so that a provider
process, which imports this package to unpickle its provider, loads no more than it needs.
"""
from typing import Any

from .legacy import install as _install_legacy_providers

__version__ = "0.1.0"  # the one source: pyproject.toml and `nexusctl --version` read it

_install_legacy_providers(__name__)  # states written before the kinds table, or from a checkout


def __getattr__(name: str) -> Any:
    """`NexusRegistry`, `connection_provider` and the resource classes, imported when first asked for."""
    if name in ("NexusRegistry", "connection_provider"):
        from . import registry
        return getattr(registry, name)
    if name[:1].isupper():  # never a submodule: `from . import trace` asks for those before importing them
        from .kinds import resource_classes
        found = {cls.__name__: cls for cls in resource_classes().values()}.get(name)
        if found is not None:
            return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
