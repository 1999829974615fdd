"""User tokens (`security.userTokens`; `/v1/security/user-tokens`, Pro): whether users log in to
repositories with generated tokens, whether content requires one, and when tokens expire.

Expiration arrived in 3.77: an older Pro release neither takes nor answers it, so those fields
are carried from the config there (never drift) and refused when the config sets them. Removing
the section turns user tokens off; it never invalidates issued tokens (DELETE would).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ..client import NexusClient, ServerInfo
from ..kind import Found
from ..problems import Problem, ServerFacts, Values
from ..provider import Spec, compact
from ..resource import NexusResource
from ..schema import Fragment
from ..answers import parse_version
from ..settings import Availability, SettingsProvider, section, settings_kind

SCHEMA = Fragment.beside(__file__)
PATH = "/v1/security/user-tokens"
AVAILABILITY = Availability("User tokens", PATH, pro=True)
EXPIRATION_SINCE = "3.77.0"
FIELDS = ("enabled", "protectContent")
EXPIRATION = ("expirationEnabled", "expirationDays")
CONFIG_PATH = ("security", "userTokens")


class UserTokensProvider(SettingsProvider):
    kind = "user token settings"
    resource_type = "nexus:UserTokens"
    path = PATH
    settings_id = "user-tokens"

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return {**{k: spec[k] for k in FIELDS + EXPIRATION}}

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        # Before 3.77 the expiration fields are not answered: the config's stand.
        return compact({k: doc[k] if k in doc else previous.get(k) for k in FIELDS + EXPIRATION})

    def body(self, spec: Spec) -> dict[str, Any]:
        return {k: spec[k] for k in FIELDS + EXPIRATION if k in spec}

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("PUT", PATH, {"enabled": False, "protectContent": False})


class UserTokens(NexusResource, provider=UserTokensProvider):
    """User token settings."""


def expiration_problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    settings = section(values, CONFIG_PATH) or {}
    if server is None or server.version >= parse_version(EXPIRATION_SINCE):
        return []
    return [Problem(f"security.userTokens.{k}", f"token expiration is only in Nexus 3.77 or later; this Nexus is "
                    f"{'.'.join(map(str, server.version))}: upgrade Nexus or remove it")
            for k in EXPIRATION if k in settings]


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    if not AVAILABILITY.on(info):
        return []
    current = UserTokensProvider().to_spec(client.get_json(PATH) or {}, {})
    if not current.get("enabled"):
        return [KIND.found("userTokens", None, "")]
    defaults = SCHEMA.with_defaults({})
    return [KIND.found("userTokens", {k: v for k, v in current.items() if v != defaults.get(k)}, "")]


# --- the kind -----------------------------------------------------------------------------------
KIND = settings_kind("user token settings", CONFIG_PATH, SCHEMA, UserTokens, AVAILABILITY, inventory, checks=(expiration_problems,))
