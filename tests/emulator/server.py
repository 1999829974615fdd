"""The emulator's HTTP server: REST under /service/rest, a control API under /__emulator/.

Like Nexus's Jetty with `jetty-https.xml`, it can serve HTTPS instead of HTTP (`serve(...,
tls=context)`, `--tls-cert/--tls-key` on the command line), and like a TLS-terminating proxy in
front of it, require client certificates signed by a given CA (`--tls-client-ca`). The docker
connectors stay plain HTTP (httpPort).
"""
from __future__ import annotations

import base64
import binascii
import json
import socket
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

from . import access, handlers
from .http import ApiError, Request, Response, write_response
from .routing import Router
from .state import NexusState, PersistenceError

CONTROL_PREFIX = "/__emulator/"


@dataclass
class Fault:
    """Makes the next `count` matching requests fail: status, delay, or a connection reset."""
    method: str = "*"
    path: str = "*"
    status: Optional[int] = None
    delay: float = 0.0
    reset: bool = False
    count: int = 1

    def matches(self, method: str, path: str) -> bool:
        if self.method not in ("*", method):
            return False
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path


@dataclass
class RequestLog:
    """Every request served, in order, for tests that count calls."""
    entries: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.entries.append(entry)

    def all(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.entries)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


class Emulator:
    """One emulated Nexus: state, routes, request log, faults, and its listening server."""

    def __init__(self, state: NexusState) -> None:
        self.state = state
        self.router = Router()
        self.log = RequestLog()
        self.faults: list[Fault] = []
        self.faults_lock = threading.Lock()
        handlers.register_all(self.router, state)
        self.state.load_or_seed()
        self.httpd: Optional[_Server] = None
        self.extensions: list[Any] = handlers.start_extensions(self)

    # --- faults -----------------------------------------------------------------------------
    def take_fault(self, method: str, path: str) -> Optional[Fault]:
        with self.faults_lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # --- dispatch ---------------------------------------------------------------------------
    def authenticate(self, req: Request) -> None:
        """Sets req.user from Basic credentials; wrong credentials are a 401 as in Nexus."""
        header = req.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return
        try:
            user_id, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise ApiError.unauthorized()
        with self.state.lock:
            if not self.state.check_password(user_id, password):
                raise ApiError.unauthorized()
        req.user = user_id

    def dispatch(self, req: Request) -> Response:
        try:
            route, params = self.router.match(req.method, req.path, self.state)
            if route is None:
                return Response(404, b"", None)
            req.params = params
            self.authenticate(req)
            access.bind_subject(self.state, req)
            access.check_media_type(route, req)
            access.authorize(self.state, route, req)
            return route.handler(self.state, req)
        except ApiError as err:
            return err.response()

    def handle(self, req: Request) -> tuple[Response, bool]:
        """Serve one /service request; returns the response and whether state changed."""
        response = self.dispatch(req)
        if req.method == "HEAD":
            response = Response(response.status, b"", response.content_type,
                                response.headers)
        changed = req.method not in ("GET", "HEAD") and response.status < 400
        return response, changed

    def after_change(self) -> None:
        """Persists the state, then tells the listeners. A data directory that cannot be written
        is a failed database write in Nexus: the request answers a 500 (never a dropped
        connection); the change stays in memory."""
        failure: Optional[PersistenceError] = None
        try:
            with self.state.lock:
                self.state.persist()
        except PersistenceError as err:
            failure = err
        for listener in list(self.state.listeners):
            listener(self.state)
        if failure is not None:
            print(f"nexus emulator: {failure}", file=sys.stderr, flush=True)
            raise ApiError.server_error() from failure

    # --- control API ------------------------------------------------------------------------
    def control(self, req: Request) -> Response:
        try:
            return self._control(req)
        except ApiError as err:
            return err.response()

    def _control(self, req: Request) -> Response:
        name = req.path[len(CONTROL_PREFIX):].strip("/")
        if name == "requests" and req.method == "GET":
            return Response.json(self.log.all())
        if name == "requests" and req.method == "DELETE":
            self.log.clear()
            return Response.empty()
        if name == "faults" and req.method == "POST":
            spec = json.loads(req.body or b"{}")
            specs = spec if isinstance(spec, list) else [spec]
            with self.faults_lock:
                for item in specs:
                    self.faults.append(Fault(
                        method=item.get("method", "*"), path=item.get("path", "*"),
                        status=item.get("status"), delay=float(item.get("delay", 0) or 0),
                        reset=bool(item.get("reset", False)), count=int(item.get("count", 1))))
            return Response.empty()
        if name == "faults" and req.method == "DELETE":
            with self.faults_lock:
                self.faults.clear()
            return Response.empty()
        if name == "reset" and req.method == "POST":
            with self.faults_lock:
                self.faults.clear()
            self.log.clear()
            self.state.seed()
            self.after_change()
            return Response.empty()
        if name == "state" and req.method == "GET":
            return Response.json(self.state.snapshot())
        if name == "info" and req.method == "GET":
            return Response.json({
                "version": self.state.options.version, "edition": self.state.options.edition,
                "serverHeader": self.state.server_header,
                "dataDir": str(self.state.options.data_dir or ""),
                "eulaAccepted": self.state.eula_accepted})
        extra = self.state.control_handlers.get((req.method, name))
        if extra is not None:
            try:
                response = extra(self.state, req)
            except ApiError as err:
                return err.response()
            self.after_change()
            return response
        return Response.json({"error": f"unknown control call {req.method} {req.path}"}, 404)

    # --- lifecycle --------------------------------------------------------------------------
    def serve(self, host: str, port: int, tls: Optional[ssl.SSLContext] = None) -> "_Server":
        self.httpd = _Server((host, port), _make_handler(self))
        self.httpd.tls = tls
        self.state.options.host = host
        thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                  name="nexus-emulator", daemon=True)
        thread.start()
        # Listeners (the docker connectors) bind to the host only known now.
        for listener in list(self.state.listeners):
            listener(self.state)
        return self.httpd

    @property
    def base_url(self) -> str:
        assert self.httpd is not None
        host, port = self.httpd.server_address[:2]
        return f"{'https' if self.httpd.tls else 'http'}://{host}:{port}"

    def shutdown(self) -> None:
        for ext in self.extensions:
            ext.shutdown()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()


class _Server(ThreadingHTTPServer):
    # The Pulumi engine calls providers in parallel; Python's default backlog of 5 drops
    # connections under that load and costs a retry second each time.
    request_queue_size = 512
    daemon_threads = True
    allow_reuse_address = True
    tls: Optional[ssl.SSLContext] = None
    handshake_failures = 0

    def get_request(self) -> tuple[socket.socket, Any]:
        """With TLS, the handshake runs in the request's thread (Handler.setup), so one slow or
        refused client never holds up the accept loop."""
        sock, address = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A refused TLS handshake (unknown CA, no client certificate) is the client's problem,
        as in Jetty: counted, not printed. Anything else is the emulator's and is printed."""
        if isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            self.handshake_failures += 1
            return
        super().handle_error(request, client_address)


def server_tls_context(cert_file: str, key_file: str, client_ca_file: Optional[str] = None) -> ssl.SSLContext:
    """Server side: certificate chain and key; with `client_ca_file`, client certificates signed
    by that CA are required (mutual TLS)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    if client_ca_file:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=client_ca_file)
    return context


def _make_handler(emulator: Emulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Jetty does
        # Headers and body leave in two writes; without this each kept-alive request waits
        # ~40 ms for the delayed ACK.
        disable_nagle_algorithm = True
        server_version = "Nexus"
        sys_version = ""

        def log_message(self, fmt: str, *args: Any) -> None:  # quiet: the request log has it
            pass

        def setup(self) -> None:
            if isinstance(self.request, ssl.SSLSocket):
                self.request.settimeout(30)
                self.request.do_handshake()  # raises for a refused client: handle_error counts it
                self.request.settimeout(None)
            super().setup()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            req = Request.build(self.command, self.path, dict(self.headers.items()), body)
            if req.path.startswith(CONTROL_PREFIX):
                self._send(emulator.control(req), server_header=None)
                return
            fault = emulator.take_fault(req.method, req.path)
            if fault is not None:
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.reset:
                    emulator.log.add({"method": req.method, "path": req.path, "status": 0,
                                      "fault": "reset"})
                    self._reset()
                    return
                if fault.status is not None:
                    err = (ApiError.server_error() if fault.status == 500
                           else ApiError(fault.status))
                    emulator.log.add({"method": req.method, "path": req.path,
                                      "status": fault.status, "fault": "status"})
                    self._send(err.response(), server_header=emulator.state.server_header)
                    return
            response, changed = emulator.handle(req)
            entry = {"method": req.method, "path": req.path, "status": response.status}
            if req.query:
                entry["query"] = {k: v[0] if len(v) == 1 else v for k, v in req.query.items()}
            emulator.log.add(entry)
            if changed:
                try:
                    emulator.after_change()
                except ApiError as err:
                    response = err.response()
                    entry["status"] = response.status
            self._send(response, server_header=emulator.state.server_header)

        def _reset(self) -> None:
            """Drop the connection without an answer (RST), like a crashed or restarting node."""
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
            self.close_connection = True
            self.connection.close()

        def _send(self, response: Response, server_header: Optional[str]) -> None:
            write_response(self, response, server_header)

        def _serve_quietly(self) -> None:
            """A client that gave up (timeout, reset) is not the server's error."""
            try:
                self._serve()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve_quietly

    return Handler
