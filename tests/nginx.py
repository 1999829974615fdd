"""A real nginx for tests: unprivileged, on loopback, with a throw-away prefix."""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)


def free_port() -> int:
    """A listening port outside the ephemeral range (see tests/samples.py)."""
    from tests.samples import free_ports
    return free_ports(1)[0]


@contextmanager
def running_nginx(prefix: Path, site_conf: Path, port: int) -> Iterator[subprocess.Popen]:
    """Runs nginx with `site_conf` included at http level until the block ends (skips the test
    when nginx is not installed: scripts/system-packages.sh installs it)."""
    if NGINX is None:
        pytest.skip("nginx is not installed (scripts/system-packages.sh installs it)")
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / temp).mkdir(parents=True, exist_ok=True)
    (prefix / "nginx.conf").write_text(f"""\
worker_processes 1;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {site_conf};
}}
""")
    run_as: dict[str, Any] = {}
    if os.geteuid() == 0:  # never run the proxy under test as root
        nobody = pwd.getpwnam("nobody")
        for path in [prefix, *prefix.rglob("*"), site_conf.parent, *site_conf.parent.rglob("*")]:
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        run_as = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
    process = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", f"daemon off; pid {prefix}/nginx.pid;"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **run_as)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (prefix / "error.log").read_text() if (prefix / "error.log").exists() else ""
                    output = process.stdout.read().decode() if process.poll() is not None and process.stdout else ""
                    pytest.fail(f"nginx did not start:\n{output}\n{log}")
                time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
