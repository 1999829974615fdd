"""Request validation shared by the configuration handlers (blob stores, cleanup policies,
repositories, routing rules): an OpenAPI-subset body checker driven by the project's copy of the
official specs, plus Nexus's name rules and error shapes.

Nexus validates a request body in two steps, and so do we: Jackson first turns the JSON into Java
objects (a value of the wrong type fails the whole request with a plain-text 400), then bean
validation reports every broken constraint at once as a 400 list whose ids are
`PARAMETER <property name>`: Nexus's ResteasyViolationExceptionMapper keeps only the last segment
of the property path (`PARAMETER timeout` for httpClient.connection.timeout, as seen in
datadrivers/terraform-provider-nexus#173; `PARAMETER expiration` for
bucketConfiguration.bucket.expiration, terraform-provider-sonatyperepo#314).
"""
from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from .http import ApiError
from .state import NexusState

OPENAPI_DIR = Path(__file__).resolve().parent / "openapi"
SPEC_VERSIONS = ("3.68.1", "3.86.2", "3.94.0")

# Nexus's NamePatternConstants: repositories, blob stores, cleanup policies, routing rules.
NAME_REGEX = re.compile(r"^[a-zA-Z0-9\-]{1}[a-zA-Z0-9_\-\.]*$")
NAME_MESSAGE = ("Only letters, digits, underscores(_), hyphens(-), and dots(.) are allowed and may "
                "not start with underscore or dot.")
NAME_TAKEN = "Name is already used, must be unique (ignoring case)"

Errors = list[tuple[str, str]]


# --- spec selection --------------------------------------------------------------------------
def spec_version(state: NexusState) -> str:
    """The published spec nearest to the emulated release: the three we carry bracket 3.6x-3.9x."""
    if not state.at_least("3.77.0"):
        return "3.68.1"
    if not state.at_least("3.94.0"):
        return "3.86.2"
    return "3.94.0"


@lru_cache(maxsize=None)
def _load_spec(version: str) -> dict[str, Any]:
    return json.loads((OPENAPI_DIR / f"nexus-{version}.json").read_text())


def request_schema(version: str, path: str, method: str = "post") -> Optional[str]:
    """The component schema a spec declares for a request body, or None when the spec of that
    release has no such operation (e.g. `/v1/repositories/swift/proxy` before 3.89)."""
    operation = _load_spec(version)["paths"].get(path, {}).get(method)
    if not operation or "requestBody" not in operation:
        return None
    schema = next(iter(operation["requestBody"]["content"].values()))["schema"]
    return str(schema.get("$ref", "")).rsplit("/", 1)[-1] or None


def schema(version: str, name: str) -> dict[str, Any]:
    """A component schema of one release's spec (for what a handler reads off its shape)."""
    return _load_spec(version)["components"]["schemas"][name]


def _resolve(node: dict[str, Any], version: str) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        return _load_spec(version)["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return node


# --- body checks -----------------------------------------------------------------------------
def json_object(body: Any) -> dict[str, Any]:
    """Jackson refuses a body that is not an object for a bean parameter."""
    if not isinstance(body, dict):
        raise unreadable(f"Cannot deserialize value from {type(body).__name__}")
    return body


def unreadable(detail: str) -> ApiError:
    """What Nexus answers when Jackson cannot map the JSON onto the request class."""
    return ApiError(400, f"Unable to process JSON: {detail}", content_type="text/plain")


def check_body(state: NexusState, schema_name: str, body: Any,
               optional: frozenset[str] = frozenset(), custom: frozenset[str] = frozenset(),
               version: Optional[str] = None) -> Errors:
    """Type-check `body` against a spec schema (raising like Jackson on a mismatch) and return the
    bean-validation errors (required, sizes, ranges, name pattern). `optional` lists dotted paths
    whose `required` mark in the spec is not enforced (or is checked by the caller with the real
    server's message); `custom` lists string fields whose enum/pattern/length constraints the
    caller checks itself because the spec describes them wrongly (e.g. a `@Pattern` string
    published as an enum, a Java enum matched ignoring case). `version`
    picks another spec than the emulated release's nearest one (an endpoint newer than it)."""
    version = version or spec_version(state)
    node = _load_spec(version)["components"]["schemas"][schema_name]
    body = json_object(body)
    errors: Errors = []
    _walk(node, body, "", version, errors, optional, custom)
    return errors


_TYPES = {"string": (str,), "boolean": (bool,), "array": (list,), "object": (dict,)}


def _walk(node: dict[str, Any], value: Any, path: str, version: str, errors: Errors,
          optional: frozenset[str], custom: frozenset[str] = frozenset()) -> None:
    node = _resolve(node, version)
    kind = node.get("type", "object" if "properties" in node else None)
    if kind == "integer":
        numeric_text = isinstance(value, str) and value.strip().lstrip("-").isdigit()
        if isinstance(value, bool) or not (isinstance(value, int) or numeric_text):
            raise unreadable(f"Cannot deserialize value of type `Integer` from {value!r} at {path}")
        number = int(value)
        if "minimum" in node and number < node["minimum"]:
            errors.append((parameter(path), f"must be greater than or equal to {node['minimum']}"))
        if "maximum" in node and number > node["maximum"]:
            errors.append((parameter(path), f"must be less than or equal to {node['maximum']}"))
        return
    if kind in _TYPES and not isinstance(value, _TYPES[kind]):
        raise unreadable(f"Cannot deserialize value of type `{kind}` from {value!r} at {path}")
    if kind == "string" and path not in custom:
        _check_string(node, value, path, errors)
    elif kind == "array":
        if node.get("minItems", 0) > len(value):
            errors.append((parameter(path), "must not be empty"))
        for item in value:
            if item is not None:
                _walk(node.get("items", {}), item, path, version, errors, optional, custom)
    elif kind == "object":
        properties = node.get("properties", {})
        for key in node.get("required", []):
            child = f"{path}.{key}" if path else key
            if value.get(key) is None and child not in optional:
                errors.append((parameter(child), "must not be null"))
        for key, sub in properties.items():
            if value.get(key) is not None:
                _walk(sub, value[key], f"{path}.{key}" if path else key, version, errors, optional,
                      custom)


def _check_string(node: dict[str, Any], value: str, path: str, errors: Errors) -> None:
    enum = node.get("enum")
    if enum and enum == [e.upper() for e in enum] and value not in enum:
        # upper-case enums are Java enums: an unknown constant fails deserialization
        raise unreadable(f"Cannot deserialize value of type enum from String {value!r}: not one of "
                         f"the values accepted for Enum class: {node['enum']}")
    if node.get("minLength", 0) > len(value):
        errors.append((parameter(path), "must not be empty"))
        return
    if "maxLength" in node and len(value) > node["maxLength"]:
        errors.append((parameter(path),
                       f"size must be between {node.get('minLength', 0)} and {node['maxLength']}"))
    if "pattern" in node and not re.search(node["pattern"], value):
        pattern = node["pattern"]
        message = NAME_MESSAGE if pattern == NAME_REGEX.pattern else f'must match "{pattern}"'
        errors.append((parameter(path), message))


# --- names -----------------------------------------------------------------------------------
def name_errors(name: Any, max_length: int, error_id: str = "PARAMETER name") -> Errors:
    """Nexus's name rules for objects whose request schema does not carry them."""
    if not isinstance(name, str) or not name:
        return [(error_id, "must not be empty")]
    errors: Errors = []
    if not NAME_REGEX.match(name):
        errors.append((error_id, NAME_MESSAGE))
    if len(name) > max_length:
        errors.append((error_id, f"size must be between 1 and {max_length}"))
    return errors


def find(store: dict[str, dict], name: Optional[str]) -> Optional[dict]:
    """Stores are keyed by lower-cased name because Nexus names are unique ignoring case."""
    return store.get(name.lower()) if isinstance(name, str) else None


# --- answers ---------------------------------------------------------------------------------
def parameter(path: str) -> str:
    """The id of a bean-validation error: `PARAMETER` and the leaf of the property path
    (ResteasyViolationExceptionMapper.getPath)."""
    return f"PARAMETER {path.rsplit('.', 1)[-1]}"


def raise_if(errors: Errors) -> None:
    if errors:
        raise ApiError.validation(errors)


def quoted(status: int, message: str) -> ApiError:
    """A WebApplicationMessageException whose text Nexus wrapped in quotes itself:
    {"id":"*","message":"\\"...\\""}."""
    return ApiError(status, {"id": "*", "message": f'"{message}"'})


def unquoted(status: int, message: str) -> ApiError:
    """The same object shape where Nexus's code did not quote the text."""
    return ApiError(status, {"id": "*", "message": message})


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document as answered: a deep copy without the private `_` bookkeeping keys."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if not k.startswith("_")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return strip(copy.deepcopy(doc))
