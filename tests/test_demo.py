"""`make demo`, then the next commands it prints, exactly as printed; `make emulator-stop` and
`make emulator` bring the local stack's emulator back with its data, and the stack is still
clean. The make targets run for real in a copy of the project whose local stack file is moved to
free ports (the committed one uses 18081-18086); only the shared venv and toolchain are kept out
of it (`-o`: never reinstalled from here)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from tests.harness import ROOT, pulumi_binary
from tests.samples import free_ports

pytestmark = pytest.mark.engine
LINKED = ("Pulumi.yaml", "__main__.py", "components", "schemas", "policy", "scripts", "tools", "tests",
          "requirements.txt", ".venv", ".tools")
COMMITTED_PORTS = (18081, 18082, 18083, 18084, 18085, 18086)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A checkout of the project (what must be its own is copied) with the local stack on free ports."""
    root = tmp_path / "project"
    root.mkdir()
    for name in LINKED:
        (root / name).symlink_to(ROOT / name)
    for name in ("Makefile", "nexusctl", "stacks"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, root / name, **({"ignore": shutil.ignore_patterns("__pycache__")} if name == "nexusctl" else {}))
    local = root / "stacks" / "Pulumi.local.yaml"
    text = local.read_text()
    for old, new in zip(COMMITTED_PORTS, free_ports(len(COMMITTED_PORTS))):
        text = re.sub(rf"\b{old}\b", str(new), text)
    local.write_text(text)
    yield root
    make(root, "emulator-stop")  # never leave a background emulator behind


def make_env(root: Path) -> dict[str, str]:
    """The user's environment without Pulumi settings, and a `make` that keeps the shared venv and
    toolchain as they are (-o: treated as up to date)."""
    wrapper = root.parent / "make-wrapper" / "make"
    if not wrapper.exists():
        wrapper.parent.mkdir()
        wrapper.write_text(f'#!/bin/sh\nexec {shutil.which("make")} -o .venv/.installed -o toolchain "$@"\n')
        wrapper.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_") and k not in ("MAKEFLAGS", "MFLAGS")}
    env.update({"PULUMI_HOME": str(root.parent / "pulumi-home"), "NO_COLOR": "1",
                "PATH": f"{wrapper.parent}:{env.get('PATH', '/usr/bin:/bin')}"})
    return env


def run(root: Path, line: str) -> subprocess.CompletedProcess:
    """A command line exactly as printed."""
    return subprocess.run(["bash", "-c", line], cwd=root, env=make_env(root), capture_output=True, text=True,
                          timeout=900)


def make(root: Path, *args: str) -> subprocess.CompletedProcess:
    return run(root, " ".join(["make", "--no-print-directory", *args]))


def test_demo_leaves_a_running_emulator_and_next_commands_that_work_as_printed(project):
    assert pulumi_binary()  # the toolchain this test does not build
    demo = make(project, "demo")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    printed = demo.stdout.split("Go on with:", 1)[1].splitlines()
    steps = [line.strip() for line in printed if line.startswith("  make ")]
    assert [s.split("#")[0].split() for s in steps] == [
        ["make", "drift", "STACK=local"], ["make", "verify", "STACK=local"], ["make", "preview", "STACK=local"],
        ["make", "emulator-stop"]]
    assert (project / ".demo" / "state").is_dir() and (project / ".demo" / "emulator.pid").is_file()
    assert not (project / ".state").exists()  # the local stack's state stays beside its emulator's data

    for line in steps[:-1]:
        done = run(project, line)
        assert done.returncode == 0, (line, done.stdout + done.stderr)

    pid = int((project / ".demo" / "emulator.pid").read_text())
    stopped = make(project, "emulator-stop")
    assert stopped.returncode == 0 and "Stopped the local emulator" in stopped.stdout
    assert not Path(f"/proc/{pid}").exists() and not (project / ".demo" / "emulator.pid").exists()
    drift_without = make(project, "drift", "STACK=local")
    assert drift_without.returncode != 0  # nothing answers: the check cannot run, it never says "no drift"

    started = make(project, "emulator")
    assert started.returncode == 0 and "Started the local emulator" in started.stdout, started.stdout + started.stderr
    assert "brand-new" not in started.stdout  # its data came back
    assert "already runs" in make(project, "emulator").stdout
    clean = make(project, "drift", "STACK=local")
    assert clean.returncode == 0, clean.stdout + clean.stderr

