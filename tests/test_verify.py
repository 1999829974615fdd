"""`nexusctl verify` and components/verification.py: the docker path as clients walk it, on the
emulator's real connector listeners and, for the reverse proxy and TLS, through a real nginx."""
from __future__ import annotations

import copy
import json
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from components.standup import verification
from components.standup.reverse_proxy import render_nginx_conf, write_bundle
from components.standup.tls_material import TlsMaterialProvider
from nexusctl import verify
from tests.conftest import configure
from tests.harness import install_cli, nexusctl
from tests.nginx import free_port, running_nginx
from tests.samples import repository, seed_registry

pytestmark = pytest.mark.engine
REGISTRY, UI = "registry.example.test", "nexus.example.test"


def registry() -> dict[str, Any]:
    values = copy.deepcopy(seed_registry())
    values["security"] = {"anonymousPull": ["hub-group"]}
    return values


def checks(done) -> dict[str, dict[str, Any]]:
    """The checks of a `--format json` run, whose stdout holds the JSON report alone."""
    return {c["name"]: c for c in json.loads(done.stdout)["checks"]}


def test_a_working_registry_passes_and_each_broken_link_is_named(workspace, nexus):
    values = registry()
    configure(workspace, nexus, values)
    workspace.up()
    install_cli(workspace)

    done = nexusctl(workspace, "verify", "test", "--format", "json")
    assert done.code == verify.EXIT_OK, done.output
    assert "7 of 7 checks passed" in done.stderr  # the human lines go to stderr
    found = checks(done)
    group = f"http://127.0.0.1:{repository(values, 'hub-group')['httpPort']}"
    assert found[f"docker connector of hub-group ({group})"]["detail"].startswith("401 with a Bearer challenge")
    ybcard = f"http://127.0.0.1:{repository(values, 'ybcard')['httpPort']}"
    assert found[f"docker connector of ybcard ({ybcard})"]["detail"].startswith("401 with a Basic challenge")
    assert found[f"anonymous pull from hub-group ({group})"]["detail"] == "anonymous token issued and accepted"
    assert len(found) == 1 + 5 + 1  # status, five connectors, one anonymous pull

    # Break three links behind the stack's back.
    assert nexus.rest("PUT", "/v1/security/anonymous", nexus.password,
                      {"enabled": False, "userId": "anonymous", "realmName": "NexusAuthorizingRealm"}).status_code == 200
    assert nexus.rest("DELETE", "/v1/repositories/google-hub", nexus.password).status_code == 204
    doc = next(r for r in nexus.rest("GET", "/v1/repositorySettings", nexus.password).json() if r["name"] == "ybcard")
    doc["docker"]["forceBasicAuth"] = False
    assert nexus.rest("PUT", "/v1/repositories/docker/hosted/ybcard", nexus.password, doc).status_code == 204

    broken = nexusctl(workspace, "verify", "test")
    assert broken.code == verify.EXIT_FAILED, broken.output
    failed = [line for line in broken.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 3, broken.stdout
    assert any("anonymous pull from hub-group" in f and "refused an anonymous token (401)" in f for f in failed)
    assert any("docker connector of google-hub" in f and "no answer from" in f for f in failed)
    assert any("docker connector of ybcard" in f and "forceBasicAuth: true" in f and "Bearer" in f for f in failed)
    assert "4 of 7 checks passed; 3 failed" in broken.stdout


@pytest.fixture
def tls_proxy() -> Any:
    """TLS material for both host names, and a throw-away nginx prefix."""
    provider = TlsMaterialProvider()
    material = provider.create(provider.check({}, {"hostnames": [REGISTRY, UI]}).inputs).outs
    prefix = Path(tempfile.mkdtemp(prefix="nexus-verify-nginx-"))
    yield material, prefix
    shutil.rmtree(prefix, ignore_errors=True)


def test_through_the_reverse_proxy_with_tls_chain_and_sans(workspace, nexus, tls_proxy):
    material, prefix = tls_proxy
    values = registry()
    configure(workspace, nexus, values)
    workspace.up()
    install_cli(workspace)
    port = free_port()
    files = write_bundle(prefix / "conf.d", conf="", cert_pem=material["certPem"], key_pem=material["keyPem"],
                         ca_cert_pem=material["caCertPem"], registry_host=REGISTRY)
    files["conf"].write_text(render_nginx_conf(
        registry_host=REGISTRY, pull_port=repository(values, "hub-group")["httpPort"],
        push_port=repository(values, "ybcard")["httpPort"], ui_host=UI, ui_port=urlparse(nexus.url).port,
        cert_path=str(files["cert"]), key_path=str(files["key"]), listen_address="127.0.0.1", listen_port=port))
    values["tls"] = {"hostnames": [REGISTRY, UI]}
    values["reverseProxy"] = {"registryHost": REGISTRY, "uiHost": UI, "pullRepository": "hub-group",
                              "pushRepository": "ybcard", "listenPort": port, "listenAddress": "127.0.0.1"}
    configure(workspace, nexus, values)  # verify reads the config; nothing to deploy for nginx here

    with running_nginx(prefix, files["conf"], port):
        done = nexusctl(workspace, "verify", "test", "--ca-file", str(files["ca"]), "--format", "json")
        assert done.code == verify.EXIT_OK, done.output
        found = checks(done)
        base = f"https://{REGISTRY}:{port}"
        assert found[f"TLS certificate of the registry host {REGISTRY}:{port}"]["detail"].startswith(
            f"chain verifies, SANs cover {REGISTRY}, {UI}")
        assert found[f"registry host {base} (pull repository hub-group)"]["detail"].startswith(
            "401 with a Bearer challenge")
        assert found[f"anonymous pull through {base} (hub-group)"]["ok"]
        assert found[f"Nexus UI host https://{UI}:{port}"]["ok"]

        # A host name the certificate does not carry, and the system trust store instead of the CA.
        values["tls"]["hostnames"].append("extra.example.test")
        configure(workspace, nexus, values)
        broken = nexusctl(workspace, "verify", "test", "--ca-file", str(files["ca"]))
        assert broken.code == verify.EXIT_FAILED
        assert "the certificate lacks SANs for extra.example.test" in broken.stdout
        untrusted = nexusctl(workspace, "verify", "test", "--no-reverse-proxy")
        assert untrusted.code == verify.EXIT_OK, "without the proxy checks only the connectors are walked"
        no_ca = verification.tls_certificate(REGISTRY, port, connect_to="127.0.0.1", expected_names=[REGISTRY])
        assert not no_ca.ok and "does not verify against the system trust store" in no_ca.detail
        expiring = verification.tls_certificate(REGISTRY, port, connect_to="127.0.0.1", ca_file=str(files["ca"]),
                                                renew_before_days=30,
                                                now=datetime.now(timezone.utc) + timedelta(days=350))
        assert not expiring.ok and "within tls.renewBeforeDays (30)" in expiring.detail
