"""The whole program for the `dev` stack (a local container) under Pulumi's mocks.

The pulumi-docker plugin cannot be had on these machines and there is no Docker engine, so this
is how the container path of `__main__.py` is exercised: the real program, the real dev stack
config, every registration recorded. TlsMaterial is answered by its real provider.
"""
from __future__ import annotations

import json
import runpy
from typing import Any

import pulumi
import pytest
import yaml

from tests.harness import ROOT
from tests.test_container import Recorder, _uploads

PROJECT = "nexus-registry"


def run_dev_stack(recorder: Recorder) -> None:
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
    config = {key: json.dumps(value) if not isinstance(value, str) else value for key, value in doc.items()}
    config[f"{PROJECT}:adminPassword"] = "Dev-Admin-Pw-1"
    security = json.loads(config[f"{PROJECT}:security"])
    security["passwords"] = {"ci": "Dev-Ci-Pw-1"}
    config[f"{PROJECT}:security"] = json.dumps(security)
    pulumi.runtime.set_mocks(recorder, project=PROJECT, stack="dev", preview=False)
    pulumi.runtime.set_all_config(config, [f"{PROJECT}:adminPassword", f"{PROJECT}:security"])

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
        return pulumi.Output.from_input(True)

    program()


@pytest.fixture(scope="module")
def dev() -> Recorder:
    recorder = Recorder()
    run_dev_stack(recorder)
    return recorder


def test_container_publishes_ui_https_and_every_connector(dev):
    container = dev.one("docker:index/container:Container", "nexus-container")
    published = sorted(p["external"] for p in container.inputs["ports"])
    assert published == [5000, 5001, 8081, 8083, 8443]
    assert all(p["ip"] == "127.0.0.1" for p in container.inputs["ports"])
    assert dev.one("docker:index/remoteImage:RemoteImage").inputs["name"] == "sonatype/nexus3:3.86.2"


def test_jetty_https_material_is_uploaded(dev):
    uploads = _uploads(dev.one("docker:index/container:Container", "nexus-container"))
    assert {"/nexus-data/etc/nexus.properties", "/nexus-data/etc/ssl/keystore.jks",
            "/nexus-data/etc/jetty/jetty-https-keystore.xml"} <= set(uploads)
    properties = uploads["/nexus-data/etc/nexus.properties"]["content"]
    assert "jetty-https.xml" in properties and "application-port-ssl=8443" in properties


def test_every_nexus_object_waits_for_the_container(dev):
    bootstrap = dev.one("pulumi-python:dynamic/nexus:Bootstrap")
    names = {r.name for r in dev.resources}
    assert {"docker-hub", "ybcard", "hub-group", "realms", "anonymous", "user-ci", "tls"} <= names
    # The bootstrap registers after the container component it depends on.
    order = [r.name for r in dev.resources]
    assert order.index("nexus-container") < order.index(bootstrap.name)
