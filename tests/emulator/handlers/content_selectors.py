"""Content selectors (ContentSelectorsApiResource, SelectorFactory/CselValidator in
sonatype/nexus-public): CSEL expressions checked on create and update (csel.py); a selector a
privilege uses cannot be deleted."""
from __future__ import annotations

from typing import Optional

from ..csel import CselError, parse_csel
from ..http import ApiError, Request, Response
from ..routing import Router
from ..state import NexusState
from ..validation import NAME_MESSAGE, NAME_REGEX, NAME_TAKEN, public, quoted
from .support import blank, security_body, text


def _validate_expression(expression: Optional[str]) -> None:
    if expression is None:
        raise ApiError.validation([("PARAMETER expression", "must not be null")])
    try:
        parse_csel(expression)
    except CselError as exc:
        # SelectorFactory reports the violation through a helper bean, hence this odd id.
        raise ApiError.validation([("HelperBean.expression", f"Invalid CSEL: {exc}")])


def list_selectors(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json([public(d) for d in state.content_selectors.values()])


def _find_selector(state: NexusState, name: str) -> dict:
    doc = state.content_selectors.get(name.lower())
    if doc is None:
        raise quoted(404, f"No selector found for {name}")
    return doc


def get_selector(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json(public(_find_selector(state, req.params["name"])))


def create_selector(state: NexusState, req: Request) -> Response:
    body = security_body(req)
    name, expression = text(body, "name"), text(body, "expression")
    description = text(body, "description")
    errors: list[tuple[str, str]] = []
    if blank(name):
        errors.append(("PARAMETER name", "must not be blank"))
    elif not NAME_REGEX.match(name or ""):
        errors.append(("PARAMETER name", NAME_MESSAGE))
    with state.lock:
        if name and name.lower() in state.content_selectors:
            errors.append(("PARAMETER name", NAME_TAKEN))
        if errors:
            raise ApiError.validation(errors)
        _validate_expression(expression)
        state.content_selectors[name.lower()] = {"name": name, "type": "csel",
                                                 "description": description,
                                                 "expression": expression}
    return Response.empty(204)


def update_selector(state: NexusState, req: Request) -> Response:
    body = security_body(req)
    expression, description = text(body, "expression"), text(body, "description")
    with state.lock:
        doc = _find_selector(state, req.params["name"])
        _validate_expression(expression)
        doc.update({"description": description, "expression": expression})
    return Response.empty(204)


def delete_selector(state: NexusState, req: Request) -> Response:
    with state.lock:
        doc = _find_selector(state, req.params["name"])
        in_use = any(p.get("type") == "repository-content-selector"
                     and p.get("contentSelector", "").lower() == doc["name"].lower()
                     for p in state.privileges.values())
        if in_use:
            raise ApiError.bad_request(
                f"Content selector {doc['name']} is in use and cannot be deleted")
        del state.content_selectors[doc["name"].lower()]
    return Response.empty(204)


def register(router: Router, state: NexusState) -> None:
    base = "/v1/security/content-selectors"  # nexus:selectors:*
    router.add("GET", base, list_selectors, auth="nexus:selectors:read")
    router.add("POST", base, create_selector, auth="nexus:selectors:create")
    router.add("GET", f"{base}/{{name}}", get_selector, auth="nexus:selectors:read")
    router.add("PUT", f"{base}/{{name}}", update_selector, auth="nexus:selectors:update")
    router.add("DELETE", f"{base}/{{name}}", delete_selector, auth="nexus:selectors:delete")
