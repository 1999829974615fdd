"""Path-pattern routing for the emulator's REST surface."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .http import ApiError, Request, Response

Handler = Callable[[Any, Request], Response]  # (state: NexusState, request) -> response

# Who may call a route: "none" = anyone (status, health); "user" = any authenticated user;
# "admin" = a user holding the nx-all privilege (Nexus's nx-admin role).
AUTH_LEVELS = ("none", "user", "admin")


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    template: str
    handler: Handler
    auth: str


class Router:
    """Maps (method, path) to a handler. Paths are written relative to /service/rest, with
    `{name}` placeholders matching one path segment."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, auth: str = "admin") -> None:
        if auth not in AUTH_LEVELS:
            raise ValueError(f"unknown auth level {auth}")
        regex = "^/service/rest" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"
        self.routes.append(Route(method, re.compile(regex), template, handler, auth))

    def route(self, method: str, template: str, auth: str = "admin") -> Callable[[Handler], Handler]:
        """Decorator form of add()."""
        def wrap(handler: Handler) -> Handler:
            self.add(method, template, handler, auth)
            return handler
        return wrap

    def match(self, method: str, path: str) -> tuple[Optional[Route], dict[str, str]]:
        """The route for a request. A known path with another method raises 405, as JAX-RS does;
        an unknown path returns (None, {}) and the server answers 404."""
        path_known = False
        for route in self.routes:
            found = route.pattern.match(path)
            if not found:
                continue
            path_known = True
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                from urllib.parse import unquote
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        if path_known:
            raise ApiError.method_not_allowed()
        return None, {}
