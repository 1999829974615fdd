"""Docker repository connectors: one HTTP listener per docker repository `httpPort`.

Nexus opens a Jetty connector for each docker repository with an HTTP port and serves the
Docker Registry v2 API on it. This module mirrors that: listeners open and close as
repositories come and go, and each answers the registry handshake the way Nexus does —
the `/v2/` challenge, the `/v2/token` endpoint of the Docker Bearer Token Realm, anonymous
pull only when every condition for it holds, the HTML 404 a Community Edition group gives
to a push, the EULA block. A small in-memory store keeps pushed blobs and manifests so a
push to a hosted repository can be pulled back, also through a group.

`httpsPort` is never opened: the emulator has no Jetty HTTPS, and Nexus then saves the
repository but its HTTPS connector silently fails to start.
"""
from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qs

from .permissions import repository_permitted
from .http import Response, write_response
from .state import NexusState

BASIC_CHALLENGE = 'BASIC realm="Sonatype Nexus Repository Manager"'
API_VERSION = ("Docker-Distribution-Api-Version", "registry/2.0")
# The HTML page Jetty answers for a path no handler takes; a Community Edition group has no
# write handler, so `docker push` to a group port gets this and prints
# "error parsing HTTP 404 response body: invalid character '<' looking for beginning of value".
NOT_FOUND_HTML = (
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <title>404 - Sonatype Nexus Repository"
    "</title>\n  <meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\"/>\n"
    "</head>\n<body>\n<div class=\"nexus-header\">\n  <div class=\"product-name\">Sonatype Nexus "
    "Repository</div>\n</div>\n<div class=\"error-container\">\n  <div class=\"error-code\">404"
    "</div>\n  <div class=\"error-message\">Not Found</div>\n</div>\n</body>\n</html>\n")
EULA_REFUSAL = "You must accept the End User License Agreement (EULA)"
MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"

ERRORS = {
    "UNAUTHORIZED": "access to the requested resource is not authorized",
    "DENIED": "requested access to the resource is denied",
    "BLOB_UNKNOWN": "blob unknown to registry",
    "BLOB_UPLOAD_UNKNOWN": "blob upload unknown to registry",
    "DIGEST_INVALID": "provided digest did not match uploaded content",
    "MANIFEST_UNKNOWN": "manifest unknown",
    "NAME_UNKNOWN": "repository name not known to registry",
    "UNSUPPORTED": "The operation is unsupported.",
    "UNAVAILABLE": "Repository offline",
}

_UPLOAD = re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/(?P<upload>[^/]*)$")
_BLOB = re.compile(r"^/v2/(?P<name>.+)/blobs/(?P<digest>[^/]+)$")
_MANIFEST = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<reference>[^/]+)$")
_TAGS = re.compile(r"^/v2/(?P<name>.+)/tags/list$")


def docker_error(status: int, code: str, headers: Optional[dict[str, str]] = None) -> Response:
    body = {"errors": [{"code": code, "message": ERRORS[code], "detail": None}]}
    return Response(status, json.dumps(body).encode(), "application/json", dict(headers or {}))


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# --- content -------------------------------------------------------------------------------------
@dataclass
class _Content:
    """What one hosted repository holds."""
    blobs: dict[str, bytes] = field(default_factory=dict)
    manifests: dict[str, dict[str, tuple[str, bytes]]] = field(default_factory=dict)
    uploads: dict[str, bytearray] = field(default_factory=dict)


class ContentStore:
    """Blobs and manifests per hosted repository (keyed by lower-cased repository name)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.repos: dict[str, _Content] = {}

    def of(self, key: str) -> _Content:
        with self.lock:
            return self.repos.setdefault(key, _Content())

    def forget_except(self, keys: set[str]) -> None:
        with self.lock:
            for key in set(self.repos) - keys:
                del self.repos[key]


# --- the listeners -------------------------------------------------------------------------------
class _ConnectorServer(ThreadingHTTPServer):
    request_queue_size = 512  # docker pulls layers in parallel
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], manager: "ConnectorManager", repo_key: str):
        self.manager = manager
        self.repo_key = repo_key
        super().__init__(address, _Handler)


@dataclass
class _Listener:
    host: str
    port: int
    server: _ConnectorServer
    thread: threading.Thread

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class ConnectorManager:
    """Keeps one listener per docker repository with an httpPort, in step with the state."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.state: NexusState = emulator.state
        self.lock = threading.Lock()
        self.listeners: dict[str, _Listener] = {}
        self.tokens: dict[str, str] = {}  # bearer token -> user id
        self.tokens_lock = threading.Lock()
        self.store = ContentStore()
        self.state.listeners.append(self.sync)
        self.sync(self.state)

    def sync(self, state: NexusState) -> None:
        with state.lock:
            host = state.options.host
            wanted = {key: repo["docker"]["httpPort"] for key, repo in state.repositories.items()
                      if repo.get("format") == "docker"
                      and isinstance((repo.get("docker") or {}).get("httpPort"), int)
                      and not isinstance(repo["docker"]["httpPort"], bool)
                      and repo["docker"]["httpPort"] > 0}
            existing = set(state.repositories)
        with self.lock:
            for key, listener in list(self.listeners.items()):
                if wanted.get(key) != listener.port or listener.host != host:
                    listener.close()
                    del self.listeners[key]
            for key, port in wanted.items():
                if key in self.listeners:
                    continue
                try:
                    server = _ConnectorServer((host, port), self, key)
                except OSError:
                    continue  # Nexus logs the failed connector and carries on; retried next sync
                thread = threading.Thread(target=server.serve_forever,
                                          kwargs={"poll_interval": 0.05},
                                          name=f"docker-connector-{port}", daemon=True)
                thread.start()
                self.listeners[key] = _Listener(host, port, server, thread)
        self.store.forget_except(existing)

    def ports(self) -> dict[str, int]:
        """Open connectors: repository key -> port."""
        with self.lock:
            return {key: listener.port for key, listener in self.listeners.items()}

    def shutdown(self) -> None:
        if self.sync in self.state.listeners:
            self.state.listeners.remove(self.sync)
        with self.lock:
            for listener in self.listeners.values():
                listener.close()
            self.listeners.clear()

    # --- tokens ----------------------------------------------------------------------------------
    def issue_token(self, user_id: str) -> str:
        token = f"DockerToken.{uuid.uuid4()}"
        with self.tokens_lock:
            self.tokens[token] = user_id
        return token

    def token_user(self, token: str) -> Optional[str]:
        with self.tokens_lock:
            return self.tokens.get(token)


def start(emulator: Any) -> ConnectorManager:
    return ConnectorManager(emulator)


# --- one request ---------------------------------------------------------------------------------
@dataclass
class _Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def arg(self, name: str) -> Optional[str]:
        values = self.query.get(name)
        return values[0] if values else None


class _Unauthenticated(Exception):
    """Credentials were sent and are wrong (or the bearer token is no longer valid)."""


class _Registry:
    """Answers one request on the connector of one repository."""

    def __init__(self, manager: ConnectorManager, repo_key: str, port: int, call: _Call):
        self.manager = manager
        self.state = manager.state
        self.repo_key = repo_key
        self.port = port
        self.call = call
        self.repo: dict = {}

    # --- entry -----------------------------------------------------------------------------------
    def answer(self) -> tuple[Response, Optional[str]]:
        """The response and, when the request was refused before reaching the registry, why."""
        with self.state.lock:
            if self.state.eula_pending:
                return Response.text(EULA_REFUSAL, 403), "eula-pending"
            repo = self.state.repositories.get(self.repo_key)
            repo = copy.deepcopy(repo)
        if repo is None:
            return Response(404), None
        if not repo.get("online", True):
            return docker_error(503, "UNAVAILABLE"), "offline"
        self.repo = repo
        try:
            user = self.authenticate()
        except _Unauthenticated:
            return self.unauthorized(), None
        return self.route(user), None

    def route(self, user: Optional[str]) -> Response:
        call = self.call
        if call.path in ("/v2", "/v2/"):
            if call.method not in ("GET", "HEAD"):
                return docker_error(405, "UNSUPPORTED")
            return Response.json({}) if user else self.unauthorized()
        if call.path == "/v2/token":
            return self.token(user) if call.method in ("GET", "HEAD") else \
                docker_error(405, "UNSUPPORTED")
        if call.path == "/v2/_catalog" and call.method in ("GET", "HEAD"):
            return self.guarded(user, "browse", self.catalog)
        for pattern, handler in ((_UPLOAD, self.upload), (_BLOB, self.blob),
                                 (_MANIFEST, self.manifest), (_TAGS, self.tags)):
            found = pattern.match(call.path)
            if found:
                return handler(user, **found.groupdict())
        return Response(404)

    # --- authentication --------------------------------------------------------------------------
    @property
    def bearer_mode(self) -> bool:
        """forceBasicAuth=false means bearer-token auth (the Docker Bearer Token Realm's)."""
        return not (self.repo.get("docker") or {}).get("forceBasicAuth", True)

    def authenticate(self) -> Optional[str]:
        header = self.call.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                user_id, _, password = base64.b64decode(value.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise _Unauthenticated()
            with self.state.lock:
                if not self.state.check_password(user_id, password):
                    raise _Unauthenticated()
            return user_id
        if scheme.lower() == "bearer":
            user_id = self.manager.token_user(value.strip())
            with self.state.lock:
                valid = (user_id is not None and "DockerToken" in self.state.realms_active
                         and self.state.users.get(user_id, {}).get("status") == "active"
                         and (user_id != "anonymous" or self.anonymous_pull_possible()))
            if not valid:
                raise _Unauthenticated()
            return user_id
        return None

    def anonymous_pull_possible(self) -> bool:
        """All of: DockerToken realm active, anonymous access on with the built-in anonymous
        user (its bearer token is hard-wired to that user), forceBasicAuth off on this
        repository, and the anonymous user allowed to read it (call with state.lock held)."""
        anonymous = self.state.anonymous
        user = self.state.users.get("anonymous")
        return ("DockerToken" in self.state.realms_active and bool(anonymous.get("enabled"))
                and anonymous.get("userId") == "anonymous" and user is not None
                and user.get("status") == "active" and self.bearer_mode
                and repository_permitted(self.state, "anonymous", self.repo, "read"))

    def challenge(self) -> str:
        if not self.bearer_mode:
            return BASIC_CHALLENGE
        host = self.call.headers.get("host") or f"{self.state.options.host}:{self.port}"
        scheme = self.call.headers.get("x-forwarded-proto", "http")
        url = f"{scheme}://{host}/v2/token"
        return f'Bearer realm="{url}",service="{url}"'

    def unauthorized(self) -> Response:
        return docker_error(401, "UNAUTHORIZED", {"WWW-Authenticate": self.challenge()})

    def token(self, user: Optional[str]) -> Response:
        if user is None:
            with self.state.lock:
                possible = self.anonymous_pull_possible()
            if not possible:
                return docker_error(401, "UNAUTHORIZED")
            user = "anonymous"
        # Nexus answers only the token: dockerd logs "Increasing token expiration to: 60 seconds".
        return Response.json({"token": self.manager.issue_token(user)})

    # --- authorization ---------------------------------------------------------------------------
    def permitted(self, user: Optional[str], action: str) -> Optional[Response]:
        """None when allowed, else the refusal: 401 for an anonymous subject, 403 for a user."""
        with self.state.lock:
            if user is None and self.call.method in ("GET", "HEAD") and \
                    self.anonymous_pull_possible():
                user = "anonymous"
            allowed = user is not None and repository_permitted(
                self.state, user, self.repo, action, self.call.path)
        if allowed:
            return None
        if user is None or user == "anonymous":
            return self.unauthorized()
        return docker_error(403, "DENIED")

    def guarded(self, user: Optional[str], action: str, handler: Any, **kwargs: Any) -> Response:
        refusal = self.permitted(user, action)
        return refusal if refusal is not None else handler(**kwargs)

    def write_target(self, user: Optional[str], action: str) -> str | Response:
        """The key of the hosted repository a write lands in, or the refusal."""
        refusal = self.permitted(user, action)
        if refusal is not None:
            return refusal
        kind = self.repo["type"]
        if kind == "hosted":
            return self.repo_key
        if kind == "group":
            member = (self.repo.get("group") or {}).get("writableMember")
            if self.state.pro and member:
                return str(member).lower()
            return Response(404, NOT_FOUND_HTML.encode(), "text/html")
        return docker_error(405, "UNSUPPORTED")

    # --- reads -----------------------------------------------------------------------------------
    def sources(self) -> list[str]:
        """Hosted repositories whose content this repository shows (groups: members, in order)."""
        found: list[str] = []
        pending, seen = [self.repo_key], set()
        with self.state.lock:
            while pending:
                key = pending.pop(0)
                if key in seen:
                    continue
                seen.add(key)
                repo = self.state.repositories.get(key)
                if repo is None:
                    continue
                if repo["type"] == "hosted":
                    found.append(key)
                elif repo["type"] == "group":
                    members = (repo.get("group") or {}).get("memberNames", [])
                    pending.extend(member.lower() for member in members)
        return found

    def catalog(self) -> Response:
        names: set[str] = set()
        for key in self.sources():
            content = self.manager.store.of(key)
            with self.manager.store.lock:
                names.update(content.manifests)
        return Response.json({"repositories": sorted(names)})

    def tags(self, user: Optional[str], name: str) -> Response:
        if self.call.method not in ("GET", "HEAD"):
            return docker_error(405, "UNSUPPORTED")
        refusal = self.permitted(user, "read")
        if refusal is not None:
            return refusal
        tags: set[str] = set()
        for key in self.sources():
            content = self.manager.store.of(key)
            with self.manager.store.lock:
                refs = content.manifests.get(name, {})
                tags.update(ref for ref in refs if not ref.startswith("sha256:"))
        if not tags:
            return docker_error(404, "NAME_UNKNOWN")
        return Response.json({"name": name, "tags": sorted(tags)})

    def find_manifest(self, name: str, reference: str) -> Optional[tuple[str, bytes]]:
        for key in self.sources():
            content = self.manager.store.of(key)
            with self.manager.store.lock:
                found = content.manifests.get(name, {}).get(reference)
            if found is not None:
                return found
        return None

    def find_blob(self, digest: str) -> Optional[bytes]:
        for key in self.sources():
            content = self.manager.store.of(key)
            with self.manager.store.lock:
                found = content.blobs.get(digest)
            if found is not None:
                return found
        return None

    # --- manifests -------------------------------------------------------------------------------
    def manifest(self, user: Optional[str], name: str, reference: str) -> Response:
        method = self.call.method
        if method in ("GET", "HEAD"):
            refusal = self.permitted(user, "read")
            if refusal is not None:
                return refusal
            found = self.find_manifest(name, reference)
            if found is None:
                return docker_error(404, "MANIFEST_UNKNOWN")
            media_type, data = found
            return Response(200, data, media_type, {"Docker-Content-Digest": sha256_digest(data)})
        if method == "PUT":
            exists = self.find_manifest(name, reference) is not None
            target = self.write_target(user, "edit" if exists else "add")
            if isinstance(target, Response):
                return target
            data = self.call.body
            digest = sha256_digest(data)
            media_type = self.call.headers.get("content-type", MANIFEST_V2)
            content = self.manager.store.of(target)
            with self.manager.store.lock:
                refs = content.manifests.setdefault(name, {})
                refs[reference] = (media_type, data)
                refs[digest] = (media_type, data)
            return Response(201, b"", None, {"Location": f"/v2/{name}/manifests/{digest}",
                                             "Docker-Content-Digest": digest})
        if method == "DELETE":
            target = self.write_target(user, "delete")
            if isinstance(target, Response):
                return target
            content = self.manager.store.of(target)
            with self.manager.store.lock:
                refs = content.manifests.get(name, {})
                if reference not in refs:
                    return docker_error(404, "MANIFEST_UNKNOWN")
                doomed = sha256_digest(refs[reference][1])
                for ref in [r for r, (_, data) in refs.items() if sha256_digest(data) == doomed]:
                    del refs[ref]
                if not refs:
                    content.manifests.pop(name, None)
            return Response(202)
        return docker_error(405, "UNSUPPORTED")

    # --- blobs -----------------------------------------------------------------------------------
    def blob(self, user: Optional[str], name: str, digest: str) -> Response:
        method = self.call.method
        if method in ("GET", "HEAD"):
            refusal = self.permitted(user, "read")
            if refusal is not None:
                return refusal
            data = self.find_blob(digest)
            if data is None:
                return docker_error(404, "BLOB_UNKNOWN")
            return Response(200, data, "application/octet-stream",
                            {"Docker-Content-Digest": digest})
        if method == "DELETE":
            target = self.write_target(user, "delete")
            if isinstance(target, Response):
                return target
            content = self.manager.store.of(target)
            with self.manager.store.lock:
                if content.blobs.pop(digest, None) is None:
                    return docker_error(404, "BLOB_UNKNOWN")
            return Response(202)
        return docker_error(405, "UNSUPPORTED")

    def upload(self, user: Optional[str], name: str, upload: str) -> Response:
        method = self.call.method
        if method == "POST" and not upload:
            return self.start_upload(user, name)
        if not upload or method not in ("GET", "PATCH", "PUT", "DELETE"):
            return docker_error(405, "UNSUPPORTED")
        target = self.write_target(user, "add")
        if isinstance(target, Response):
            return target
        content = self.manager.store.of(target)
        with self.manager.store.lock:
            buffer = content.uploads.get(upload)
            if buffer is None:
                return docker_error(404, "BLOB_UPLOAD_UNKNOWN")
            if method == "DELETE":
                del content.uploads[upload]
                return Response(204)
            buffer.extend(self.call.body if method in ("PATCH", "PUT") else b"")
            if method == "PUT":
                return self.finish_upload(content, name, upload, self.call.arg("digest"))
            size = len(buffer)
        headers = {"Location": f"/v2/{name}/blobs/uploads/{upload}", "Docker-Upload-UUID": upload,
                   "Range": f"0-{max(size - 1, 0)}"}
        return Response(202 if method == "PATCH" else 204, b"", None, headers)

    def start_upload(self, user: Optional[str], name: str) -> Response:
        target = self.write_target(user, "add")
        if isinstance(target, Response):
            return target
        content = self.manager.store.of(target)
        upload = str(uuid.uuid4())
        with self.manager.store.lock:
            content.uploads[upload] = bytearray(self.call.body)
            digest = self.call.arg("digest")
            if digest:  # monolithic upload in the POST itself
                return self.finish_upload(content, name, upload, digest)
        return Response(202, b"", None, {"Location": f"/v2/{name}/blobs/uploads/{upload}",
                                         "Docker-Upload-UUID": upload, "Range": "0-0"})

    def finish_upload(self, content: _Content, name: str, upload: str,
                      digest: Optional[str]) -> Response:
        """Completes an upload (call with the store lock held)."""
        data = bytes(content.uploads.pop(upload))
        if not digest or sha256_digest(data) != digest:
            return docker_error(400, "DIGEST_INVALID")
        content.blobs[digest] = data
        return Response(201, b"", None, {"Location": f"/v2/{name}/blobs/{digest}",
                                         "Docker-Content-Digest": digest})


# --- HTTP plumbing ------------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't stall on ACKs
    server: _ConnectorServer

    def log_message(self, fmt: str, *args: Any) -> None:  # the emulator's request log has it
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        manager = self.server.manager
        port = self.server.server_address[1]
        path, _, qs = self.path.partition("?")
        call = _Call(self.command, path, parse_qs(qs, keep_blank_values=True),
                     {k.lower(): v for k, v in self.headers.items()}, self._read_body())
        response, reason = _Registry(manager, self.server.repo_key, port, call).answer()
        with manager.state.lock:
            repo = manager.state.repositories.get(self.server.repo_key)
            repo_name = repo["name"] if repo else self.server.repo_key
            server_header = manager.state.server_header
        entry = {"method": call.method, "path": call.path, "status": response.status,
                 "repository": repo_name, "port": port, "connector": True}
        if reason:
            entry["reason"] = reason
        manager.emulator.log.add(entry)
        write_response(self, response, server_header, (API_VERSION,))

    def _serve_quietly(self) -> None:
        """A docker client that gave up is not the connector's error."""
        try:
            self._serve()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _serve_quietly
