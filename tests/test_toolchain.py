"""scripts/toolchain.sh and toolchain-extras.sh decide what to build without building anything here:
a copy of the scripts in a fake project whose .tools/bin holds stand-ins, a `go` that records every
call (and refuses `go build`) over an empty module cache with the module proxy off, and, where a
case says so, an "official" pulumi and an actionlint on PATH."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness import ROOT

CLI_VERSION = re.search(r"^cli_version=(\S+)$", (ROOT / "scripts" / "toolchain.sh").read_text(), re.M).group(1)
ACTIONLINT_VERSION = re.search(r"github\.com/rhysd/actionlint (v\S+)", (ROOT / "tools" / "actionlint" / "go.mod")
                               .read_text()).group(1)
FRONT_MODULE = "nexus-registry-as-code/tools/policy-analyzer"
REAL_GO = shutil.which("go")
LONG_AGO = 1_000_000_000  # 2001: a .tools restored from a cache is older than a fresh clone


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


@dataclass
class Project:
    root: Path
    path_dir: Path  # first on PATH: fake go, official pulumi, actionlint
    go_log: Path

    @property
    def bin(self) -> Path:
        return self.root / ".tools" / "bin"

    def run(self, go: bool = True) -> subprocess.CompletedProcess:
        env = {"PATH": f"{self.path_dir}:/usr/bin:/bin", "HOME": str(self.root), "GOPROXY": "off",
               "GOMODCACHE": str(self.root.parent / "empty-module-cache"), "GOCACHE": str(self.root.parent / "gocache"),
               "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
        if not go:
            (self.path_dir / "go").unlink()
        return subprocess.run(["bash", str(self.root / "scripts" / "toolchain.sh")], env=env, capture_output=True,
                              text=True, timeout=120)

    def go_calls(self) -> list[str]:
        return self.go_log.read_text().splitlines() if self.go_log.exists() else []

    def tools_snapshot(self) -> dict[str, tuple[bytes, int]]:
        return {str(p.relative_to(self.root)): (p.read_bytes(), p.stat().st_mtime_ns)
                for p in sorted((self.root / ".tools").rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    for name in ("toolchain.sh", "toolchain-extras.sh"):
        shutil.copy(ROOT / "scripts" / name, root / "scripts" / name)
    shutil.copytree(ROOT / "tools", root / "tools")
    (tmp_path / "empty-module-cache").mkdir()
    path_dir = tmp_path / "path"
    log = tmp_path / "go-calls.log"
    assert REAL_GO, "the toolchain scripts need Go"
    executable(path_dir / "go", f'#!/bin/sh\necho "$*" >> {log}\n'
                                f'[ "$1" = build ] && {{ echo "go build refused by the test" >&2; exit 1; }}\n'
                                f'exec {REAL_GO} "$@"\n')
    return Project(root, path_dir, log)


def install_cached_tools(project: Project, stamp: bool = True) -> None:
    """A complete .tools as toolchain.sh leaves it, restored from a cache (older than the sources)."""
    bin_dir, libexec = project.bin, project.root / ".tools" / "libexec"
    executable(bin_dir / "pulumi", f"#!/bin/sh\necho {CLI_VERSION}\n")
    executable(bin_dir / "pulumi-language-python", f"#!/bin/sh\n# built from {FRONT_MODULE}\n")
    executable(libexec / "pulumi-language-python", "#!/bin/sh\n# the real v3.79.0 host\n")
    executable(bin_dir / "pulumi-language-python-exec", "#!/bin/sh\n")
    executable(bin_dir / "pulumi-resource-pulumi-python", "#!/bin/sh\n")
    executable(bin_dir / "actionlint", f"#!/bin/sh\necho {ACTIONLINT_VERSION}\n")
    shutil.copy(project.root / "tools" / "policy-analyzer" / "pulumi-analyzer-policy-python",
                bin_dir / "pulumi-analyzer-policy-python")
    if stamp:
        sources = subprocess.run(
            "find . -type f \\( -name '*.go' -o -name go.mod -o -name go.sum \\) | LC_ALL=C sort | xargs sha256sum "
            "| sha256sum | cut -d' ' -f1", shell=True, cwd=project.root / "tools" / "policy-analyzer",
            capture_output=True, text=True, check=True).stdout
        (libexec / "pulumi-language-python-front.sources").write_text(sources)
    for path in (project.root / ".tools").rglob("*"):
        os.utime(path, (LONG_AGO, LONG_AGO))


def test_a_cached_tools_dir_is_used_as_is_without_go_modules_or_network(project):
    install_cached_tools(project)
    before = project.tools_snapshot()
    done = project.run()
    assert done.returncode == 0, done.stdout + done.stderr
    assert project.go_calls() == []  # nothing built, nothing looked up in the (empty) module cache
    assert project.tools_snapshot() == before
    assert "cannot stat" not in done.stderr


def test_without_go_at_all_a_complete_tools_dir_still_passes(project):
    install_cached_tools(project)
    done = project.run(go=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_front_built_before_the_source_hash_was_kept_is_trusted(project):
    install_cached_tools(project, stamp=False)  # and the sources of a fresh clone are newer
    done = project.run()
    assert done.returncode == 0, done.stdout + done.stderr
    assert project.go_calls() == []
    assert (project.root / ".tools" / "libexec" / "pulumi-language-python-front.sources").read_text().strip()


def test_changed_front_sources_are_rebuilt(project):
    install_cached_tools(project)
    with open(project.root / "tools" / "policy-analyzer" / "main.go", "a") as source:
        source.write("\n// changed\n")
    done = project.run()
    assert done.returncode != 0 and "go build refused by the test" in done.stderr
    assert "building the pulumi-language-python front (its sources changed" in done.stdout
    assert [call.split()[0] for call in project.go_calls()] == ["build"]


def test_missing_sdk_scripts_with_an_empty_module_cache_fail_with_what_to_do(project):
    install_cached_tools(project)
    (project.bin / "pulumi-language-python-exec").unlink()
    done = project.run()
    assert done.returncode == 1
    assert "cannot stat" not in done.stderr
    assert "is not in the Go module cache" in done.stderr and "needs the Go module proxy once" in done.stderr
    assert not any(call.startswith("build") for call in project.go_calls())


def test_a_cli_of_another_version_is_rebuilt(project):
    install_cached_tools(project)
    executable(project.bin / "pulumi", "#!/bin/sh\necho v3.1.0\n")
    done = project.run()
    assert f".tools/bin/pulumi is v3.1.0, the project pins {CLI_VERSION}" in done.stdout
    assert done.returncode != 0 and [c.split()[0] for c in project.go_calls()] == ["build"]


def test_an_official_pulumi_and_actionlint_on_path_build_nothing(project):
    executable(project.path_dir / "pulumi", "#!/bin/sh\necho v3.300.0\n")
    official_lint = executable(project.path_dir / "actionlint", f"#!/bin/sh\necho {ACTIONLINT_VERSION}\n")
    done = project.run(go=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "using the Pulumi CLI on PATH" in done.stdout
    assert sorted(p.name for p in project.bin.iterdir()) == ["actionlint"]  # a link, for the workflow test
    assert (project.bin / "actionlint").resolve() == official_lint.resolve()


def test_an_official_pulumi_without_go_or_actionlint_warns_and_passes(project):
    executable(project.path_dir / "pulumi", "#!/bin/sh\necho v3.300.0\n")
    done = project.run(go=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no Go to build actionlint" in done.stderr
    assert list(project.bin.iterdir()) == []
