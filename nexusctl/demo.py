"""`make demo`: the whole main job against a local Nexus emulator, from nothing.

Starts the emulator like a brand-new Nexus (random admin password in admin.password, EULA
pending), then runs the `local` stack: preview, up, a drift check that must find nothing, the
post-deploy check of the docker path, and the retention chain once.
State and emulator data live under .demo/ and are recreated on every run.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time

from . import engine

DEMO_DIR = engine.ROOT / ".demo"
STACK = "local"
PORT = 18081  # nexus.url of stacks/Pulumi.local.yaml


def start_emulator() -> tuple[subprocess.Popen, str]:
    data = DEMO_DIR / "nexus-data"
    proc = subprocess.Popen([sys.executable, "-m", "tests.emulator", "--port", str(PORT),
                             "--data-dir", str(data)], cwd=engine.ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.search(r"https?://\S+:\d+", line)
    if not found:
        proc.kill()
        raise SystemExit(f"the emulator did not start (is port {PORT} free?): {line}{proc.stdout.read()}")
    return proc, found.group(0)


def step(title: str, args: list[str], env: dict[str, str]) -> None:
    """A pulumi command (`pulumi ...`) or one of ours (`nexusctl ...`) on the local stack."""
    print(f"\n=== {title}: {' '.join(args)}", flush=True)
    started = time.monotonic()
    if args[0] == "pulumi":
        done = engine.run(args[1:], stack=STACK, env=env)
    else:
        done = subprocess.run([sys.executable, "-m", "nexusctl", *args[1:]], cwd=engine.ROOT, env=env)
    if done.returncode != 0:
        raise SystemExit(f"demo failed at '{title}' (exit {done.returncode})")
    print(f"--- {title}: ok in {time.monotonic() - started:.1f} s", flush=True)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("demo", help="run the local stack against a fresh emulator (make demo)")
    parser.set_defaults(run=lambda _args: main())


def main() -> int:
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    (DEMO_DIR / "state").mkdir(parents=True)
    env = engine.environment(STACK, backend=DEMO_DIR / "state")
    proc, url = start_emulator()
    print(f"Nexus emulator (first start: random admin password, EULA pending) at {url}")
    try:
        engine.ensure_stack(STACK, env)
        step("preview", ["pulumi", "preview", "--diff"], env)
        step("up", ["pulumi", "up", "--yes", "--skip-preview"], env)
        step("drift check (must report no changes)", ["nexusctl", "drift", STACK], env)
        step("docker path check (connectors, anonymous pull)", ["nexusctl", "verify", STACK], env)
        step("retention chain, run once now", ["nexusctl", "retention", "run", STACK, "--poll", "0.5"], env)
        print("\nDemo done: the local stack converged, the drift check found no changes, docker "
              "clients can use it, and the retention chain ran.")
        return 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
