"""IQ Server connection (`iq`; `/v1/iq`, Pro): Repository Firewall and component intelligence.

The password reads back as Nexus's placeholder ("" with PKI authentication): write-only, a
Pulumi secret. `failOpenModeEnabled` arrived in 3.77; an older Pro release does not answer it,
so there the config's value stands. Removing the section disables the connection (its
settings stay, as `POST /v1/iq/disable` leaves them).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ..client import NexusClient, NexusError, ServerInfo
from ..kind import Found
from ..problems import Problem, ServerFacts, Values
from ..provider import Spec, compact
from ..resource import NexusResource
from ..schema import Fragment
from ..answers import parse_version
from ..settings import Availability, SettingsProvider, missing_secret, section, settings_kind

SCHEMA = Fragment.beside(__file__)
CONFIG_PATH = ('iq',)
PATH = "/v1/iq"
AVAILABILITY = Availability("The IQ Server connection", PATH, pro=True)
FAIL_OPEN_SINCE = "3.77.0"
FIELDS = ("enabled", "showLink", "url", "authenticationType", "username", "useTrustStoreForUrl", "timeoutSeconds",
          "properties", "failOpenModeEnabled")


class IqServerProvider(SettingsProvider):
    kind = "IQ Server connection"
    resource_type = "nexus:IqServer"
    path = PATH
    settings_id = "iq"
    write_only = (("password",),)

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return compact({**{k: spec.get(k) for k in FIELDS}, "password": spec.get("password")})

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        current = {k: doc.get(k) for k in FIELDS}
        if "failOpenModeEnabled" not in doc:  # before 3.77
            current["failOpenModeEnabled"] = previous.get("failOpenModeEnabled")
        current["username"] = current["username"] or None
        return compact(current)

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        if spec["authenticationType"] == "USER" and not spec.get("password"):
            return [("password", "USER authentication needs the password")]
        return []

    def body(self, spec: Spec) -> dict[str, Any]:
        return {**{k: spec.get(k) for k in FIELDS}, "password": spec.get("password")}

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        try:
            client.send("POST", f"{PATH}/disable")
        except NexusError as err:
            if err.status != 400:  # 400: not configured, nothing to disable
                raise


class IqServer(NexusResource, provider=IqServerProvider):
    """The IQ Server connection; its password stays a Pulumi secret."""


def iq_problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    settings = SCHEMA.with_defaults(dict(section(values, CONFIG_PATH) or {}))
    found = [missing_secret("iq.password", "the IQ Server user's password")] \
        if settings["authenticationType"] == "USER" and not settings.get("password") else []
    return found + fail_open_problems(values, server)


def fail_open_problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    if server is None or server.version >= parse_version(FAIL_OPEN_SINCE) or \
            "failOpenModeEnabled" not in (section(values, ("iq",)) or {}):
        return []
    return [Problem("iq.failOpenModeEnabled", f"fail-open mode is only in Nexus 3.77 or later; this Nexus is "
                    f"{'.'.join(map(str, server.version))}: upgrade Nexus or remove it")]


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    if not AVAILABILITY.on(info):
        return []
    current = IqServerProvider().to_spec(client.get_json(PATH) or {}, {})
    if not current.get("url"):
        return [KIND.found("iq", None, "")]
    defaults = SCHEMA.with_defaults({})
    entry = {k: v for k, v in current.items() if v != defaults.get(k) or k == "url"}
    secrets = [("password", "IQ Server password")] if current.get("authenticationType", "USER") == "USER" else []
    return [KIND.found("iq", entry, "", secrets)]


# --- the kind -----------------------------------------------------------------------------------
KIND = settings_kind("IQ Server connection", CONFIG_PATH, SCHEMA, IqServer, AVAILABILITY, inventory, checks=(iq_problems,))
