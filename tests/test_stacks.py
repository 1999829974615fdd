"""The committed stacks: each validates (apart from secrets an operator sets), and prod previews
against the emulator once its secrets are set.

Only the committed stacks are tested, by name and only while their files exist: a stack file a
user adds (`adopt`, or by hand) is theirs, and `make test` must not depend on it. An operator who
followed a stack file's "set your secrets" header has some or all of its secrets in the file:
those are simply no longer missing.
"""
from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from components.config import expanded_values, validate
from components.problems import format_path
from components.stack_config import StackConfig
from tests.conftest import configure
from tests.harness import ROOT, Workspace, install_cli

STACK_DIR = ROOT / "stacks"
# Secrets that are set per installation, never committed (each stack file's header says how).
OPERATOR_SECRETS = {
    "prod": {"adminPassword", "blobStores[0].secretAccessKey", "repositories[0].authentication.password",
             "security.passwords.ci"},
    "dev": {"adminPassword", "security.passwords.ci"},
    "local": set(),
}
COMMITTED = [stack for stack in OPERATOR_SECRETS if (STACK_DIR / f"Pulumi.{stack}.yaml").exists()]


def read_stack(path: Path) -> tuple[dict[str, Any], frozenset[str], set[str]]:
    """The config (secrets replaced by a stand-in), its secret top-level keys, and the paths of
    the secrets set in the file."""
    doc = yaml.safe_load(path.read_text())["config"]
    values = {key.split(":", 1)[1]: value for key, value in doc.items()}
    secret_keys = frozenset(k for k, v in values.items() if "secure" in str(v))
    return _decrypted_placeholder(values), secret_keys, set(_secure_paths(values, ()))


def stack_values(stack: str) -> tuple[dict[str, Any], frozenset[str]]:
    values, secret_keys, _ = read_stack(STACK_DIR / f"Pulumi.{stack}.yaml")
    return values, secret_keys


def _secure_paths(value: Any, path: tuple[Any, ...]) -> Iterator[str]:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            yield format_path(path)
            return
        for key, child in value.items():
            yield from _secure_paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _secure_paths(child, (*path, index))


def _decrypted_placeholder(value: Any) -> Any:
    """Stand-in for what the engine decrypts (`secure:` values)."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return "decrypted-secret-value"
        return {k: _decrypted_placeholder(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decrypted_placeholder(v) for v in value]
    return value


def _without_secrets(value: Any) -> Any:
    """The plain part of a stack's config (its secrets are set again through the CLI)."""
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if not (isinstance(v, dict) and set(v) == {"secure"})}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def missing_operator_secrets(stack: str, path: Path) -> tuple[set[str], set[str]]:
    """(problem paths, the operator secrets the file does not hold yet) of one stack file."""
    values, secret_keys, already_set = read_stack(path)
    problems = validate(StackConfig(values, secret_keys))
    assert all("pulumi config set --secret" in p.message for p in problems), [str(p) for p in problems]
    return {p.path for p in problems}, OPERATOR_SECRETS[stack] - already_set


@pytest.mark.parametrize("stack", COMMITTED)
def test_committed_stack_is_valid_apart_from_operator_secrets(stack):
    problems, missing = missing_operator_secrets(stack, STACK_DIR / f"Pulumi.{stack}.yaml")
    assert problems == missing


@pytest.mark.engine
@pytest.mark.skipif("prod" not in COMMITTED, reason="the committed prod stack file was removed")
def test_following_the_prod_header_sets_every_operator_secret(tmp_path):
    """The header's commands run as printed (in a copy of the project) and leave nothing missing."""
    ws = Workspace.create(tmp_path, stack="prod")
    install_cli(ws)
    (ws.root / ".tools").symlink_to(ROOT / ".tools")
    salt = yaml.safe_load(ws.stack_file.read_text())["encryptionsalt"]
    committed = (STACK_DIR / "Pulumi.prod.yaml").read_text()
    ws.stack_file.write_text(f"encryptionsalt: {salt}\n{committed}")
    header = [line[1:].strip() for line in committed.splitlines() if line.startswith("#")]
    commands = [line for line in header if " config set --secret " in line]
    assert len(commands) == len(OPERATOR_SECRETS["prod"])
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=ws.root, env={**ws.env, "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (command, done.stdout + done.stderr)
    problems, missing = missing_operator_secrets("prod", ws.stack_file)
    assert problems == missing == set()


@pytest.mark.skipif("local" not in COMMITTED, reason="the committed local stack file was removed")
def test_local_stack_is_the_seed_004_registry():
    values, _ = stack_values("local")
    repos = {r["name"]: r for r in values["repositories"]}
    assert repos["hub-group"]["members"] == ["docker-hub", "aliyun-hub", "google-hub", "ybcard"]
    assert repos["docker-hub"]["indexType"] == "HUB" and repos["google-hub"]["indexType"] == "REGISTRY"
    docker = {name: r for name, r in repos.items() if r.get("format", "docker") == "docker"}
    assert {r["blobStore"] for r in docker.values() if r["type"] == "proxy"} == {"docker-hub", "google-hub", "aliyun-hub"}
    assert repos["ybcard"]["writePolicy"] == "ALLOW"
    # Beside the registry, a typical company mix (issue 13).
    assert {(r.get("format", "docker"), r["type"]) for r in repos.values()} >= {
        ("maven", "proxy"), ("maven", "hosted"), ("maven", "group"), ("npm", "proxy"), ("npm", "hosted"),
        ("npm", "group"), ("pypi", "proxy"), ("raw", "hosted")}
    assert repos["maven-public"]["members"] == ["maven-releases", "maven-snapshots", "maven-central"]
    expanded, problems = expanded_values(StackConfig(values))
    assert problems == []
    policies = {p["name"]: p for p in expanded["cleanupPolicies"]}
    assert policies["docker-unused-30d"] == {**policies["docker-unused-30d"], "format": "docker", "lastDownloadedDays": 30}
    proxies = [r for r in expanded["repositories"] if r["type"] == "proxy" and r["name"] in docker]
    assert all(r["cleanupPolicies"] == ["docker-unused-30d"] for r in proxies)
    assert {t["type"] for t in expanded["tasks"]} >= {"repository.docker.gc", "blobstore.compact"}


@pytest.mark.engine
@pytest.mark.skipif("prod" not in COMMITTED, reason="the committed prod stack file was removed")
def test_prod_stack_previews_against_the_emulator(workspace, nexus, tmp_path):
    values = _without_secrets(yaml.safe_load((STACK_DIR / "Pulumi.prod.yaml").read_text())["config"])
    values = copy.deepcopy({key.split(":", 1)[1]: value for key, value in values.items()})
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
