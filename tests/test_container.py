"""NexusContainer under Pulumi mocks: no Docker engine or docker provider plugin is needed.

The mocks record what the component registers; TlsMaterial is answered by the real provider's
`create`, so the keystore uploaded into the container is real and must open with the password
Jetty is given.
"""
from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pulumi
import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from jsonschema import Draft202012Validator
from pulumi.runtime import rpc

from components.standup.container import (
    ContainerSettings,
    NexusContainer,
    connector_ports,
    container_env,
    image_reference,
    vm_params,
)
from components.standup.tls import TlsSettings
from components.standup.tls_material import TlsMaterial, TlsMaterialProvider

ROOT = Path(__file__).resolve().parent.parent
IMAGE_ID = "sha256:" + "ab" * 32


class Recorder(pulumi.runtime.Mocks):
    """Answers every registration with its inputs and remembers them by resource type."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        if args.typ == "pulumi-python:dynamic/nexus:TlsMaterial":
            inputs = {k: _plain(v) for k, v in args.inputs.items() if k != "__provider"}
            checked = TlsMaterialProvider().check({}, inputs)
            assert not checked.failures, [f.reason for f in checked.failures]
            result = TlsMaterialProvider().create(checked.inputs)
            return result.id, result.outs
        if args.typ == "docker:index/remoteImage:RemoteImage":
            return f"{args.name}-id", {**args.inputs, "imageId": IMAGE_ID}
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list]:
        return {}, []

    def one(self, typ: str, name: str | None = None) -> pulumi.runtime.MockResourceArgs:
        found = [r for r in self.resources if r.typ == typ and (name is None or r.name == name)]
        assert len(found) == 1, f"expected one {typ} {name or ''}, got {[r.name for r in found]}"
        return found[0]


def _plain(value: Any) -> Any:
    """Inputs with secret markers removed (the real provider gets plain values too)."""
    if rpc.is_rpc_secret(value):
        return _plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@pytest.fixture
def mocks() -> Recorder:
    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project="nexus-registry", stack="test", preview=False)
    return recorder


CONTAINER = "docker:index/container:Container"
REPOSITORIES = [
    {"name": "docker-hosted", "type": "hosted", "httpPort": 5001},
    {"name": "docker-hub", "type": "proxy"},
    {"name": "docker-group", "type": "group", "httpPort": 5000, "httpsPort": 5443},
]


def _uploads(container: pulumi.runtime.MockResourceArgs) -> dict[str, dict[str, Any]]:
    return {u["file"]: u for u in _plain(container.inputs["uploads"])}


@pulumi.runtime.test
def test_plain_http_container(mocks: Recorder):
    settings = ContainerSettings.from_config({
        "image": "sonatype/nexus3:3.86.2",
        "heap": "2703m",
        "randomPassword": False,
        "extraEnv": {"TZ": "Europe/Berlin"},
        "httpPort": 18081,
    })
    nexus = NexusContainer("nexus", settings, connector_ports=[5001, 5000])

    def check(_: Any) -> None:
        image = mocks.one("docker:index/remoteImage:RemoteImage")
        assert image.inputs["name"] == "sonatype/nexus3:3.86.2"

        volume = mocks.one("docker:index/volume:Volume")
        assert volume.inputs["name"] == "nexus-data"

        main = mocks.one(CONTAINER, "nexus-container")
        inputs = main.inputs
        assert inputs["name"] == "nexus"
        assert inputs["image"] == IMAGE_ID
        assert inputs["restart"] == "unless-stopped"
        assert sorted((p["internal"], p["external"]) for p in inputs["ports"]) == [
            (5000, 5000), (5001, 5001), (8081, 18081)
        ]
        assert {p["ip"] for p in inputs["ports"]} == {"0.0.0.0"}
        assert inputs["volumes"] == [{"volumeName": "nexus-data", "containerPath": "/nexus-data"}]
        assert inputs["envs"] == [
            "INSTALL4J_ADD_VM_PARAMS=-Xms2703m -Xmx2703m -XX:MaxDirectMemorySize=2703m "
            "-Djava.util.prefs.userRoot=/nexus-data/javaprefs",
            "NEXUS_SECURITY_RANDOMPASSWORD=false",
            "TZ=Europe/Berlin",
        ]
        health = inputs["healthcheck"]
        assert health["tests"][0] == "CMD-SHELL"
        assert "http://localhost:8081/service/rest/v1/status/writable" in health["tests"][1]
        assert health["startPeriod"] == "180s" and health["retries"] == 5
        assert inputs["wait"] is True and inputs["waitTimeout"] == 300
        assert inputs["stopTimeout"] == 120 and inputs["destroyGraceSeconds"] == 120
        assert inputs["ulimits"] == [{"name": "nofile", "soft": 65536, "hard": 65536}]

        assert not rpc.is_rpc_secret(inputs["uploads"])  # nothing secret without TLS
        uploads = _uploads(main)
        assert list(uploads) == ["/nexus-data/etc/nexus.properties"]
        props = uploads["/nexus-data/etc/nexus.properties"]
        assert (props["owner"], props["group"], props["permissions"]) == ("200", "200", "0644")
        assert "jetty-https.xml" not in props["content"]
        assert "nexus.skipDefaultRepositories=true" in props["content"]

        prepare = mocks.one(CONTAINER, "nexus-prepare")
        assert prepare.inputs["user"] == "0:0"
        assert prepare.inputs["image"] == IMAGE_ID
        assert prepare.inputs["volumes"] == inputs["volumes"]
        assert prepare.inputs["attach"] is True and prepare.inputs["mustRun"] is False
        script = prepare.inputs["command"][0]
        assert "chown 200:200 /nexus-data /nexus-data/etc /nexus-data/etc/ssl /nexus-data/etc/jetty" in script

    return pulumi.Output.all(nexus.container_id, nexus.volume_name).apply(check)


@pulumi.runtime.test
def test_jetty_https_uploads_keystore_and_password_overlay(mocks: Recorder):
    tls = TlsMaterial("tls", TlsSettings.from_config({
        "hostnames": ["registry.example.test"], "jettyHttps": True, "httpsPort": 8443,
    }))
    settings = ContainerSettings.from_config({"registryMirror": "mirror.example.test:5000", "bindAddress": "127.0.0.1"})
    nexus = NexusContainer(
        "nexus", settings, connector_ports=connector_ports(REPOSITORIES), tls=tls, https_port=8443
    )

    def check(args: list[Any]) -> None:
        keystore_b64, password = args[1], args[2]
        image = mocks.one("docker:index/remoteImage:RemoteImage")
        assert image.inputs["name"] == "mirror.example.test:5000/sonatype/nexus3:3.86.2"

        main = mocks.one(CONTAINER, "nexus-container")
        assert sorted(p["internal"] for p in main.inputs["ports"]) == [5000, 5001, 5443, 8081, 8443]
        assert {p["ip"] for p in main.inputs["ports"]} == {"127.0.0.1"}

        uploads = _uploads(main)
        assert set(uploads) == {
            "/nexus-data/etc/nexus.properties",
            "/nexus-data/etc/ssl/keystore.jks",
            "/nexus-data/etc/jetty/jetty-https-keystore.xml",
        }
        props = uploads["/nexus-data/etc/nexus.properties"]["content"]
        assert "application-port-ssl=8443" in props
        assert "ssl.etc=${karaf.data}/etc/ssl" in props
        assert "${jetty.etc}/jetty-https.xml,${karaf.data}/etc/jetty/jetty-https-keystore.xml" in props

        keystore = uploads["/nexus-data/etc/ssl/keystore.jks"]
        overlay = uploads["/nexus-data/etc/jetty/jetty-https-keystore.xml"]
        for upload in (keystore, overlay):
            assert (upload["owner"], upload["group"], upload["permissions"]) == ("200", "200", "0600")
        assert keystore["contentBase64"] == keystore_b64

        # What Jetty will be told opens what Jetty will be given.
        sets = {s.get("name"): s.text for s in ET.fromstring(overlay["content"]).find("Ref").findall("Set")}
        assert sets["KeyStorePassword"] == password == sets["KeyManagerPassword"] == sets["TrustStorePassword"]
        key, cert, _ = pkcs12.load_key_and_certificates(base64.b64decode(keystore["contentBase64"]), password.encode())
        assert key is not None and cert is not None

        # Keystore bytes and the overlay carrying the password make the uploads a secret in the state.
        assert rpc.is_rpc_secret(main.inputs["uploads"])

    return pulumi.Output.all(nexus.container_id, tls.keystore_base64, tls.keystore_password).apply(check)


def test_image_must_be_pinned_and_mirror_prefix_applies():
    assert image_reference("sonatype/nexus3:3.86.2") == "sonatype/nexus3:3.86.2"
    assert image_reference("sonatype/nexus3:3.86.2", "mirror.local/dockerhub/") == "mirror.local/dockerhub/sonatype/nexus3:3.86.2"
    digest = "sonatype/nexus3@sha256:" + "0" * 64
    assert image_reference(digest) == digest
    for floating in ("sonatype/nexus3", "sonatype/nexus3:latest", "registry.local:5000/nexus3"):
        with pytest.raises(ValueError, match="must pin a version"):
            image_reference(floating)
    with pytest.raises(ValueError, match="already names a registry"):
        image_reference("registry.local:5000/sonatype/nexus3:3.86.2", "mirror.local")


def test_vm_params_and_env_validation():
    assert vm_params("4g", "6g") == (
        "-Xms4g -Xmx4g -XX:MaxDirectMemorySize=6g -Djava.util.prefs.userRoot=/nexus-data/javaprefs"
    )
    with pytest.raises(ValueError, match="container.heap"):
        vm_params("lots")
    with pytest.raises(ValueError, match="container.heap/directMemory/randomPassword"):
        container_env(ContainerSettings(extra_env={"INSTALL4J_ADD_VM_PARAMS": "-Xmx1g"}))
    assert container_env(ContainerSettings())[1:] == []  # random password stays the image default


def test_connector_ports_collects_every_docker_port():
    assert connector_ports(REPOSITORIES) == [5000, 5001, 5443]


@pulumi.runtime.test
def test_duplicate_ports_are_refused(mocks: Recorder):
    with pytest.raises(ValueError, match="port 8443 is used twice"):
        NexusContainer("dup", ContainerSettings(), connector_ports=[8443], tls=TlsMaterial(
            "tls-dup", TlsSettings(hostnames=("registry.example.test",))), https_port=8443)


def test_schema_defaults_match_settings_defaults():
    schema = json.loads((ROOT / "schemas" / "container.schema.json").read_text())
    defaults = ContainerSettings()
    expected = {
        "image": defaults.image, "name": defaults.name, "volume": defaults.volume,
        "protectVolume": defaults.protect_volume, "heap": defaults.heap,
        "restartPolicy": defaults.restart_policy, "httpPort": defaults.http_port,
        "bindAddress": defaults.bind_address, "randomPassword": defaults.random_password,
        "skipDefaultRepositories": defaults.skip_default_repositories, "nexusProperties": {},
        "extraEnv": {}, "waitTimeout": defaults.wait_timeout,
    }
    declared = {k: v["default"] for k, v in schema["properties"].items() if "default" in v}
    assert declared == expected
    assert ContainerSettings.from_config({}) == defaults


def test_schema_is_valid_documented_and_closed():
    schema = json.loads((ROOT / "schemas" / "container.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert all(v.get("description") for v in schema["properties"].values())
    validator = Draft202012Validator(schema)
    assert not list(validator.iter_errors({
        "image": "sonatype/nexus3:3.86.2", "registryMirror": "mirror.example.test:5000", "heap": "4g",
        "directMemory": "6g", "extraEnv": {"TZ": "UTC"}, "nexusProperties": {"nexus.scripts.allowCreation": "false"},
    }))
    for bad in ({"image": "sonatype/nexus3"}, {"image": "sonatype/nexus3:latest"}, {"heap": "4 GB"},
                {"extraEnv": {"INSTALL4J_ADD_VM_PARAMS": "-Xmx1g"}}, {"restartPolicy": "sometimes"}, {"cpu": 2}):
        assert list(validator.iter_errors(bad)), bad
