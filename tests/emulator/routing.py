"""Path-pattern routing for the emulator's REST surface."""
from __future__ import annotations

import re
from urllib.parse import unquote
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .http import ApiError, Request, Response

Handler = Callable[[Any, Request], Response]  # (state: NexusState, request) -> response

# Who may call a route (see access.py): "none" = anyone, no subject needed (status);
# "anyone" = no annotation on the resource: the subject (caller, anonymous user or nobody) only
# changes what the handler shows; "user" = @RequiresAuthentication; "admin" =
# @RequiresPermissions("nexus:*"); or a permission string "nexus:<domain>:<action>" as the
# resource's @RequiresPermissions names it.
AUTH_LEVELS = ("none", "anyone", "user", "admin")
JSON = "application/json"


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    template: str
    handler: Handler
    auth: str
    # False for a server version or edition that lacks the endpoint: it then answers like an
    # unknown path (404, or 405 when the path exists with other methods), before any auth check.
    available: Optional[Callable[[Any], bool]] = None
    # The resource's @Consumes: a request entity of another media type is a 415.
    consumes: str = JSON


def bind(handler: Callable[..., Response], extra: Any) -> Handler:
    """A handler shared by several routes, called with one more argument (e.g. the repository
    type or the API flavour the route serves)."""
    def bound(state: Any, req: Request) -> Response:
        return handler(state, req, extra)
    bound.__name__ = f"{handler.__name__}_{extra}"
    return bound


class Router:
    """Maps (method, path) to a handler. Paths are written relative to /service/rest, with
    `{name}` placeholders matching one path segment."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, auth: str = "admin",
            available: Optional[Callable[[Any], bool]] = None, consumes: str = JSON) -> None:
        if auth not in AUTH_LEVELS and not auth.startswith("nexus:"):
            raise ValueError(f"unknown auth level {auth}")
        regex = "^/service/rest" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"
        self.routes.append(Route(method, re.compile(regex), template, handler, auth, available,
                                 consumes))

    def route(self, method: str, template: str, auth: str = "admin") -> Callable[[Handler], Handler]:
        """Decorator form of add()."""
        def wrap(handler: Handler) -> Handler:
            self.add(method, template, handler, auth)
            return handler
        return wrap

    def match(self, method: str, path: str, state: Any = None) -> tuple[Optional[Route], dict[str, str]]:
        """The route for a request. A known path with another method raises 405, as JAX-RS does;
        an unknown path returns (None, {}) and the server answers 404."""
        allowed: set[str] = set()
        for route in self.routes:
            found = route.pattern.match(path)
            if not found:
                continue
            if route.available is not None and state is not None and not route.available(state):
                continue
            allowed.add(route.method)
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        if allowed:
            # JAX-RS lists what the path takes, HEAD with GET and OPTIONS always.
            allowed |= {"OPTIONS"} | ({"HEAD"} if "GET" in allowed else set())
            order = ("HEAD", "GET", "POST", "PUT", "DELETE", "OPTIONS")
            raise ApiError(405, headers={"Allow": ",".join(m for m in order if m in allowed)})
        return None, {}
