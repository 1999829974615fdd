"""What Nexus answers, read in one place: its error shapes, the version in its `Server` header,
and the numbers it wants on the wire. Used by the client (components/client.py), which is the only
module that sends requests."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Optional

import requests

_SERVER_HEADER = re.compile(r"Nexus/(?P<version>[\d.]+)(?:-\d+)?\s*\((?P<edition>[A-Z]+)\)")


class NexusError(Exception):
    """A Nexus call that failed, with what Nexus said in any of its error shapes."""

    def __init__(self, method: str, path: str, status: int, message: str,
                 ids: Optional[list[str]] = None) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.ids = ids or []
        super().__init__(f"Nexus answered {status} to {method} {path}: {message}")

    @property
    def may_mean_exists(self) -> bool:
        """A refused create that may be Nexus saying "already exists": a duplicate is a 400 list
        or object on most endpoints, a 409 on some, and a bare 500 for users (nexus-public#1047:
        the DuplicateUserException escapes as `ERROR: (ID …)`), so a look at the server decides."""
        return self.method == "POST" and self.status in (400, 409, 500)


class NexusUnreachable(NexusError):
    """No HTTP answer at all (refused, unresolvable, reset, timed out, TLS refused)."""

    def __init__(self, method: str, path: str, status: int, message: str,
                 ids: Optional[list[str]] = None, kind: str = "other") -> None:
        super().__init__(method, path, status, message, ids)
        self.kind = kind  # "dns", "refused", "tls", "timeout", "reset" or "other"
        self.args = (f"{message} ({method} {path})",)


@dataclass(frozen=True)
class ServerInfo:
    version: tuple[int, int, int]
    edition: str  # "community" (OSS before 3.77) or "pro"
    source: str  # "header" or "hint"

    def at_least(self, version: str) -> bool:
        return self.version >= parse_version(version)

    @property
    def pro(self) -> bool:
        return self.edition == "pro"

    @property
    def label(self) -> str:
        return f"{'.'.join(map(str, self.version))} {self.edition}"


def parse_version(text: str) -> tuple[int, int, int]:
    parts = [int(p) for p in text.split("-")[0].split(".")[:3]]
    return tuple(parts + [0] * (3 - len(parts)))  # type: ignore[return-value]


def parse_server_header(header: Optional[str]) -> Optional[tuple[tuple[int, int, int], str]]:
    """`Nexus/3.86.0-01 (COMMUNITY)` -> ((3, 86, 0), "community"); OSS counts as community."""
    found = _SERVER_HEADER.search(header or "")
    if not found:
        return None
    edition = "pro" if found.group("edition") == "PRO" else "community"
    return parse_version(found.group("version")), edition


def error_message(response: requests.Response) -> tuple[str, list[str]]:
    """Reads every error shape Nexus uses: JSON list, JSON object, plain text, empty 401/403."""
    text = response.text.strip()
    if response.status_code == 401:
        return ("authentication failed (wrong user or password; the admin password may still be "
                "the first-start one — see the bootstrap settings)"), []
    if not text:
        if response.status_code == 403:
            return "forbidden: the user lacks the privilege for this call (or sent no credentials)", []
        return response.reason or "no details", []
    try:
        payload = json.loads(text)
    except ValueError:
        if text.startswith("ERROR: (ID"):
            return f"internal server error {text[7:]}; the details are only in the Nexus log", []
        if text.lstrip().startswith("<"):
            return f"{response.reason} (HTML page instead of JSON: is this URL the Nexus REST API?)", []
        return text, []
    if isinstance(payload, list):
        ids = [str(item.get("id", "")) for item in payload if isinstance(item, dict)]
        messages = [f"{item.get('id', '')}: {_unquote(item.get('message', ''))}".strip(": ")
                    for item in payload if isinstance(item, dict)]
        return "; ".join(messages) or text, ids
    if isinstance(payload, dict):
        message = payload.get("message") or payload.get("error") or text
        ident = payload.get("id")
        return _unquote(str(message)), [str(ident)] if ident else []
    return text, []


def wire_numbers(value: Any) -> Any:
    """Pulumi carries every number as a float64, so config's 30 reaches providers as 30.0;
    Nexus's integer fields (Long/Integer) want 30."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: wire_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire_numbers(v) for v in value]
    return value


def _unquote(message: Any) -> str:
    """Nexus 3.50+ wraps some messages in JSON quotes: '"Repository not found"'."""
    text = str(message)
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            return str(json.loads(text))
        except ValueError:
            return text[1:-1]
    return text
