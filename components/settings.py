"""What the server-wide settings kinds (components/kinds) share (outbound HTTP, email, SAML, user tokens, Crowd,
SSRF protection, IQ, the IP allow list): one object per Nexus, written with PUT, reset when the
resource goes, and offered only by some releases and editions.

`Availability` is the release/edition gate of one endpoint (docs/nexus-behaviour.md "Which
release and edition has which settings endpoint"): the config checks refuse a section the
server does not offer before anything is written, naming the release and edition found and what
to do; adopt and unmanaged skip what the server cannot answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

from .answers import parse_version
from .client import NexusClient, ServerInfo
from .kind import Context, Found, Kind, Resources, after
from .problems import Problem, ServerFacts, Values
from .provider import NexusProvider, Spec
from .resource import NexusResource
from .schema import Fragment

# What Nexus answers for a stored password, and what a client sends back to keep it
# (sonatype/nexus-public PasswordPlaceholder).
PLACEHOLDER = "#~NXRM~PLACEHOLDER~PASSWORD~#"


@dataclass(frozen=True)
class Availability:
    """Which releases and editions serve one endpoint."""

    what: str  # "the outbound HTTP settings"
    endpoint: str  # "/v1/http"
    since: Optional[str] = None  # first release ("3.77.0")
    pro: bool = False  # Pro only

    def offered(self, version: tuple[int, int, int], pro: bool) -> bool:
        return (self.since is None or version >= parse_version(self.since)) and (pro or not self.pro)

    def on(self, info: ServerInfo) -> bool:
        return self.offered(info.version, info.pro)

    def problems(self, at: str, server: Optional[ServerFacts]) -> list[Problem]:
        """The section at `at` refused when the server does not offer the endpoint."""
        if server is None or self.offered(server.version, server.pro):
            return []
        found = f"{'.'.join(map(str, server.version))} {'Pro' if server.pro else 'Community Edition'}"
        too_old = self.since is not None and server.version < parse_version(self.since)
        needs_pro = self.pro and not server.pro
        release = f" {self.since.removesuffix('.0')} or later" if self.since is not None and (too_old or self.pro) else ""
        fixes = (["upgrade Nexus"] if too_old else []) + \
            (["install a licence (the `license` key) and restart Nexus"] if needs_pro else [])
        fix = ", ".join(fixes)
        return [Problem(at, f"{self.what} ({self.endpoint}) is only in Nexus{' Pro' if self.pro else ''}{release}; "
                            f"this Nexus is {found}. {fix[:1].upper()}{fix[1:]}, or remove `{at}` from the config")]


def section(values: Values, path: tuple[str, ...]) -> Optional[Mapping[str, Any]]:
    node: Any = values
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


class SettingsProvider(NexusProvider):
    """One settings object per Nexus, read with GET and written with PUT at `path`."""

    replace_on = ()
    singleton = True
    path: str = ""
    settings_id: str = ""

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return self.settings_id

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return client.get_json(self.path, missing_ok=True)

    def body(self, spec: Spec) -> dict[str, Any]:
        raise NotImplementedError

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("PUT", self.path, self.body(spec))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        self.create_remote(client, spec)


def declare_settings(ctx: Context, config_path: tuple[str, ...], resource: type[NexusResource]) -> Resources:
    """One resource when the section is set (its secrets as Pulumi secrets)."""
    settings = section(ctx.cfg.values, config_path)
    if settings is None:
        return {}
    provider = resource.provider_class
    assert issubclass(provider, SettingsProvider)
    return {provider.settings_id: resource(provider.settings_id, ctx.cfg.spec(config_path, settings),
                                           opts=after(ctx.bootstrap))}


def settings_kind(name: str, config_path: tuple[str, ...], schema: Fragment, resource: type[NexusResource],
                  availability: Availability, inventory: Callable[[NexusClient, ServerInfo], list[Found]],
                  checks: Sequence[Callable[[Values, Optional[ServerFacts]], list[Problem]]] = (),
                  depends_on: tuple[str, ...] = ()) -> Kind:
    """The KINDS row of one settings section: checked only when set, gated by release and edition
    first (the server is asked which it is only then), one resource when set."""
    def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
        if section(values, config_path) is None:
            return []
        return [*availability.problems(".".join(config_path), server),
                *(problem for check in checks for problem in check(values, server))]

    def declare(ctx: Context) -> Resources:
        return declare_settings(ctx, config_path, resource)

    def needs_server(values: Values) -> bool:
        return section(values, config_path) is not None and (availability.since is not None or availability.pro)

    return Kind(name=name, config_path=config_path, schema=schema, resource_types=(resource,), declare=declare,
                problems=problems, inventory=inventory, singleton=True, needs_server=needs_server,
                depends_on=depends_on)


def missing_secret(at: str, what: str) -> Problem:
    """A secret the section needs but the config lacks (the schema leaves it optional so that
    `nexusctl adopt` can write the section and list the secret to set)."""
    return Problem(at, f"missing: {what} (pulumi config set --secret --path '{at}' <value>)")
