"""The project's own `up`, `preview` and `destroy` (`make up|preview|destroy`, `nexusctl pulumi`):
a plan that deletes data is refused before any write, the server is compared first (--refresh),
and a mistyped stack name is refused instead of becoming a new, empty stack."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from nexusctl import guard
from tests.conftest import ADMIN_PASSWORD, configure
from tests.harness import EmulatorProcess, install_cli, install_make, make, nexusctl
from tests.samples import repository, seed_registry



def names(nexus: Any, path: str) -> set[str]:
    return {item["name"] for item in nexus.rest("GET", path, nexus.password).json()}


def without_ybcard(values: dict[str, Any]) -> dict[str, Any]:
    """The hosted repository removed from config, and the group changed with it."""
    changed = copy.deepcopy(values)
    changed["repositories"] = [r for r in changed["repositories"] if r["name"] != "ybcard"]
    repository(changed, "hub-group")["members"].remove("ybcard")
    return changed


@pytest.mark.engine
def test_a_plan_that_deletes_data_is_refused_before_any_write(workspace, nexus):
    install_make(workspace)
    values = seed_registry()
    configure(workspace, nexus, values)
    workspace.up()
    configure(workspace, nexus, without_ybcard(values))
    nexus.clear_log()

    refused = make(workspace, "up")
    assert refused.code == 1, refused.output  # nexusctl's code, through make
    for line in ("`up` of stack 'test' stopped before any change: the plan would delete 1 protected object",
                 "  DockerHostedRepository ybcard (delete)", "Nothing was changed on Nexus or in the state.",
                 "set `protect: false` on each entry, run `make up STACK=test`"):
        assert line in refused.stderr, f"{line!r} missing from:\n{refused.stderr}"
    # Plain Pulumi refuses the protected delete only when it reaches it; these must not even start.
    for args in (("up", "--yes", "--skip-preview"), ("up", "--yes", "--ignore-protect")):
        done = nexusctl(workspace, "pulumi", "test", *args)
        assert done.code == 1 and "DockerHostedRepository ybcard (delete)" in done.stderr, done.output
    destroy = make(workspace, "destroy")
    assert destroy.code == 1 and "would delete 5 protected objects" in destroy.stderr, destroy.output
    assert "destroy --yes --exclude-protected" in destroy.stderr
    assert nexus.writes() == []
    assert "hub-group" in names(nexus, "/v1/repositories")

    # The way out the message gives works: unprotect it (nothing changes on Nexus), then remove it.
    unprotected = copy.deepcopy(values)
    repository(unprotected, "ybcard")["protect"] = False
    configure(workspace, nexus, unprotected)
    done = make(workspace, "up")
    assert done.code == 0, done.output
    assert nexus.writes() == []
    configure(workspace, nexus, without_ybcard(unprotected))
    done = make(workspace, "up")
    assert done.code == 0, done.output
    assert "ybcard" not in names(nexus, "/v1/repositories")
    group = nexus.rest("GET", "/v1/repositories/docker/group/hub-group", nexus.password).json()
    assert group["group"]["memberNames"] == ["docker-hub", "aliyun-hub", "google-hub"]

    kept = nexusctl(workspace, "pulumi", "test", "destroy", "--yes", "--exclude-protected")
    assert kept.code == 0, kept.output
    assert names(nexus, "/v1/repositories") & {"docker-hub", "hub-group"} == set()
    assert {"docker-hub", "google-hub", "aliyun-hub", "ybcard"} <= names(nexus, "/v1/blobstores")


@pytest.mark.engine
def test_a_fresh_server_behind_the_same_url_is_rebuilt_by_up(workspace, nexus, tmp_path):
    """`nexus.url` pointed at a new, empty Nexus (a lost disk, a new host): the project's preview
    shows what is missing and its `up` rebuilds it (a plain `pulumi up` compares with the last
    deployment only: 0 writes, exit 0, a false "converged")."""
    if nexus.is_live:
        pytest.skip("needs a second, fresh Nexus")
    install_cli(workspace)
    values = seed_registry()
    values["security"] = {"anonymousPull": ["hub-group"]}
    configure(workspace, nexus, values)
    workspace.up()
    nexus.stop()  # server A is gone; B takes the connector ports
    fresh = EmulatorProcess(tmp_path / "server-b", admin_password=ADMIN_PASSWORD)
    try:
        fresh.password = ADMIN_PASSWORD
        configure(workspace, fresh, values)
        preview = nexusctl(workspace, "pulumi", "test", "preview", "--expect-no-changes")
        assert preview.code != 0 and "ybcard" in preview.stdout, preview.output
        assert fresh.writes() == []

        rebuilt = nexusctl(workspace, "pulumi", "test", "up", "--yes")
        assert rebuilt.code == 0, rebuilt.output
        assert {"docker-hub", "google-hub", "aliyun-hub", "ybcard", "hub-group"} <= names(fresh, "/v1/repositories")
        assert fresh.rest("GET", "/v1/security/anonymous", ADMIN_PASSWORD).json()["enabled"] is True
        again = nexusctl(workspace, "pulumi", "test", "preview", "--expect-no-changes")
        assert again.code == 0, again.output
        assert nexusctl(workspace, "drift", "test").code == 0
    finally:
        fresh.stop()


@pytest.mark.engine
def test_unknown_stacks_are_refused_unless_created(workspace):
    install_cli(workspace)

    def backend_stacks() -> set[str]:
        return {s["name"] for s in json.loads(workspace.pulumi("stack", "ls", "--json", check=True).stdout)}

    typo = nexusctl(workspace, "pulumi", "acmee", "preview")
    assert typo.code == 2, typo.output
    for says in ("no stack 'acmee'", "Known stacks: test.", "python -m nexusctl pulumi --create acmee preview"):
        assert says in typo.stderr, typo.stderr
    assert not (workspace.root / "stacks" / "Pulumi.acmee.yaml").exists() and "acmee" not in backend_stacks()

    created = nexusctl(workspace, "pulumi", "--create", "acmee", "config")
    assert created.code == 0, created.output
    assert "acmee" in backend_stacks()
    # A committed stack file is a known stack, even on a backend that has not seen it yet.
    (workspace.root / "stacks" / "Pulumi.beta.yaml").write_text("config: {}\n")
    assert nexusctl(workspace, "pulumi", "beta", "config").code == 0
    assert "beta" in backend_stacks()


@pytest.mark.parametrize("given, sent", [
    (["up", "--yes"], ["up", "--refresh", "--run-program", "--yes"]),
    (["preview", "--diff"], ["preview", "--refresh", "--run-program", "--diff"]),
    (["up", "-r", "--yes"], ["up", "--run-program", "-r", "--yes"]),  # refresh asked for: it must read the new URL
    (["preview", "--refresh=false"], ["preview", "--refresh=false"]),  # opted out
    (["refresh", "--yes"], ["refresh", "--yes"]),
    (["stack", "ls"], ["stack", "ls"]),
])
def test_up_and_preview_refresh_unless_told_not_to(given, sent):
    assert guard.with_refresh(given) == sent


def test_the_guard_preview_gets_the_flags_that_shape_the_plan():
    args = ["--yes", "--diff", "--target", "urn:a", "-m", "why", "--policy-pack", "policy", "--refresh",
            "--run-program", "--parallel=4", "--skip-preview", "--ignore-protect"]
    assert guard.plan_flags("up", args) == ["--target", "urn:a", "--policy-pack", "policy", "--refresh",
                                            "--run-program", "--parallel=4", "--ignore-protect"]
    assert guard.plan_flags("destroy", ["--yes", "--exclude-protected", "-x", "urn:b"]) == \
        ["--exclude-protected", "-x", "urn:b"]
    assert guard.fast_apply(["up", "--refresh", "--yes"]) == ["up", "--skip-preview", "--refresh", "--yes"]
    assert guard.fast_apply(["up", "--refresh"]) == ["up", "--refresh"]  # not approved: pulumi asks as usual


def test_protected_deletes_are_read_from_the_plan_steps():
    urn = "urn:pulumi:p::nexus-registry::pulumi-python:dynamic/nexus:{}::{}"
    plan = {"steps": [
        {"op": "delete", "urn": urn.format("DockerHostedRepository", "ybcard"), "oldState": {"protect": True}},
        {"op": "delete", "urn": urn.format("DockerProxyRepository", "cache"), "oldState": {}},
        {"op": "replace", "urn": urn.format("FileBlobStore", "ybcard"), "oldState": {"protect": True}},
        {"op": "update", "urn": urn.format("FileBlobStore", "other"), "oldState": {"protect": True}},
    ]}
    assert [op for op, _ in guard.protected_deletes(plan)] == ["delete", "replace"]
    text = guard.refusal("p", "up", guard.protected_deletes(plan))
    assert "would replace or delete 2 protected objects that hold data:" in text
    assert "  DockerHostedRepository ybcard (delete)\n  FileBlobStore ybcard (replace)" in text
