"""Dynamic resources and their providers as the Pulumi state holds them.

Providers are pickled into every resource's state, and `refresh`, `destroy` and `up` read and
delete with the pickle the state holds. So a provider pickles as nothing but its resource type
name and a function of the kinds table that finds its class (`StableProvider.__reduce__`):
moving or renaming a class never breaks an existing stack again (components/legacy.py maps the
module paths that states written before this scheme hold).
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, ClassVar, Iterator, Mapping, Optional, Sequence

import pulumi
import pulumi.dynamic
from pulumi.dynamic import ResourceProvider

def type_token(resource_type: str) -> str:
    """The engine's full type of a dynamic resource: "nexus:Role" -> "pulumi-python:dynamic/nexus:Role"."""
    module, _, name = resource_type.partition(":")
    return f"pulumi-python:dynamic/{module}:{name}"


# --- stable pickles ----------------------------------------------------------------------------
Locator = Callable[[str], ResourceProvider]
_LOCATOR: Optional[Locator] = None


def use_locator(locate: Locator) -> None:
    """Set by the kinds table (components/kinds): the function a pickled provider calls, with its
    resource type name, to become a provider again."""
    global _LOCATOR
    _LOCATOR = locate


class StableProvider(ResourceProvider):
    """A dynamic provider that pickles by its resource type name (see the module docstring)."""

    # "nexus:DockerHostedRepository": the resource class's Pulumi type (module "nexus"), written
    # only here; the resource class takes it from its provider (ProvidedResource).
    resource_type: ClassVar[str] = ""

    def __reduce__(self) -> tuple[Locator, tuple[str], Optional[dict[str, Any]]]:
        """(locator, (type name,), instance state): providers have no state, but one that had
        would keep it."""
        if _LOCATOR is None or not self.resource_type:
            raise TypeError(f"{type(self).__name__} pickles through the kinds table: import the package's "
                            "`kinds` first and give the provider a resource_type")
        return _LOCATOR, (self.resource_type,), (dict(vars(self)) or None)


# --- the component declaring ------------------------------------------------------------------
# (options the resource was given, its type token and name when it is a dynamic resource) -> options to merge in
ChildOptions = Callable[[Optional[pulumi.ResourceOptions], Optional[tuple[str, str]]], pulumi.ResourceOptions]
_DECLARING: list[ChildOptions] = []


@contextlib.contextmanager
def children_of(options: ChildOptions) -> Iterator[None]:
    """While a component (components/registry.py) declares its resources, those declared without a
    parent (the kinds and the stand-up declare theirs as a stack's top-level resources) get
    `options(...)` merged in: the component as parent, its connection provider, the aliases of
    their URNs from before the component. Pulumi's transformations cannot change a parent."""
    _DECLARING.append(options)
    try:
        yield
    finally:
        _DECLARING.remove(options)


def as_child(opts: Optional[pulumi.ResourceOptions],
             dynamic: Optional[tuple[str, str]] = None) -> Optional[pulumi.ResourceOptions]:
    """`opts` with the declaring component's options, when one declares and `opts` names no parent;
    `dynamic`: (type token, name) of a dynamic resource."""
    if not _DECLARING or (opts is not None and opts.parent is not None):
        return opts
    return pulumi.ResourceOptions.merge(opts, _DECLARING[-1](opts, dynamic))


class ProvidedResource(pulumi.dynamic.Resource):
    """A dynamic resource whose Pulumi type is its provider's `resource_type`: declare it with
    `class X(ProvidedResource, provider=XProvider)`."""

    provider_class: ClassVar[type[StableProvider]]

    def __init__(self, provider: StableProvider, name: str, props: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(provider, name, dict(props), as_child(opts, (type_token(self.provider_class.resource_type), name)))

    def __init_subclass__(cls, provider: Optional[type[StableProvider]] = None, **kwargs: Any) -> None:
        if provider is not None:
            module, _, name = provider.resource_type.partition(":")
            kwargs.update(module=module, name=name)
            cls.provider_class = provider
        super().__init_subclass__(**kwargs)


class NexusResource(ProvidedResource):
    """A Nexus object; its inputs are the spec of one config entry (components/provider.py)."""

    protected: ClassVar[bool] = False  # created with Pulumi protect unless the config says otherwise
    secret_outputs: ClassVar[tuple[str, ...]] = ()  # outputs stored encrypted besides secret inputs

    def __init__(self, resource_name: str, spec: Mapping[str, Any], protect: Optional[bool] = None,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(self.provider_class(), resource_name, dict(spec),
                         resource_options(opts, protect=self.protected if protect is None else protect,
                                          secret_outputs=self.secret_outputs))


def resource_options(opts: Optional[pulumi.ResourceOptions], protect: bool = False,
                     secret_outputs: Sequence[str] = ()) -> pulumi.ResourceOptions:
    """Merges the caller's options with protection and extra secret outputs."""
    base = pulumi.ResourceOptions(protect=protect or None,
                                  additional_secret_outputs=list(secret_outputs) or None)
    return pulumi.ResourceOptions.merge(base, opts)
