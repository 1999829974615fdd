"""Atlassian Crowd (`security.crowd`; `/v1/security/atlassian-crowd`, Pro).

`realmActive` is the "Crowd" realm in Nexus's active realm list (a PUT adds or removes it), so
when the stack also manages `security.realms` the two must agree, or each run would undo the
other: the config check says so. The application password reads back as Nexus's placeholder:
write-only, a Pulumi secret. Removing the section turns Crowd off and takes its realm out.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ..client import NexusClient, ServerInfo
from ..kind import Found
from ..problems import Problem, ServerFacts, Values
from ..provider import Spec, compact
from ..resource import NexusResource
from ..schema import Fragment
from ..settings import Availability, PLACEHOLDER, SettingsProvider, missing_secret, section, settings_kind

SCHEMA = Fragment.beside(__file__)
PATH = "/v1/security/atlassian-crowd"
AVAILABILITY = Availability("Atlassian Crowd", PATH, pro=True)
CONFIG_PATH = ("security", "crowd")
CROWD_REALM = "Crowd"
FIELDS = ("enabled", "realmActive", "url", "applicationName", "timeout", "useTrustStoreForUrl")


class CrowdProvider(SettingsProvider):
    kind = "Atlassian Crowd settings"
    resource_type = "nexus:Crowd"
    path = PATH
    settings_id = "crowd"
    write_only = (("applicationPassword",),)

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return compact({**{k: spec.get(k) for k in FIELDS}, "applicationPassword": spec.get("applicationPassword")})

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return compact({k: doc.get(k) for k in FIELDS})

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        return [] if spec.get("applicationPassword") else [("applicationPassword", "the Crowd application password is required")]

    def body(self, spec: Spec) -> dict[str, Any]:
        return {**{k: spec.get(k) for k in FIELDS}, "applicationPassword": spec["applicationPassword"]}

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        """Off, realm out; the URL and application stay (3.94 requires them on every PUT)."""
        current = client.get_json(PATH) or {}
        client.send("PUT", PATH, {**{k: current.get(k) for k in FIELDS}, "enabled": False, "realmActive": False,
                                  "applicationPassword": PLACEHOLDER})


class Crowd(NexusResource, provider=CrowdProvider):
    """Atlassian Crowd; the application password stays a Pulumi secret."""


def realm_problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    crowd = SCHEMA.with_defaults(dict(section(values, CONFIG_PATH) or {}))
    missing = [] if crowd.get("applicationPassword") else \
        [missing_secret("security.crowd.applicationPassword", "the Crowd application's password")]
    realms = (values.get("security") or {}).get("realms")
    if realms is None or (CROWD_REALM in realms) == bool(crowd["realmActive"]):
        return missing
    if crowd["realmActive"]:
        return missing + [Problem("security.crowd.realmActive", "the Crowd realm is on here but security.realms leaves it "
                        "out, so each run would undo the other: add Crowd to security.realms or set realmActive: false")]
    return missing + [Problem("security.crowd.realmActive", "security.realms lists Crowd but realmActive is false, so each "
                    "run would undo the other: set realmActive: true or take Crowd out of security.realms")]


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    if not AVAILABILITY.on(info):
        return []
    current = CrowdProvider().to_spec(client.get_json(PATH) or {}, {})
    if not current.get("url"):
        return [KIND.found("crowd", None, "")]
    defaults = SCHEMA.with_defaults({})
    entry = {k: v for k, v in current.items() if v != defaults.get(k) or k in ("url", "applicationName")}
    return [KIND.found("crowd", entry, "", [("applicationPassword", "Crowd application password")])]


# --- the kind -----------------------------------------------------------------------------------
KIND = settings_kind("Atlassian Crowd settings", CONFIG_PATH, SCHEMA, Crowd, AVAILABILITY, inventory, checks=(realm_problems,), depends_on=("active realms",))
