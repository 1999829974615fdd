"""`make demo`, `make emulator`, `make emulator-stop`: the `local` stack against a Nexus emulator.

`demo` starts from nothing: it stops a running local emulator, wipes its data and the local
stack's state, starts the emulator like a brand-new Nexus (random admin password in
admin.password, EULA pending), then runs the local stack: preview, up, a drift check that must
find nothing, the post-deploy check of the docker path, and the retention chain once. The
emulator keeps running afterwards, so the printed next commands (`make drift STACK=local`, ...)
work as printed.

`emulator start|stop` keeps one emulator for the local stack in the background, at the address
of its `nexus.url`, with its data, pid file and log in .demo/: a stopped emulator comes back
with everything the stack made. The local stack's state lives in .demo/state (engine.py) unless
PULUMI_BACKEND_URL says otherwise.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Mapping, Optional
from urllib.parse import urlsplit

import yaml

from . import IN_CHECKOUT, engine

STACK = engine.LOCAL_STACK
DEMO_DIR = engine.DEMO_DIR
DATA_DIR = DEMO_DIR / "nexus-data"
PID_FILE = DEMO_DIR / "emulator.pid"
LOG_FILE = DEMO_DIR / "emulator.log"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
NEXT_STEPS = (
    "make drift STACK=local      # reads every object back: exit 0, no drift",
    "make verify STACK=local     # the docker path: every connector, anonymous pull through the group",
    "make preview STACK=local    # after editing stacks/Pulumi.local.yaml; then: make up STACK=local",
    "make emulator-stop          # stop the emulator; its data stays in .demo/ (make emulator starts it again)",
)


# --- the background emulator ----------------------------------------------------------------------
def emulator_address() -> tuple[str, int]:
    """Host and port of the local stack's nexus.url (the emulator listens where the stack looks)."""
    doc = yaml.safe_load((engine.ROOT / "stacks" / f"Pulumi.{STACK}.yaml").read_text()) or {}
    url = urlsplit(str(((doc.get("config") or {}).get(f"{engine.project_name()}:nexus") or {}).get("url", "")))
    if not url.hostname or not url.port:
        raise SystemExit(f"stacks/Pulumi.{STACK}.yaml: nexus.url must give a host and port for the emulator, "
                         f"got {url.geturl()!r}")
    return url.hostname, url.port


def running_pid() -> Optional[int]:
    """The pid in .demo/emulator.pid while that process is still this project's emulator (a pid
    the system gave to another program since is not ours to stop)."""
    try:
        pid = int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None
    if not Path("/proc/self").exists():  # no /proc to read the command line from: trust a live pid
        return pid if _alive(pid) else None
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    return pid if b"tests.emulator" in command and str(DATA_DIR).encode() in command else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it lives, under another user
    return True


def start_emulator() -> str:
    """Starts the local emulator in the background unless it runs; returns its URL."""
    host, port = emulator_address()
    url = f"http://{host}:{port}"
    pid = running_pid()
    if pid is not None:
        print(f"The local emulator already runs at {url} (pid {pid}, log {_shown(LOG_FILE)}).")
        return url
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOG_FILE, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "tests.emulator", "--host", host, "--port", str(port),
                                 "--data-dir", str(DATA_DIR)], cwd=engine.ROOT, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    PID_FILE.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + START_TIMEOUT
    while not re.search(r"ready at https?://", LOG_FILE.read_text()):
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                proc.kill()
            PID_FILE.unlink(missing_ok=True)
            raise SystemExit(f"the emulator did not start at {url} (is port {port} free?):\n{LOG_FILE.read_text()}")
        time.sleep(0.1)
    first = "" if (DATA_DIR / "emulator-state.json").exists() else " as a brand-new Nexus (first password in " \
        f"{_shown(DATA_DIR / 'admin.password')}, EULA pending)"
    print(f"Started the local emulator at {url}{first}: pid {proc.pid}, data {_shown(DATA_DIR)}, "
          f"log {_shown(LOG_FILE)}. Stop it with: make emulator-stop")
    return url


def stop_emulator() -> bool:
    """Stops the local emulator (SIGTERM, then SIGKILL); False when none was running."""
    pid = running_pid()
    PID_FILE.unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True


def _shown(path: Path) -> str:
    return str(path.relative_to(engine.ROOT)) if path.is_relative_to(engine.ROOT) else str(path)


# --- the demo -----------------------------------------------------------------------------------
def step(title: str, args: list[str], env: Mapping[str, str]) -> None:
    """A pulumi command (`pulumi ...`) or one of ours (`nexusctl ...`) on the local stack."""
    print(f"\n=== {title}: {' '.join(args)}", flush=True)
    started = time.monotonic()
    if args[0] == "pulumi":
        done = engine.run(args[1:], stack=STACK, env=env)
    else:
        done = subprocess.run([sys.executable, "-m", "nexusctl", *args[1:]], cwd=engine.ROOT, env=dict(env))
    if done.returncode != 0:
        raise SystemExit(f"demo failed at '{title}' (exit {done.returncode}); the emulator keeps running for a "
                         f"look ({_shown(LOG_FILE)}; make emulator-stop)")
    print(f"--- {title}: ok in {time.monotonic() - started:.1f} s", flush=True)


def reset_local_stack(env: Mapping[str, str]) -> None:
    """Forgets the local stack's state (its emulator starts empty), keeping the stack file."""
    if engine.run(["stack", "select", STACK], env=env, capture=True).returncode == 0:
        done = engine.run(["stack", "rm", STACK, "--force", "--yes", "--preserve-config"], env=env, capture=True)
        if done.returncode != 0:
            raise SystemExit(f"cannot reset the state of stack '{STACK}': {done.stderr.strip()}")


def main() -> int:
    env = engine.environment(STACK)
    if stop_emulator():
        print("Stopped the running local emulator: the demo starts from nothing.")
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    reset_local_stack(env)
    url = start_emulator()
    engine.ensure_stack(STACK, env)
    step("preview", ["pulumi", "preview", "--diff"], env)
    step("up", ["pulumi", "up", "--yes", "--skip-preview"], env)
    step("drift check (must report no changes)", ["nexusctl", "drift", STACK], env)
    step("docker path check (connectors, anonymous pull)", ["nexusctl", "verify", STACK], env)
    step("retention chain, run once now", ["nexusctl", "retention", "run", STACK, "--poll", "0.5"], env)
    print("\nDemo done: the local stack converged, the drift check found no changes, docker clients can use "
          f"it, and the retention chain ran.\nThe emulator keeps running at {url} with the stack's state in "
          f"{_shown(DEMO_DIR)}. Go on with:")
    print("\n".join(f"  {line}" for line in NEXT_STEPS))
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    if not IN_CHECKOUT:
        return  # the emulator and the `local` stack are the checkout's (tests/emulator, stacks/)
    parser = commands.add_parser("demo", help="run the local stack against a fresh emulator (make demo)")
    parser.set_defaults(run=lambda _args: main())
    emulator = commands.add_parser("emulator", help="start or stop the local stack's emulator in the background "
                                                    "(make emulator, make emulator-stop)")
    emulator.add_argument("action", choices=("start", "stop"))
    emulator.set_defaults(run=_emulator_command)


def _emulator_command(args: argparse.Namespace) -> int:
    if args.action == "start":
        start_emulator()
    elif stop_emulator():
        print(f"Stopped the local emulator (its data stays in {_shown(DATA_DIR)}).")
    else:
        print("No local emulator is running.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
