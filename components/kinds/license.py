"""The licence (`license`; `/v1/system/license`): the .lic file, a Pulumi secret (base64 in the
config), installed with POST as `application/octet-stream`.

Nexus never answers the file, only its details; the licence is known by the fingerprint Nexus
answers when it installs it (kept in the state). So drift is a licence removed (Community
Edition 3.77+ answers 402 without one: the next `up` installs it again) or another one installed
(another fingerprint: the next `up` installs the config's again). Removing the section leaves
the installed licence in place: uninstalling it would turn a Pro server back into Community
Edition, which no command here does without being asked.
"""
from __future__ import annotations

import base64
import binascii
from typing import Any, Mapping, Optional

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, UpdateResult

from .. import client as nexus
from ..client import NexusClient, NexusError, ServerInfo
from ..kind import Found
from ..problems import Problem, ServerFacts, Values
from ..provider import Spec, strip_provider
from ..resource import NexusResource
from ..schema import Fragment
from ..answers import parse_version
from ..settings import Availability, SettingsProvider, section, settings_kind

SCHEMA = Fragment.beside(__file__)
CONFIG_PATH = ('license',)
PATH = "/v1/system/license"
UNIFIED_DISTRIBUTION = "3.77.0"  # from here on Community Edition takes a licence too
NO_LICENCE = 402  # Payment Required: no licence installed
ANOTHER = "another licence"  # what `file` reads as when the installed licence is not the stack's


class LicenseAvailability(Availability):
    """Pro of any release, and Community Edition from 3.77 on (one distribution)."""

    def offered(self, version: tuple[int, int, int], pro: bool) -> bool:
        return pro or version >= parse_version(UNIFIED_DISTRIBUTION)


AVAILABILITY = LicenseAvailability("Installing a licence", PATH, since=UNIFIED_DISTRIBUTION)


class LicenseProvider(SettingsProvider):
    kind = "licence"
    resource_type = "nexus:License"
    path = PATH
    settings_id = "license"

    def normalize(self, spec: Spec) -> Spec:
        return {"fileBase64": spec["fileBase64"]}

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        return [("fileBase64", message)] if (message := decode_problem(spec["fileBase64"])) else []

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        try:
            return client.get_json(PATH)
        except NexusError as err:
            if err.status == NO_LICENCE:
                return None
            raise

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        """The stack's file while the installed licence is the one it installed, else a marker
        naming the other licence (a change the next `up` undoes)."""
        ours = previous.get("fingerprint") and doc.get("fingerprint") == previous["fingerprint"]
        return {"fileBase64": previous["fileBase64"] if ours else f"{ANOTHER} ({doc.get('fingerprint')})",
                "fingerprint": doc.get("fingerprint")}

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """The file decides; the fingerprint is only an output."""
        old, new = strip_provider(olds), strip_provider(news)
        changed = any(old.get(k) != new.get(k) for k in ("fileBase64",))
        return DiffResult(changes=changed, replaces=[], stables=[], delete_before_replace=True)

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.request("POST", PATH, binary_body=base64.b64decode(spec["fileBase64"]), ok=(200,))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        self.create_remote(client, spec)

    def create(self, props: dict[str, Any]) -> CreateResult:
        result = super().create(props)
        return CreateResult(result.id, self._installed(result.outs or {}))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._installed(super().update(id_, olds, news).outs or {}))

    def _installed(self, outs: Mapping[str, Any]) -> dict[str, Any]:
        """The outputs with the fingerprint Nexus gives the licence now installed."""
        doc = self.fetch(nexus.for_run(), self.settings_id) or {}
        return {**strip_provider(outs), "fingerprint": doc.get("fingerprint")}

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        pulumi.log.info("the licence stays installed: uninstall it in Nexus (Administration → System → Licensing) "
                        "if that is what you want")


class License(NexusResource, provider=LicenseProvider):
    """The licence file (a Pulumi secret)."""

    secret_outputs = ("fileBase64",)


def decode_problem(text: Any) -> Optional[str]:
    if not isinstance(text, str):
        return None
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return "is not base64: give the .lic file as base64 -w0 nexus.lic prints it"
    return None if data else "is empty: give the .lic file as base64 -w0 nexus.lic prints it"


def file_problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    text = (section(values, ("license",)) or {}).get("fileBase64")
    message = decode_problem(text)
    return [Problem("license.fileBase64", message)] if message else []


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    """The licence cannot be read back as a file: adopt names it as a secret to set."""
    if not AVAILABILITY.on(info):
        return []
    doc = LicenseProvider().fetch(client, "license")
    if doc is None:
        return []
    return [KIND.found("license", None, "", reason=f"the installed licence ({doc.get('licenseType')}, "
                       f"fingerprint {doc.get('fingerprint')}) cannot be read back as a file: set "
                       "license.fileBase64 to manage it")]


# --- the kind -----------------------------------------------------------------------------------
KIND = settings_kind("licence", CONFIG_PATH, SCHEMA, License, AVAILABILITY, inventory, checks=(file_problems,))
