"""nginx in front of Nexus: one TLS host name for docker pull *and* push, plus the web UI.

Nexus Community Edition cannot write through a group repository, so a single registry name
needs a router: reads (GET/HEAD) go to the group connector, which sees hosted + proxied images,
and every write goes to the hosted connector. Blob upload sessions (`/v2/<name>/blobs/uploads/`)
live on the hosted repository, so that path goes there for every method, including the GET a
client uses to poll an upload's status. A `HEAD /v2/<name>/blobs/<digest>` is a pusher asking
"does the target already have this layer?" (docker push, skopeo, buildkit): it goes to the
hosted repository too. Asked of the group, it needs a read privilege there that a
least-privilege pusher lacks (403, "failed to read from destination repository"), and worse, a
layer cached only by a proxy would be reported present and never uploaded to the hosted one.
Pulls fetch blobs with GET and resolve tags with HEAD on manifests, which stay on the group.

The rendered file is an `http {}`-level include (e.g. /etc/nginx/conf.d/nexus-registry.conf).
The bundle for the nginx host (that file, the certificate, its private key and the CA) is
written outside the checkout by default ($XDG_STATE_HOME/nexus-registry/<project>/<stack>/):
a private key must never be one `git add -A` away from a commit.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..schema import Fragment

SCHEMA = Fragment.section("reverseProxy")  # where the reverseProxy section's defaults are written
DEFAULT_TIMEOUT_SECONDS: int = SCHEMA.default("timeoutSeconds")  # a multi-GB layer over a slow link must not be cut off
DEFAULT_LISTEN_PORT: int = SCHEMA.default("listenPort")
DEFAULT_UPSTREAM_HOST: str = SCHEMA.default("upstreamHost")
CONF_NAME = "nexus-registry.conf"
_NAME = re.compile(r"[^a-z0-9]+")
_TOKEN = re.compile(r"[^\s;{}'\"#$]+")  # one nginx word: nothing that could end or extend a directive


@dataclass(frozen=True)
class ReverseProxySettings:
    """The `nexus-registry:reverseProxy` config section with defaults filled (schemas/reverseProxy.schema.json)."""

    registry_host: str
    pull_repository: str
    push_repository: str
    ui_host: str | None = None
    listen_port: int = DEFAULT_LISTEN_PORT
    listen_address: str | None = None
    tls_cert_path: str = SCHEMA.default("tlsCertPath")
    tls_key_path: str = SCHEMA.default("tlsKeyPath")
    upstream_host: str = DEFAULT_UPSTREAM_HOST
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    output_dir: str | None = None  # None: the per-stack state directory (`bundle_dir`)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "ReverseProxySettings":
        """Build from the camelCase config dict; absent optional keys take the schema defaults."""
        settings = SCHEMA.with_defaults(cfg)
        optional = {
            attr: settings[key]
            for key, attr in (
                ("uiHost", "ui_host"),
                ("listenPort", "listen_port"),
                ("listenAddress", "listen_address"),
                ("tlsCertPath", "tls_cert_path"),
                ("tlsKeyPath", "tls_key_path"),
                ("upstreamHost", "upstream_host"),
                ("timeoutSeconds", "timeout_seconds"),
                ("outputDir", "output_dir"),
            )
            if key in settings
        }
        return cls(
            registry_host=cfg["registryHost"],
            pull_repository=cfg["pullRepository"],
            push_repository=cfg["pushRepository"],
            **optional,
        )


def repository_port(repositories: Sequence[Mapping[str, Any]], name: str, path: str) -> int:
    """The plain-HTTP docker connector port of repository `name`, which nginx proxies to.

    `path` (e.g. "reverseProxy.pullRepository") names the config key in the error.
    """
    for repo in repositories:
        if str(repo.get("name", "")).lower() == name.lower():
            if repo.get("httpPort") is None:
                raise ValueError(
                    f"nexus-registry:{path}: repository {name!r} has no httpPort; give it one "
                    "(TLS ends at nginx, so the connector behind it is plain HTTP)"
                )
            return int(repo["httpPort"])
    raise ValueError(f"nexus-registry:{path}: no repository named {name!r} in nexus-registry:repositories")


def render_nginx_conf(
    *,
    registry_host: str,
    pull_port: int,
    push_port: int,
    cert_path: str,
    key_path: str,
    ui_host: str | None = None,
    ui_port: int = 8081,
    upstream_host: str = DEFAULT_UPSTREAM_HOST,
    listen_port: int = DEFAULT_LISTEN_PORT,
    listen_address: str | None = None,
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
) -> str:
    """nginx `http {}` include: registry server (pull → group, push → hosted) and optional UI server."""
    for host in filter(None, (registry_host, ui_host)):
        if not re.fullmatch(r"[A-Za-z0-9.-]+", host):
            raise ValueError(f"{host!r} is not a plain host name usable as nginx server_name")
    for what, value in (("tlsCertPath", cert_path), ("tlsKeyPath", key_path), ("upstreamHost", upstream_host),
                        ("listenAddress", listen_address or "")):
        if value and not _TOKEN.fullmatch(value):
            raise ValueError(f"reverseProxy.{what} {value!r} must not contain blanks, quotes, ';', '{{' or '}}'")
    slug = _NAME.sub("_", registry_host.lower()).strip("_")
    pull, push, ui, route = f"nexus_{slug}_pull", f"nexus_{slug}_push", f"nexus_{slug}_ui", f"$nexus_{slug}_upstream"
    listen = f"{listen_address}:{listen_port}" if listen_address else str(listen_port)
    t = int(timeout_seconds)

    proxy_common = f"""\
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto https;
        proxy_set_header X-Forwarded-Port $server_port;
        proxy_connect_timeout 60s;
        proxy_send_timeout {t}s;
        proxy_read_timeout {t}s;
        proxy_request_buffering off;
        proxy_buffering off;"""
    tls = f"""\
    ssl_certificate {cert_path};
    ssl_certificate_key {key_path};
    ssl_protocols TLSv1.2 TLSv1.3;"""

    conf = f"""\
# Managed by nexus-registry (Pulumi): docker registry {registry_host} in front of Nexus.
upstream {pull} {{ server {upstream_host}:{pull_port}; keepalive 16; }}
upstream {push} {{ server {upstream_host}:{push_port}; keepalive 16; }}

# Reads see the group (hosted + proxies); everything else must hit the hosted repository.
# HEAD on a blob is a pusher's "is this layer already in the target?": the hosted repository
# answers it (the group would need a read privilege pushers lack, and would count layers only
# a proxy caches). First matching regex wins.
map "$request_method:$uri" {route} {{
    "~^HEAD:/v2/.+/blobs/[^/]+$"  {push};
    "~^(GET|HEAD):"              {pull};
    default                      {push};
}}

server {{
    listen {listen} ssl;
    server_name {registry_host};
{tls}

    client_max_body_size 0;   # image layers have no size limit
    chunked_transfer_encoding on;
    send_timeout {t}s;

    # Upload sessions exist only on the hosted repository, whatever the method.
    location ~ ^/v2/.+/blobs/uploads/ {{
        proxy_pass http://{push};
{proxy_common}
    }}

    location / {{
        proxy_pass http://{route};
{proxy_common}
    }}
}}
"""
    if ui_host:
        conf += f"""
upstream {ui} {{ server {upstream_host}:{ui_port}; keepalive 16; }}

server {{
    listen {listen} ssl;
    server_name {ui_host};
{tls}

    client_max_body_size 0;   # component uploads through the UI/REST
    send_timeout {t}s;

    location / {{
        proxy_pass http://{ui};
{proxy_common}
    }}
}}
"""
    return conf


def render_from_settings(
    settings: ReverseProxySettings, repositories: Sequence[Mapping[str, Any]], ui_port: int = 8081
) -> str:
    """`render_nginx_conf` for the stack config: ports come from the named repositories."""
    return render_nginx_conf(
        registry_host=settings.registry_host,
        pull_port=repository_port(repositories, settings.pull_repository, "reverseProxy.pullRepository"),
        push_port=repository_port(repositories, settings.push_repository, "reverseProxy.pushRepository"),
        cert_path=settings.tls_cert_path,
        key_path=settings.tls_key_path,
        ui_host=settings.ui_host,
        ui_port=ui_port,
        upstream_host=settings.upstream_host,
        listen_port=settings.listen_port,
        listen_address=settings.listen_address,
        timeout_seconds=settings.timeout_seconds,
    )


def state_home() -> Path:
    """$XDG_STATE_HOME, else ~/.local/state (the XDG Base Directory default)."""
    configured = os.environ.get("XDG_STATE_HOME", "")
    return Path(configured) if os.path.isabs(configured) else Path.home() / ".local" / "state"


def default_bundle_dir(project: str, stack: str) -> Path:
    return state_home() / "nexus-registry" / project / stack


def bundle_dir(output_dir: str | None, project: str, stack: str, project_root: Path) -> Path:
    """Where the nginx bundle of a stack goes: reverseProxy.outputDir (relative to the project),
    else the per-stack state directory outside the checkout."""
    if not output_dir:
        return default_bundle_dir(project, stack)
    path = Path(output_dir).expanduser()
    return path if path.is_absolute() else project_root / path


def output_dir_problem(output_dir: str | None, registry_host: str, project_root: Path) -> str | None:
    """Why reverseProxy.outputDir must not hold the private key: it is inside the project tree
    and git does not ignore it (one `git add -A` would commit the key)."""
    if not output_dir:
        return None
    target = bundle_dir(output_dir, "-", "-", project_root).resolve()
    root = project_root.resolve()
    if target != root and root not in target.parents:
        return None
    key = target / f"{registry_host}.key"
    try:
        ignored = subprocess.run(["git", "-C", str(root), "check-ignore", "-q", str(key)],
                                 capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ignored = False
    if ignored:
        return None
    return (f"'{output_dir}' is inside the project ({root}) and git does not ignore it, so the private key "
            f"{key.name} written there could be committed. Remove outputDir (the files then go to "
            f"{state_home()}/nexus-registry/<project>/<stack>/, outside the checkout), point it outside the "
            "project, or add it to .gitignore")


def write_bundle(
    directory: str | os.PathLike[str],
    *,
    conf: str,
    cert_pem: str,
    key_pem: str,
    ca_cert_pem: str,
    registry_host: str,
    private_dir: bool = True,
) -> dict[str, Path]:
    """Write what an nginx host needs into `directory`: conf, cert, key (0600), and the CA.

    Directories this creates are 0700, and with `private_dir` the directory itself is made 0700
    (the per-stack state directory; a directory the operator chose keeps its mode). The CA goes
    to docker clients as /etc/docker/certs.d/<registry_host>/ca.crt. Only call this outside
    previews (`pulumi.runtime.is_dry_run()`): it writes files.
    """
    out = Path(directory)
    missing = [p for p in (out, *out.parents) if not p.exists()]
    for parent in reversed(missing):
        parent.mkdir(mode=0o700)
    if private_dir:
        os.chmod(out, 0o700)
    files = {
        "conf": (out / CONF_NAME, conf, 0o644),
        "cert": (out / f"{registry_host}.crt", cert_pem, 0o644),
        "key": (out / f"{registry_host}.key", key_pem, 0o600),
        "ca": (out / "ca.crt", ca_cert_pem, 0o644),
    }
    for path, text, mode in files.values():
        # Create with the final mode, so the key is never readable by others, even briefly.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(path, mode)
    return {name: path for name, (path, _, _) in files.items()}
