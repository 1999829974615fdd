"""`make drift|verify|unmanaged|disk`: the commands' exit codes (0 all good, 3 found something,
1 could not check) reach whoever called make, from a fresh clone (the exit-code plugin is built
with cc on first use), and `ARGS='--format json'` keeps stdout for the JSON alone."""
from __future__ import annotations

import copy
import json
import shutil
from typing import Any

import pytest

from tests.conftest import configure
from tests.harness import install_make, make
from tests.samples import seed_registry

pytestmark = pytest.mark.engine


def registry() -> dict[str, Any]:
    values = copy.deepcopy(seed_registry())
    values["security"] = {"anonymousPull": ["hub-group"]}
    return values


def put_hosted(nexus: Any, name: str, **changes: Any) -> None:
    doc = next(r for r in nexus.rest("GET", "/v1/repositorySettings", nexus.password).json() if r["name"] == name)
    doc.update(changes)
    assert nexus.rest("PUT", f"/v1/repositories/docker/hosted/{name}", nexus.password, doc).status_code == 204


def test_the_checks_exit_codes_reach_the_caller_of_make(workspace, nexus):
    if nexus.is_live:
        pytest.skip("stops the Nexus")
    if not shutil.which("cc"):
        pytest.skip("no C compiler for the Makefile's exit-code plugin (scripts/system-packages.sh installs one)")
    install_make(workspace)
    configure(workspace, nexus, registry(), retries=0, timeoutSeconds=2)
    workspace.up()
    assert not (workspace.root / ".work").exists(), "the workspace must start like a fresh clone"

    clean = make(workspace, "drift")
    assert clean.code == 0, clean.output
    assert "No drift in stack 'test'" in clean.stdout
    assert (workspace.root / ".work" / "make" / "make_exit_code.so").exists()
    for target, code, says in (("verify", 0, "checks passed"), ("disk", 0, "none over quota"),
                               ("unmanaged", 3, "maven-releases")):  # the default maven/nuget repositories
        done = make(workspace, target)
        assert done.code == code and says in done.stdout, f"make {target}:\n{done.output}"

    put_hosted(nexus, "ybcard", online=False)
    drifted = make(workspace, "drift")
    assert drifted.code == 3, drifted.output
    assert "online: true → false" in drifted.stdout and "Error" not in drifted.stderr
    as_json = make(workspace, "drift", "ARGS=--format json")
    assert as_json.code == 3
    assert json.loads(as_json.stdout)["status"] == "drift", "stdout must hold the JSON report alone"
    assert "Drift in stack 'test'" in as_json.stderr
    dry_run = make(workspace, "-n", "drift")
    assert dry_run.code == 0 and "nexusctl drift test" in dry_run.stdout, "make -n must run nothing, exit nothing"

    # Without a C compiler there is no plugin: make says so and exits 2, never 0 for a finding.
    no_cc = make(workspace, "drift", "CC=false", "EXIT_PLUGIN=.work/make/missing.so")
    assert no_cc.code == 2 and "cannot build .work/make/missing.so" in no_cc.stderr

    put_hosted(nexus, "ybcard", online=True, docker={"v1Enabled": False, "forceBasicAuth": False})
    broken = make(workspace, "verify")
    assert broken.code == 3 and "FAIL" in broken.stdout, broken.output

    nexus.stop()
    unreachable = make(workspace, "drift", "ARGS=--format json")
    assert unreachable.code == 1, unreachable.output
    assert json.loads(unreachable.stdout)["status"] == "error" and "no answer from" in unreachable.stderr
