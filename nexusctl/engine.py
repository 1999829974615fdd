"""Running the Pulumi CLI offline: which binary, which environment, which backend."""
from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional, Sequence

import yaml

from components import stack_files, trace
from components.client import Connection
from components.interrupted import RECORD_ENV
from components.interrupted import write_record as record_creates

from . import CHECKOUT, IN_CHECKOUT, recovery



def project_root(start: Optional[Path] = None) -> Path:
    """The Pulumi project nexusctl works on: in a checkout, the checkout; installed, the nearest
    directory at or above `start` (the current directory) with a Pulumi.yaml, as pulumi finds it.
    Without one, the current directory (commands that need a project say so)."""
    if IN_CHECKOUT:
        return CHECKOUT
    here = (start or Path.cwd()).resolve()
    return next((d for d in (here, *here.parents) if (d / "Pulumi.yaml").is_file()), here)


ROOT = project_root()
TOOLS_BIN = ROOT / ".tools" / "bin"  # the CLI scripts/toolchain.sh builds (a checkout)
# The Python whose packages the program and the providers need first on PATH: the checkout's
# venv, or the one nexusctl is installed in.
VENV_BIN = ROOT / ".venv" / "bin" if IN_CHECKOUT else Path(sys.executable).parent
DEFAULT_BACKEND = ROOT / ".state"
# The committed `local` stack encrypts its demo secrets with this passphrase. Every other stack
# needs PULUMI_CONFIG_PASSPHRASE (or another secrets provider) from the user.
LOCAL_DEMO_PASSPHRASE = "nexus-local-demo"
# The `local` stack's state lives beside its emulator's data (nexusctl/demo.py), so the two are
# made, kept and wiped together.
LOCAL_STACK = "local"
DEMO_DIR = ROOT / ".demo"
# The engine hands the program (and the policy pack) the whole stack config in one environment
# variable, PULUMI_CONFIG; Linux caps one such string at MAX_ARG_STRLEN (32 pages, 128 KiB), so
# a bigger config fails with "fork/exec ...: argument list too long" (pulumi/pulumi#8680).
CONFIG_ENV_LIMIT = 128 * 1024


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
    # No full state write after every step (quadratic in the number of objects): a crash is
    # made harmless by the create path instead (README, "What happens after an interrupted run").
    env.setdefault("PULUMI_SKIP_CHECKPOINTS", "true")
    env.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    env.setdefault("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
    return env


def run(args: Sequence[str], stack: Optional[str] = None, env: Optional[Mapping[str, str]] = None,
        capture: bool = False, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`pulumi <args> [--stack S --non-interactive]`."""
    cmd = [pulumi_binary(), *args]
    if stack and args and args[0] not in ("stack",):
        cmd += ["--stack", stack, "--non-interactive"]
    done = recovery.supervised(cmd, cwd=cwd, env=dict(env or environment(stack)), text=True,
                               capture_output=capture)
    if capture and trace.level():
        forward_trace(done.stdout, done.stderr)
    return done


_TRACE_LINE = re.compile(re.escape(trace.PREFIX) + r" .*")


def forward_trace(*outputs: Optional[str]) -> None:
    """The providers' trace lines in a pulumi output this command reads itself (its progress
    lines and diagnostics, or the JSON of `--json`), once each, on stderr."""
    lines: dict[str, None] = {}
    for found in _TRACE_LINE.finditer("\n".join(o or "" for o in outputs)):
        line = found.group(0)
        if line.rstrip(",").endswith('"'):  # a JSON string: "message": "nexus-trace: …\n",
            try:
                line = json.loads('"' + line[:line.rindex('"')] + '"')
            except ValueError:
                pass
        lines.setdefault(line.strip(), None)
    for line in lines:
        print(line, file=sys.stderr, flush=True)


def ensure_stack(stack: str, env: Mapping[str, str], cwd: Path = ROOT) -> None:
    """Selects the stack in the backend, creating it (keeping the committed stack file)."""
    recovery.recover(stack, project_name(), env)
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
    side = stack_files.merge(values, stack_files.folder(stack, ROOT))  # stacks/<stack>/*.yaml
    if side.problems:
        raise StackError("; ".join(f"{where}: {what}" for where, what in side.problems))
    values = side.values
    if "nexus" not in values:
        raise StackError(f"stack '{stack}' has no nexus config: pulumi config set --path nexus.url "
                         "http://host:8081 --stack " + stack)
    return values


def deployed_stack(stack: str) -> tuple[dict[str, str], dict[str, Any]]:
    """The engine environment and the full config (secrets included, kept in memory only) of a
    stack that exists in the backend; StackError otherwise."""
    env = environment(stack)
    check_config_size(stack)
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


# --- interrupted runs ------------------------------------------------------------------------
@contextlib.contextmanager
def interrupted_creates_record(stack: str, env: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """The engine environment for an `up`, with the record of the creates an interrupted run of
    this stack left pending (components.interrupted) when there are any."""
    deployment = recovery.read_state(stack, project_name(), env, lambda: _export(stack, env))
    pending = recovery.interrupted_creates(deployment)
    if not pending:
        yield dict(env)
        return
    recovery.say(f"an interrupted run of stack '{stack}' left {len(pending)} create(s) unfinished; "
                 "objects it made are taken over when they are what it sent")
    with tempfile.TemporaryDirectory(prefix="nexusctl-") as folder:
        path = Path(folder) / "interrupted-creates.json"
        record_creates(pending, path)
        yield {**env, RECORD_ENV: str(path)}


def clear_resolved_creates(stack: str, env: Mapping[str, str]) -> None:
    """Drops the pending creates whose objects are now in the state: the engine keeps them (and
    warns at every `up`) until someone clears them."""
    deployment = recovery.read_state(stack, project_name(), env, lambda: _export(stack, env))
    if not deployment or not recovery.resolved_creates(deployment):
        return
    exported = json.loads(_export(stack, env) or "{}")
    with tempfile.TemporaryDirectory(prefix="nexusctl-") as folder:
        path = Path(folder) / "state.json"
        path.write_text(json.dumps(recovery.without_resolved_creates(exported)))
        path.chmod(0o600)
        done = run(["stack", "import", "--file", str(path)], stack=stack, env=env, capture=True)
    if done.returncode == 0:
        recovery.say("cleared the interrupted run's pending creates: their objects are in the state now")
    else:
        recovery.say(f"could not clear the interrupted run's pending creates: {done.stderr.strip()}")


def _export(stack: str, env: Mapping[str, str]) -> str:
    done = run(["stack", "export"], stack=stack, env=env, capture=True)
    return done.stdout if done.returncode == 0 else ""


# --- the size of the stack file ----------------------------------------------------------------
def check_config_size(stack: str, root: Path = ROOT) -> None:
    """StackError when the stack file's config cannot reach the program: it travels in one
    environment variable (CONFIG_ENV_LIMIT). Names the biggest values and the way out."""
    stack_file = root / "stacks" / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        return
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    size = config_env_size(config)
    if size <= CONFIG_ENV_LIMIT:
        return
    biggest = sorted(value_sizes(_as_plain(config)), key=lambda item: -item[1])[:5]
    listed = "\n".join(f"    {path}: {count:,} bytes" for path, count in biggest)
    raise StackError(
        f"the config in {stack_file.relative_to(root)} is {size:,} bytes as the engine passes it to the "
        f"program, over Linux's limit of {CONFIG_ENV_LIMIT:,} bytes for one environment variable "
        f"(pulumi would fail with \"argument list too long\"). Biggest values:\n{listed}\n"
        f"Move long object lists into side files beside the stack file (stacks/{stack}/<key>.yaml, "
        "e.g. repositories.yaml or security.users.yaml; README \"Big stacks\"), and keep single values short.")


def config_env_size(config: Mapping[str, Any]) -> int:
    """Bytes of PULUMI_CONFIG=<json> as the language host builds it: every structured value is
    JSON text inside the JSON map (secrets counted as their ciphertext, a little more than the
    plain text the program gets)."""
    plain = {key: _as_plain(value) for key, value in config.items()}
    flat = {key: value if isinstance(value, str) else json.dumps(value) for key, value in plain.items()}
    return len("PULUMI_CONFIG=") + len(json.dumps(flat).encode()) + 1


def _as_plain(node: Any) -> Any:
    """The config as the program receives it, near enough: a `secure: v1:<nonce>:<ciphertext>`
    value decrypts to the ciphertext's length less the 16-byte AES-GCM tag."""
    if isinstance(node, Mapping):
        if set(node) == {"secure"} and isinstance(node["secure"], str):
            sealed = node["secure"].rsplit(":", 1)[-1]
            try:
                return "x" * max(len(base64.b64decode(sealed)) - 16, 0)
            except ValueError:
                return node["secure"]
        return {k: _as_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_as_plain(v) for v in node]
    return node


def value_sizes(node: Any, path: str = "") -> Iterator[tuple[str, int]]:
    """(config path, JSON size) of every leaf and of every list, for the oversize message."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            name = str(key).split(":", 1)[-1] if not path else f"{path}.{key}"
            yield from value_sizes(value, name)
    elif isinstance(node, list):
        yield path, len(json.dumps(node).encode())
        for i, value in enumerate(node):
            yield from value_sizes(value, f"{path}[{i}]")
    else:
        yield path, len(json.dumps(node).encode())
