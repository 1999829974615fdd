"""Content selectors: CSEL expressions that scope privileges to paths (e.g. one image
namespace). Expressions are checked for balanced quotes and parentheses before any write."""
from __future__ import annotations

from typing import Any, Mapping, Optional
from urllib.parse import quote

import pulumi
import pulumi.dynamic

from .client import NexusClient
from .provider import NexusProvider, Spec, find_by_name, resource_options


def csel_problem(expression: str) -> Optional[str]:
    """Why a CSEL expression cannot parse (unbalanced quotes or parentheses), else None."""
    if not expression.strip():
        return "the expression is empty"
    depth, quote_char, escaped = 0, "", False
    for position, char in enumerate(expression, start=1):
        if quote_char:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote_char:
                quote_char = ""
            continue
        if char in "\"'":
            quote_char = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return f"unbalanced ')' at character {position}"
    if quote_char:
        return f"unterminated {quote_char} quote"
    if depth:
        return f"{depth} unclosed '('"
    return None


class ContentSelectorProvider(NexusProvider):
    kind = "content selector"

    def normalize(self, spec: Spec) -> Spec:
        return {"name": spec["name"], "description": spec.get("description", ""),
                "expression": spec["expression"], "adopt": bool(spec.get("adopt", False))}

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        problem = csel_problem(spec["expression"])
        return [("expression", f"invalid CSEL expression: {problem}")] if problem else []

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return find_by_name(client.cached_list("content-selectors", "/v1/security/content-selectors"),
                            object_id)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return {"name": previous["name"], "description": doc.get("description") or "",
                "expression": doc.get("expression", "")}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        body = {k: spec[k] for k in ("name", "description", "expression")}
        client.send("POST", "/v1/security/content-selectors", body, invalidates=("content-selectors",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        body = {k: spec[k] for k in ("description", "expression")}
        client.send("PUT", f"/v1/security/content-selectors/{quote(spec['name'], safe='')}", body,
                    invalidates=("content-selectors",))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", f"/v1/security/content-selectors/{quote(spec['name'], safe='')}",
                    invalidates=("content-selectors",))


class ContentSelector(pulumi.dynamic.Resource, module="nexus", name="ContentSelector"):
    """A CSEL content selector."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(ContentSelectorProvider(), resource_name, dict(spec), resource_options(opts))
