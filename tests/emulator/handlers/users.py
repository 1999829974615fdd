"""Users of the default source (UserApiResource in sonatype/nexus-public): list, create, update,
delete; passwords are kept apart from the documents and never answered."""
from __future__ import annotations

import re

from ..http import ApiError, Request, Response
from ..routing import Router
from ..state import NexusState
from ..validation import NAME_MESSAGE, NAME_REGEX, public, quoted, unreadable
from .support import blank, security_body, string_set, text

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
USER_STATUSES = ("active", "locked", "disabled", "changepassword")
USER_SOURCES = ("default", "LDAP")  # LDAP's user manager exists even without a server configured
DEFAULT_SOURCE = "default"


def list_users(state: NexusState, req: Request) -> Response:
    prefix = (req.arg("userId") or "").lower()
    source = req.arg("source") or ""
    with state.lock:
        users = [public(u) for u in state.users.values()
                 if u["userId"].lower().startswith(prefix)
                 and (not source or u["source"] == source)]
    users.sort(key=lambda u: u["userId"])
    if source != DEFAULT_SOURCE:
        users = users[:100]  # Nexus limits searches that may reach a remote source
    return Response.json(users)


def _validate_user_fields(body: dict, creating: bool) -> tuple[list[tuple[str, str]], dict]:
    """Bean validation of ApiCreateUser/ApiUser; returns the errors and the parsed fields."""
    fields = {key: text(body, key) for key in
              ("userId", "firstName", "lastName", "emailAddress", "source", "password")}
    status = body.get("status")
    if status is not None and status not in USER_STATUSES:
        raise unreadable(f"status '{status}' is not one of {list(USER_STATUSES)}")
    roles = string_set(body, "roles")
    errors: list[tuple[str, str]] = []
    if blank(fields["userId"]):
        errors.append(("PARAMETER userId", "must not be blank"))
    elif creating and not NAME_REGEX.match(fields["userId"] or ""):
        errors.append(("PARAMETER userId", NAME_MESSAGE))
    for key in ("firstName", "lastName", "emailAddress"):
        if not fields[key]:
            errors.append((f"PARAMETER {key}", "must not be empty"))
    if fields["emailAddress"] and not EMAIL_RE.match(fields["emailAddress"]):
        errors.append(("PARAMETER emailAddress", "must be a well-formed email address"))
    if creating and not fields["password"]:
        errors.append(("PARAMETER password", "must not be empty"))
    if not creating and blank(fields["source"]):
        errors.append(("PARAMETER source", "must not be blank"))
    if status is None:
        errors.append(("PARAMETER status", "must not be null"))
    if not roles:
        errors.append(("PARAMETER roles", "must not be empty"))
    fields["status"] = status
    fields["roles"] = roles
    return errors, fields


def _check_roles_exist(state: NexusState, roles: list[str]) -> None:
    missing = [("roles", f"Unable to locate roleId: {role}") for role in roles
               if role not in state.roles]
    if missing:
        raise ApiError.validation(missing)


def create_user(state: NexusState, req: Request) -> Response:
    errors, fields = _validate_user_fields(security_body(req), creating=True)
    if errors:
        raise ApiError.validation(errors)
    if blank(fields["password"]):
        raise quoted(400, "A non-empty password is required.")
    with state.lock:
        _check_roles_exist(state, fields["roles"])
        if fields["userId"] in state.users:
            # nexus-public#1047: the DuplicateUserException escapes as a bare 500.
            raise ApiError.server_error()
        doc = {"userId": fields["userId"], "firstName": fields["firstName"],
               "lastName": fields["lastName"], "emailAddress": fields["emailAddress"],
               "source": DEFAULT_SOURCE, "status": fields["status"], "readOnly": False,
               "roles": fields["roles"], "externalRoles": []}
        state.users[doc["userId"]] = doc
        state.passwords[doc["userId"]] = fields["password"]
        return Response.json(public(doc))


def update_user(state: NexusState, req: Request) -> Response:
    user_id = req.params["userId"]
    body = security_body(req)
    errors, fields = _validate_user_fields(body, creating=False)
    if errors:
        raise ApiError.validation(errors)
    if fields["userId"] != user_id:
        raise quoted(400, "The path's userId does not match the body")
    with state.lock:
        _check_roles_exist(state, fields["roles"])
        source = fields["source"]
        if source not in USER_SOURCES:
            raise quoted(404, f"Unable to locate source: {source}")
        doc = state.users.get(user_id)
        if doc is None or doc["source"] != source:
            raise quoted(404, f"User '{user_id}' not found.")
        if source == DEFAULT_SOURCE:
            doc.update({"firstName": fields["firstName"], "lastName": fields["lastName"],
                        "emailAddress": fields["emailAddress"], "status": fields["status"]})
        doc["roles"] = fields["roles"]
    return Response.empty(204)


def delete_user(state: NexusState, req: Request) -> Response:
    user_id = req.params["userId"]
    with state.lock:
        if user_id not in state.users:
            raise quoted(404, f"User '{user_id}' not found.")
        # DefaultSecuritySystem.deleteUser refuses these two.
        if user_id == req.user:
            raise quoted(400, "Can not delete currently signed in user")
        if state.anonymous.get("enabled") and user_id == state.anonymous.get("userId"):
            raise quoted(400, "Can not delete anonymous user")
        del state.users[user_id]
        state.passwords.pop(user_id, None)
    return Response.empty(204)


def register(router: Router, state: NexusState) -> None:
    base = "/v1/security/users"  # UserApiResource: nexus:users:*
    router.add("GET", base, list_users, auth="nexus:users:read")
    router.add("POST", base, create_user, auth="nexus:users:create")
    router.add("PUT", f"{base}/{{userId}}", update_user, auth="nexus:users:update")
    router.add("DELETE", f"{base}/{{userId}}", delete_user, auth="nexus:users:delete")
