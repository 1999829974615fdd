"""Request/response values and the error shapes a real Nexus answers with."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    user: Optional[str] = None  # user id of the subject: the caller, or the anonymous user
    anonymous: bool = False  # the subject is Nexus's anonymous user (not authenticated)

    @classmethod
    def build(cls, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> "Request":
        path, _, qs = raw_path.partition("?")
        return cls(method=method, path=path, query=parse_qs(qs, keep_blank_values=True),
                   headers={k.lower(): v for k, v in headers.items()}, body=body)

    def arg(self, name: str, default: Optional[str] = None) -> Optional[str]:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The JSON body; raises ApiError(400) the way Nexus's JAX-RS layer does on bad JSON."""
        if not self.body:
            raise ApiError.validation([("*", "must not be null")])
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ApiError(400, f"Unable to process JSON: {exc}", content_type="text/plain")


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: Optional[str] = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> "Response":
        return cls(status, json.dumps(payload).encode(), "application/json")

    @classmethod
    def text(cls, text: str, status: int = 200) -> "Response":
        return cls(status, text.encode(), "text/plain")

    @classmethod
    def empty(cls, status: int = 204) -> "Response":
        return cls(status)


class ApiError(Exception):
    """An error answered with one of Nexus's (non-uniform) error bodies."""

    def __init__(self, status: int, payload: Any = None, content_type: str = "application/json",
                 headers: Optional[dict[str, str]] = None):
        super().__init__(f"{status}: {payload}")
        self.status = status
        self.payload = payload
        self.content_type = content_type
        self.headers = headers or {}

    def response(self) -> Response:
        if self.payload is None:
            return Response(self.status, b"", None, dict(self.headers))
        if "json" in self.content_type:
            body = json.dumps(self.payload).encode()
        else:
            body = str(self.payload).encode()
        return Response(self.status, body, self.content_type, dict(self.headers))

    # The shapes below are the ones listed in docs/nexus-behaviour.md.
    @classmethod
    def validation(cls, errors: list[tuple[str, str]]) -> "ApiError":
        """400 with a JSON list: [{"id": "PARAMETER name", "message": "..."}], in Nexus's own
        media type for validation errors."""
        error = cls(400, [{"id": i, "message": m} for i, m in errors])
        error.content_type = "application/vnd.siesta-validation-errors-v1+json"
        return error

    @classmethod
    def not_found(cls, message: str) -> "ApiError":
        """404 with one JSON object; Nexus quotes the message inside the string."""
        return cls(404, {"id": "*", "message": json.dumps(message)})

    @classmethod
    def bad_request(cls, message: str) -> "ApiError":
        """400 with one JSON object (conflicts such as 'in use' or 'already exists')."""
        return cls(400, {"id": "*", "message": message})

    @classmethod
    def plain(cls, status: int, text: str) -> "ApiError":
        return cls(status, text, content_type="text/plain")

    @classmethod
    def server_error(cls) -> "ApiError":
        """500 as Nexus answers: plain text with an incident id, details only in its log."""
        return cls(500, f"ERROR: (ID {secrets.token_hex(16)[:8]}-{secrets.token_hex(2)})",
                   content_type="text/plain")

    @classmethod
    def forbidden(cls) -> "ApiError":
        """What AuthorizationExceptionMapper answers to a subject without the permission (or
        not logged in): a bare 403. Its 401 branch needs a request attribute (nexus.anonymous)
        that nothing in nexus-public sets."""
        return cls(403)

    @classmethod
    def unsupported_media_type(cls) -> "ApiError":
        """RESTEasy's NotSupportedException for a Content-Type the resource does not @Consume;
        WebappExceptionMapper answers its status alone (no body, CVE-2020-25633)."""
        return cls(415)

    @classmethod
    def unauthorized(cls) -> "ApiError":
        return cls(401, None, headers={
            "WWW-Authenticate": 'BASIC realm="Sonatype Nexus Repository Manager"'})

    @classmethod
    def method_not_allowed(cls) -> "ApiError":
        return cls(405)


def write_response(handler: Any, response: Response, server_header: Optional[str] = None,
                   extra_headers: Iterable[tuple[str, str]] = ()) -> None:
    """Writes `response` through a BaseHTTPRequestHandler with an explicit Content-Length
    (keep-alive), the `Server` header Nexus sends, and no body for HEAD."""
    handler.send_response_only(response.status)
    if server_header:
        handler.send_header("Server", server_header)
    handler.send_header("Date", handler.date_time_string())
    for key, value in extra_headers:
        handler.send_header(key, value)
    if response.content_type:
        handler.send_header("Content-Type", response.content_type)
    for key, value in response.headers.items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(response.body)))
    handler.end_headers()
    if handler.command != "HEAD" and response.body:
        handler.wfile.write(response.body)
