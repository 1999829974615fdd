"""Security realms and anonymous access (RealmApiResource, AnonymousAccessApiResource in
sonatype/nexus-public): which realms a release and edition offers, the active list, and which
user and realm anonymous requests run as."""
from __future__ import annotations

from ..http import ApiError, Request, Response
from ..routing import Router
from ..state import NexusState
from ..validation import unreadable
from .support import blank, security_body, text

REALMS = (("NexusAuthenticatingRealm", "Local Authenticating Realm"),
          ("NexusAuthorizingRealm", "Local Authorizing Realm"),
          ("ConanToken", "Conan Bearer Token Realm"),
          ("Crowd", "Crowd Realm"),
          ("DefaultRole", "Default Role Realm"),
          ("DockerToken", "Docker Bearer Token Realm"),
          ("LdapRealm", "LDAP Realm"),
          ("NpmToken", "npm Bearer Token Realm"),
          ("NuGetApiKey", "NuGet API-Key Realm"),
          ("OciBearerToken", "OCI Bearer Token Realm"),
          ("rutauth-realm", "Rut Auth Realm"),
          ("SamlRealm", "SAML Realm"),
          ("User-Token-Realm", "User Token Realm"))
PRO_REALMS = ("Crowd", "SamlRealm", "User-Token-Realm")
# Realms a release introduced: the OCI format (3.94) brings its token realm ("OCI Bearer Token
# Realm required if false", OciAttributes.forceBasicAuth in the 3.94.0 spec; the id is the one a
# public 3.94 configuration activates).
REALM_SINCE = {"OciBearerToken": "3.94.0"}
# AuthorizingRealmImpl.NAME: installed even when not configured (RealmManagerImpl
# .maybeAddAuthorizingRealm), and the anonymous user's default realm.
AUTHORIZING_REALM = "NexusAuthorizingRealm"


def available_realms(state: NexusState) -> list[dict]:
    realms = []
    for realm_id, name in REALMS:
        if realm_id in PRO_REALMS and not state.pro:
            continue
        if realm_id == "NexusAuthorizingRealm" and state.at_least("3.60.0"):
            continue
        if realm_id in REALM_SINCE and not state.at_least(REALM_SINCE[realm_id]):
            continue
        realms.append({"id": realm_id, "name": name})
    return realms


def get_available_realms(state: NexusState, req: Request) -> Response:
    return Response.json(available_realms(state))


def get_active_realms(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json(list(state.realms_active))


def put_active_realms(state: NexusState, req: Request) -> Response:
    body = req.json()
    if not isinstance(body, list) or not all(isinstance(v, str) for v in body):
        raise unreadable("expected an array of realm ids")
    known = {realm["id"] for realm in available_realms(state)}
    unknown = [realm for realm in body if realm not in known]
    if unknown:
        # RealmApiResource: plain text, the message itself in quotes, Java's list format.
        raise ApiError.plain(400, f"\"Unknown realmIds: [{', '.join(unknown)}]\"")
    with state.lock:
        state.realms_active[:] = body
    return Response.empty(204)


def get_anonymous(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json(dict(state.anonymous))


def put_anonymous(state: NexusState, req: Request) -> Response:
    body = security_body(req)
    enabled = body.get("enabled", False)
    if not isinstance(enabled, bool):
        raise unreadable("'enabled' must be a boolean")
    user_id, realm = text(body, "userId"), text(body, "realmName")
    errors = [(f"PARAMETER {key}", "must not be blank")
              for key, value in (("userId", user_id), ("realmName", realm)) if blank(value)]
    if errors:
        raise ApiError.validation(errors)
    with state.lock:
        # AnonymousAccessApiResource.validate: the realm must be one the security manager runs,
        # i.e. an active realm or the authorizing realm RealmManagerImpl always installs.
        if realm not in [*state.realms_active, AUTHORIZING_REALM]:
            raise ApiError.validation([("realmName", "Realm does not exist")])
        state.anonymous.update({"enabled": enabled, "userId": user_id, "realmName": realm})
        return Response.json(dict(state.anonymous))


def register(router: Router, state: NexusState) -> None:
    # The @RequiresPermissions of RealmApiResource and AnonymousAccessApiResource.
    base = "/v1/security"
    router.add("GET", f"{base}/realms/available", get_available_realms,
               auth="nexus:settings:read")
    router.add("GET", f"{base}/realms/active", get_active_realms, auth="nexus:settings:read")
    router.add("PUT", f"{base}/realms/active", put_active_realms, auth="nexus:settings:update")
    router.add("GET", f"{base}/anonymous", get_anonymous, auth="nexus:settings:read")
    router.add("PUT", f"{base}/anonymous", put_anonymous, auth="nexus:settings:update")
