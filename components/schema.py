"""JSON Schema, the one place where config shapes and defaults live.

Every kind keeps the schema of its config entries in a JSON file beside its module (a
*fragment*, e.g. components/kinds/blob_stores.schema.json); schemas/<key>.schema.json are
composed from the fragments (components/config_schema.py). A provider's `normalize` fills the
defaults from its kind's fragment (`Fragment.with_defaults`), so a default is written once: in
the schema. Literal defaults are `default`; one that depends on another field of the entry is
`defaultTemplate` (e.g. "{userId}@example.invalid"), an annotation validators ignore.

Schema errors become problems that name the config path and, from the schema's descriptions,
the fix; the messages of secret fields never quote the value.
"""
from __future__ import annotations

import copy
import json
import re
import threading
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .problems import Problem, format_path
from .stack_config import is_secret_path

Schema = Mapping[str, Any]
FRAGMENT_SUFFIX = ".schema.json"
# The config sections that are not a kind of Nexus object (nexus, container, tls, ...), and the
# security section's own part (its presets, and where each security kind's entries go).
SECTIONS_DIR = Path(__file__).resolve().parent / "sections"


class Fragment:
    """The schema of one config section (a list of entries, or a singleton object) as a kind
    declares it, loaded from the JSON file beside the kind's module."""

    def __init__(self, root: Schema, source: str = "", entry: Optional[Schema] = None) -> None:
        self.root = root
        self.source = source
        # A list section's entries are its `items`; a singleton section is its own entry.
        self.entry: Schema = entry if entry is not None else (
            root.get("items", root) if root.get("type") == "array" else root)

    @classmethod
    def beside(cls, module_file: str, name: str = "") -> "Fragment":
        """The fragment named like the module (kinds/blob_stores.py -> kinds/blob_stores.schema.json),
        or `name`.schema.json in the module's folder."""
        module = Path(module_file)
        path = module.with_name((name or module.stem) + FRAGMENT_SUFFIX)
        return cls(json.loads(path.read_text()), str(path))

    @classmethod
    def section(cls, key: str) -> "Fragment":
        """The schema of a config section that is not a kind (components/sections/<key>.schema.json)."""
        path = SECTIONS_DIR / f"{key}{FRAGMENT_SUFFIX}"
        return cls(json.loads(path.read_text()), str(path))

    def at(self, *names: str) -> "Fragment":
        """The part of the entry at these property names (e.g. the `bootstrap` object of `nexus`)."""
        entry = self.entry
        for name in names:
            entry = entry["properties"][name]
        return Fragment(self.root, self.source, entry)

    def default(self, *names: str) -> Any:
        """The default of the property at these names (e.g. "ca", "validityDays"), for code that
        needs it before there is any config to fill (a settings class's field, a constant)."""
        return copy.deepcopy(self.at(*names).entry["default"])

    def with_defaults(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        """The entry with every field the schema gives a default for filled in (nested objects
        whose schema has `default: {}` included); given fields are kept as they are."""
        return fill_defaults(self.entry, entry, self.root)

    def defaults(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        """Only the fields the schema's defaults add to this entry."""
        filled = self.with_defaults(entry)
        return {k: v for k, v in filled.items() if entry.get(k) is None}

    def with_defaults_of(self, definition: str, value: Mapping[str, Any]) -> dict[str, Any]:
        """A value of one of the fragment's `$defs` with that definition's defaults filled in."""
        return fill_defaults(self.root["$defs"][definition], value, self.root)


def fill_defaults(schema: Schema, value: Mapping[str, Any], root: Schema) -> dict[str, Any]:
    """`value` (an object) with the defaults of the subschemas that apply to it: missing fields
    get theirs, present objects get their own fields' defaults."""
    out = {k: v for k, v in value.items() if v is not None}
    for sub in applicable(schema, out, root):
        for name, prop in (sub.get("properties") or {}).items():
            if not isinstance(prop, dict):
                continue
            if out.get(name) is None:
                default = _default(prop, out, root)
                if default is not None:
                    out[name] = default
            elif isinstance(out[name], Mapping):
                out[name] = fill_defaults(prop, out[name], root)
    return out


def _default(prop: Schema, entry: Mapping[str, Any], root: Schema) -> Any:
    for sub in applicable(prop, entry, root, branches=False):
        if "default" in sub:
            default = copy.deepcopy(sub["default"])
            return fill_defaults(sub, default, root) if isinstance(default, dict) else default
        if "defaultTemplate" in sub:
            return str(sub["defaultTemplate"]).format_map(entry)
    return None


def applicable(schema: Schema, value: Any, root: Schema, branches: bool = True) -> Iterator[Schema]:
    """The subschemas that apply to `value`: the schema, what its local `$ref` points to, its
    `allOf` members and (with `branches`) the `then`/`else` its `if` selects."""
    if not isinstance(schema, Mapping):
        return
    yield schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        yield from applicable(root.get("$defs", {}).get(ref.split("/")[-1], {}), value, root, branches)
    for sub in schema.get("allOf", []):
        yield from applicable(sub, value, root, branches)
    if branches and "if" in schema:
        branch = "then" if _matches(schema["if"], value, root) else "else"
        if branch in schema:
            yield from applicable(schema[branch], value, root, branches)


_CONDITIONS: dict[int, tuple[Schema, Draft202012Validator]] = {}
_CONDITIONS_LOCK = threading.Lock()


def _matches(condition: Schema, value: Any, root: Schema) -> bool:
    with _CONDITIONS_LOCK:
        found = _CONDITIONS.get(id(condition))
        if found is None or found[0] is not condition:
            found = _CONDITIONS[id(condition)] = (condition, Draft202012Validator(
                {**condition, "$defs": root.get("$defs", {})}))
    return found[1].is_valid(value)


# --- schema errors as problems ------------------------------------------------------------------
def document_problems(key: str, checker: Draft202012Validator, value: Any) -> Iterator[Problem]:
    """The problems of one top-level config value against its schema document."""
    for error in sorted(checker.iter_errors(value), key=error_order):
        path = (key, *error.absolute_path)
        message = secret_explained(error) if is_secret_path(path) else explain(error, checker.schema)
        if message:
            yield Problem(format_path(path), message, schema=True)


def error_order(error: ValidationError) -> tuple[str, ...]:
    return tuple(str(p) for p in error.absolute_path)


def explain(error: ValidationError, root: Mapping[str, Any]) -> Optional[str]:
    """jsonschema's message plus the field's description as the fix; None for an error that
    only echoes another one."""
    if error.validator in ("unevaluatedProperties", "additionalProperties"):
        allowed = allowed_properties(error.schema, root)
        # When a sibling keyword failed (a type error inside allOf/then), jsonschema counts
        # the properties that keyword declared as unevaluated too: only unknown names count.
        unknown = [k for k in error.instance if k not in allowed] if isinstance(error.instance, dict) else []
        if not unknown:
            return None
        names = ", ".join(repr(k) for k in unknown)
        return (f"{names} {'was' if len(unknown) == 1 else 'were'} unexpected (unknown field"
                f"{'' if len(unknown) == 1 else 's'}). Allowed here: {', '.join(allowed)}.")
    if error.validator == "required" and isinstance(error.schema, dict):
        missing = re.match(r"'([^']+)'", error.message)
        field = error.schema.get("properties", {}).get(missing.group(1), {}) if missing else {}
        description = field.get("description") if isinstance(field, dict) else None
        return error.message + (f" ({description})" if description else "")
    if error.validator == "pattern" and isinstance(error.instance, str):
        description = error.schema.get("description") if isinstance(error.schema, dict) else None
        return (f"{error.instance!r} is not valid" + (f": {description}" if description else
                                                       f" (must match {error.validator_value})"))
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "anyOf" and error.schema_path and "required" in json.dumps(error.validator_value):
        needed = [next(iter(branch["required"])) for branch in error.validator_value]
        return f"needs at least one of: {', '.join(needed)}"
    if error.validator == "not" and "required" in (error.validator_value or {}):
        return f"give only one of: {', '.join(error.validator_value['required'])}"
    if error.validator == "type":
        fields = allowed_properties(error.schema, root) if "object" in str(error.validator_value) else []
        shown = repr(error.instance) if len(repr(error.instance)) <= 60 else f"{repr(error.instance)[:57]}..."
        return (f"must be {type_names(error.validator_value)}"
                + (f" (fields: {', '.join(fields)})" if fields else "") + f", not {shown}")
    if error.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        description = error.schema.get("description") if isinstance(error.schema, dict) else None
        return error.message + (f" ({description})" if description else "")
    return error.message


def type_names(types: Any) -> str:
    names = {"object": "an object", "array": "a list", "string": "a string", "integer": "an integer",
             "number": "a number", "boolean": "true or false", "null": "empty"}
    listed = types if isinstance(types, list) else [types]
    return " or ".join(names.get(t, t) for t in listed)


def secret_explained(error: ValidationError) -> str:
    """What is wrong with a secret field, never its value (jsonschema's messages quote it)."""
    limit = error.validator_value
    if error.validator == "minLength":
        return f"is too short: it needs at least {limit} characters"
    if error.validator == "maxLength":
        return f"is too long: at most {limit} characters"
    if error.validator == "type":
        return f"must be a {limit}"
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    return f"is not valid ({error.validator})" + (f": {description}" if description else "")


def allowed_properties(schema: Any, root: Mapping[str, Any]) -> list[str]:
    """Property names a (sub)schema accepts, following local $refs and allOf."""
    if not isinstance(schema, dict):
        return []
    names = set(schema.get("properties", {}))
    for sub in schema.get("allOf", []):
        names.update(allowed_properties(sub, root))
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        names.update(allowed_properties(root.get("$defs", {}).get(ref.split("/")[-1]), root))
    return sorted(names)
