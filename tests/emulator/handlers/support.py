"""Helpers shared by the settings and security handlers (HTTP, email, trust store, users, roles,
privileges, Pro security, IQ, licence): release/edition gates, Jackson-like field reading, Nexus's
host/port/e-mail validators and the password placeholder. Not a handler module: it registers no
routes."""
from __future__ import annotations

import re
import socket
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from ..state import NexusState
from ..validation import Errors, unreadable

# What GET answers for a stored secret, and what a client sends back to keep it
# (sonatype/nexus-public PasswordPlaceholder, EmailManagerImpl, CapabilityResource).
PLACEHOLDER = "#~NXRM~PLACEHOLDER~PASSWORD~#"

# The emulator reads 3.77-3.93 with the 3.86.2 spec (validation.spec_version): an endpoint first
# documented there exists from 3.77, the first release shipped as one Community/Pro distribution.
SPEC_3_86 = "3.77.0"
SPEC_3_94 = "3.94.0"
# Community and Pro ship as one distribution from 3.77 on: a licence turns the former into the latter.
UNIFIED_DISTRIBUTION = "3.77.0"

# org.sonatype.nexus.validation.constraint.HostnameValidator.RFC_1123_HOST
_IPV4 = r"(([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\.){3}([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])"
HOSTNAME = re.compile(
    rf"^(({_IPV4})|(\[(?:[0-9a-fA-F]{{1,4}}:){{7}}[0-9a-fA-F]{{1,4}}\])|"
    r"(\[((?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?)::((?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?)\])|"
    r"(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]))"
    r"(:([0-9]+))?$")
HOSTNAME_MESSAGE = "Hostname must be valid"
PORT_MESSAGE = "Port-number must be >= 1 AND <= 65535."  # @PortNumber's bundle message
# Hibernate Validator's @Email, simplified: one @, a non-empty local part, a dotted-or-not domain.
EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?$")
EMAIL_MESSAGE = "must be a well-formed email address"


def available(since: Optional[str] = None, pro: bool = False) -> Callable[[NexusState], bool]:
    """A route predicate: the endpoint exists from release `since` on, and only on Pro when
    `pro`. Elsewhere it answers like an unknown path (404, or 405 where the path is taken)."""
    def check(state: NexusState) -> bool:
        return (since is None or state.at_least(since)) and (state.pro or not pro)
    return check


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read(body: dict[str, Any], key: str, kind: type, path: str = "") -> Any:
    """One property as Jackson binds it: scalars coerce into strings, "true"/"false" and numeric
    strings into booleans and numbers; anything else fails the whole request (plain-text 400)."""
    value = body.get(key)
    where = f"{path}.{key}" if path else key
    if value is None:
        return None
    if kind is str and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value if isinstance(value, str) else str(value)
    if kind is str and isinstance(value, bool):
        return "true" if value else "false"
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
    if kind is int and not isinstance(value, bool):
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
    if kind is list and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    if kind is dict and isinstance(value, dict):
        return value
    raise unreadable(f"Cannot deserialize value of type `{kind.__name__}` from {value!r} at {where}")


def object_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise unreadable(f"Cannot deserialize value from {type(body).__name__}")
    return body


def security_body(req: Any) -> dict[str, Any]:
    """The JSON object a security resource (users, roles, privileges, selectors, LDAP) binds."""
    body = req.json()
    if not isinstance(body, dict):
        raise unreadable("expected a JSON object")
    return body


def string_set(body: dict[str, Any], key: str) -> list[str]:
    """A JSON array of strings read into a Java Set: order kept, duplicates dropped."""
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise unreadable(f"'{key}' must be an array of strings")
    return list(dict.fromkeys(value))


def text(body: dict[str, Any], key: str) -> Optional[str]:
    """A String property: anything but a JSON string (or null) fails deserialization."""
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise unreadable(f"'{key}' must be a string")
    return value


def port_errors(value: Any, error_id: str) -> Errors:
    """@PortNumber on an Integer (or a numeric String the API model carries)."""
    try:
        port = int(str(value).strip())
    except ValueError:
        return [(error_id, PORT_MESSAGE)]
    return [] if 1 <= port <= 65535 else [(error_id, PORT_MESSAGE)]


def kept_secret(sent: Optional[str], stored: Optional[str]) -> Optional[str]:
    """A password in a settings PUT: the placeholder (or nothing) keeps the stored one."""
    if blank(sent) or sent == PLACEHOLDER:
        return stored
    return sent


def masked(secret: Optional[str]) -> Optional[str]:
    return PLACEHOLDER if secret else None


def unreachable(url: str, timeout: float = 5.0) -> Optional[str]:
    """Why `url`'s host and port accept no TCP connection, or None when they do. The emulator's
    "verify connection" calls stop here: it does not speak Crowd's or IQ's protocols."""
    target = urlsplit(url)
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        with socket.create_connection((target.hostname or "", port), timeout=timeout):
            return None
    except OSError as exc:
        return str(exc.strerror or exc)
