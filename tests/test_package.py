"""Issue 12: the project as a package — `pip install` it, use `NexusRegistry` from your own program,
run `nexusctl` in your own repository.

The engine test builds the wheel from a copy of the sources (as `pip install git+…` does from a
clone), installs it in a fresh venv, and runs a team's program outside the checkout against the
emulator: `up`, `preview --expect-no-changes`, `nexusctl --version` and the drift check there.
The fresh venv takes its dependencies (pulumi, requests, …) from the project's venv through a
`.pth` file and installs the wheel with `--no-index`, so pip still checks every declared
dependency, and the test needs no package index beyond the wheel's build requirement
(setuptools, fetched by pip's isolated build unless this venv has a recent enough one).
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness import ROOT, EmulatorProcess, Result, engine_env, pulumi_binary
from tests.samples import free_ports

SOURCES = ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "components", "nexusctl")
ADMIN = "Package-Admin-Pw-1"
ROTATED = "Package-Admin-Pw-2"


# --- building and installing -----------------------------------------------------------------
def build_wheel(out: Path) -> Path:
    """The wheel, built from a copy of the sources (the build writes build/ and *.egg-info beside
    them, never into the checkout)."""
    source = out / "source"
    source.mkdir(parents=True)
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    offline = _setuptools_at_least(77)  # pyproject.toml's build requirement, else pip's isolated build fetches it
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out / "dist"),
                           *(["--no-build-isolation"] if offline else []), str(source)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    wheels = list((out / "dist").glob("nexus_registry-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _setuptools_at_least(major: int) -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= major


def fresh_venv(where: Path, wheel: Path) -> Path:
    """A new venv with the wheel installed; its dependencies are the project venv's packages."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=300)
    python = where / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run([str(python), "-m", "pip", "install", "--no-index", "--quiet", str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return where / "bin"


def test_the_wheel_holds_every_package_and_schema_of_the_checkout(tmp_path):
    """A package or schema fragment added to components/ and left out of pyproject.toml would
    install a library that fails at import or at validation."""
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {"nexus_registry/" + str(p.relative_to(ROOT / "components")) for p in (ROOT / "components").rglob("*")
              if p.suffix in (".py", ".json") and "__pycache__" not in p.parts}
    wanted |= {str(p.relative_to(ROOT)) for p in (ROOT / "nexusctl").glob("*.py")}
    assert wanted - names == set()
    dist_info = next(n.split("/")[0] for n in names if n.endswith("/METADATA"))
    metadata = zipfile.ZipFile(wheel).read(f"{dist_info}/METADATA").decode()
    from components import __version__
    assert f"Version: {__version__}" in metadata and "Name: nexus-registry" in metadata
    assert "nexusctl = nexusctl.__main__:main" in zipfile.ZipFile(wheel).read(f"{dist_info}/entry_points.txt").decode()
    assert f"{dist_info}/licenses/LICENSE" in names or f"{dist_info}/LICENSE" in names


# --- a team's own program ----------------------------------------------------------------------
PROGRAM = '''
"""A team's own program: its Nexus as one NexusRegistry, beside whatever else it declares."""
import pulumi
from nexus_registry import NexusRegistry

config = pulumi.Config()
registry = NexusRegistry("nexus", {
    "nexus": {"url": config.require("nexusUrl"), "verify": {"enabled": False}},
    "adminPassword": config.require_secret("adminPassword"),
    "blobStores": [{"name": "team-blobs", "type": "file", "protect": False}],
    "repositories": [
        {"name": "team-hosted", "type": "hosted", "httpPort": HOSTED_PORT, "blobStore": "team-blobs", "protect": False},
        {"name": "team-hub", "type": "proxy", "remoteUrl": "https://registry-1.docker.io", "blobStore": "team-blobs"},
        {"name": "team-group", "type": "group", "httpPort": GROUP_PORT, "members": ["team-hosted", "team-hub"],
         "blobStore": "team-blobs"},
    ],
    "security": {
        "roles": [{"id": "team-pull", "privileges": ["nx-repository-view-docker-team-group-read"]}],
        "users": [{"userId": "team-ci", "firstName": "Team", "lastName": "CI", "emailAddress": "ci@team.example",
                   "roles": ["team-pull"]}],
        "passwords": {"team-ci": config.require_secret("ciPassword")},
    },
})
pulumi.export("registry", registry.outputs)
'''


def team_project(where: Path, nexus_url: str) -> Path:
    where.mkdir(parents=True)
    (where / "Pulumi.yaml").write_text("name: team-nexus\nruntime: python\n")
    hosted, group = free_ports(2)
    program = textwrap.dedent(PROGRAM).replace("HOSTED_PORT", str(hosted)).replace("GROUP_PORT", str(group))
    (where / "__main__.py").write_text(program)
    (where / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": {"team-nexus:nexusUrl": nexus_url}}))
    return where


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> Result:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return Result(cmd, done.returncode, done.stdout, done.stderr)


def pickled_modules(state: dict[str, Any]) -> set[bytes]:
    """The modules named by the pickled providers of a state's dynamic resources."""
    found: set[bytes] = set()
    for resource in state["deployment"]["resources"]:
        pickle = (resource.get("inputs") or {}).get("__provider")
        if isinstance(pickle, dict):  # a secret, decrypted by `stack export --show-secrets`
            pickle = pickle.get("plaintext", "").strip('"')
        if isinstance(pickle, str):
            raw = base64.b64decode(pickle)
            found |= {name for name in (b"nexus_registry.kinds", b"components.kinds") if name in raw}
    return found


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ of a fresh venv with the wheel of this checkout installed."""
    where = tmp_path_factory.mktemp("package")
    return fresh_venv(where / "venv", build_wheel(where / "build"))


def team_env(tmp_path: Path, bin_dir: Path) -> dict[str, str]:
    """The engine settings of a team's machine: the venv with the package first on PATH, no
    checkout anywhere on PATH or PYTHONPATH."""
    env = engine_env(tmp_path / "state")
    (tmp_path / "state").mkdir()
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(pulumi_binary()).parent),
                                   *[p for p in env["PATH"].split(os.pathsep) if ".venv" not in p]])
    env.pop("PYTHONPATH", None)
    return env


@pytest.mark.engine
def test_a_team_program_with_the_installed_package(tmp_path, installed):
    """Done means (issue 12): wheel → fresh venv → a program outside the checkout that uses
    NexusRegistry → up, preview --expect-no-changes, nexusctl --version, nexusctl drift."""
    bin_dir = installed
    nexus = EmulatorProcess(tmp_path / "nexus-data", admin_password=ADMIN)
    try:
        project = team_project(tmp_path / "team-nexus", nexus.url)
        env = team_env(tmp_path, bin_dir)
        pulumi = [pulumi_binary()]

        def engine(*args: str) -> Result:
            extra = ["--stack", "test", "--non-interactive"] if args[0] not in ("stack",) else []
            return run([*pulumi, *args, *extra], project, env)

        assert engine("stack", "init", "test").code == 0
        for key, value in (("adminPassword", ADMIN), ("ciPassword", "Team-Ci-Pw-1")):
            assert engine("config", "set", "--secret", key, value).code == 0

        applied = engine("up", "--yes", "--skip-preview")
        assert applied.code == 0, applied.output
        server = {r["name"] for r in nexus.rest("GET", "/v1/repositories", ADMIN).json()}
        assert {"team-hosted", "team-hub", "team-group"} <= server
        assert nexus.rest("GET", "/v1/security/users?userId=team-ci", ADMIN).json()[0]["roles"] == ["team-pull"]

        again = engine("preview", "--expect-no-changes", "--diff")
        assert again.code == 0, again.output

        state_text = engine("stack", "export").stdout
        assert ADMIN not in state_text and "Team-Ci-Pw-1" not in state_text
        state = json.loads(engine("stack", "export", "--show-secrets").stdout)  # pickles are secrets too
        assert pickled_modules(state) == {b"nexus_registry.kinds"}  # by reference to the installed package
        types = {r["type"] for r in state["deployment"]["resources"]}
        assert {"nexus-registry:index:NexusRegistry", "pulumi:providers:pulumi-python"} <= types

        version = run([str(bin_dir / "nexusctl"), "--version"], project, env)
        from components import __version__
        assert version.code == 0 and version.stdout.strip().startswith(f"nexusctl {__version__}"), version.output

        clean = run([str(bin_dir / "nexusctl"), "drift", "test", "--format", "json"], project, env)
        assert clean.code == 0, clean.output
        assert json.loads(clean.stdout)["status"] == "clean"

        # A new admin password: an update of the component's connection provider and the rotation
        # by the bootstrap; nothing else changes, and the drift check reads with the new one.
        assert engine("config", "set", "--secret", "adminPassword", ROTATED).code == 0
        rotated = engine("up", "--yes", "--skip-preview")
        assert rotated.code == 0, rotated.output
        assert nexus.rest("GET", "/v1/status/check", ROTATED).status_code == 200
        assert nexus.rest("GET", "/v1/status/check", ADMIN).status_code == 401
        assert engine("preview", "--expect-no-changes").code == 0
        assert run([str(bin_dir / "nexusctl"), "drift", "test"], project, env).code == 0

        hosted = nexus.rest("GET", "/v1/repositories/docker/hosted/team-hosted", ROTATED).json()
        hosted["online"] = False
        assert nexus.rest("PUT", "/v1/repositories/docker/hosted/team-hosted", ROTATED, hosted).status_code == 204
        drifted = run([str(bin_dir / "nexusctl"), "drift", "test", "--format", "json"], project, env)
        assert drifted.code == 3, drifted.output
        report = json.loads(drifted.stdout)
        assert [(o["name"], [f["path"] for f in o["fields"]]) for o in report["drift"]] == [("team-hosted", ["online"])]
    finally:
        nexus.stop()


# --- a team's config repository: nexusctl init ---------------------------------------------------
@pytest.mark.engine
def test_nexusctl_works_in_a_repository_of_stack_files_that_init_wrote(tmp_path, installed):
    """`nexusctl init`, then the stack of its template against a Nexus, run by the installed
    nexusctl from that repository: the project it finds is the current directory's."""
    nexus = EmulatorProcess(tmp_path / "nexus-data", admin_password=ADMIN)
    try:
        env = team_env(tmp_path, installed)
        repo = tmp_path / "acme-nexus"
        repo.mkdir()
        nexusctl = str(installed / "nexusctl")
        assert run([nexusctl, "init", "--stack", "prod", "--nexus-url", nexus.url], repo, env).code == 0
        (repo / ".venv").symlink_to(installed.parent)  # Pulumi.yaml's virtualenv: the team's venv
        stack_file = repo / "stacks" / "Pulumi.prod.yaml"
        hosted, group = free_ports(2)
        stack_file.write_text(stack_file.read_text().replace("httpPort: 8082", f"httpPort: {hosted}")
                              .replace("httpPort: 8083", f"httpPort: {group}"))

        assert run([nexusctl, "pulumi", "--create", "prod", "config", "set", "--secret", "adminPassword", ADMIN],
                   repo, env).code == 0
        applied = run([nexusctl, "pulumi", "prod", "up", "--yes"], repo, env)
        assert applied.code == 0, applied.output
        server = {r["name"] for r in nexus.rest("GET", "/v1/repositories", ADMIN).json()}
        assert {"docker-hub", "docker-hosted", "docker-group"} <= server
        drift = run([nexusctl, "drift", "prod"], repo, env)
        assert drift.code == 0 and "No drift in stack 'prod'" in drift.stdout, drift.output
        assert not (ROOT / ".state" / ".pulumi" / "stacks" / "acme-nexus").exists()  # the repository's own project
    finally:
        nexus.stop()
