"""Who may call a route, and with which request media type, as Nexus's REST layer decides it.

Order (a request that passed authentication): RESTEasy matches the resource method first — an
entity whose Content-Type the method does not @Consume is a 415 with no body — then the Shiro
annotations run: @RequiresAuthentication needs a logged-in user (Nexus's anonymous subject is
built with authenticated(false), AnonymousManagerImpl.buildSubject) and @RequiresPermissions the
permission; either failing is AuthorizationExceptionMapper's bare 403. Resources without
annotations (GET /v1/repositories) run for any subject and show what its permissions allow.
"""
from __future__ import annotations

from .permissions import permitted
from .http import ApiError, Request
from .routing import Route
from .state import NexusState

ADMIN_PERMISSION = "nexus:*"
OCTET_STREAM = "application/octet-stream"


def bind_subject(state: NexusState, req: Request) -> None:
    """No credentials and anonymous access on: the request runs as the anonymous user
    (AnonymousFilter), not authenticated."""
    if req.user is None:
        with state.lock:
            if state.anonymous.get("enabled"):
                req.user = state.anonymous.get("userId") or "anonymous"
                req.anonymous = True


def check_media_type(route: Route, req: Request) -> None:
    """An entity must be of the media type the resource consumes; JAX-RS takes an entity sent
    without Content-Type as application/octet-stream (JAX-RS 2.0 section 3.7.2)."""
    if not req.body:
        return
    sent = (req.headers.get("content-type") or OCTET_STREAM).split(";")[0].strip().lower()
    if not _compatible(sent, route.consumes):
        raise ApiError.unsupported_media_type()


def _compatible(sent: str, consumed: str) -> bool:
    sent_type, _, sent_sub = sent.partition("/")
    want_type, _, want_sub = consumed.partition("/")
    # `*/*` (a resource without @Consumes, as the specs show it) takes any entity.
    return (sent_type == want_type or "*" in (sent_type, want_type)) \
        and (sent_sub == want_sub or "*" in (sent_sub, want_sub))


def authorize(state: NexusState, route: Route, req: Request) -> None:
    if route.auth in ("none", "anyone"):
        return
    if req.user is None or req.anonymous:
        raise ApiError.forbidden()
    permission = ADMIN_PERMISSION if route.auth == "admin" else route.auth
    if route.auth != "user":
        with state.lock:
            if not permitted(state, req.user, permission):
                raise ApiError.forbidden()
