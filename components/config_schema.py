"""The JSON Schema of the stack config, one document per top-level key, composed from where each
part lives: a kind's fragment beside its module (components/kinds/<kind>.schema.json), the other
sections in components/sections/<key>.schema.json. In a section's source, `{"fromKind": NAME}`
stands for that kind's fragment and `"enumFromKinds": "slug"` for the list of the kinds' slugs.

schemas/<key>.schema.json are these documents written out for editors, users and the docs
(`scripts/schemas.py`; tests/test_kinds.py fails when they are out of date): one source of truth
per field, and the validation here reads the composed documents, not those files.
"""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from jsonschema import Draft202012Validator

from .kinds import KINDS, kind
from .schema import FRAGMENT_SUFFIX, Fragment

DRAFT = "https://json-schema.org/draft/2020-12/schema"
PACKAGE_DIR = Path(__file__).resolve().parent
SCHEMA_DIR = PACKAGE_DIR.parent / "schemas"
# Sections that are not kinds, before and after the kinds' own keys (the order of messages).
BEFORE_KINDS = ("nexus", "adminPassword", "container", "tls", "reverseProxy")
AFTER_KINDS = ("retention", "unmanaged")
WIDTH = 118  # a JSON object or list that fits on one line of this width is written on one line


def _keys() -> tuple[str, ...]:
    kinds_keys = dict.fromkeys(k.config_path[0] for k in KINDS)
    return (*BEFORE_KINDS, *(k for k in kinds_keys if k not in BEFORE_KINDS + AFTER_KINDS), *AFTER_KINDS)


KEYS = _keys()  # every top-level config key


def _owner(key: str) -> Optional[Fragment]:
    """The fragment of the kind whose section is this whole key, if one is."""
    return next((k.schema for k in KINDS if k.config_path == (key,)), None)


@lru_cache(maxsize=None)
def document(key: str) -> dict[str, Any]:
    """The schema document of one top-level key."""
    fragment = _owner(key) or Fragment.section(key)
    defs: dict[str, Any] = dict(fragment.root.get("$defs", {}))
    body = _filled({k: v for k, v in fragment.root.items() if k != "$defs"}, defs)
    source = Path(PACKAGE_DIR.name) / Path(fragment.source).resolve().relative_to(PACKAGE_DIR)
    doc = {"$schema": DRAFT, "$id": f"{key}{FRAGMENT_SUFFIX}",
           "$comment": f"Generated from {source} by scripts/schemas.py: edit that file, not this one.",
           "title": key, **body}
    if defs:
        doc["$defs"] = defs
    return doc


def _filled(node: Any, defs: dict[str, Any]) -> Any:
    """`node` with the kinds' fragments and slugs put in, their `$defs` gathered into `defs`."""
    if isinstance(node, list):
        return [_filled(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"fromKind"}:
        root = kind(node["fromKind"]).schema.root
        for name, definition in root.get("$defs", {}).items():
            if defs.setdefault(name, definition) != definition:
                raise ValueError(f"$defs/{name} of kind '{node['fromKind']}' differs from another part's")
        return copy.deepcopy({k: v for k, v in root.items() if k != "$defs"})
    out = {}
    for key, value in node.items():
        if key == "enumFromKinds":
            out["enum"] = [getattr(k, value) for k in KINDS if getattr(k, value)]
        else:
            out[key] = _filled(value, defs)
    return out


@lru_cache(maxsize=None)
def validator(key: str) -> Draft202012Validator:
    return Draft202012Validator(document(key))


def render(key: str) -> str:
    """The document as schemas/<key>.schema.json holds it."""
    return _json(document(key), 0) + "\n"


def stale(directory: Path = SCHEMA_DIR) -> list[str]:
    """Files of `directory` that differ from the composed documents (or are missing, or extra)."""
    wanted = {f"{key}{FRAGMENT_SUFFIX}": render(key) for key in KEYS}
    present = {p.name for p in directory.glob(f"*{FRAGMENT_SUFFIX}")}
    return sorted([name for name, text in wanted.items()
                   if not (directory / name).exists() or (directory / name).read_text() != text]
                  + [name for name in present if name not in wanted])


def write(directory: Path = SCHEMA_DIR) -> list[str]:
    """Writes every document (and removes files of keys that no longer exist); the names written."""
    changed = stale(directory)
    for name in changed:
        key = name[:-len(FRAGMENT_SUFFIX)]
        if key in KEYS:
            (directory / name).write_text(render(key))
        else:
            (directory / name).unlink()
    return changed


def _json(value: Any, indent: int, lead: int = 0) -> str:
    """Compact where it reads well: a container that fits the line (after `lead` characters of
    its key) stays on one line."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or not value or indent + lead + len(flat) <= WIDTH:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, list):
        items = [pad + _json(item, indent + 2) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    items = []
    for key, child in value.items():
        name = json.dumps(key, ensure_ascii=False) + ": "
        items.append(pad + name + _json(child, indent + 2, len(name)))
    return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"


__all__ = ["KEYS", "SCHEMA_DIR", "document", "render", "stale", "validator", "write"]
