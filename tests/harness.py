"""Runs the real chain in tests: stack YAML -> Pulumi CLI -> dynamic providers -> HTTP -> Nexus.

`EmulatorProcess` starts `python -m tests.emulator` exactly as other tools do (its CLI contract)
and talks to its control API. `Workspace` is a throw-away copy of the project (symlinks) with its
own stack file and local state backend, driving the real `pulumi` binary.

Live mode: with NEXUS_URL and NEXUS_PASSWORD set, `nexus_target()` points the same tests at a
real Nexus instead of a fresh emulator (tests that need the control API are skipped there).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "nexus-registry"
PASSPHRASE = "test-passphrase"
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "components", "schemas", ".venv")


def pulumi_binary() -> str:
    built = ROOT / ".tools" / "bin" / "pulumi"
    found = str(built) if built.exists() else shutil.which("pulumi")
    if not found:
        raise RuntimeError("no pulumi CLI: run `make toolchain` (scripts/toolchain.sh) first")
    return found


def engine_env(backend_dir: Path) -> dict[str, str]:
    """Offline, self-contained settings for every pulumi invocation."""
    env = dict(os.environ)
    path_parts = [str(ROOT / ".venv" / "bin"), str(ROOT / ".tools" / "bin"), env.get("PATH", "")]
    env.update({
        "PATH": os.pathsep.join(path_parts),
        "PULUMI_BACKEND_URL": f"file://{backend_dir}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_HOME": str(backend_dir.parent / "pulumi-home"),
        "NO_COLOR": "1",
        # Per-stack files outside the checkout (the reverse proxy's bundle) stay in the test's dir.
        "XDG_STATE_HOME": str(backend_dir.parent / "xdg-state"),
    })
    env.pop("PULUMI_ACCESS_TOKEN", None)
    return env


# --- the emulator --------------------------------------------------------------------------
class EmulatorProcess:
    """A Nexus emulator in its own process, started with its documented CLI."""

    def __init__(self, data_dir: Path, version: str = "3.86.0", edition: str = "community",
                 admin_password: Optional[str] = None, extra: Iterable[str] = ()) -> None:
        args = [sys.executable, "-m", "tests.emulator", "--port", "0", "--data-dir", str(data_dir),
                "--nexus-version", version, "--edition", edition, *extra]
        if admin_password is not None:
            args += ["--admin-password", admin_password]
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_file = data_dir.parent / "emulator.log"
        self._log = open(self.log_file, "w")
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = re.search(r"(https?://[\d.]+:\d+)", line)
        if not found:
            self.proc.kill()
            raise RuntimeError(f"emulator did not start: {line!r} {self.log_file.read_text()}")
        self.url = found.group(1)
        self.http = requests.Session()

    def control(self, method: str, name: str, body: Any = None) -> Any:
        response = self.http.request(method, f"{self.url}/__emulator/{name}", json=body, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None

    def requests(self) -> list[dict[str, Any]]:
        return self.control("GET", "requests")

    def clear_log(self) -> None:
        self.control("DELETE", "requests")

    def writes(self) -> list[dict[str, Any]]:
        return [r for r in self.requests()
                if r["method"] not in ("GET", "HEAD") and r["path"].startswith("/service/")]

    def state(self) -> dict[str, Any]:
        return self.control("GET", "state")

    def fault(self, **spec: Any) -> None:
        self.control("POST", "faults", spec)

    @property
    def first_password(self) -> str:
        return (self.data_dir / "admin.password").read_text().strip()

    def rest(self, method: str, path: str, password: str, body: Any = None,
             user: str = "admin") -> requests.Response:
        """A direct REST call, e.g. to change something behind the stack's back."""
        return self.http.request(method, f"{self.url}/service/rest{path}", json=body,
                                 auth=(user, password), timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.proc.stdout:
            self.proc.stdout.close()
        self._log.close()


# --- a Pulumi workspace --------------------------------------------------------------------------
@dataclass
class Result:
    args: list[str]
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Workspace:
    """A temp copy of the project with one stack and a local file backend."""

    root: Path
    stack: str = "test"
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, base: Path, stack: str = "test") -> "Workspace":
        root = base / "project"
        (root / "stacks").mkdir(parents=True)
        for name in PROJECT_FILES:
            (root / name).symlink_to(ROOT / name)
        state = base / "state"
        state.mkdir()
        ws = cls(root, stack, engine_env(state))
        ws.pulumi("stack", "init", stack, check=True)
        return ws

    @property
    def stack_file(self) -> Path:
        return self.root / "stacks" / f"Pulumi.{self.stack}.yaml"

    def pulumi(self, *args: str, check: bool = False, timeout: float = 300) -> Result:
        cmd = [pulumi_binary(), *args]
        if args and args[0] not in ("stack", "version", "plugin"):
            cmd += ["--stack", self.stack, "--non-interactive"]
        done = subprocess.run(cmd, cwd=self.root, env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        result = Result(cmd, done.returncode, done.stdout, done.stderr)
        if check and result.code != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed ({result.code}):\n{result.output}")
        return result

    def configure(self, values: Mapping[str, Any], secrets: Mapping[str, str] = {}) -> None:
        """Writes plain config into the stack file, then sets secrets through the CLI (so they
        are encrypted exactly as a user's `pulumi config set --secret` would)."""
        doc = yaml.safe_load(self.stack_file.read_text()) if self.stack_file.exists() else {}
        doc = doc or {}
        doc["config"] = {f"{PROJECT}:{k}": v for k, v in values.items()}
        self.stack_file.write_text(yaml.safe_dump(doc, sort_keys=False))
        if secrets:
            args = ["config", "set-all", "--path"]
            for key, value in secrets.items():
                args += ["--secret", f"{key}={value}"]
            self.pulumi(*args, check=True)

    def up(self, *extra: str, check: bool = True) -> Result:
        return self.pulumi("up", "--yes", "--skip-preview", *extra, check=check)

    def preview(self, *extra: str, check: bool = False) -> Result:
        return self.pulumi("preview", "--diff", *extra, check=check)

    def preview_json(self, *extra: str) -> dict[str, Any]:
        result = self.pulumi("preview", "--json", *extra)
        try:
            return json.loads(result.stdout)
        except ValueError:
            raise AssertionError(f"preview --json gave no JSON ({result.code}):\n{result.output}")

    def refresh_check(self) -> Result:
        """The drift check: exit 0 when the server matches the state."""
        return self.pulumi("refresh", "--preview-only", "--expect-no-changes", "--diff")

    def export(self) -> dict[str, Any]:
        return json.loads(self.pulumi("stack", "export", "--stack", self.stack, check=True).stdout)

    def state_text(self) -> str:
        return self.pulumi("stack", "export", "--stack", self.stack, check=True).stdout

    def resources(self, type_suffix: str = "") -> list[dict[str, Any]]:
        found = self.export()["deployment"].get("resources", [])
        return [r for r in found if r["type"].endswith(type_suffix)]


def changed_steps(preview: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Steps of a `preview --json` that would change something."""
    return [s for s in preview.get("steps", []) if s.get("op") not in ("same", "read")]


def changed_inputs(step: Mapping[str, Any]) -> list[str]:
    """Input keys a planned update changes (what `preview --diff` prints for the step)."""
    old = (step.get("oldState") or {}).get("inputs", {})
    new = (step.get("newState") or {}).get("inputs", {})
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k) and k != "__provider")


def temp_dir(prefix: str = "nexus-rac-") -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


# --- the project's command line in a workspace -------------------------------------------------
def install_cli(ws: Workspace) -> None:
    """Lets `python -m nexusctl` run in the workspace exactly as in a checkout: a copy of the
    package (its engine locates the project from its own path, so a symlink would point back at
    this checkout's stacks), plus links to the policy pack and the workflows."""
    shutil.copytree(ROOT / "nexusctl", ws.root / "nexusctl", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("policy", ".github"):
        (ws.root / name).symlink_to(ROOT / name)


def nexusctl(ws: Workspace, *args: str, timeout: float = 300) -> Result:
    """`python -m nexusctl ARGS` in the workspace (after install_cli), with its engine settings."""
    cmd = [sys.executable, "-m", "nexusctl", *args]
    done = subprocess.run(cmd, cwd=ws.root, env=ws.env, capture_output=True, text=True, timeout=timeout)
    return Result(cmd, done.returncode, done.stdout, done.stderr)


def install_make(ws: Workspace) -> None:
    """Lets `make` run in the workspace as in a fresh clone: the CLI, the Makefile and the
    scripts it builds from (the exit-code plugin is compiled into the workspace's .work/)."""
    install_cli(ws)
    for name in ("Makefile", "scripts"):
        (ws.root / name).symlink_to(ROOT / name)


def make(ws: Workspace, *args: str, timeout: float = 300) -> Result:
    """`make ARGS STACK=<stack>` in the workspace (after install_make), as a user types it. The
    venv and toolchain are this checkout's, linked, so `setup` is taken as done (`-o setup`)
    instead of touching them; a make that runs the tests passes no jobserver or flags down."""
    cmd = ["make", "-o", "setup", *args, f"STACK={ws.stack}"]
    env = {k: v for k, v in ws.env.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(cmd, cwd=ws.root, env=env, capture_output=True, text=True, timeout=timeout)
    return Result(cmd, done.returncode, done.stdout, done.stderr)
