"""The guardrail policy pack (policy/) through the real `pulumi preview --policy-pack policy`.

Each mandatory policy stops a stack that breaks only that policy; the compliant stack passes
with its advisory warning; the policy config turns a mandatory policy into an advisory one."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.conftest import configure
from tests.harness import Result, Workspace, install_cli
from tests.samples import repository, seed_registry

pytestmark = pytest.mark.engine


def compliant() -> dict[str, Any]:
    """Seed 004's registry as the guardrails want it in production."""
    values = copy.deepcopy(seed_registry())
    for repo in values["repositories"]:
        if repo["type"] == "proxy":
            repo["cleanupPolicies"] = ["docker-unused-30d"]
    for store in values["blobStores"]:
        store["softQuota"] = {"type": "spaceUsedQuota", "limitMb": 20480}
    values["tls"] = {"hostnames": ["registry.example.test"]}
    values["security"] = {"anonymousPull": ["hub-group"]}
    return values


def no_cleanup(values: dict[str, Any]) -> None:
    repository(values, "aliyun-hub")["cleanupPolicies"] = []


def anonymous_push(values: dict[str, Any]) -> None:
    values["security"].update(
        privileges=[{"name": "anyone-pushes", "type": "repository-view", "repository": "ybcard",
                     "actions": ["ADD", "EDIT", "READ"]}],
        roles=[{"id": "anyone", "privileges": ["anyone-pushes"]}],
        users=[{"userId": "anonymous", "roles": ["nx-anonymous", "anyone"]}])


def no_tls(values: dict[str, Any]) -> None:
    del values["tls"]


def no_quota(values: dict[str, Any]) -> None:
    del values["blobStores"][1]["softQuota"]


def basic_auth_off(values: dict[str, Any]) -> None:
    repository(values, "ybcard")["forceBasicAuth"] = False


def preview(base: Path, nexus: Any, values: dict[str, Any], stack: str = "prod", *extra: str) -> Result:
    workspace = Workspace.create(base, stack=stack)
    install_cli(workspace)
    configure(workspace, nexus, values)
    return workspace.pulumi("preview", "--policy-pack", "policy", *extra)


MANDATORY = [
    ("proxy-needs-cleanup-policy", no_cleanup, "docker proxy 'aliyun-hub' has no cleanup policy"),
    ("no-anonymous-write", anonymous_push,
     "the anonymous user ('anonymous') may push to hosted 'ybcard' (ADD, EDIT) through role anyone → privilege "
     "'anyone-pushes'"),
    ("http-connector-needs-tls", no_tls, "repository 'ybcard' opens a plain-HTTP docker connector"),
    ("blob-store-soft-quota-in-prod", no_quota, "blob store 'google-hub' has no soft quota in production"),
    ("force-basic-auth-only-with-anonymous-pull", basic_auth_off,
     "repository 'ybcard' has forceBasicAuth: false, but this stack does not declare anonymous pull"),
]


@pytest.mark.parametrize("policy, change, message", [pytest.param(*case, id=case[0]) for case in MANDATORY])
def test_each_mandatory_policy_stops_a_violating_stack(tmp_path, nexus, policy: str, change: Callable, message: str):
    values = compliant()
    change(values)
    result = preview(tmp_path / "ws", nexus, values)
    assert result.code != 0, result.output
    assert f"[mandatory]  {policy}" in result.output
    assert message in result.output
    assert nexus.writes() == []


def test_compliant_stack_passes_and_levels_come_from_the_policy_config(tmp_path, nexus):
    passed = preview(tmp_path / "compliant", nexus, compliant())
    assert passed.code == 0, passed.output
    # The anonymous pull preset serves the hosted member of the group too: worth a warning, no more.
    assert "[advisory]  anonymous-read-of-hosted" in passed.output
    assert "anyone can pull the company's own images from hosted 'ybcard' through group 'hub-group'" in passed.output

    values = compliant()
    no_cleanup(values)
    no_tls(values)
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"proxy-needs-cleanup-policy": "advisory",
                                  "http-connector-needs-tls": {"devStacks": ["prod"]}}))
    relaxed = preview(tmp_path / "relaxed", nexus, values, "prod", "--policy-pack-config", str(config))
    assert relaxed.code == 0, relaxed.output
    assert "[advisory]  proxy-needs-cleanup-policy" in relaxed.output
    assert "http-connector-needs-tls" not in relaxed.output
    # The default dev stacks need no TLS.
    assert preview(tmp_path / "dev", nexus, {k: v for k, v in compliant().items() if k != "tls"}, "local").code == 0
