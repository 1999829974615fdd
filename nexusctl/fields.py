"""Fields of Nexus objects as the commands show them: leaf paths, secrets masked, values kept short.

Shared by `drift` (fields read from the engine's diff text) and `review` (fields compared in the
inputs of a `preview --json`). Paths are written `negativeCache.timeToLive`, `members`,
`privileges[1]`; a list of plain values is one field (Nexus keeps such lists in order, and a
reviewer reads `[a, b] → [a, c]` better than index by index).
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterator, Mapping

MASK = "[secret]"
# Field names whose values are secrets wherever they appear (the engine already prints
# `[secret]` for values it knows as secret; this covers any that reach it in plain form).
SECRET_FIELDS = frozenset({"password", "adminPassword", "secretAccessKey", "sessionToken", "authPassword",
                           "secret", "keystorePassword", "keyPem", "keystoreBase64", "applicationPassword",
                           "accountKey", "credentialsJson", "fileBase64"})
# How `pulumi stack export` writes a secret: {SECRET_SIGNATURE_KEY: SECRET_SIGNATURE, "ciphertext": …}.
SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
# How `preview --json` writes a value only known after the apply (an output of another resource).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
MAX_VALUE = 120


def is_secret_path(path: str) -> bool:
    """Whether the field's name says it holds a secret."""
    return re.split(r"[.\[]", path)[-1] in SECRET_FIELDS


def is_masked(value: Any) -> bool:
    """A value the engine hides: `[secret]`, or a ciphertext object."""
    return value == MASK or (isinstance(value, Mapping) and SECRET_SIGNATURE_KEY in value)


def shown(path: str, value: Any) -> Any:
    """The value as a report may show it: masked when the engine masks it or the name says secret."""
    if value is None:
        return None
    return MASK if is_masked(value) or is_secret_path(path) else value


def show(value: Any) -> str:
    """A value in one short line: JSON, `(absent)`, or `(known after up)`."""
    if value is None:
        return "(absent)"
    if value == UNKNOWN:
        return "(known after up)"
    if value == MASK:
        return MASK
    text = json.dumps(value, separators=(", ", ": "), ensure_ascii=False)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 1] + "…"


def leaves(document: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every field: objects are walked, a list of objects index by index, a list
    of plain values (and a masked secret) is one field."""
    if isinstance(document, Mapping) and not is_masked(document):
        for key, value in document.items():
            yield from leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(document, list) and any(isinstance(v, (Mapping, list)) for v in document):
        for index, value in enumerate(document):
            yield from leaves(value, f"{path}[{index}]")
    else:
        yield path, MASK if is_masked(document) else document


def natural(path: str) -> list[Any]:
    """Sort key: `a[2]` before `a[10]`."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]


def list_change(before: Any, after: Any, shown_as: Callable[[Any], str] = show) -> str:
    """A change of a list of plain values in words: what left, what came, or a new order."""
    if not (isinstance(before, list) and isinstance(after, list)):
        return f"{shown_as(before)} → {shown_as(after)}"
    removed = [v for v in before if v not in after]
    added = [v for v in after if v not in before]
    parts = ([f"removed {', '.join(shown_as(v) for v in removed)}"] if removed else []) + \
        ([f"added {', '.join(shown_as(v) for v in added)}"] if added else [])
    if not parts or [v for v in before if v in after] != [v for v in after if v in before]:
        parts.append(f"order {shown_as(before)} → {shown_as(after)}")
    return "; ".join(parts)
