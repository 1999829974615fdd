"""Privileges (PrivilegeApiResource, RepositoryPrivilegeApiResource, ScriptPrivilegeApiResource
and RepositoryPrivilegeDescriptorSupport in sonatype/nexus-public): the list of every privilege
(built-in ones included, see permissions.py), create and update per type, delete."""
from __future__ import annotations

from typing import Any, Callable

from ..http import ApiError, Request, Response
from ..permissions import all_privileges, privilege_formats
from ..routing import Router
from ..state import NexusState
from ..validation import NAME_MESSAGE, NAME_REGEX, public, quoted, unreadable
from .support import blank, security_body, text

PRIVILEGE_TYPES = ("application", "repository-admin", "repository-content-selector",
                   "repository-view", "script", "wildcard")
# PrivilegeAction: the BREAD actions (repository privileges), plus RUN (scripts) and the CRUD
# style ones that application privileges store (create/update are ADD/EDIT).
BREAD = ("BROWSE", "READ", "EDIT", "ADD", "DELETE", "ALL")
ACTIONS_BY_TYPE = {
    "repository-view": BREAD,
    "repository-admin": BREAD,
    "repository-content-selector": BREAD,
    "script": BREAD + ("RUN",),
    "application": ("READ", "EDIT", "ADD", "DELETE", "START", "STOP", "ASSOCIATE", "DISASSOCIATE",
                    "ALL"),
}
ALL_ACTIONS = ("READ", "BROWSE", "EDIT", "ADD", "DELETE", "RUN", "START", "STOP", "ASSOCIATE",
               "DISASSOCIATE", "ALL")


def list_privileges(state: NexusState, req: Request) -> Response:
    with state.lock:
        docs = [public(d) for d in all_privileges(state).values()]
    return Response.json(sorted(docs, key=lambda d: d["name"]))


def get_privilege(state: NexusState, req: Request) -> Response:
    name = req.params["privilegeName"]
    with state.lock:
        doc = all_privileges(state).get(name.lower())
        if doc is None:
            raise quoted(404, f"Privilege '{name}' not found.")
        return Response.json(public(doc))


def _privilege_from_body(kind: str, body: dict) -> dict:
    """Bean validation of a privilege request of one type; returns the document GET answers."""
    name = text(body, "name")
    errors: list[tuple[str, str]] = []
    if blank(name):
        errors.append(("PARAMETER name", "must not be blank"))
    elif not NAME_REGEX.match(name or ""):
        errors.append(("PARAMETER name", NAME_MESSAGE))
    doc: dict[str, Any] = {"type": kind, "name": name,
                           "description": text(body, "description") or "", "readOnly": False}
    if kind != "wildcard":
        raw = body.get("actions")
        actions: list[str] = []
        if raw is not None:
            if not isinstance(raw, list) or not all(isinstance(a, str) for a in raw):
                raise unreadable("'actions' must be an array of strings")
            bad = [a for a in raw if a not in ALL_ACTIONS]
            if bad:
                raise unreadable(f"Cannot deserialize PrivilegeAction from '{bad[0]}'")
            actions = list(raw)
        if not actions:
            errors.append(("PARAMETER actions", "must not be empty"))
        doc["actions"] = actions
    required = {"wildcard": ("pattern",), "application": ("domain",), "script": ("scriptName",),
                "repository-view": ("format", "repository"),
                "repository-admin": ("format", "repository"),
                "repository-content-selector": ("format", "repository", "contentSelector")}[kind]
    for key in required:
        value = text(body, key)
        if blank(value):
            errors.append((f"PARAMETER {key}", "must not be blank"))
        doc[key] = value
    if errors:
        raise ApiError.validation(errors)
    return doc


def _check_privilege_rules(state: NexusState, doc: dict) -> None:
    """The privilege descriptor's validate(): actions allowed for the type, then references."""
    kind = doc["type"]
    if kind == "wildcard":
        return
    invalid = [a for a in dict.fromkeys(doc["actions"]) if a not in ACTIONS_BY_TYPE[kind]]
    if invalid:
        raise quoted(400, f"Privilege of type '{kind}' cannot use action(s) of type "
                          f"'{','.join(invalid)}'.")
    if kind.startswith("repository-"):
        _check_repository_and_format(state, doc)
    if kind == "repository-content-selector":
        if doc["contentSelector"].lower() not in state.content_selectors:
            raise quoted(400, f"Invalid content selector '{doc['contentSelector']}' supplied.")


def _check_repository_and_format(state: NexusState, doc: dict) -> None:
    """RepositoryPrivilegeDescriptorSupport.validateRepositoryAndFormat, in its order."""
    repo_name, fmt = doc["repository"], doc["format"]
    repository = state.repositories.get(repo_name.lower())
    if repo_name != "*" and repository is None:
        raise quoted(400, f"Invalid repository '{repo_name}' supplied.")
    if fmt != "*" and repository is not None and repository["format"] != fmt:
        raise quoted(400, f"Invalid format '{fmt}' supplied for repository '{repo_name}'.")
    if fmt != "*" and fmt not in privilege_formats(state):
        raise quoted(400, f"Invalid format '{fmt}' supplied.")


def _privilege_handlers(kind: str) -> tuple[Callable[..., Response], Callable[..., Response]]:
    def create(state: NexusState, req: Request) -> Response:
        doc = _privilege_from_body(kind, security_body(req))
        with state.lock:
            _check_privilege_rules(state, doc)
            if doc["name"].lower() in all_privileges(state):
                raise quoted(400, f"Privilege '{doc['name']}' already exists, use a unique name.")
            state.privileges[doc["name"].lower()] = doc
        return Response.empty(201)

    def update(state: NexusState, req: Request) -> Response:
        name = req.params["privilegeName"]
        doc = _privilege_from_body(kind, security_body(req))
        if doc["name"] != name:
            raise quoted(409, f"The privilege name '{doc['name']}' does not match the name "
                              f"used in the path '{name}'.")
        with state.lock:
            _check_privilege_rules(state, doc)
            existing = all_privileges(state).get(name.lower())
            if existing is None:
                raise quoted(404, f"Privilege '{name}' not found.")
            if existing["readOnly"]:
                raise quoted(400, f"Privilege '{name}' is internal and cannot be modified or "
                                  f"deleted.")
            if existing["type"] != kind:
                raise quoted(400, f"Privilege '{name}' is of type '{existing['type']}', not "
                                  f"'{kind}'.")
            state.privileges[name.lower()] = doc
        return Response.empty(204)

    return create, update


def delete_privilege(state: NexusState, req: Request) -> Response:
    name = req.params["privilegeName"]
    with state.lock:
        doc = all_privileges(state).get(name.lower())
        if doc is None:
            raise quoted(404, f"Privilege '{name}' not found.")
        if doc["readOnly"]:
            raise quoted(400, f"Privilege '{name}' is internal and cannot be modified or "
                              f"deleted.")
        del state.privileges[name.lower()]
        for role in state.roles.values():
            kept = [p for p in role["privileges"] if p.lower() != name.lower()]
            if len(kept) != len(role["privileges"]):
                role["privileges"] = kept
    return Response.empty(204)


def register(router: Router, state: NexusState) -> None:
    base = "/v1/security/privileges"  # nexus:privileges:*
    router.add("GET", base, list_privileges, auth="nexus:privileges:read")
    for kind in PRIVILEGE_TYPES:
        create, update = _privilege_handlers(kind)
        router.add("POST", f"{base}/{kind}", create, auth="nexus:privileges:create")
        router.add("PUT", f"{base}/{kind}/{{privilegeName}}", update,
                   auth="nexus:privileges:update")
    router.add("GET", f"{base}/{{privilegeName}}", get_privilege, auth="nexus:privileges:read")
    router.add("DELETE", f"{base}/{{privilegeName}}", delete_privilege,
               auth="nexus:privileges:delete")
