"""Standing Nexus up: first-start bootstrap, TLS, one registry host name through a real nginx in
front of the emulator's docker connectors, and what clients are told (certs.d, mirrors, login)."""
from __future__ import annotations

import copy
import hashlib
import http.client
import json
import shutil
import socket
import ssl
import tempfile
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import urlparse

import pytest

from tests.conftest import configure
from tests.harness import changed_steps
from tests.nginx import free_port, running_nginx
from tests.samples import repository, seed_registry

pytestmark = pytest.mark.engine
REGISTRY, UI = "registry.example.test", "nexus.example.test"
CI_PASSWORD = "Ci-Robot-Pw-42"


def first_start_settings(nexus: Any, accept: bool = True) -> dict[str, Any]:
    return {"bootstrap": {"acceptEula": accept, "waitTimeoutSeconds": 10,
                          "initialPasswordFile": str(nexus.data_dir / "admin.password")}}


@pytest.mark.nexus(first_start=True)
def test_empty_nexus_converges_in_one_up(workspace, nexus):
    """A brand-new Nexus: random admin.password, EULA pending."""
    first = nexus.first_password
    assert nexus.control("GET", "info")["eulaAccepted"] is False
    values = copy.deepcopy(seed_registry())
    values["security"] = {"anonymousPull": ["hub-group"], "pushers": {"ci": ["ybcard"]}}
    configure(workspace, nexus, values, {"security.passwords.ci": CI_PASSWORD}, **first_start_settings(nexus))
    result = workspace.up()
    assert "admin password set (it was the first-start password" in result.output
    assert "Community Edition EULA accepted" in result.output
    assert first not in result.output and nexus.password not in result.output
    assert not (nexus.data_dir / "admin.password").exists()  # Nexus deletes it once changed
    assert nexus.control("GET", "info")["eulaAccepted"] is True
    assert nexus.rest("GET", "/v1/status/check", nexus.password).status_code == 200
    assert changed_steps(workspace.preview_json()) == []
    assert workspace.refresh_check().code == 0


@pytest.mark.nexus(first_start=True)
def test_eula_is_never_accepted_silently(workspace, nexus):
    configure(workspace, nexus, seed_registry(), **first_start_settings(nexus, accept=False))
    result = workspace.up(check=False)
    assert result.code != 0
    assert "set nexus.bootstrap.acceptEula: true" in result.output
    assert nexus.control("GET", "info")["eulaAccepted"] is False
    # Nothing but the password change was written: every other object waits for the bootstrap.
    assert [w["path"] for w in nexus.writes()] == ["/service/rest/v1/security/users/admin/change-password"]


@pytest.mark.nexus(first_start=True)
def test_unknown_admin_password_gives_a_clear_error(workspace, nexus):
    (nexus.data_dir / "admin.password").unlink()  # as if someone changed the password by hand
    configure(workspace, nexus, seed_registry(), **first_start_settings(nexus))
    result = workspace.up(check=False)
    assert result.code != 0
    assert "cannot log in as admin with any known password" in result.output
    assert "admin.password" in result.output and "admin123" in result.output
    assert nexus.writes() == []


def bundle_config(nexus: Any, out: Path, port: int) -> dict[str, Any]:
    values = copy.deepcopy(seed_registry())
    values["security"] = {"anonymousPull": ["hub-group"], "pushers": {"ci": ["ybcard"]}}
    values["tls"] = {"hostnames": [REGISTRY, UI], "ipAddresses": ["127.0.0.1"]}
    values["reverseProxy"] = {"registryHost": REGISTRY, "uiHost": UI, "pullRepository": "hub-group",
                              "pushRepository": "ybcard", "listenAddress": "127.0.0.1", "listenPort": port,
                              "outputDir": str(out), "tlsCertPath": str(out / f"{REGISTRY}.crt"),
                              "tlsKeyPath": str(out / f"{REGISTRY}.key")}
    return values


class Registry:
    """A docker client's view of one host name behind nginx (TLS checked against the stack's CA)."""

    def __init__(self, port: int, ca_file: Path, host: str = REGISTRY) -> None:
        self.port, self.host = port, host
        self.context = ssl.create_default_context(cafile=str(ca_file))

    def call(self, method: str, path: str, body: bytes = b"", headers: Optional[dict[str, str]] = None):
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=30)
        conn.sock = self.context.wrap_socket(socket.create_connection(("127.0.0.1", self.port), timeout=30),
                                             server_hostname=self.host)
        conn.request(method, path, body=body or None, headers={"Host": f"{self.host}:{self.port}", **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response, data


def basic(user: str, password: str) -> dict[str, str]:
    import base64
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def nginx_dirs() -> Iterator[tuple[Path, Path]]:
    """Bundle and prefix directories nginx (running as nobody) can reach; pytest's are private."""
    dirs = Path(tempfile.mkdtemp(prefix="nexus-bundle-")), Path(tempfile.mkdtemp(prefix="nexus-nginx-"))
    yield dirs
    for directory in dirs:
        shutil.rmtree(directory, ignore_errors=True)


def test_one_host_name_pushes_to_hosted_and_pulls_from_the_group(workspace, nexus, nginx_dirs):
    (out, prefix), port = nginx_dirs, free_port()
    values = bundle_config(nexus, out, port)
    configure(workspace, nexus, values, {"security.passwords.ci": CI_PASSWORD})
    workspace.up()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["ca.crt", "nexus-registry.conf", f"{REGISTRY}.crt", f"{REGISTRY}.key"])
    assert (out / f"{REGISTRY}.key").stat().st_mode & 0o077 == 0

    with running_nginx(prefix, out / "nexus-registry.conf", port):
        registry = Registry(port, out / "ca.crt")
        nexus.clear_log()
        # docker push through the one host name (blob upload, then the manifest)
        layer = b"layer-bytes" * 1000
        digest = "sha256:" + hashlib.sha256(layer).hexdigest()
        started, _ = registry.call("POST", "/v2/team/app/blobs/uploads/", headers=basic("ci", CI_PASSWORD))
        assert started.status == 202
        location = urlparse(started.getheader("Location"))
        done, _ = registry.call("PUT", f"{location.path}?{location.query + '&' if location.query else ''}digest={digest}",
                                body=layer, headers={**basic("ci", CI_PASSWORD), "Content-Type": "application/octet-stream"})
        assert done.status == 201
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                               "config": {"digest": digest, "size": len(layer), "mediaType": "application/octet-stream"},
                               "layers": [{"digest": digest, "size": len(layer),
                                           "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip"}]}).encode()
        pushed, _ = registry.call("PUT", "/v2/team/app/manifests/1.0", body=manifest,
                                  headers={**basic("ci", CI_PASSWORD),
                                           "Content-Type": "application/vnd.docker.distribution.manifest.v2+json"})
        assert pushed.status == 201
        # anonymous docker pull (what a daemon's registry-mirrors does) through the same name
        challenge, _ = registry.call("GET", "/v2/")
        assert challenge.status == 401 and challenge.getheader("WWW-Authenticate").startswith("Bearer")
        token_response, token_body = registry.call("GET", "/v2/token?scope=repository:team/app:pull")
        assert token_response.status == 200
        bearer = {"Authorization": f"Bearer {json.loads(token_body)['token']}"}
        pulled, body = registry.call("GET", "/v2/team/app/manifests/1.0", headers={
            **bearer, "Accept": "application/vnd.docker.distribution.manifest.v2+json"})
        assert pulled.status == 200 and json.loads(body)["layers"][0]["digest"] == digest
        # the web UI host name reaches the UI/REST port
        ui = Registry(port, out / "ca.crt", host=UI)
        status, _ = ui.call("GET", "/service/rest/v1/status")
        assert status.status == 200

        served = [(r["method"], r["path"].split("?")[0], r.get("repository")) for r in nexus.requests()]
        writes = [s for s in served if s[0] in ("POST", "PUT", "PATCH")]
        assert writes and all(repo == "ybcard" for _, _, repo in writes), writes
        reads = [s for s in served if s[0] == "GET" and s[1].startswith("/v2/")]
        assert reads and all(repo == "hub-group" for _, _, repo in reads), reads
        assert ("GET", "/service/rest/v1/status", None) in served


def test_client_outputs(workspace, nexus, tmp_path):
    out, port = tmp_path / "bundle", free_port()
    values = bundle_config(nexus, out, port)
    configure(workspace, nexus, values, {"security.passwords.ci": CI_PASSWORD})
    workspace.up()
    outputs = json.loads(workspace.pulumi("stack", "output", "--json", "--show-secrets", "--stack",
                                          workspace.stack, check=True).stdout)
    ca = (out / "ca.crt").read_text()
    assert outputs["dockerCertsD"] == {f"/etc/docker/certs.d/{REGISTRY}:{port}/ca.crt": ca}
    assert outputs["daemonJson"] == {"registry-mirrors": [f"https://{REGISTRY}:{port}"]}
    assert any("credsStore" in hint for hint in outputs["dockerLogin"])
    assert f"docker login {REGISTRY}:{port}" in outputs["dockerLogin"]
    assert "nexus-args=" in outputs["nexusProperties"]

    del values["security"]["anonymousPull"]
    repository(values, "hub-group")["forceBasicAuth"] = True
    configure(workspace, nexus, values, {"security.passwords.ci": CI_PASSWORD})
    result = workspace.up()
    assert "no registry-mirrors snippet for 'hub-group'" in result.output
    assert "Missing: the DockerToken realm is active" in result.output
    outputs = json.loads(workspace.pulumi("stack", "output", "--json", "--stack", workspace.stack, check=True).stdout)
    assert "daemonJson" not in outputs


def test_https_connector_without_jetty_https_is_refused_at_preview(workspace, nexus):
    values = seed_registry()
    repository(values, "hub-group")["httpsPort"] = free_port()
    configure(workspace, nexus, values)
    result = workspace.preview()
    assert result.code != 0
    assert "repositories[4].httpsPort: an HTTPS docker connector needs Jetty HTTPS" in result.output
    assert nexus.writes() == []


def test_a_broken_docker_path_fails_the_deployment(workspace, nexus):
    """Nexus stores the settings, but the connector is dead (here: the repository is offline)."""
    values = copy.deepcopy(seed_registry())
    values["security"] = {"anonymousPull": ["hub-group"]}
    repository(values, "hub-group")["online"] = False
    configure(workspace, nexus, values)
    result = workspace.up(check=False)
    assert result.code != 0
    assert "checks of the docker path failed" in result.output and "hub-group" in result.output
    repository(values, "hub-group")["online"] = True
    configure(workspace, nexus, values)
    passed = workspace.up()
    assert "deployment check:" in passed.output and "checks passed" in passed.output
    assert changed_steps(workspace.preview_json()) == []
