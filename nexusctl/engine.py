"""Running the Pulumi CLI offline: which binary, which environment, which backend."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import yaml

from components.client import Connection

ROOT = Path(__file__).resolve().parent.parent
TOOLS_BIN = ROOT / ".tools" / "bin"
VENV_BIN = ROOT / ".venv" / "bin"
DEFAULT_BACKEND = ROOT / ".state"
# The committed `local` stack encrypts its demo secrets with this passphrase. Every other stack
# needs PULUMI_CONFIG_PASSPHRASE (or another secrets provider) from the user.
LOCAL_DEMO_PASSPHRASE = "nexus-local-demo"
# The `local` stack's state lives beside its emulator's data (nexusctl/demo.py), so the two are
# made, kept and wiped together.
LOCAL_STACK = "local"
DEMO_DIR = ROOT / ".demo"


# Exit codes of the checking commands (drift, verify, unmanaged, disk, retention run): 2 stays
# argparse's usage error, so a typo can never read as "found something".
EXIT_OK, EXIT_ERROR, EXIT_FOUND = 0, 1, 3


class StackError(Exception):
    """The stack or its config cannot be read; the message says what to do."""


def pulumi_binary() -> str:
    """The CLI built by scripts/toolchain.sh, else an official `pulumi` on PATH."""
    built = TOOLS_BIN / "pulumi"
    if built.exists():
        return str(built)
    found = shutil.which("pulumi")
    if not found:
        raise SystemExit("no Pulumi CLI: run `make toolchain` first (or install the official CLI)")
    return found


def environment(stack: Optional[str] = None, backend: Optional[Path] = None,
                base: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """Offline defaults: a file backend inside the project, no update checks, no plugin
    downloads; the project venv first on PATH (the language host built here cannot activate
    Pulumi.yaml's virtualenv itself)."""
    env = dict(base if base is not None else os.environ)
    env["PATH"] = os.pathsep.join([str(VENV_BIN), str(TOOLS_BIN), env.get("PATH", "")])
    if backend is not None:
        env["PULUMI_BACKEND_URL"] = f"file://{backend}"
    elif not env.get("PULUMI_BACKEND_URL"):
        default = DEMO_DIR / "state" if stack == LOCAL_STACK else DEFAULT_BACKEND
        default.mkdir(parents=True, exist_ok=True)
        env["PULUMI_BACKEND_URL"] = f"file://{default}"
    if stack == LOCAL_STACK and not env.get("PULUMI_CONFIG_PASSPHRASE") and not env.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        env["PULUMI_CONFIG_PASSPHRASE"] = LOCAL_DEMO_PASSPHRASE
    env.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    env.setdefault("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
    return env


def run(args: Sequence[str], stack: Optional[str] = None, env: Optional[Mapping[str, str]] = None,
        capture: bool = False, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`pulumi <args> [--stack S --non-interactive]`."""
    cmd = [pulumi_binary(), *args]
    if stack and args and args[0] not in ("stack",):
        cmd += ["--stack", stack, "--non-interactive"]
    return subprocess.run(cmd, cwd=cwd, env=dict(env or environment(stack)), text=True,
                          capture_output=capture)


def ensure_stack(stack: str, env: Mapping[str, str], cwd: Path = ROOT) -> None:
    """Selects the stack in the backend, creating it (keeping the committed stack file)."""
    if run(["stack", "select", stack], env=env, capture=True, cwd=cwd).returncode != 0:
        created = run(["stack", "init", stack], env=env, capture=True, cwd=cwd)
        if created.returncode != 0:
            raise SystemExit(f"cannot create stack {stack}: {created.stderr.strip()}")


def project_name(root: Path = ROOT) -> str:
    """The config namespace: Pulumi prefixes every key with the project name."""
    return str(yaml.safe_load((root / "Pulumi.yaml").read_text())["name"])


def select_stack(stack: str, env: Mapping[str, str]) -> None:
    """Fails unless the stack exists in the backend (never creates one: checking an empty new
    stack would report a clean bill of health for nothing)."""
    done = run(["stack", "select", stack], env=env, capture=True)
    if done.returncode != 0:
        raise StackError(f"no stack '{stack}' in the backend {env.get('PULUMI_BACKEND_URL', '(default)')}: "
                         f"{done.stderr.strip()}. Check PULUMI_BACKEND_URL and the stack name "
                         "(`pulumi stack ls`)")


def stack_values(stack: str, env: Mapping[str, str], show_secrets: bool = False) -> dict[str, Any]:
    """The stack's config as the program sees it, keyed without the project namespace. Secrets
    are left out unless `show_secrets` (then they only ever live in this process's memory)."""
    args = ["config", "--json", "--stack", stack, *(["--show-secrets"] if show_secrets else [])]
    done = run(args, env=env, capture=True)
    if done.returncode != 0:
        raise StackError(f"cannot read the config of stack '{stack}': {done.stderr.strip()} "
                         "(secrets need PULUMI_CONFIG_PASSPHRASE or the stack's secrets provider)")
    prefix = f"{project_name()}:"
    values: dict[str, Any] = {}
    for key, entry in json.loads(done.stdout or "{}").items():
        if not key.startswith(prefix):
            continue
        # Structured values come parsed as objectValue; scalars (the admin password) as value.
        if "objectValue" in entry:
            values[key[len(prefix):]] = entry["objectValue"]
        elif "value" in entry:
            values[key[len(prefix):]] = entry["value"]
    if "nexus" not in values:
        raise StackError(f"stack '{stack}' has no nexus config: pulumi config set --path nexus.url "
                         "http://host:8081 --stack " + stack)
    return values


def deployed_stack(stack: str) -> tuple[dict[str, str], dict[str, Any]]:
    """The engine environment and the full config (secrets included, kept in memory only) of a
    stack that exists in the backend; StackError otherwise."""
    env = environment(stack)
    select_stack(stack, env)
    return env, stack_values(stack, env, show_secrets=True)


def export_state(stack: str, env: Mapping[str, str]) -> dict[str, Any]:
    """The stack's deployment as `pulumi stack export` gives it (secrets stay encrypted)."""
    done = run(["stack", "export", "--stack", stack], env=env, capture=True)
    if done.returncode != 0:
        raise StackError(f"cannot read the state of stack '{stack}': {done.stderr.strip()}")
    return json.loads(done.stdout or "{}")


def nexus_connection(stack: str, env: Mapping[str, str], values: Mapping[str, Any]) -> Connection:
    """How a command reaches the stack's Nexus: `nexus` (with nexus.tls) and the admin password;
    with nexus.tls.caFromStack and a generated CA, the CA comes from the stack output caCertPem."""
    generated = None
    trust = values["nexus"].get("tls") or {}
    if trust.get("caFromStack") and not ((values.get("tls") or {}).get("ca") or {}).get("certPem"):
        done = run(["stack", "output", "caCertPem", "--stack", stack], env=env, capture=True)
        generated = done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None
        if generated is None:
            raise StackError(f"nexus.tls.caFromStack: stack '{stack}' has no caCertPem output yet (run `pulumi up` "
                             "first), so Nexus's certificate cannot be checked")
    return Connection.from_settings(values["nexus"], values.get("adminPassword"), values.get("tls"), generated)
