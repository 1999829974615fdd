"""LDAP servers: list, read, create, update, delete and their order. The fields, enums, required
properties and ranges come from the release's own spec (they differ by release; 3.94 spells the
enums LDAPS, simple, CRAM-MD5, DYNAMIC), plus the rules the field descriptions state. LDAP's
resource is not in nexus-public: its endpoints keep nexus:*."""
from __future__ import annotations

import uuid
from typing import Any, Optional

from ..http import ApiError, Request, Response
from ..routing import Router
from ..state import NexusState
from ..validation import public, quoted, schema, spec_version, unreadable
from .support import security_body


def _schema(state: NexusState, name: str) -> dict:
    """The named schema from the bundled spec nearest to the emulated release."""
    return schema(spec_version(state), name)


def _ldap_view(doc: dict, order: int) -> dict:
    view = public(doc)
    view["order"] = order
    return view


def _find_ldap(state: NexusState, name: str) -> tuple[int, dict]:
    for index, doc in enumerate(state.ldap_servers):
        if doc["name"] == name:
            return index, doc
    raise quoted(404, f"LDAP server {name} not found")


def _enum_key(value: Optional[str]) -> Optional[str]:
    return value.upper().replace("-", "_") if isinstance(value, str) else None


def _validate_ldap(state: NexusState, body: dict, schema_name: str,
                   previous: Optional[dict]) -> dict:
    """Checks an LDAP server body against the release's schema (types, enums, required fields,
    ranges) and the rules its field descriptions state; returns the stored document."""
    schema = _schema(state, schema_name)
    props: dict[str, dict] = schema["properties"]
    required = set(schema.get("required", []))
    fields: dict[str, Any] = {}
    for key, prop in props.items():
        if key in ("id", "order"):
            continue
        value = body.get(key)
        expected = {"string": str, "integer": int, "boolean": bool}[prop["type"]]
        if value is not None and (not isinstance(value, expected)
                                  or (expected is int and isinstance(value, bool))):
            raise unreadable(f"'{key}' must be of type {prop['type']}")
        if value is not None and "enum" in prop:
            # 3.94's schemas spell these enums differently (LDAPS, simple, CRAM-MD5, DYNAMIC):
            # take either spelling, keep the release's own.
            spelled = {_enum_key(choice): choice for choice in prop["enum"]}
            if _enum_key(value) not in spelled:
                raise unreadable(f"'{value}' is not one of {prop['enum']} for '{key}'")
            value = spelled[_enum_key(value)]
        fields[key] = value
    errors: list[tuple[str, str]] = []

    def need(key: str, stored: Optional[str] = None) -> None:
        value = fields.get(key)
        if (value is None or (isinstance(value, str) and not value.strip())) and not stored:
            errors.append((f"PARAMETER {key}", "must not be blank"
                           if props[key]["type"] == "string" else "must not be null"))

    scheme = _enum_key(fields.get("authScheme"))
    group_type = _enum_key(fields.get("groupType"))
    for key in sorted(required):
        if key == "authPassword" and scheme == "NONE":
            continue
        need(key)
    if scheme not in (None, "NONE"):
        need("authUsername")
        # A release whose update schema does not require the password keeps the stored one.
        need("authPassword", previous.get("_authPassword") if previous else None)
    if scheme in ("DIGEST_MD5", "CRAM_MD5"):
        need("authRealm")
    if fields.get("ldapGroupsAsRoles"):
        need("groupType")
    if group_type == "STATIC":
        for key in ("groupBaseDn", "groupIdAttribute", "groupMemberAttribute",
                    "groupMemberFormat", "groupObjectClass"):
            need(key)
    if group_type == "DYNAMIC":
        need("userMemberOfAttribute")
    for key, prop in props.items():
        value = fields.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            if "minimum" in prop and value < prop["minimum"]:
                errors.append((f"PARAMETER {key}",
                               f"must be greater than or equal to {prop['minimum']}"))
            if "maximum" in prop and value > prop["maximum"]:
                errors.append((f"PARAMETER {key}",
                               f"must be less than or equal to {prop['maximum']}"))
    if errors:
        raise ApiError.validation(errors)
    password = fields.pop("authPassword", None)
    if password is None and previous is not None:
        password = previous.get("_authPassword")
    fields["_authPassword"] = password
    return fields


def list_ldap(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json([_ldap_view(d, i) for i, d in enumerate(state.ldap_servers)])


def get_ldap(state: NexusState, req: Request) -> Response:
    with state.lock:
        index, doc = _find_ldap(state, req.params["name"])
        return Response.json(_ldap_view(doc, index))


def create_ldap(state: NexusState, req: Request) -> Response:
    body = security_body(req)
    with state.lock:
        fields = _validate_ldap(state, body, "CreateLdapServerXo", None)
        if any(d["name"].lower() == fields["name"].lower() for d in state.ldap_servers):
            raise ApiError.bad_request(f"LDAP server with name '{fields['name']}' already exists")
        doc = {"id": uuid.uuid4().hex[:24], **fields}
        state.ldap_servers.append(doc)
    return Response.empty(201)


def update_ldap(state: NexusState, req: Request) -> Response:
    body = security_body(req)
    with state.lock:
        index, previous = _find_ldap(state, req.params["name"])
        fields = _validate_ldap(state, body, "UpdateLdapServerXo", previous)
        clash = any(i != index and d["name"].lower() == fields["name"].lower()
                    for i, d in enumerate(state.ldap_servers))
        if clash:
            raise ApiError.bad_request(f"LDAP server with name '{fields['name']}' already exists")
        state.ldap_servers[index] = {"id": previous["id"], **fields}
    return Response.empty(204)


def delete_ldap(state: NexusState, req: Request) -> Response:
    with state.lock:
        index, _ = _find_ldap(state, req.params["name"])
        del state.ldap_servers[index]
    return Response.empty(204)


def change_ldap_order(state: NexusState, req: Request) -> Response:
    body = req.json()
    if not isinstance(body, list) or not all(isinstance(v, str) for v in body):
        raise unreadable("expected an array of LDAP server names")
    with state.lock:
        by_name = {d["name"]: d for d in state.ldap_servers}
        unknown = [name for name in body if name not in by_name]
        if unknown:
            raise quoted(404, f"LDAP server {unknown[0]} not found")
        ordered = [by_name[name] for name in dict.fromkeys(body)]
        ordered += [d for d in state.ldap_servers if d["name"] not in body]
        state.ldap_servers[:] = ordered
    return Response.empty(204)


def register(router: Router, state: NexusState) -> None:
    base = "/v1/security/ldap"
    router.add("GET", base, list_ldap)
    router.add("POST", base, create_ldap)
    router.add("POST", f"{base}/change-order", change_ldap_order)
    router.add("GET", f"{base}/{{name}}", get_ldap)
    router.add("PUT", f"{base}/{{name}}", update_ldap)
    router.add("DELETE", f"{base}/{{name}}", delete_ldap)
