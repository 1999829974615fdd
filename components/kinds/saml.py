"""SAML single sign-on (`security.saml`; `/v1/security/saml`, Pro).

Nexus answers 404 until SAML is configured, so a configuration removed behind the stack's back
reads as gone and the next `up` writes it again. `entityId` left out of the config is Nexus's
own default (derived from the base URL) and not managed; so are the signature flags, which read
back null unless set. Removing the section deletes the SAML configuration.
"""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import Any, Mapping, Optional

from ..client import NexusClient, ServerInfo
from ..kind import Found
from ..problems import Problem, ServerFacts, Values
from ..provider import Spec, compact
from ..resource import NexusResource
from ..schema import Fragment
from ..settings import Availability, SettingsProvider, section, settings_kind

SCHEMA = Fragment.beside(__file__)
PATH = "/v1/security/saml"
AVAILABILITY = Availability("SAML", PATH, pro=True)
CONFIG_PATH = ("security", "saml")
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
FIELDS = ("idpMetadata", "entityId", "usernameAttribute", "firstNameAttribute", "lastNameAttribute",
          "emailAttribute", "groupsAttribute", "validateResponseSignature", "validateAssertionSignature")
OPTIONAL = ("entityId", "validateResponseSignature", "validateAssertionSignature")  # server defaults: managed when set


class SamlProvider(SettingsProvider):
    kind = "SAML settings"
    resource_type = "nexus:Saml"
    path = PATH
    settings_id = "saml"

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return compact({**{k: spec.get(k) for k in FIELDS}})

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return compact({k: doc.get(k) for k in FIELDS if k not in OPTIONAL or k in previous})

    def body(self, spec: Spec) -> dict[str, Any]:
        return {k: spec.get(k) for k in FIELDS}

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", PATH)


class Saml(NexusResource, provider=SamlProvider):
    """The SAML identity provider and attribute mapping."""


def metadata_problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    """Nexus refuses metadata that is not a SAML 2.0 identity provider's."""
    text = (section(values, CONFIG_PATH) or {}).get("idpMetadata")
    if not isinstance(text, str):
        return []
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        return [Problem("security.saml.idpMetadata", f"is not XML ({exc}); give the identity provider's metadata document")]
    if root.tag != f"{{{MD}}}EntityDescriptor" or root.find(f"{{{MD}}}IDPSSODescriptor") is None:
        return [Problem("security.saml.idpMetadata", "is not SAML 2.0 identity provider metadata (an "
                        "md:EntityDescriptor with an md:IDPSSODescriptor); download it from the identity provider")]
    return []


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    if not AVAILABILITY.on(info):
        return []
    doc = client.get_json(PATH, missing_ok=True)
    if doc is None:
        return []
    return [KIND.found("saml", SamlProvider().to_spec(doc, doc), "/v1/security/saml")]


# --- the kind -----------------------------------------------------------------------------------
KIND = settings_kind("SAML settings", CONFIG_PATH, SCHEMA, Saml, AVAILABILITY, inventory, checks=(metadata_problems,))
