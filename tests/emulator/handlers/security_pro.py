"""Pro security settings: SAML (`/v1/security/saml`, `/saml/metadata`), user-token settings
(`/v1/security/user-tokens`) and Atlassian Crowd (`/v1/security/atlassian-crowd`,
`/clear-cache`, `/verify-connection`). All three specs document them; they are Pro features
(the Crowd, SAML and User Token realms exist only on Pro), so on Community Edition the paths are
unknown (404).

SAML (specs; datadrivers/go-nexus-client saml_test): GET answers 404 until a configuration is
PUT; PUT answers 201 the first time and 204 afterwards; DELETE answers 204 and GET is 404 again.
idpMetadata and usernameAttribute are required; the metadata must be a SAML 2.0
EntityDescriptor with an IDPSSODescriptor (the emulator's wording for a bad one). entityId
defaults to `<base URL>/service/rest/v1/security/saml/metadata`, the base URL being the Base URL
capability's or the request's Host.

User tokens: GET/PUT answer UserTokensApiModel (200 - CloudKrafter/nexus-ansible-collection:
"The API always returns 200"); expirationEnabled/expirationDays (1-999, default 30) exist from
3.77 (3.86.2 spec). A property left out keeps its value. DELETE invalidates all tokens (204).

Crowd: realmActive mirrors the "Crowd" realm in the active realm list (PUT adds or removes it);
the application password reads back as the placeholder, which a PUT may send back to keep it.
url, applicationName and applicationPassword are required while enabled (always from 3.94, whose
spec marks them required); timeout is 1-3600. verify-connection answers 204 when the Crowd URL
accepts a TCP connection, else 400 (the emulator does not speak Crowd's REST protocol).
"""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import Any, Optional
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

from ..http import ApiError, Request, Response
from ..routing import Router
from ..state import NexusState
from ..validation import Errors, quoted, raise_if
from .support import (SPEC_3_86, SPEC_3_94, available, blank, kept_secret, masked, object_body,
                      read, unreachable)

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
SAML_FIELDS = ("idpMetadata", "entityId", "usernameAttribute", "firstNameAttribute",
               "lastNameAttribute", "emailAttribute", "groupsAttribute",
               "validateResponseSignature", "validateAssertionSignature")
CROWD_REALM = "Crowd"


def register(router: Router, state: NexusState) -> None:
    pro = available(pro=True)
    for method, path, handler in (
            ("GET", "/v1/security/saml", get_saml), ("PUT", "/v1/security/saml", put_saml),
            ("DELETE", "/v1/security/saml", delete_saml),
            ("GET", "/v1/security/saml/metadata", get_metadata),
            ("GET", "/v1/security/user-tokens", get_user_tokens),
            ("PUT", "/v1/security/user-tokens", put_user_tokens),
            ("DELETE", "/v1/security/user-tokens", invalidate_user_tokens),
            ("GET", "/v1/security/atlassian-crowd", get_crowd),
            ("PUT", "/v1/security/atlassian-crowd", put_crowd),
            ("POST", "/v1/security/atlassian-crowd/clear-cache", clear_crowd_cache),
            ("POST", "/v1/security/atlassian-crowd/verify-connection", verify_crowd)):
        router.add(method, path, handler, available=pro)
    state.seeders.append(seed)


def seed(state: NexusState) -> None:
    state.saml.clear()
    state.user_tokens.clear()
    state.user_tokens.update({"enabled": False, "protectContent": False,
                              "expirationEnabled": False, "expirationDays": 30})
    state.crowd.clear()
    state.crowd.update({"enabled": False, "url": None, "applicationName": None,
                        "applicationPassword": None, "timeout": None,
                        "useTrustStoreForUrl": False})


def base_url(state: NexusState, req: Request) -> str:
    for doc in state.capabilities.values():
        if doc.get("type") == "baseurl" and doc.get("_enabled"):
            return str(doc["_properties"].get("url", "")).rstrip("/")
    return f"http://{req.headers.get('host', 'localhost:8081')}"


# --- SAML --------------------------------------------------------------------------------------
def _metadata_problem(text: str) -> Optional[str]:
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        return f"Invalid IdP metadata: {exc}"
    if root.tag != f"{{{MD}}}EntityDescriptor":
        return "Invalid IdP metadata: the root element must be a SAML 2.0 md:EntityDescriptor"
    if root.find(f"{{{MD}}}IDPSSODescriptor") is None:
        return "Invalid IdP metadata: no md:IDPSSODescriptor"
    return None


def get_saml(state: NexusState, req: Request) -> Response:
    with state.lock:
        if not state.saml:
            raise ApiError(404)
        return Response.json(dict(state.saml))


def put_saml(state: NexusState, req: Request) -> Response:
    body = object_body(req.json())
    values = {key: read(body, key, bool if key.startswith("validate") else str)
              for key in SAML_FIELDS}
    errors: Errors = [(f"PARAMETER {key}", "must not be empty")
                      for key in ("idpMetadata", "usernameAttribute") if blank(values[key])]
    if not errors:
        problem = _metadata_problem(values["idpMetadata"])
        if problem:
            errors.append(("idpMetadata", problem))
    raise_if(errors)
    with state.lock:
        created = not state.saml
        if blank(values["entityId"]):
            values["entityId"] = f"{base_url(state, req)}/service/rest/v1/security/saml/metadata"
        state.saml.clear()
        state.saml.update(values)
    return Response.empty(201 if created else 204)


def delete_saml(state: NexusState, req: Request) -> Response:
    with state.lock:
        state.saml.clear()
    return Response.empty(204)


def get_metadata(state: NexusState, req: Request) -> Response:
    """The service provider's metadata an administrator hands to the identity provider."""
    with state.lock:
        if not state.saml:
            raise ApiError(404)
        entity_id, base = state.saml["entityId"], base_url(state, req)
    xml = (f'<md:EntityDescriptor xmlns:md="{MD}" entityID={quoteattr(entity_id)}>'
           '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
           '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
           f'Location={quoteattr(base + "/saml")} index="0"/>'
           '</md:SPSSODescriptor></md:EntityDescriptor>')
    return Response(200, xml.encode(), "application/xml")


# --- user tokens -------------------------------------------------------------------------------
def _user_token_view(state: NexusState) -> dict[str, Any]:
    view = dict(state.user_tokens)
    if not state.at_least(SPEC_3_86):
        view = {k: view[k] for k in ("enabled", "protectContent")}
    return view


def get_user_tokens(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json(_user_token_view(state))


def put_user_tokens(state: NexusState, req: Request) -> Response:
    body = object_body(req.json())
    keys = ["enabled", "protectContent"]
    if state.at_least(SPEC_3_86):
        keys += ["expirationEnabled", "expirationDays"]
    values = {k: read(body, k, int if k == "expirationDays" else bool) for k in keys}
    days = values.get("expirationDays")
    if days is not None and not 1 <= days <= 999:
        raise ApiError.validation([("PARAMETER expirationDays",
                                    "must be greater than or equal to 1" if days < 1
                                    else "must be less than or equal to 999")])
    with state.lock:
        state.user_tokens.update({k: v for k, v in values.items() if v is not None})
        return Response.json(_user_token_view(state))


def invalidate_user_tokens(state: NexusState, req: Request) -> Response:
    return Response.empty(204)  # the emulator issues no tokens, so none are left to purge


# --- Atlassian Crowd ---------------------------------------------------------------------------
def _crowd_view(state: NexusState) -> dict[str, Any]:
    view = dict(state.crowd, applicationPassword=masked(state.crowd["applicationPassword"]))
    view["realmActive"] = CROWD_REALM in state.realms_active
    return view


def get_crowd(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json(_crowd_view(state))


def _crowd_values(state: NexusState, body: Any) -> dict[str, Any]:
    body = object_body(body)
    values = {"enabled": read(body, "enabled", bool), "realmActive": read(body, "realmActive", bool),
              "url": read(body, "url", str), "applicationName": read(body, "applicationName", str),
              "applicationPassword": read(body, "applicationPassword", str),
              "timeout": read(body, "timeout", int),
              "useTrustStoreForUrl": bool(read(body, "useTrustStoreForUrl", bool))}
    errors: Errors = [(f"PARAMETER {k}", "must not be null") for k in ("enabled", "realmActive")
                      if values[k] is None]
    if values["enabled"] or state.at_least(SPEC_3_94):
        errors += [(f"PARAMETER {k}", "must not be empty")
                   for k in ("url", "applicationName", "applicationPassword")
                   if blank(values[k]) and not (k == "applicationPassword"
                                                and state.crowd.get("applicationPassword"))]
    if not blank(values["url"]) and urlsplit(values["url"]).scheme not in ("http", "https"):
        errors.append(("PARAMETER url", "must be an http:// or https:// URL"))
    timeout = values["timeout"]
    if timeout is not None and not 1 <= timeout <= 3600:
        errors.append(("PARAMETER timeout", "must be greater than or equal to 1" if timeout < 1
                       else "must be less than or equal to 3600"))
    raise_if(errors)
    return values


def put_crowd(state: NexusState, req: Request) -> Response:
    values = _crowd_values(state, req.json())
    with state.lock:
        values["applicationPassword"] = kept_secret(values["applicationPassword"],
                                                    state.crowd.get("applicationPassword"))
        realm_active = values.pop("realmActive")
        state.crowd.update(values)
        if realm_active and CROWD_REALM not in state.realms_active:
            state.realms_active.append(CROWD_REALM)
        if not realm_active and CROWD_REALM in state.realms_active:
            state.realms_active.remove(CROWD_REALM)
        return Response.json(_crowd_view(state))


def clear_crowd_cache(state: NexusState, req: Request) -> Response:
    return Response.empty(204)


def verify_crowd(state: NexusState, req: Request) -> Response:
    values = _crowd_values(state, req.json())
    problem = unreachable(values["url"] or "")
    if problem is not None:
        raise quoted(400, f"Atlassian Crowd connection failed: {values['url']}: {problem}")
    return Response.empty(204)
