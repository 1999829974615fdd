"""Nexus over HTTPS with a private CA, through the real chain: stack YAML -> pulumi -> providers ->
HTTPS -> the emulator serving TLS (`--tls-cert/--tls-key`, `--tls-client-ca` for mutual TLS).

`nexus.tls` trusts a CA given as PEM text, as a file or by reference to the stack's own generated
CA, presents a client certificate (its key a Pulumi secret), or — said on every run — does not
verify at all. Without the CA, nothing is written and the error says which setting fixes it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
import yaml

from components.standup.checks import connection_problems
from tests.harness import EmulatorProcess, Workspace, install_cli, nexusctl
from tests.pki import Pki, make_pki
from tests.samples import free_ports

pytestmark = pytest.mark.engine
PASSWORD = "Https-Admin-Pw-1"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def start(data_dir: Path, cert: Optional[str] = None, key: Optional[str] = None, client_ca: Optional[str] = None,
          ca: Optional[str] = None, port: int = 0, identity: Optional[tuple[str, str]] = None) -> EmulatorProcess:
    extra = ["--port", str(port)]
    if cert and key:
        extra += ["--tls-cert", cert, "--tls-key", key]
    if client_ca:
        extra += ["--tls-client-ca", client_ca]
    emulator = EmulatorProcess(data_dir, admin_password=PASSWORD, extra=extra)
    emulator.http.trust_env = False  # REQUESTS_CA_BUNDLE would replace the CA below
    emulator.http.verify = ca or True  # the control API is served over the same TLS
    if identity:
        emulator.http.cert = identity
    return emulator


@pytest.fixture
def stopper() -> Iterator[list[EmulatorProcess]]:
    started: list[EmulatorProcess] = []
    yield started
    for emulator in started:
        emulator.stop()


def registry(port: int) -> dict[str, Any]:
    return {"blobStores": [{"name": "images", "type": "file"}],
            "repositories": [{"name": "images", "type": "hosted", "blobStore": "images", "httpPort": port}]}


def configure(ws: Workspace, url: str, tls: Optional[dict[str, Any]], values: dict[str, Any],
              secrets: Optional[dict[str, str]] = None) -> None:
    nexus: dict[str, Any] = {"url": url, "bootstrap": {"waitTimeoutSeconds": 20}}
    if tls is not None:
        nexus["tls"] = tls
    ws.configure({"nexus": nexus, **values}, {"adminPassword": PASSWORD, **(secrets or {})})


def test_a_private_ca_is_trusted_when_given_and_refused_before_any_write_when_not(tmp_path, pki, stopper):
    emulator = start(tmp_path / "data", pki.file("server.crt"), pki.file("server.key"), ca=pki.file("ca.pem"))
    stopper.append(emulator)
    assert emulator.url.startswith("https://127.0.0.1:")
    ws = Workspace.create(tmp_path)
    (port,) = free_ports(1)

    configure(ws, emulator.url, None, registry(port))
    refused = ws.up(check=False)
    assert refused.code != 0
    assert f"no answer from {emulator.url}: the TLS handshake failed" in refused.output
    assert "certificate verify failed" in refused.output
    assert "nexus.tls.caPem (PEM text), nexus.tls.caFile (a path) or nexus.tls.caFromStack" in refused.output
    assert emulator.writes() == []

    configure(ws, emulator.url, {"caPem": pki.ca_pem}, registry(port))
    ws.up()
    assert {r["name"] for r in emulator.rest("GET", "/v1/repositories", PASSWORD).json()} >= {"images"}
    assert ws.refresh_check().code == 0, "the drift check reads over the same TLS"

    (ws.root / "certs").mkdir()  # a relative caFile is read from the project directory
    (ws.root / "certs" / "company-ca.pem").write_text(pki.ca_pem)
    configure(ws, emulator.url, {"caFile": "certs/company-ca.pem"}, registry(port))
    assert ws.refresh_check().code == 0

    # `nexusctl adopt` reaches the same Nexus with --ca-file and writes it into the stack.
    install_cli(ws)
    ws.env["NEXUS_PASSWORD"] = PASSWORD
    target = tmp_path / "Pulumi.adopted.yaml"
    untrusted = nexusctl(ws, "adopt", "--url", emulator.url, "--stack", "adopted", "--output", str(target))
    assert untrusted.code == 1 and "certificate verify failed" in untrusted.stderr and not target.exists()
    adopted = nexusctl(ws, "adopt", "--url", emulator.url, "--stack", "adopted", "--output", str(target),
                       "--ca-file", pki.file("ca.pem"))
    assert adopted.code == 0, adopted.output
    written = yaml.safe_load(target.read_text())["config"]["nexus-registry:nexus"]
    assert written["tls"] == {"caFile": pki.file("ca.pem")}


def test_insecure_works_and_warns_on_every_run(tmp_path, pki, stopper):
    emulator = start(tmp_path / "data", pki.file("server.crt"), pki.file("server.key"), ca=pki.file("ca.pem"))
    stopper.append(emulator)
    ws = Workspace.create(tmp_path)
    configure(ws, emulator.url, {"insecure": True}, registry(free_ports(1)[0]))
    warning = f"nexus.tls.insecure is on: the certificate of {emulator.url} is NOT verified"
    assert warning in ws.up().output
    assert warning in ws.preview().output
    drift = ws.refresh_check()  # no program run: the providers say it themselves
    assert drift.code == 0 and warning in drift.output


def test_mutual_tls_with_the_client_certificate_and_refused_without(tmp_path, pki, stopper):
    emulator = start(tmp_path / "data", pki.file("server.crt"), pki.file("server.key"),
                     client_ca=pki.file("ca.pem"), ca=pki.file("ca.pem"),
                     identity=(pki.file("client.crt"), pki.file("client.key")))
    stopper.append(emulator)
    ws = Workspace.create(tmp_path)
    values = registry(free_ports(1)[0])
    identity = {"caPem": pki.ca_pem, "clientCertPem": pki.client_cert_pem}
    configure(ws, emulator.url, identity, values, {"nexus.tls.clientKeyPem": pki.client_key_pem})
    assert pki.client_key_pem.splitlines()[1] not in ws.stack_file.read_text(), "the key is stored encrypted"
    done = ws.up()
    assert {r["name"] for r in emulator.rest("GET", "/v1/repositories", PASSWORD).json()} >= {"images"}
    assert pki.client_key_pem.splitlines()[1] not in done.output + ws.state_text()
    install_cli(ws)
    disk = nexusctl(ws, "disk", "test")  # the `nexus` key now holds a secret: read whole, kept in memory
    assert disk.code == 0, disk.output

    values["repositories"][0]["writePolicy"] = "ALLOW_ONCE"  # a change, so a provider has to call Nexus
    configure(ws, emulator.url, {"caPem": pki.ca_pem}, values)
    emulator.clear_log()
    refused = ws.up(check=False)
    assert refused.code != 0
    assert "it wants a client certificate" in refused.output and "nexus.tls.clientCertPem" in refused.output
    assert emulator.writes() == []


def test_the_stacks_own_generated_ca_by_reference(tmp_path, stopper):
    """The dev flow: the first `up` issues the certificate (tls section), Nexus is restarted with
    it on HTTPS, and nexus.tls.caFromStack trusts the CA that lives only in the stack's state —
    for up, for the drift check (a refresh: no program run) and for nexusctl."""
    data, (port, connector) = tmp_path / "data", free_ports(2)
    emulator = start(data, port=port)
    stopper.append(emulator)
    ws = Workspace.create(tmp_path)
    values = {**registry(connector), "tls": {"hostnames": ["localhost"], "ipAddresses": ["127.0.0.1"]}}
    configure(ws, emulator.url, None, values)
    ws.up()
    material = next(r for r in json.loads(ws.pulumi("stack", "export", "--show-secrets", check=True).stdout)
                    ["deployment"]["resources"] if r["type"].endswith("TlsMaterial"))["outputs"]
    (tmp_path / "server.crt").write_text(material["certPem"])
    (tmp_path / "server.key").write_text(json.loads(material["keyPem"]["plaintext"]))  # a secret in the state
    (tmp_path / "ca.pem").write_text(material["caCertPem"])
    emulator.stop()

    https = start(data, str(tmp_path / "server.crt"), str(tmp_path / "server.key"), port=port,
                  ca=str(tmp_path / "ca.pem"))
    stopper.append(https)
    url = f"https://127.0.0.1:{port}"
    assert https.url == url
    configure(ws, url, {"caFromStack": True}, values)
    ws.up()  # the bootstrap learns the CA from the state and hands it to every other provider
    assert ws.refresh_check().code == 0
    values["repositories"][0]["writePolicy"] = "ALLOW_ONCE"
    configure(ws, url, {"caFromStack": True}, values)
    ws.up()
    hosted = https.rest("GET", "/v1/repositories/docker/hosted/images", PASSWORD).json()
    assert hosted["storage"]["writePolicy"] == "ALLOW_ONCE"
    install_cli(ws)
    disk = nexusctl(ws, "disk", "test")
    assert disk.code == 0, disk.output  # nexusctl reads the generated CA from the stack output


@pytest.mark.parametrize("nexus,tls,expected", [
    ({"url": "http://nexus:8081", "tls": {"caPem": "-----BEGIN CERTIFICATE-----"}}, None,
     "nexus.tls: applies to HTTPS only, but nexus.url is http://nexus:8081"),
    ({"url": "https://nexus", "tls": {"caFromStack": True}}, None,
     "nexus.tls.caFromStack: the stack has no tls section whose CA could be trusted"),
    ({"url": "https://nexus", "tls": {"caFile": "/ca.pem", "caFromStack": True}}, {"hostnames": ["nexus"]},
     "nexus.tls.caFromStack: nexus.tls.caFile already names the CA"),
    ({"url": "https://nexus", "tls": {"insecure": True, "caFile": "/ca.pem"}}, None,
     "nexus.tls.insecure: contradicts nexus.tls.caFile"),
    ({"url": "https://nexus", "tls": {"clientCertFile": "/c.crt"}}, None,
     "nexus.tls.clientCertFile: needs its pair: clientKeyPem or clientKeyFile"),
    ({"url": "https://nexus", "tls": {"caFile": "/does/not/exist.pem"}}, None,
     "nexus.tls.caFile: cannot read the CA bundle"),
])
def test_connection_settings_that_cannot_work_are_refused_with_their_path(nexus, tls, expected):
    problems = [str(p) for p in connection_problems({"nexus": nexus, "tls": tls})]
    assert any(expected in p for p in problems), problems


def test_a_client_key_that_does_not_match_is_refused_without_echoing_it(pki):
    problems = connection_problems({"nexus": {"url": "https://nexus", "tls": {
        "caPem": pki.ca_pem, "clientCertPem": pki.client_cert_pem, "clientKeyPem": pki.server_key_pem}}})
    assert [p.path for p in problems] == ["nexus.tls.clientCert*/clientKey*"]
    assert "cannot load the client certificate and key" in problems[0].message
    assert pki.server_key_pem.splitlines()[1] not in str(problems[0])
