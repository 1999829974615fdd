"""Capabilities: /v1/capabilities, with the webhook capabilities the project configures.

What differs by version:
* the REST API exists from 3.84 on; before, every path answers 404;
* /v1/capabilities/types exists from 3.90 on; before, GET on it hits /v1/capabilities/{id},
  which only knows PUT and DELETE (405);
* password properties (the webhook `secret`) come back as Nexus's placeholder before 3.87 and
  are left out of the answer from 3.87 on;
* CapabilityDTO gains active/error/state/… fields in 3.94.

Types beyond the webhooks (ids and properties as sonatype/nexus-public's descriptors and the
sonatyperepo Terraform provider name them): `baseurl` (url), `OutreachManagementCapability`
(alwaysRemote, overrideUrl), `audit` (no properties) and `defaultrole` (role, not checked
against existing roles). Properties are validated against the type's form fields (required,
URL, item-select options, checkbox, repository reference), and CapabilityDescriptorSupport's
uniqueness applies: one capability per type for baseurl/outreach/audit/defaultrole, one per
(repository, url) for webhook.repository -> 400 "Only one capability of type '<name>'… can be
created".
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any, Optional

from ..http import ApiError, Request, Response
from ..routing import Router
from ..state import NexusState

CAPABILITIES_API = "3.84.0"
TYPES_API = "3.90.0"
SECRET_OMITTED = "3.87.0"
EXTENDED_DTO = "3.94.0"
PASSWORD_PLACEHOLDER = "#~NXRM~PLACEHOLDER~PASSWORD~#"
HTTP_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class FormField:
    id: str
    type: str  # "string" | "password" | "url" | "itemselect" | "combobox" | "checkbox"
    label: str
    help: str
    required: bool = True
    options: tuple[str, ...] = ()  # allowed values of an itemselect (comma-separated in storage)
    reference: Optional[str] = None  # "repository": the value must name an existing repository
    store_api: Optional[str] = None  # the UI store a combobox reads its options from


@dataclass(frozen=True)
class CapabilityType:
    id: str
    name: str
    about: str
    fields: tuple[FormField, ...]
    # Properties that make a capability unique (CapabilityDescriptorSupport.uniqueProperties):
    # () = one per type, None = no uniqueness check.
    unique: Optional[tuple[str, ...]] = ()


_URL = FormField("url", "url", "URL", "Send a HTTP POST request to this URL")
_SECRET = FormField("secret", "password", "Secret Key", "Key to use for HMAC payload digest",
                    required=False)
CAPABILITY_TYPES: dict[str, CapabilityType] = {t.id: t for t in (
    CapabilityType("webhook.global", "Webhook: Global",
                   "Send HTTP POST requests to a URL when global events occur.",
                   (FormField("names", "itemselect", "Event Types",
                              "Event types which trigger this Webhook", options=("audit",
                                                                                  "repository")),
                    _URL, _SECRET), unique=None),
    CapabilityType("webhook.repository", "Webhook: Repository",
                   "Send HTTP POST requests to a URL when events occur in a repository.",
                   (FormField("repository", "combobox", "Repository",
                              "Repository to discriminate events from", reference="repository",
                              store_api="coreui_Repository.readReferences"),
                    FormField("names", "itemselect", "Event Types",
                              "Event types which trigger this Webhook",
                              options=("asset", "component")),
                    _URL, _SECRET), unique=("repository", "url")),
    CapabilityType("baseurl", "Base URL", "Sets the base URL used in links Nexus generates.",
                   (FormField("url", "url", "URL", "Reverse proxy base URL"),)),
    CapabilityType("OutreachManagementCapability", "Outreach: Management",
                   "Shows Sonatype outreach content on the welcome page.",
                   (FormField("alwaysRemote", "checkbox", "Always remote",
                              "Always use the remote outreach content", required=False),
                    FormField("overrideUrl", "url", "Override URL",
                              "Use this URL instead of the default outreach URL",
                              required=False))),
    CapabilityType("audit", "Audit", "Records changes to the configuration in the audit log.", ()),
    CapabilityType("defaultrole", "Default Role",
                   "Grants a role to every authenticated user.",
                   (FormField("role", "combobox", "Role",
                              "The role which is automatically granted to authenticated users",
                              store_api="coreui_Role.read"),)),
)}


def _has_api(state: NexusState) -> bool:
    return state.at_least(CAPABILITIES_API)


def _text(value: Any) -> Optional[str]:
    """Jackson coerces scalars into the String values of the properties map."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _body(req: Request) -> dict[str, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise ApiError.validation([("*", "Cannot deserialize value of type `CapabilityDTO` from "
                                         "Array value")])
    for key in ("type", "notes", "id"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise ApiError.validation([(key, "Cannot deserialize value of type "
                                             "`java.lang.String` from non-string value")])
    if body.get("enabled") is not None and not isinstance(body["enabled"], bool):
        raise ApiError.validation([("enabled", "Cannot deserialize value of type "
                                               "`java.lang.Boolean` from non-boolean value")])
    props = body.get("properties")
    if props is not None and (not isinstance(props, dict)
                              or any(isinstance(v, (dict, list)) for v in props.values())):
        raise ApiError.validation([("properties", "Cannot deserialize value of type "
                                                  "`java.util.Map<java.lang.String,"
                                                  "java.lang.String>`")])
    return body


def _validate(state: NexusState, ctype: CapabilityType, props: dict[str, str]) -> None:
    """The checks of the capability descriptor: required fields, URL, event types, repository."""
    errors: list[tuple[str, str]] = []
    for spec in ctype.fields:
        value = props.get(spec.id, "").strip()
        if not value:
            if spec.required:
                errors.append((spec.id, f"{spec.label} is required"))
            continue
        if spec.type == "url" and not HTTP_URL.match(value):
            errors.append((spec.id, f"{spec.label} must be an http:// or https:// URL: {value}"))
        elif spec.type == "itemselect":
            chosen = [n.strip() for n in value.split(",")]
            unknown = [n for n in chosen if n not in spec.options]
            if unknown:
                errors.append((spec.id, f"Unknown {spec.label.lower()} {unknown}; allowed: "
                                        f"{', '.join(spec.options)}"))
        elif spec.type == "checkbox" and value not in ("true", "false"):
            errors.append((spec.id, f"{spec.label} must be true or false: {value}"))
        elif spec.reference == "repository" and value.lower() not in state.repositories:
            errors.append((spec.id, f"Repository '{value}' does not exist"))
    if errors:
        raise ApiError.validation(errors)


def _check_unique(state: NexusState, ctype: CapabilityType, props: dict[str, str],
                  own_id: Optional[str]) -> None:
    """CapabilityDescriptorSupport.validateUnique on create and update."""
    if ctype.unique is None:
        return
    for doc in state.capabilities.values():
        if doc["type"] != ctype.id or doc["id"] == own_id:
            continue
        if all(doc["_properties"].get(key) == props.get(key) for key in ctype.unique):
            labels = {f.id: f.label for f in ctype.fields}
            detail = "".join(f", {labels.get(key, key).lower()} '{props.get(key)}'"
                             for key in ctype.unique)
            raise ApiError.validation([("*", f"Only one capability of type '{ctype.name}'"
                                             f"{detail} can be created")])


def _condition(state: NexusState, doc: dict[str, Any]) -> Optional[str]:
    """Why an enabled capability is not active (its repository is gone), or None."""
    repository = doc["_properties"].get("repository")
    if doc["type"] == "webhook.repository" and repository and \
            repository.lower() not in state.repositories:
        return f"Repository '{repository}' does not exist"
    return None


def _publish(state: NexusState, doc: dict[str, Any]) -> None:
    """Rewrites the public keys of `doc` as this version's GET answers them."""
    ctype = CAPABILITY_TYPES[doc["type"]]
    props = dict(doc["_properties"])
    for spec in ctype.fields:
        if spec.type == "password" and spec.id in props:
            if state.at_least(SECRET_OMITTED) or not props[spec.id]:
                del props[spec.id]
            else:
                props[spec.id] = PASSWORD_PLACEHOLDER
    view: dict[str, Any] = {"id": doc["id"], "type": doc["type"], "notes": doc["_notes"],
                            "enabled": doc["_enabled"], "properties": props}
    if state.at_least(EXTENDED_DTO):
        problem = _condition(state, doc)
        active = doc["_enabled"] and problem is None
        status = "Active" if active else ("Passive" if doc["_enabled"] else "Disabled")
        view.update({"typeName": ctype.name, "description": None, "active": active,
                     "error": False, "state": status.upper(),
                     "stateDescription": problem or status, "status": status, "tags": {}})
    private = {k: v for k, v in doc.items() if k.startswith("_")}
    doc.clear()
    doc.update(view)
    doc.update(private)


def _answer(state: NexusState, doc: dict[str, Any]) -> dict[str, Any]:
    _publish(state, doc)  # "active" follows the repositories it refers to
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def _properties(body: dict[str, Any], kept_secrets: dict[str, str],
                ctype: CapabilityType) -> dict[str, str]:
    """Request properties as strings; a password left out or sent back as the placeholder keeps
    its stored value, so read-modify-write never wipes a secret."""
    props = {k: v for k, v in ((k, _text(v)) for k, v in (body.get("properties") or {}).items())
             if v is not None}
    for spec in ctype.fields:
        if spec.type == "password" and props.get(spec.id, PASSWORD_PLACEHOLDER) == \
                PASSWORD_PLACEHOLDER:
            props.pop(spec.id, None)
            if kept_secrets.get(spec.id):
                props[spec.id] = kept_secrets[spec.id]
    return props


def list_capabilities(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json([_answer(state, doc) for doc in state.capabilities.values()])


def list_types(state: NexusState, req: Request) -> Response:
    return Response.json([{
        "id": t.id, "name": t.name, "about": t.about,
        "formFields": [{
            "id": f.id, "type": f.type, "label": f.label, "helpText": f.help,
            "required": f.required, "disabled": False, "readOnly": False,
            "initialValue": None, "regexValidation": None, "minimumValue": None,
            "maximumValue": None, "allowAutocomplete": f.type == "combobox",
            "storeApi": f.store_api,
            "storeFilters": None, "idMapping": None, "nameMapping": None,
            "attributes": {"options": list(f.options)} if f.options else {}}
            for f in t.fields]}
        for t in CAPABILITY_TYPES.values()])


def create_capability(state: NexusState, req: Request) -> Response:
    """200 with the created CapabilityDTO (its new id, secrets hidden as on GET)."""
    body = _body(req)
    type_id = body.get("type")
    if not type_id:
        raise ApiError.validation([("type", "Capability type must be provided")])
    ctype = CAPABILITY_TYPES.get(type_id)
    if ctype is None:
        raise ApiError.validation([("type", f"Capability type '{type_id}' is not known; "
                                            f"available: {', '.join(CAPABILITY_TYPES)}")])
    with state.lock:
        props = _properties(body, {}, ctype)
        _validate(state, ctype, props)
        _check_unique(state, ctype, props, None)
        doc: dict[str, Any] = {
            "id": secrets.token_hex(8), "type": ctype.id, "_notes": body.get("notes") or "",
            "_enabled": body["enabled"] if body.get("enabled") is not None else True,
            "_properties": props}
        state.capabilities[doc["id"]] = doc
        return Response.json(_answer(state, doc))


def update_capability(state: NexusState, req: Request) -> Response:
    body = _body(req)
    with state.lock:
        doc = state.capabilities.get(req.params["capabilityId"])
        if doc is None:
            raise ApiError.not_found("Capability not found")
        if body.get("type") not in (None, doc["type"]):
            raise ApiError.validation([("type", f"Capability {doc['id']} is of type "
                                                f"{doc['type']}; the type cannot change")])
        ctype = CAPABILITY_TYPES[doc["type"]]
        props = (dict(doc["_properties"]) if body.get("properties") is None
                 else _properties(body, doc["_properties"], ctype))
        _validate(state, ctype, props)
        _check_unique(state, ctype, props, doc["id"])
        if body.get("enabled") is not None:
            doc["_enabled"] = body["enabled"]
        if body.get("notes") is not None:
            doc["_notes"] = body["notes"]
        doc["_properties"] = props
        _publish(state, doc)
    return Response.empty(204)


def delete_capability(state: NexusState, req: Request) -> Response:
    with state.lock:
        if state.capabilities.pop(req.params["capabilityId"], None) is None:
            raise ApiError.not_found("Capability not found")
    return Response.empty(204)


def register(router: Router, state: NexusState) -> None:
    # CapabilityResource: nexus:capabilities:<action>
    router.add("GET", "/v1/capabilities", list_capabilities, available=_has_api,
               auth="nexus:capabilities:read")
    router.add("POST", "/v1/capabilities", create_capability, available=_has_api,
               auth="nexus:capabilities:create")
    # before /{capabilityId}: "types" would otherwise be taken for an id
    # Before 3.90 "types" is read as /{capabilityId}, which has no GET: 405.
    router.add("GET", "/v1/capabilities/types", list_types, available=lambda s: s.at_least(TYPES_API),
               auth="nexus:capabilities:read")
    router.add("PUT", "/v1/capabilities/{capabilityId}", update_capability, available=_has_api,
               auth="nexus:capabilities:update")
    router.add("DELETE", "/v1/capabilities/{capabilityId}", delete_capability, available=_has_api,
               auth="nexus:capabilities:delete")
