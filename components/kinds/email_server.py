"""Email server (`email`; `/v1/email`, every release and edition): the SMTP server Nexus sends
task alerts and password resets through.

The password is never answered (GET says null) and, unlike Nexus's other settings, a PUT
without it CLEARS the stored one (EmailManagerImpl.setConfiguration): every write sends the
config's password, and a config without one means the server has none. It is write-only:
diffed against the last applied value, a Pulumi secret. Sending a test mail is a check command
(`nexusctl email verify`), never part of `pulumi up`. Removing the section disables mail and
leaves the server's settings as they are.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..client import NexusClient, ServerInfo
from ..kind import Found
from ..provider import Spec, compact
from ..resource import NexusResource
from ..schema import Fragment
from ..settings import Availability, SettingsProvider, settings_kind

SCHEMA = Fragment.beside(__file__)
CONFIG_PATH = ('email',)
PATH = "/v1/email"
VERIFY_PATH = "/v1/email/verify"
AVAILABILITY = Availability("The email server settings", PATH)
FIELDS = ("enabled", "host", "port", "username", "fromAddress", "subjectPrefix", "startTlsEnabled",
          "startTlsRequired", "sslOnConnectEnabled", "sslServerIdentityCheckEnabled", "nexusTrustStoreEnabled")
FRESH = {"enabled": False, "host": "localhost", "port": 25, "fromAddress": "nexus@example.org"}  # a new server's


class EmailServerProvider(SettingsProvider):
    kind = "email server"
    resource_type = "nexus:EmailServer"
    path = PATH
    settings_id = "email"
    write_only = (("password",),)

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return compact({**{k: spec.get(k) for k in FIELDS}, "password": spec.get("password")})

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        # An empty username is stored (and answered) as "".
        return compact({k: (doc.get(k) or None) if k in ("username", "subjectPrefix") else doc.get(k)
                        for k in FIELDS})

    def body(self, spec: Spec) -> dict[str, Any]:
        return {**{k: spec.get(k) for k in FIELDS}, "password": spec.get("password")}

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        """Mail off; the host and addresses stay (DELETE would leave an empty configuration)."""
        current = client.get_json(PATH) or {}
        if current.get("host") and current.get("fromAddress") and current.get("port"):
            client.send("PUT", PATH, {**{k: current.get(k) for k in FIELDS}, "enabled": False,
                                      "password": spec.get("password")})


class EmailServer(NexusResource, provider=EmailServerProvider):
    """The SMTP settings; the password stays a Pulumi secret."""


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    """The settings unless they are a fresh server's (then left unmanaged)."""
    doc = client.get_json(PATH) or {}
    current = EmailServerProvider().to_spec(doc, {})
    if not current.get("host") or all(current.get(k) == v for k, v in FRESH.items()):
        return [KIND.found("email", None, "")]
    defaults = SCHEMA.with_defaults({"host": current["host"], "fromAddress": current["fromAddress"]})
    entry = {k: v for k, v in current.items() if v != defaults.get(k) or k in ("host", "fromAddress")}
    secrets = [("password", "password of the SMTP server, if it needs one: Nexus never tells")] \
        if current.get("username") else []
    return [KIND.found("email", entry, "", secrets)]


def verify(client: NexusClient, address: str) -> dict[str, Any]:
    """Nexus sends "Email configuration verification" to `address` with its stored settings:
    {success, reason}. A failure is 200 up to 3.93 and 400 from 3.94 (the 3.94.0 spec)."""
    response = client.request("POST", VERIFY_PATH, text_body=address, ok=(200, 400))
    assert response is not None
    answer = response.json() if response.content else {}
    if isinstance(answer, Mapping) and "success" in answer:
        return {"success": bool(answer["success"]), "reason": str(answer.get("reason") or "")}
    # A malformed address: [{"id": "*", "message": "..."}] or {"id", "message"}
    first = answer[0] if isinstance(answer, list) and answer else answer
    return {"success": False, "reason": str((first or {}).get("message", response.text)).strip('"')}


# --- the kind -----------------------------------------------------------------------------------
KIND = settings_kind("email server", CONFIG_PATH, SCHEMA, EmailServer, AVAILABILITY, inventory)
