"""The committed stacks: each validates (apart from secrets an operator sets), and prod previews
against the emulator once its secrets are set."""
from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from components.config import StackConfig, expanded_values, validate
from tests.conftest import configure
from tests.harness import ROOT

STACKS = sorted(p.name.split(".")[1] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
# Secrets that are set per installation, never committed (each stack file's header says how).
OPERATOR_SECRETS = {
    "prod": {"adminPassword", "blobStores[0].secretAccessKey", "repositories[0].authentication.password",
             "security.passwords.ci"},
    "dev": {"adminPassword", "security.passwords.ci"},
    "local": set(),
}


def stack_values(stack: str) -> tuple[dict[str, Any], frozenset[str]]:
    doc = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    values = {key.split(":", 1)[1]: value for key, value in doc.items()}
    secret_keys = frozenset(k for k, v in values.items() if "secure" in str(v))
    return _decrypted_placeholder(values), secret_keys


def _decrypted_placeholder(value: Any) -> Any:
    """Stand-in for what the engine decrypts (`secure:` values)."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return "decrypted-secret-value"
        return {k: _decrypted_placeholder(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decrypted_placeholder(v) for v in value]
    return value


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stack_is_valid_apart_from_operator_secrets(stack):
    values, secret_keys = stack_values(stack)
    problems = validate(StackConfig(values, secret_keys))
    assert {p.path for p in problems} == OPERATOR_SECRETS[stack], [str(p) for p in problems]
    assert all("pulumi config set --secret" in p.message for p in problems)


def test_local_stack_is_the_seed_004_registry():
    values, _ = stack_values("local")
    repos = {r["name"]: r for r in values["repositories"]}
    assert repos["hub-group"]["members"] == ["docker-hub", "aliyun-hub", "google-hub", "ybcard"]
    assert repos["docker-hub"]["indexType"] == "HUB" and repos["google-hub"]["indexType"] == "REGISTRY"
    assert {r["blobStore"] for r in repos.values() if r["type"] == "proxy"} == {"docker-hub", "google-hub", "aliyun-hub"}
    assert repos["ybcard"]["writePolicy"] == "ALLOW"
    expanded, problems = expanded_values(StackConfig(values))
    assert problems == []
    assert expanded["cleanupPolicies"][0] == {**expanded["cleanupPolicies"][0], "name": "docker-unused-30d",
                                              "format": "docker", "lastDownloadedDays": 30}
    proxies = [r for r in expanded["repositories"] if r["type"] == "proxy"]
    assert all(r["cleanupPolicies"] == ["docker-unused-30d"] for r in proxies)
    assert {t["type"] for t in expanded["tasks"]} >= {"repository.docker.gc", "blobstore.compact"}


@pytest.mark.engine
def test_prod_stack_previews_against_the_emulator(workspace, nexus, tmp_path):
    values, _ = stack_values("prod")
    values = copy.deepcopy(values)
    nexus_settings = {k: v for k, v in values.pop("nexus").items() if k not in ("url", "tls")}  # plain HTTP here
    values["reverseProxy"]["outputDir"] = str(tmp_path / "bundle")
    configure(workspace, nexus, values, {
        "blobStores[0].secretAccessKey": "example-secret-key",
        "repositories[0].authentication.password": "example-hub-token",
        "security.passwords.ci": "Example-Ci-Pw-1"}, **nexus_settings)
    result = workspace.preview()
    assert result.code == 0, result.output
    for shown in ("nexus:S3BlobStore", "nexus:RoutingRule", "hub-allow-list", "nexus:DockerGroupRepository",
                  "nexus:TlsMaterial", "user-ci"):
        assert shown in result.output
    assert "example-secret-key" not in result.output and "example-hub-token" not in result.output
    assert nexus.writes() == []
