"""NexusRegistry (components/registry.py): the stack as one component, for the project's program
and a team's own.

* A stack deployed before the component (its resources children of the stack) is taken over
  without re-creating anything: engine test with the program as it was (tests/fixtures).
* A library user's config: the same checks and messages as a stack file's, secrets only as Pulumi
  secrets, its children on the component's own connection provider (under Pulumi's mocks).
* A state written by a checkout (providers pickled as `components.*`) unpickles in the package
  installed under its own name (`nexus_registry`).
"""
from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
from typing import Any

import dill
import pulumi
import pytest
from pulumi.runtime import rpc

from components.kinds import provider_for
from components.registry import NexusRegistry, connection_provider
from tests.conftest import configure
from tests.harness import ROOT, changed_steps
from tests.samples import seed_registry
from tests.test_container import Recorder
from tests.test_kinds import LEGACY_PICKLES

PROJECT = "nexus-registry"
BEFORE = ROOT / "tests" / "fixtures" / "main_before_component.py"  # __main__.py before NexusRegistry, verbatim


# --- a stack deployed before the component -----------------------------------------------------
@pytest.mark.engine
def test_a_stack_deployed_before_the_component_re_creates_nothing(workspace, nexus):
    values = seed_registry()
    values["security"] = {"roles": [{"id": "pullers", "privileges": ["nx-repository-view-docker-*-read"]}],
                          "users": [{"userId": "ci", "firstName": "C", "lastName": "I", "emailAddress": "ci@x.example",
                                     "roles": ["pullers"]}]}
    configure(workspace, nexus, values, secrets={"security.passwords.ci": "Ci-Password-1"})
    main = workspace.root / "__main__.py"
    main.unlink()
    main.write_text(BEFORE.read_text())
    workspace.up()
    before = {r["urn"]: r.get("id") for r in workspace.resources()}
    assert not any("NexusRegistry" in urn for urn in before)

    main.unlink()
    main.symlink_to(ROOT / "__main__.py")
    nexus.clear_log()
    steps = changed_steps(workspace.preview_json())
    assert [(s["op"], s["urn"].rsplit("::", 1)[-1]) for s in steps] == [("create", "registry")], steps

    workspace.up()
    assert nexus.writes() == []
    after = {r["urn"]: r.get("id") for r in workspace.resources()}
    moved = {urn.replace("::pulumi-python:", "::nexus-registry:index:NexusRegistry$pulumi-python:"): id_
             for urn, id_ in before.items() if "::pulumi-python:dynamic" in urn}
    assert moved and all(after.get(urn) == id_ for urn, id_ in moved.items())
    assert workspace.preview("--expect-no-changes").code == 0


# --- a team's config under Pulumi's mocks ------------------------------------------------------
def declare(config: dict[str, Any]) -> Recorder:
    """Runs `NexusRegistry("nexus", config)` as a team's program would, every registration recorded."""
    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project="team-nexus", stack="test", preview=False)

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        return NexusRegistry("nexus", config).outputs

    program()
    return recorder


def team_config(**extra: Any) -> dict[str, Any]:
    return {"nexus": {"url": "http://127.0.0.1:1", "verify": {"enabled": False}},
            "adminPassword": pulumi.Output.secret("Team-Admin-Pw-1"),
            "blobStores": [{"name": "team", "type": "file"}],
            "repositories": [{"name": "team-hosted", "type": "hosted", "httpPort": 18401, "blobStore": "team"}],
            **extra}


def test_a_team_config_declares_the_same_resources_on_its_own_connection_provider():
    recorded = declare(team_config())
    provider = recorded.one("pulumi:providers:pulumi-python", "nexus-connection")
    assert json.loads(provider.inputs[f"{PROJECT}:nexus"])["url"] == "http://127.0.0.1:1"
    password = provider.inputs[f"{PROJECT}:adminPassword"]
    assert rpc.is_rpc_secret(password) and rpc.unwrap_rpc_secret(password) == "Team-Admin-Pw-1"
    dynamic = [r for r in recorded.resources if r.typ.startswith("pulumi-python:dynamic/")]
    assert {r.name for r in dynamic} == {"bootstrap", "team", "team-hosted"}
    assert all(r.provider and "::nexus-connection::" in r.provider for r in dynamic), [r.provider for r in dynamic]
    assert recorded.one("nexus-registry:index:NexusRegistry", "nexus")


@pytest.mark.parametrize("config, message", [
    pytest.param(team_config(adminPassword="plain-text-pw"), "adminPassword: is a secret, but was given in plain text: "
                 "pass it as a Pulumi secret (pulumi.Config().require_secret(...) or pulumi.Output.secret(...))",
                 id="plain admin password"),
    pytest.param(team_config(security={"users": [{"userId": "ci", "firstName": "C", "lastName": "I",
                                                  "emailAddress": "c@x.example", "roles": []}],
                                       "passwords": {"ci": "plain"}}),
                 "security.passwords.ci: is a secret, but was given in plain text", id="plain user password"),
    pytest.param(team_config(repositories=[{"name": "bad", "type": "hosted", "httpPort": 99999, "blobStore": "team"}]),
                 "repositories[0].httpPort: ", id="the schema's own path"),
    pytest.param(team_config(repositories=[{"name": "r", "type": "hosted", "blobStore": "missing"}]),
                 "repositories[0].blobStore: ", id="a cross reference"),
])
def test_a_team_config_is_checked_as_a_stack_file_and_nothing_is_registered(config, message):
    with pytest.raises(pulumi.RunError) as refused:
        declare(config)
    assert message in str(refused.value) and "nothing was changed on Nexus" in str(refused.value)


def test_the_connection_provider_keeps_a_section_with_a_secret_secret():
    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project="team-nexus", stack="test", preview=False)

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        provider = connection_provider("c", {"nexus": {"url": "https://n", "tls": {"clientKeyPem": "KEY"}},
                                             "adminPassword": "pw", "tls": {"enabled": False}})
        del provider
        return pulumi.Output.from_input(True)

    program()
    inputs = recorder.one("pulumi:providers:pulumi-python", "c").inputs
    seen = {key: rpc.is_rpc_secret(value) for key, value in inputs.items()}
    assert seen == {f"{PROJECT}:nexus": True, f"{PROJECT}:adminPassword": True, f"{PROJECT}:tls": False}


# --- from a clone to the package -----------------------------------------------------------------
def test_a_state_written_by_a_checkout_unpickles_in_the_installed_package(tmp_path):
    """The package under its installed name (a link to components/ named nexus_registry, with no
    checkout on the path) reads a checkout's pickles: today's locator and the old module paths."""
    (tmp_path / "nexus_registry").symlink_to(ROOT / "components")
    pickles = [base64.b64encode(dill.dumps(provider_for("nexus:Role"))).decode(),
               LEGACY_PICKLES["components.blob_store.FileBlobStoreProvider"]]  # before the kinds table
    script = textwrap.dedent(f"""
        import base64, sys, dill
        assert "components" not in sys.modules
        import nexus_registry
        for text in {pickles!r}:
            provider = dill.loads(base64.b64decode(text))
            print(type(provider).__module__, type(provider).__name__)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["nexus_registry.kinds.roles RoleProvider",
                                           "nexus_registry.kinds.blob_stores.providers FileBlobStoreProvider"]


def test_a_project_of_its_own_named_components_keeps_its_name(tmp_path):
    """Installed, the package answers `components.*` only for what a team's own `components`
    package does not have."""
    (tmp_path / "nexus_registry").symlink_to(ROOT / "components")
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "__init__.py").write_text("OWN = True\n")
    (tmp_path / "components" / "client.py").write_text("OWN = True\n")
    script = ("import nexus_registry, components, components.client, components.kinds\n"
              "print(components.OWN, components.client.OWN, components.kinds.__name__)")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "nexus_registry.kinds"]
