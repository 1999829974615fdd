"""Routing rules: `/v1/routing-rules`.

Validation and messages follow Nexus's RoutingRuleStore.validate and RoutingRulesApiResource
(sonatype/nexus-public): every problem is reported at once with ids `name`, `description`,
`mode`, `matchers`, `matchers[i]` (a matcher is compiled with java.util.regex: "Invalid regex: "
and the PatternSyntaxException's message, regex/java_pattern.py); a rule may be renamed through PUT (repositories refer to it by
id in Nexus, so they follow the new name); a rule in use cannot be deleted.
"""
from __future__ import annotations

from typing import Any

from .. import permissions
from ..http import ApiError, Request, Response
from ..regex import JavaInternalError, java_pattern_error
from ..routing import Router
from ..state import NexusState
from ..validation import NAME_MESSAGE, NAME_REGEX, Errors, check_body, find, public, quoted, raise_if

DUPLICATE = "A rule with the same name already exists. Name must be unique."


def register(router: Router, state: NexusState) -> None:
    # RoutingRulesApiResource: writes need nexus:*; reads are unannotated and call
    # RoutingRuleHelperImpl.ensureUserHasPermissionToRead (see _ensure_can_read).
    router.add("GET", "/v1/routing-rules", list_rules, auth="anyone")
    router.add("POST", "/v1/routing-rules", create_rule)
    router.add("GET", "/v1/routing-rules/{name}", get_rule, auth="anyone")
    router.add("PUT", "/v1/routing-rules/{name}", update_rule)
    router.add("DELETE", "/v1/routing-rules/{name}", delete_rule)


def _rule_errors(state: NexusState, body: Any) -> Errors:
    errors = check_body(state, "RoutingRuleXO", body)  # types and the mode enum
    errors = [e for e in errors if e[0] != "PARAMETER name"]  # the store reports names itself
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append(("name", "A non-empty value must be specified"))
    elif not NAME_REGEX.match(name):
        errors.append(("name", NAME_MESSAGE))
    elif name.lower() == "none":
        errors.append(("name", "Rule must not be named None"))
    if body.get("description") is None:
        errors.append(("description", "A non-null value must be specified"))
    if body.get("mode") is None:
        errors.append(("mode", "A non-empty value must be specified"))
    matchers = body.get("matchers")
    if not matchers:
        errors.append(("matchers", "At least one rule must be specified"))
    else:
        for index, regex in enumerate(matchers):
            if not isinstance(regex, str) or not regex.strip():
                errors.append((f"matchers[{index}]", "Empty matchers are not allowed"))
                continue
            try:
                problem = java_pattern_error(regex)
            except JavaInternalError:
                raise ApiError.server_error()  # only PatternSyntaxException is caught
            if problem is not None:
                errors.append((f"matchers[{index}]", f"Invalid regex: {problem.message()}"))
    return errors


def _document(body: dict[str, Any]) -> dict[str, Any]:
    return {"name": body["name"], "description": body["description"], "mode": body["mode"],
            "matchers": list(body["matchers"])}


def _existing(state: NexusState, name: str) -> dict[str, Any]:
    doc = find(state.routing_rules, name)
    if doc is None:
        raise ApiError.not_found(f"Did not find a routing rule with the name '{name}'")
    return doc


def _users(state: NexusState, rule_name: str) -> list[dict[str, Any]]:
    return [r for r in state.repositories.values()
            if str(r.get("routingRuleName") or "").lower() == rule_name.lower()]


def _ensure_can_read(state: NexusState, req: Request) -> None:
    """Whoever may create a proxy of some format (repository-admin add on `*`) or administer
    (read) some repository may read the rules; anyone else gets the bare 403."""
    with state.lock:
        wanted = [f"nexus:repository-admin:{fmt}:*:add" for fmt in permissions.privilege_formats(state)]
        wanted += [f"nexus:repository-admin:{r['format']}:{r['name']}:read"
                   for r in state.repositories.values()]
        if not any(permissions.permitted(state, req.user, p) for p in wanted):
            raise ApiError.forbidden()


def list_rules(state: NexusState, req: Request) -> Response:
    _ensure_can_read(state, req)
    with state.lock:
        return Response.json([public(doc) for doc in state.routing_rules.values()])


def get_rule(state: NexusState, req: Request) -> Response:
    _ensure_can_read(state, req)
    with state.lock:
        return Response.json(public(_existing(state, req.params["name"])))


def create_rule(state: NexusState, req: Request) -> Response:
    body = req.json()
    raise_if(_rule_errors(state, body))
    with state.lock:
        if find(state.routing_rules, body["name"]) is not None:
            raise ApiError.validation([("name", DUPLICATE)])
        state.routing_rules[body["name"].lower()] = _document(body)
    return Response.empty(204)


def update_rule(state: NexusState, req: Request) -> Response:
    with state.lock:
        _existing(state, req.params["name"])
    body = req.json()
    raise_if(_rule_errors(state, body))
    with state.lock:
        doc = _existing(state, req.params["name"])
        other = find(state.routing_rules, body["name"])
        if other is not None and other is not doc:
            raise ApiError.validation([("name", DUPLICATE)])
        for repository in _users(state, doc["name"]):
            repository["routingRuleName"] = body["name"]
        # re-key in place so a rename keeps the rule's position in the list
        renamed = [(body["name"].lower(), _document(body)) if value is doc else (key, value)
                   for key, value in state.routing_rules.items()]
        state.routing_rules.clear()
        state.routing_rules.update(renamed)
    return Response.empty(204)


def delete_rule(state: NexusState, req: Request) -> Response:
    with state.lock:
        doc = _existing(state, req.params["name"])
        users = _users(state, doc["name"])
        if users:
            raise quoted(400, f"Routing rule is still in use by {len(users)} repositories.")
        del state.routing_rules[doc["name"].lower()]
    return Response.empty(204)
