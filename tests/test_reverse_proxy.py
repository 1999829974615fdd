"""The rendered nginx config, run by a real nginx in front of stand-in group/hosted/UI backends,
and where a stack's bundle (with the private key) is written.

nginx runs unprivileged on loopback with a throw-away prefix; the backends record every request
(method, path, forwarded headers, body size), so the tests see where each docker call lands.
"""
from __future__ import annotations

import http.client
import json
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
from jsonschema import Draft202012Validator

from components.standup.reverse_proxy import (
    ReverseProxySettings,
    bundle_dir,
    output_dir_problem,
    render_from_settings,
    render_nginx_conf,
    repository_port,
    write_bundle,
)
from components.standup.tls_material import TlsMaterialProvider
from tests.conftest import configure
from tests.nginx import free_port, running_nginx
from tests.samples import free_ports

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = "registry.example.test"
UI = "nexus.example.test"


# --- stand-in Nexus connectors ------------------------------------------------------------------
@dataclass
class Seen:
    backend: str
    method: str
    path: str
    headers: dict[str, str]
    body_bytes: int


class Backends:
    """Three HTTP servers standing in for the group, hosted and UI ports of Nexus."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.servers = {name: self._serve(name) for name in ("group", "hosted", "ui")}

    def port(self, name: str) -> int:
        return self.servers[name].server_address[1]

    def take(self) -> list[Seen]:
        with self.lock:
            seen, self.seen = self.seen, []
        return seen

    def close(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()

    def _serve(self, name: str) -> ThreadingHTTPServer:
        backends = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                size = self._drain_body()
                with backends.lock:
                    backends.seen.append(Seen(name, self.command, self.path, dict(self.headers.items()), size))
                payload = json.dumps({"backend": name}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _drain_body(self) -> int:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    total = 0
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return total
                        total += len(self.rfile.read(size))
                        self.rfile.readline()
                remaining, total = int(self.headers.get("Content-Length") or 0), 0
                while remaining:
                    chunk = self.rfile.read(min(remaining, 1 << 20))
                    if not chunk:
                        break
                    total += len(chunk)
                    remaining -= len(chunk)
                return total

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


# --- nginx --------------------------------------------------------------------------------------
@dataclass
class Proxy:
    port: int
    ca_file: str
    backends: Backends


@pytest.fixture(scope="module")
def proxy() -> Iterator[Proxy]:
    provider = TlsMaterialProvider()
    tls = provider.create(provider.check({}, {"hostnames": [REGISTRY, UI]}).inputs).outs
    backends = Backends()
    prefix = Path(tempfile.mkdtemp(prefix="nexus-nginx-"))
    try:
        port = free_port()
        files = write_bundle(prefix / "conf.d", conf="", cert_pem=tls["certPem"], key_pem=tls["keyPem"],
                             ca_cert_pem=tls["caCertPem"], registry_host=REGISTRY)
        site = render_nginx_conf(
            registry_host=REGISTRY, pull_port=backends.port("group"), push_port=backends.port("hosted"),
            ui_host=UI, ui_port=backends.port("ui"), cert_path=str(files["cert"]), key_path=str(files["key"]),
            listen_address="127.0.0.1", listen_port=port,
        )
        files["conf"].write_text(site)
        with running_nginx(prefix, files["conf"], port):
            yield Proxy(port, str(files["ca"]), backends)
    finally:
        backends.close()
        shutil.rmtree(prefix, ignore_errors=True)


class Client:
    """HTTPS to 127.0.0.1 with SNI and certificate checks for `host`, like a docker client."""

    def __init__(self, proxy: Proxy, host: str) -> None:
        self.proxy, self.host = proxy, host
        self.context = ssl.create_default_context(cafile=proxy.ca_file)

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                chunked: bool = False) -> http.client.HTTPResponse:
        conn = http.client.HTTPSConnection(self.host, self.proxy.port, context=self.context, timeout=60)
        conn.sock = self.context.wrap_socket(
            socket.create_connection(("127.0.0.1", self.proxy.port), timeout=60), server_hostname=self.host
        )
        conn.request(method, path, body=body, headers={"Host": f"{self.host}:{self.proxy.port}", **(headers or {})},
                     encode_chunked=chunked)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response


def routed(proxy: Proxy, host: str, calls: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    client = Client(proxy, host)
    proxy.backends.take()
    for method, path in calls:
        assert client.request(method, path, body=b"{}" if method in ("PUT", "POST", "PATCH") else None).status == 200
    return [(s.backend, s.method, s.path) for s in proxy.backends.take()]


# --- routing ------------------------------------------------------------------------------------
PULLS = [
    ("GET", "/v2/"),
    ("GET", "/v2/library/alpine/manifests/3.20"),
    ("HEAD", "/v2/library/alpine/manifests/3.20"),  # containerd resolves tags this way
    ("GET", "/v2/library/alpine/blobs/sha256:" + "a" * 64),
    ("GET", "/v2/library/alpine/tags/list"),
    ("GET", "/v2/token?scope=repository:library/alpine:pull"),
]
UPLOAD = "/v2/team/app/blobs/uploads/5c6b1f3e-0d6a-4d52-9c1e-2d7f0f1d6a11"
PUSHES = [
    # "Is this layer already in the target?" is asked of the hosted repository, where the
    # manifest will land (and where a least-privilege pusher may read).
    ("HEAD", "/v2/team/app/blobs/sha256:" + "e" * 64),
    ("POST", "/v2/team/app/blobs/uploads/"),
    ("PATCH", UPLOAD),
    ("GET", UPLOAD),  # upload status lives where the session is
    ("PUT", UPLOAD + "?digest=sha256:" + "b" * 64),
    ("PUT", "/v2/team/app/manifests/1.0"),
    ("DELETE", "/v2/team/app/manifests/sha256:" + "c" * 64),
]


def test_pulls_reach_the_group_connector(proxy):
    assert routed(proxy, REGISTRY, PULLS) == [("group", m, p) for m, p in PULLS]


def test_pushes_and_upload_sessions_reach_the_hosted_connector(proxy):
    assert routed(proxy, REGISTRY, PUSHES) == [("hosted", m, p) for m, p in PUSHES]


def test_ui_host_reaches_the_ui_port(proxy):
    calls = [("GET", "/"), ("GET", "/service/rest/v1/status"), ("POST", "/service/rest/v1/components?repository=raw")]
    assert routed(proxy, UI, calls) == [("ui", m, p) for m, p in calls]


def test_forwarded_headers_tell_nexus_the_original_scheme_host_and_client(proxy):
    client = Client(proxy, REGISTRY)
    proxy.backends.take()
    client.request("GET", "/v2/")
    (seen,) = proxy.backends.take()
    assert seen.headers["X-Forwarded-Proto"] == "https"
    assert seen.headers["Host"] == f"{REGISTRY}:{proxy.port}"  # Nexus builds Location URLs from it
    assert seen.headers["X-Forwarded-For"] == "127.0.0.1"
    assert seen.headers["X-Real-IP"] == "127.0.0.1"
    assert seen.headers["X-Forwarded-Port"] == str(proxy.port)


def test_large_layers_pass_without_a_body_limit(proxy):
    client = Client(proxy, REGISTRY)
    proxy.backends.take()
    size = 24 * 1024 * 1024  # far above nginx's 1 MiB default client_max_body_size
    assert client.request("PUT", UPLOAD + "?digest=sha256:" + "d" * 64, body=b"\0" * size).status == 200
    chunks = (b"\1" * (1024 * 1024) for _ in range(8))
    assert client.request("PATCH", UPLOAD, body=chunks, chunked=True,
                          headers={"Content-Type": "application/octet-stream"}).status == 200
    seen = proxy.backends.take()
    assert [(s.backend, s.method, s.body_bytes) for s in seen] == [("hosted", "PUT", size), ("hosted", "PATCH", 8 * 1024 * 1024)]


def test_certificate_is_checked_against_the_generated_ca(proxy):
    client = Client(proxy, "unknown.example.test")
    with pytest.raises(ssl.SSLCertVerificationError):
        client.request("GET", "/v2/")


# --- rendering helpers ----------------------------------------------------------------------------
REPOS = [
    {"name": "docker-hosted", "type": "hosted", "httpPort": 5001},
    {"name": "docker-group", "type": "group", "httpPort": 5000},
    {"name": "docker-hub", "type": "proxy"},
]


def test_render_from_settings_resolves_repository_ports():
    settings = ReverseProxySettings.from_config(
        {"registryHost": REGISTRY, "pullRepository": "docker-group", "pushRepository": "Docker-Hosted", "uiHost": UI}
    )
    conf = render_from_settings(settings, REPOS, ui_port=18081)
    assert "server 127.0.0.1:5000;" in conf and "server 127.0.0.1:5001;" in conf and "server 127.0.0.1:18081;" in conf
    assert 'map "$request_method:$uri"' in conf and " if " not in conf
    assert "client_max_body_size 0;" in conf and "proxy_request_buffering off;" in conf
    assert "ssl_certificate /etc/nginx/ssl/nexus-registry.crt;" in conf
    assert "listen 443 ssl;" in conf


def test_repository_port_errors_name_the_config_key():
    with pytest.raises(ValueError, match=r"reverseProxy.pullRepository: no repository named 'nope'"):
        repository_port(REPOS, "nope", "reverseProxy.pullRepository")
    with pytest.raises(ValueError, match="has no httpPort"):
        repository_port(REPOS, "docker-hub", "reverseProxy.pushRepository")


def test_values_that_could_inject_nginx_directives_are_refused():
    with pytest.raises(ValueError, match="reverseProxy.tlsKeyPath"):
        render_nginx_conf(registry_host=REGISTRY, pull_port=1, push_port=2, cert_path="/c.crt",
                          key_path="/k.key; include /etc/passwd")
    with pytest.raises(ValueError, match="server_name"):
        render_nginx_conf(registry_host="a b", pull_port=1, push_port=2, cert_path="/c", key_path="/k")


def test_bundle_key_is_private(tmp_path):
    files = write_bundle(tmp_path / "new" / "out", conf="x", cert_pem="c", key_pem="k", ca_cert_pem="ca",
                         registry_host=REGISTRY)
    assert files["key"].stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700, "directories it creates are private"
    assert (tmp_path / "new" / "out").stat().st_mode & 0o777 == 0o700
    assert files["ca"].name == "ca.crt" and files["conf"].read_text() == "x"
    shared = tmp_path / "conf.d"
    shared.mkdir(mode=0o755)
    write_bundle(shared, conf="x", cert_pem="c", key_pem="k", ca_cert_pem="ca", registry_host=REGISTRY,
                 private_dir=False)
    assert shared.stat().st_mode & 0o777 == 0o755, "a directory the operator chose keeps its mode"


def test_default_bundle_directory_is_outside_the_checkout(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    expected = tmp_path / "state" / "nexus-registry" / "nexus-registry" / "prod"
    assert bundle_dir(None, "nexus-registry", "prod", ROOT) == expected
    monkeypatch.delenv("XDG_STATE_HOME")
    assert bundle_dir(None, "p", "s", ROOT) == Path.home() / ".local" / "state" / "nexus-registry" / "p" / "s"
    assert bundle_dir("out/proxy", "p", "s", tmp_path) == tmp_path / "out" / "proxy"
    assert bundle_dir("/srv/nginx", "p", "s", tmp_path) == Path("/srv/nginx")


def test_output_dir_inside_the_project_must_be_ignored_by_git(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    assert output_dir_problem(None, REGISTRY, project) is None
    assert output_dir_problem(str(tmp_path / "elsewhere"), REGISTRY, project) is None
    not_a_checkout = output_dir_problem("reverse-proxy", REGISTRY, project)
    assert not_a_checkout and "inside the project" in not_a_checkout and "add it to .gitignore" in not_a_checkout
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    assert output_dir_problem("reverse-proxy/prod", REGISTRY, project), "tracked by git: refused"
    assert output_dir_problem(str(project / "reverse-proxy"), REGISTRY, project), "absolute paths too"
    (project / ".gitignore").write_text("reverse-proxy/\n")
    assert output_dir_problem("reverse-proxy/prod", REGISTRY, project) is None
    assert output_dir_problem(".", REGISTRY, project), "the project root itself is never ignored"


def test_schema_defaults_match_settings_defaults():
    schema = json.loads((ROOT / "schemas" / "reverseProxy.schema.json").read_text())
    settings = ReverseProxySettings.from_config({"registryHost": REGISTRY, "pullRepository": "g", "pushRepository": "h"})
    declared = {k: v["default"] for k, v in schema["properties"].items() if "default" in v}
    assert declared == {
        "listenPort": settings.listen_port, "tlsCertPath": settings.tls_cert_path,
        "tlsKeyPath": settings.tls_key_path, "upstreamHost": settings.upstream_host,
        "timeoutSeconds": settings.timeout_seconds,
    }
    assert settings.output_dir is None, "no outputDir: the per-stack directory outside the checkout"


def test_schema_is_valid_documented_and_closed():
    schema = json.loads((ROOT / "schemas" / "reverseProxy.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert all(v.get("description") for v in schema["properties"].values())
    validator = Draft202012Validator(schema)
    assert not list(validator.iter_errors({"registryHost": REGISTRY, "pullRepository": "g", "pushRepository": "h"}))
    assert list(validator.iter_errors({"registryHost": REGISTRY, "pullRepository": "g"}))


# --- where the private key goes (through the engine) -----------------------------------------------
def proxied_registry(port: int, **proxy: Any) -> dict[str, Any]:
    hosted, group = free_ports(2)
    return {
        "repositories": [{"name": "ybcard", "type": "hosted", "httpPort": hosted},
                         {"name": "hub-group", "type": "group", "httpPort": group, "members": ["ybcard"]}],
        "tls": {"hostnames": [REGISTRY]},
        "reverseProxy": {"registryHost": REGISTRY, "pullRepository": "hub-group", "pushRepository": "ybcard",
                         "listenPort": port, **proxy},
    }


@pytest.mark.engine
def test_the_private_key_is_written_outside_the_checkout_and_said_where(workspace, nexus):
    configure(workspace, nexus, proxied_registry(free_port()))
    result = workspace.up()
    state_home = Path(workspace.env["XDG_STATE_HOME"])
    directory = state_home / "nexus-registry" / "nexus-registry" / workspace.stack
    assert f"reverse proxy files for {REGISTRY} written to {directory} (private key {REGISTRY}.key, mode 0600)" \
        in result.output
    outputs = json.loads(workspace.pulumi("stack", "output", "--json", "--stack", workspace.stack, check=True).stdout)
    assert outputs["reverseProxyDir"] == str(directory)
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        ["ca.crt", "nexus-registry.conf", f"{REGISTRY}.crt", f"{REGISTRY}.key"])
    assert (directory / f"{REGISTRY}.key").stat().st_mode & 0o777 == 0o600
    for level in (directory, directory.parent, directory.parent.parent):
        assert level.stat().st_mode & 0o777 == 0o700
    assert not [p for p in workspace.root.rglob("*.key")], "nothing with a key inside the project"


@pytest.mark.engine
def test_an_output_dir_inside_the_project_is_refused_unless_git_ignores_it(workspace, nexus):
    configure(workspace, nexus, proxied_registry(free_port(), outputDir="reverse-proxy/test"))
    refused = workspace.preview()
    assert refused.code != 0
    assert "reverseProxy.outputDir: 'reverse-proxy/test' is inside the project" in refused.output
    assert "add it to .gitignore" in refused.output
    assert nexus.writes() == []
    subprocess.run(["git", "init", "-q", str(workspace.root)], check=True)
    (workspace.root / ".gitignore").write_text("reverse-proxy/\n")
    workspace.up()
    key = workspace.root / "reverse-proxy" / "test" / f"{REGISTRY}.key"
    assert key.stat().st_mode & 0o777 == 0o600
