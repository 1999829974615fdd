"""Repository connectors: one HTTP listener per docker or OCI repository `httpPort`.

Nexus opens a Jetty connector for each docker repository with an HTTP port and serves the
Docker Registry v2 API on it; 3.94's OCI repositories take the same connector attributes ("Create
an HTTP connector at specified port", OciAttributes in the 3.94.0 OpenAPI spec) and share the
port space with docker. This module mirrors that: listeners open and close as repositories come
and go; registry.py answers each request and registry_content.py keeps pushed blobs and manifests
so a push to a hosted repository can be pulled back, also through a group.

`httpsPort` is never opened: the emulator has no Jetty HTTPS, and Nexus then saves the
repository but its HTTPS connector silently fails to start.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qs

from .http import write_response
from .registry import API_VERSION, Call, Registry
from .registry_content import ContentStore
from .state import NexusState

CONNECTOR_FORMATS = ("docker", "oci")  # formats whose repositories open connectors


def connector_port(repo: dict[str, Any]) -> Optional[int]:
    """The HTTP port a docker or OCI repository's connector listens on, if any."""
    fmt = repo.get("format")
    if fmt not in CONNECTOR_FORMATS:
        return None
    port = (repo.get(fmt) or {}).get("httpPort")
    return port if isinstance(port, int) and not isinstance(port, bool) and port > 0 else None


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
    """Keeps one listener per docker or OCI repository with an httpPort, in step with the state."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.state: NexusState = emulator.state
        self.lock = threading.Lock()
        self.listeners: dict[str, _Listener] = {}
        self.tokens: dict[str, tuple[str, str]] = {}  # bearer token -> (user id, token realm)
        self.tokens_lock = threading.Lock()
        self.store = ContentStore()
        self.state.listeners.append(self.sync)
        self.sync(self.state)

    def sync(self, state: NexusState) -> None:
        with state.lock:
            host = state.options.host
            ports = {key: connector_port(repo) for key, repo in state.repositories.items()}
            wanted = {key: port for key, port in ports.items() if port is not None}
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
                                          name=f"connector-{port}", daemon=True)
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
    def issue_token(self, user_id: str, realm: str) -> str:
        """A bearer token of one token realm: each realm keeps its own tokens."""
        token = f"{realm}.{uuid.uuid4()}"
        with self.tokens_lock:
            self.tokens[token] = (user_id, realm)
        return token

    def token_user(self, token: str, realm: str) -> Optional[str]:
        with self.tokens_lock:
            user_id, issuer = self.tokens.get(token, (None, None))
        return user_id if issuer == realm else None


def start(emulator: Any) -> ConnectorManager:
    return ConnectorManager(emulator)


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
        call = Call(self.command, path, parse_qs(qs, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()}, self._read_body())
        response, reason = Registry(manager, self.server.repo_key, port, call).answer()
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
