"""Roles (RoleApiResource in sonatype/nexus-public): list by source, read, create, update,
delete; references to roles and privileges are checked, and a deleted role leaves every role and
user that held it (the security configuration cleaner)."""
from __future__ import annotations

from ..http import ApiError, Request, Response
from ..permissions import all_privileges
from ..routing import Router
from ..state import NexusState
from ..validation import public, quoted
from .support import security_body, string_set, text
from .users import DEFAULT_SOURCE

ROLE_SOURCES = ("default", "LDAP")


def list_roles(state: NexusState, req: Request) -> Response:
    source = req.arg("source") or ""
    if source and source not in ROLE_SOURCES:
        raise quoted(400, f"Source '{source}' not found.")
    with state.lock:
        roles = [public(r) for r in state.roles.values() if not source or r["source"] == source]
    return Response.json(sorted(roles, key=lambda r: r["id"]))


def get_role(state: NexusState, req: Request) -> Response:
    role_id = req.params["id"]
    source = req.arg("source") or DEFAULT_SOURCE
    if source not in ROLE_SOURCES:
        raise quoted(400, f"Source '{source}' not found.")
    with state.lock:
        doc = state.roles.get(role_id)
        if doc is None or doc["source"] != source:
            raise quoted(404, f"Role '{role_id}' not found.")
        return Response.json(public(doc))


def _role_fields(body: dict) -> dict:
    fields = {"id": text(body, "id"), "name": text(body, "name"),
              "description": text(body, "description"),
              "privileges": string_set(body, "privileges"), "roles": string_set(body, "roles")}
    errors = [(f"PARAMETER {key}", "must not be empty") for key in ("id", "name")
              if not fields[key]]
    if errors:
        raise ApiError.validation(errors)
    return fields


def _check_role_references(state: NexusState, role_id: str, fields: dict) -> None:
    for child in fields["roles"]:
        if child not in state.roles:
            raise quoted(400, f"Role '{child}' contained in role '{role_id}' not found.")
    privileges = all_privileges(state)
    for name in fields["privileges"]:
        if name.lower() not in privileges:
            raise quoted(400, f"Privilege '{name}' contained in role '{role_id}' not found.")


def _contains_itself(state: NexusState, role_id: str, children: list[str]) -> bool:
    pending, seen = list(children), set()
    while pending:
        current = pending.pop()
        if current == role_id:
            return True
        if current in seen:
            continue
        seen.add(current)
        pending.extend(state.roles.get(current, {}).get("roles", []))
    return False


def create_role(state: NexusState, req: Request) -> Response:
    fields = _role_fields(security_body(req))
    role_id = fields["id"]
    with state.lock:
        if role_id in state.roles:
            raise quoted(400, f"Role '{role_id}' already exists, use a unique roleId.")
        _check_role_references(state, role_id, fields)
        doc = {"id": role_id, "source": DEFAULT_SOURCE, "name": fields["name"],
               "description": fields["description"], "readOnly": False,
               "privileges": fields["privileges"], "roles": fields["roles"]}
        state.roles[role_id] = doc
        return Response.json(public(doc))


def update_role(state: NexusState, req: Request) -> Response:
    role_id = req.params["id"]
    fields = _role_fields(security_body(req))
    if fields["id"] != role_id:
        raise quoted(409, f"The Role id '{fields['id']}' does not match the id used in the "
                          f"path '{role_id}'.")
    with state.lock:
        doc = state.roles.get(role_id)
        if doc is None or doc["source"] != DEFAULT_SOURCE:
            raise quoted(404, f"Role '{role_id}' not found.")
        if doc["readOnly"]:
            raise quoted(400, f"Role '{role_id}' is internal and cannot be modified or deleted.")
        _check_role_references(state, role_id, fields)
        if _contains_itself(state, role_id, fields["roles"]):
            raise quoted(400, f"Role '{role_id}' cannot contain itself either directly or "
                              f"indirectly through child roles.")
        doc.update({"name": fields["name"], "description": fields["description"],
                    "privileges": fields["privileges"], "roles": fields["roles"]})
    return Response.empty(204)


def delete_role(state: NexusState, req: Request) -> Response:
    role_id = req.params["id"]
    with state.lock:
        doc = state.roles.get(role_id)
        if doc is None or doc["source"] != DEFAULT_SOURCE:
            raise quoted(404, f"Role '{role_id}' not found.")
        if doc["readOnly"]:
            raise quoted(400, f"Role '{role_id}' is internal and cannot be modified or deleted.")
        del state.roles[role_id]
        # Nexus's security configuration cleaner drops dangling references.
        for other in state.roles.values():
            if role_id in other["roles"]:
                other["roles"] = [r for r in other["roles"] if r != role_id]
        for user in state.users.values():
            if role_id in user["roles"]:
                user["roles"] = [r for r in user["roles"] if r != role_id]
    return Response.empty(204)


def register(router: Router, state: NexusState) -> None:
    base = "/v1/security/roles"  # RoleApiResource: nexus:roles:*
    router.add("GET", base, list_roles, auth="nexus:roles:read")
    router.add("POST", base, create_role, auth="nexus:roles:create")
    router.add("GET", f"{base}/{{id}}", get_role, auth="nexus:roles:read")
    router.add("PUT", f"{base}/{{id}}", update_role, auth="nexus:roles:update")
    router.add("DELETE", f"{base}/{{id}}", delete_role, auth="nexus:roles:delete")
