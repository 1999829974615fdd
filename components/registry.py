"""NexusRegistry: a whole Nexus as one Pulumi component resource, the stack file's twin.

`NexusRegistry(name, config)` takes what a stack file holds — the same keys without the
`nexus-registry:` namespace, the same schema, secrets as Pulumi secrets — checks all of it the
same way (the same messages and config paths; nothing is registered while any of it is wrong)
and registers the same resources as its children: the stand-up (TLS material, container), the
bootstrap, every kind of the table, the reverse proxy's files and the deployment check. The
checkout's own program builds its stack through it as well, from the stack config
(`NexusRegistry("registry", program.stack_config())`): one code path.

Where the providers find Nexus. Every provider reads the connection (`nexus`, `adminPassword`,
`tls`) at call time from the config the engine hands it (`configure`), never from its pickle or
its inputs. Built from the stack config, that is the stack config itself: the engine hands all of
it to the default dynamic provider. A library user's config is the program's own dict, which the
engine never sees; so the component gives its children an explicit provider of the
dynamic-provider plugin (`connection_provider`) whose inputs are those three keys in the stack
config's shape (`nexus-registry:nexus` as JSON text, the password a secret). The engine encrypts
the secrets in the state, configures the providers with these inputs on `up` and `preview`, and
from the state on a refresh (the drift check), which runs no program. A new password is an update
of that provider, never a replacement of anything; the bootstrap rotates it as for a stack.

Secrets arrive as Pulumi outputs (`pulumi.Config().require_secret(...)`, `pulumi.Output.secret`),
whose values exist only once the engine resolved them, while the checks (the server's facts
among them) must pass before anything is registered: so a config holding outputs is built inside
one `apply` of all of them. Their values must be known when the program runs (config secrets and
literals are; an output of a resource created in the same run is not, and then a preview shows
none of the children).
"""
from __future__ import annotations

import json
from typing import Any, Iterator, Mapping, Optional, Sequence, Union

import pulumi

from . import program
from .kind import Context
from .resource import children_of
from .problems import Problem, format_path
from .stack_config import StackConfig, iter_secret_values
from .standup import build, outputs

TYPE = "nexus-registry:index:NexusRegistry"
PACKAGE = "nexus-registry"  # the namespace of the connection keys the providers read
DYNAMIC = "pulumi-python"  # the package of every dynamic resource, and of the plugin serving them
CONNECTION_KEYS = ("nexus", "adminPassword", "tls")
Path = tuple[Union[str, int], ...]


class NexusRegistry(pulumi.ComponentResource):
    """A Nexus configured from one config (see the module docstring).

    `exports` maps the stack outputs the checkout's program exports (nexusUrl, repositories, the
    docker client hints, ...) to their values; `outputs` is the same as one output, ready when
    everything is declared (`pulumi.export("nexus", registry.outputs)`)."""

    exports: dict[str, Any]
    outputs: pulumi.Output[dict[str, Any]]
    context: Optional[Context]  # what was declared, by kind (None until a config of outputs resolved)

    def __init__(self, name: str, config: Union[Mapping[str, Any], StackConfig],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        # The stack's own config is checked before even this component is registered.
        checked = program.validated(config) if isinstance(config, StackConfig) else None
        super().__init__(TYPE, name, None, opts)
        self.exports, self.context = {}, None
        self._provider: Optional[pulumi.ProviderResource] = None  # a library user's config: _checked
        # Built from the stack config, the engine configures the default providers with it, and
        # the resources of stacks deployed before this component keep their URNs (_child_options).
        self._from_stack = checked is not None
        if checked is not None:
            self.outputs = self._declare(checked)
        else:
            given = dict(config)
            found = list(_outputs(given))
            paths = [p for p, _ in found]
            if found:
                self.outputs = pulumi.Output.all(*(o for _, o in found)).apply(
                    lambda values: self._declare(self._checked(_with_values(given, paths, values), paths)))
            else:
                self.outputs = self._declare(self._checked(given, paths))
        self.register_outputs({"outputs": self.outputs})

    @classmethod
    def from_stack_config(cls, name: str = "registry", opts: Optional[pulumi.ResourceOptions] = None,
                          export: bool = True) -> "NexusRegistry":
        """The stack of the running program's own config (the project namespace's keys and the
        side files in stacks/<stack>/): the checkout's program, and a team's repository that
        holds only stack files (`nexusctl init`). `export`: its stack outputs too."""
        registry = cls(name, program.stack_config(), opts)
        if export:
            for key, value in registry.exports.items():  # nexusUrl, repositories, caCertPem, docker client hints
                pulumi.export(key, value)
        return registry

    # --- building ---------------------------------------------------------------------------
    def _checked(self, values: dict[str, Any], given_as_outputs: Sequence[Path]) -> StackConfig:
        """A library user's config, checked as a stack's is; its secrets must be Pulumi secrets."""
        outputs_at = set(given_as_outputs)
        plain = [Problem(format_path(path), "is a secret, but was given in plain text: pass it as a Pulumi secret "
                                           "(pulumi.Config().require_secret(...) or pulumi.Output.secret(...))")
                 for path, _ in iter_secret_values(values)
                 if not any(path[:n] in outputs_at for n in range(1, len(path) + 1))]
        # Every top-level key counts as set with --secret: the check above replaces the stack's.
        cfg = program.validated(StackConfig(values, frozenset(values), pulumi.get_stack()), plain)
        self._provider = connection_provider(f"{self._name}-connection", cfg, pulumi.ResourceOptions(parent=self))
        return cfg

    def _declare(self, cfg: StackConfig) -> pulumi.Output[dict[str, Any]]:
        """The stack's table of contents, for a checked config."""
        with children_of(self._child_options):
            nexus = build.stand_up(cfg)  # TLS material; the sonatype/nexus3 container when the config runs one
            self.context = program.declare(cfg, nexus.before_bootstrap, nexus.bootstrap_inputs, nexus.stack_ca_pem)
            # ^ the bootstrap, then every kind of components/kinds (KINDS) in dependency order
            nginx = build.reverse_proxy(cfg, nexus)  # one registry host name: pulls to the group, pushes to hosted
            build.deployment_check(cfg, nexus, self.context)  # fails the deployment when the docker path is broken
        self.exports.update(nexusUrl=cfg.nexus["url"],
                            repositories=sorted(r["name"] for r in cfg.get("repositories", [])))
        outputs.export_client_outputs(cfg, nexus, nginx, export=self.exports.__setitem__)
        return pulumi.Output.from_input(self.exports)

    def _child_options(self, opts: Optional[pulumi.ResourceOptions],
                       dynamic: Optional[tuple[str, str]]) -> pulumi.ResourceOptions:
        """What a resource declared while this component builds gets (resource.children_of): this
        parent; the explicit connection provider (a library user's config); and, built from the
        stack config, an alias to the URN it had when it was a child of the stack itself. A dynamic
        resource gets that URN as text: the SDK resolves an `Alias` object through several
        outputs, a measurable cost per resource in a stack of thousands; the container, whose
        children inherit its aliases, gets the `Alias`."""
        extra = pulumi.ResourceOptions(parent=self)
        if self._provider is not None and dynamic:
            extra.provider = self._provider
        if self._from_stack:
            own = [a.name for a in ((opts.aliases if opts else None) or [])
                   if isinstance(a, pulumi.Alias) and isinstance(a.name, str) and a.parent is ...]
            if dynamic:
                type_, name = dynamic
                extra.aliases = [_root_urn(type_, n) for n in (name, *own)]
            else:
                extra.aliases = [pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE),
                                 *(pulumi.Alias(name=n, parent=pulumi.ROOT_STACK_RESOURCE) for n in own)]
        return extra


def connection_provider(name: str, cfg: Union[StackConfig, Mapping[str, Any]],
                        opts: Optional[pulumi.ResourceOptions] = None) -> pulumi.ProviderResource:
    """The provider of the dynamic resources of one Nexus, configured with its connection: the
    `nexus`, `adminPassword` and `tls` keys of `cfg`, in the stack config's shape (what
    `connection.connection_from_raw_config` reads). Give it as `opts.provider` to resources
    composed by hand. A section holding a secret is stored as a secret as a whole."""
    values = cfg.values if isinstance(cfg, StackConfig) else cfg
    inputs: dict[str, Any] = {}
    for key in CONNECTION_KEYS:
        value = values.get(key)
        if value is None:
            continue
        text = value if isinstance(value, (str, pulumi.Output)) else json.dumps(value, sort_keys=True)
        secret = key == "adminPassword" or any(True for _ in iter_secret_values({key: value}))
        inputs[f"{PACKAGE}:{key}"] = pulumi.Output.secret(text) if secret else text
    return pulumi.ProviderResource(DYNAMIC, name, inputs, opts)


# --- aliases ----------------------------------------------------------------------------------
def _root_urn(type_: str, name: str) -> str:
    """The URN of a resource that is a child of the stack itself (no parent types in it)."""
    return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{name}"


# --- outputs inside a config -----------------------------------------------------------------
def _outputs(node: Any, path: Path = ()) -> Iterator[tuple[Path, pulumi.Output[Any]]]:
    """(config path, output) of every Pulumi output in a config."""
    if isinstance(node, pulumi.Output):
        yield path, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _outputs(value, (*path, key))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _outputs(value, (*path, i))


def _with_values(config: Mapping[str, Any], paths: Sequence[Path], values: Sequence[Any]) -> dict[str, Any]:
    """The config with each output at `paths` replaced by its resolved value."""
    by_path = dict(zip(paths, values))

    def walk(item: Any, at: Path) -> Any:
        if at in by_path:
            return by_path[at]
        if isinstance(item, Mapping):
            return {k: walk(v, (*at, k)) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(v, (*at, i)) for i, v in enumerate(item)]
        return item
    return walk(config, ())


__all__ = ["NexusRegistry", "connection_provider"]
