"""Content selectors: CSEL expressions that scope privileges to paths (e.g. one image
namespace). Expressions are checked for balanced quotes and parentheses before any write."""
from __future__ import annotations

from typing import Any, Mapping, Optional
from urllib.parse import quote

from ..client import NexusClient, ServerInfo
from ..kind import Context, Found, Kind, Resources, after, config_entry, list_fact
from ..problems import Problem, ServerFacts, Values, duplicate_name_problems
from ..provider import NexusProvider, Spec, find_by_name
from ..resource import NexusResource
from ..schema import Fragment

SCHEMA = Fragment.beside(__file__)
LIST_PATH = "/v1/security/content-selectors"
FACT = "content_selectors"  # lower-cased names of the server's selectors


def selector_path(name: str) -> str:
    return f"{LIST_PATH}/{quote(name, safe='')}"


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
    resource_type = "nexus:ContentSelector"

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return {"name": spec["name"], "description": spec["description"], "expression": spec["expression"],
                "adopt": bool(spec.get("adopt"))}

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        problem = csel_problem(spec["expression"])
        return [("expression", f"invalid CSEL expression: {problem}")] if problem else []

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return find_by_name(client.cached_list("content-selectors", LIST_PATH), object_id)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return {"name": previous["name"], "description": doc.get("description") or "",
                "expression": doc.get("expression", "")}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        body = {k: spec[k] for k in ("name", "description", "expression")}
        client.send("POST", LIST_PATH, body, invalidates=("content-selectors",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        body = {k: spec[k] for k in ("description", "expression")}
        client.send("PUT", selector_path(spec["name"]), body, invalidates=("content-selectors",))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", selector_path(spec["name"]), invalidates=("content-selectors",))


class ContentSelector(NexusResource, provider=ContentSelectorProvider):
    """A CSEL content selector."""


# --- the kind -----------------------------------------------------------------------------------
def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    selectors = (values.get("security") or {}).get("contentSelectors", [])
    return duplicate_name_problems("security.contentSelectors", selectors) + [
        Problem(f"security.contentSelectors[{i}].expression", f"invalid CSEL expression: {problem}")
        for i, selector in enumerate(selectors) for problem in [csel_problem(selector["expression"])] if problem]


def declare(ctx: Context) -> Resources:
    return {item["name"].lower(): ContentSelector(item["name"], ctx.cfg.spec(("security", "contentSelectors", i), item),
                                                  opts=after(ctx.bootstrap))
            for i, item in enumerate(ctx.cfg.get("security", {}).get("contentSelectors", []))}


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    provider = ContentSelectorProvider()
    return [KIND.found(str(doc["name"]), config_entry(provider, provider.to_spec(doc, {"name": str(doc["name"])}),
                                                      ("name", "expression")), selector_path(str(doc["name"])))
            for doc in client.get_json(LIST_PATH) or []]


KIND = Kind(
    name="content selector", slug="contentSelector", config_path=("security", "contentSelectors"), schema=SCHEMA,
    resource_types=(ContentSelector,), declare=declare, problems=problems, inventory=inventory,
    facts=(list_fact(FACT, LIST_PATH),))
