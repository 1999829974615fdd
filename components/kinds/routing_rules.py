"""Routing rules: allow or block request paths on proxy repositories (allow/deny lists)."""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional
from urllib.parse import quote

from ..client import NexusClient, ServerInfo
from ..kind import Context, Found, Kind, Resources, after, config_entry, list_fact
from ..problems import KnownNames, Problem, ServerFacts, Values, duplicate_name_problems
from ..provider import NexusProvider, Spec, find_by_name
from ..regex_syntax import java_regex_problem
from ..resource import NexusResource
from ..schema import Fragment

SCHEMA = Fragment.beside(__file__)
LIST_PATH = "/v1/routing-rules"
FACT = "routing_rules"  # lower-cased names of the server's rules


def rule_path(name: str) -> str:
    return f"{LIST_PATH}/{quote(name, safe='')}"


def known_rules(declared: list[Mapping[str, Any]], server: Optional[ServerFacts]) -> KnownNames:
    return KnownNames([r["name"] for r in declared], server, FACT)


class RoutingRuleProvider(NexusProvider):
    kind = "routing rule"
    resource_type = "nexus:RoutingRule"

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return {"name": spec["name"], "description": spec["description"], "mode": spec["mode"],
                "matchers": list(spec["matchers"]), "adopt": bool(spec.get("adopt"))}

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        found = []
        for i, matcher in enumerate(spec["matchers"]):
            try:
                re.compile(matcher)
            except re.error as exc:
                found.append((f"matchers[{i}]", f"{matcher!r} is not a valid regular expression: {exc}"))
        return found

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return find_by_name(client.cached_list("routing-rules", LIST_PATH), object_id)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return {"name": previous["name"], "description": doc.get("description") or "",
                "mode": doc.get("mode"), "matchers": list(doc.get("matchers") or [])}

    def body(self, spec: Spec) -> dict[str, Any]:
        return {k: spec[k] for k in ("name", "description", "mode", "matchers")}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", LIST_PATH, self.body(spec), invalidates=("routing-rules",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        client.send("PUT", rule_path(spec["name"]), self.body(spec), invalidates=("routing-rules",))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", rule_path(spec["name"]), invalidates=("routing-rules",))


class RoutingRule(NexusResource, provider=RoutingRuleProvider):
    """A routing rule; proxies refer to it by name."""


# --- the kind -----------------------------------------------------------------------------------
def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    """Unique names; Nexus compiles matchers with java.util.regex and refuses the rule otherwise."""
    rules = values.get("routingRules") or []
    return duplicate_name_problems("routingRules", rules) + [
        Problem(f"routingRules[{i}].matchers[{j}]", f"{matcher!r} is not a valid (Java) regular "
                f"expression: {problem}")
        for i, rule in enumerate(rules) for j, matcher in enumerate(rule.get("matchers", []))
        for problem in [java_regex_problem(matcher)] if problem]


def declare(ctx: Context) -> Resources:
    return {item["name"].lower(): RoutingRule(item["name"], ctx.cfg.spec(("routingRules", i), item),
                                              opts=after(ctx.bootstrap))
            for i, item in enumerate(ctx.cfg.get("routingRules", []))}


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    provider = RoutingRuleProvider()
    return [KIND.found(str(doc["name"]), config_entry(provider, provider.to_spec(doc, {"name": str(doc["name"])}),
                                                      ("name", "mode", "matchers")), rule_path(str(doc["name"])))
            for doc in client.get_json(LIST_PATH) or []]


KIND = Kind(
    name="routing rule", slug="routingRule", config_path=("routingRules",), schema=SCHEMA,
    resource_types=(RoutingRule,), declare=declare, problems=problems, inventory=inventory,
    facts=(list_fact(FACT, LIST_PATH),))
