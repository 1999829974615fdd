"""Status, first-start password change and the Community Edition EULA."""
from __future__ import annotations


from ..http import ApiError, Request, Response
from ..routing import Router
from ..state import EULA_DISCLAIMER, NexusState
from ..validation import quoted


def register(router: Router, state: NexusState) -> None:
    router.add("GET", "/v1/status", status, auth="none")
    router.add("GET", "/v1/status/writable", status, auth="none")
    # StatusResource: @RequiresPermissions("nexus:metrics:read") on /check only.
    router.add("GET", "/v1/status/check", status_check, auth="nexus:metrics:read")
    # UserApiResource.changePassword: @RequiresPermissions("nexus:*"), @Consumes(TEXT_PLAIN).
    router.add("PUT", "/v1/security/users/{userId}/change-password", change_password,
               auth="admin", consumes="text/plain")
    router.add("GET", "/v1/system/eula", get_eula, auth="admin", available=_has_eula_endpoint)
    router.add("POST", "/v1/system/eula", post_eula, auth="admin", available=_has_eula_endpoint)


def status(state: NexusState, req: Request) -> Response:
    return Response.empty(200)


def status_check(state: NexusState, req: Request) -> Response:
    checks = {name: {"healthy": True, "message": None, "error": None, "details": None,
                     "time": 0, "duration": 0, "timestamp": None}
              for name in ("Available CPUs", "Blob Stores Quota", "Blob Stores Ready",
                           "File Blob Stores Path", "File Descriptors", "Read-Only Detector",
                           "Thread Deadlock Detector", "Transactions")}
    return Response.json(checks)


def change_password(state: NexusState, req: Request) -> Response:
    """UserApiResource.changePassword: a blank password, then an unknown user, each a quoted
    message (createWebException)."""
    user_id = req.params["userId"]
    password = req.body.decode("utf-8") if req.body else ""
    if not password.strip():
        raise quoted(400, "Password must be supplied.")
    with state.lock:
        if user_id not in state.users:
            raise quoted(404, f"User '{user_id}' not found.")
        state.passwords[user_id] = password
        if user_id == "admin":
            state.first_password_consumed()
    return Response.empty(204)


def _has_eula_endpoint(state: NexusState) -> bool:
    return state.at_least("3.77.0")


def get_eula(state: NexusState, req: Request) -> Response:
    with state.lock:
        accepted = state.eula_accepted or not state.eula_required
    return Response.json({"accepted": accepted, "disclaimer": EULA_DISCLAIMER})


def post_eula(state: NexusState, req: Request) -> Response:
    """Accepting means posting the server's own object back with accepted=true; any change to
    the disclaimer text is refused with a bare 500, as Nexus does."""
    body = req.json()
    if not isinstance(body, dict) or body.get("disclaimer") != EULA_DISCLAIMER:
        raise ApiError.server_error()
    with state.lock:
        state.eula_accepted = bool(body.get("accepted"))
    return Response.empty(204)
