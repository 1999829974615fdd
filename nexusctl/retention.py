"""`nexusctl retention run <stack>`: run the retention chain once, now.

The stack's retention preset schedules cleanup, then docker GC per repository, then compact per
blob store. This runs the same tasks once in that order (`POST /v1/tasks/{id}/run`), waiting
for each to finish (polling `GET /v1/tasks/{id}` until it is no longer RUNNING and its last
run is the new one) before starting the next, since each frees only what the previous one
released. The first task that fails, is cancelled or times out stops the chain; the rest are
reported as skipped.

Output: one line per task on stdout; with `--format json` the JSON report alone on stdout and the
lines on stderr (nexusctl/report.py).

Exit codes: 0 every task ran OK; 3 a task failed, was cancelled or timed out; 1 the chain could
not be started (no such stack, no retention preset, a task missing on Nexus: run `pulumi up`);
2 usage error.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Mapping, Optional

from components import retention
from components.client import NexusClient, NexusError
from components.config import expanded_values
from components.kinds.tasks import CLEANUP_TYPE, list_tasks, run_path, task_path
from components.stack_config import StackConfig

from . import engine, report
from .disk import connect
from .engine import StackError

EXIT_OK, EXIT_ERROR, EXIT_FAILED = 0, 1, 3
DEFAULT_TIMEOUT = 3600.0  # seconds per task: compacting a large blob store takes a while
DEFAULT_POLL = 2.0


@dataclass
class Step:
    name: str
    type: str
    id: Optional[str] = None
    result: str = "skipped"  # OK | FAILED | CANCELED | TIMEOUT | ERROR | skipped
    seconds: Optional[float] = None
    detail: str = ""


def find_ids(client: NexusClient, chain: list[Mapping[str, Any]]) -> list[Step]:
    """The chain's tasks on the server: the cleanup service by type, the others by name."""
    tasks = list_tasks(client)
    steps = []
    for task in chain:
        found = next((t for t in tasks if (t.get("type") == CLEANUP_TYPE if task["type"] == CLEANUP_TYPE
                                           else str(t.get("name", "")).lower() == task["name"].lower())),
                     None)
        if found is None:
            raise StackError(f"task '{task['name']}' ({task['type']}) is not on Nexus; apply the stack "
                             "first (pulumi up)")
        steps.append(Step(str(found.get("name", task["name"])), task["type"], str(found["id"])))
    return steps


def run_one(client: NexusClient, step: Step, timeout: float, poll: float,
            clock: Callable[[], float] = time.monotonic) -> None:
    """Starts one task and waits until its new run ends (a scheduled run in progress first)."""
    path = task_path(step.id or "")
    started = clock()

    def wait(done: Callable[[Mapping[str, Any]], bool]) -> Optional[Mapping[str, Any]]:
        while True:
            doc = client.get_json(path) or {}
            if done(doc):
                return doc
            if clock() - started > timeout:
                return None
            time.sleep(poll)

    current = wait(lambda doc: doc.get("currentState") != "RUNNING")
    if current is None:
        step.result, step.detail = "TIMEOUT", f"an earlier run was still going after {timeout:.0f} s"
        return
    try:
        client.send("POST", run_path(step.id or ""))
    except NexusError as err:
        step.result = "ERROR"
        step.detail = "the task is disabled" if err.status == 405 else err.message
        return
    finished = wait(lambda doc: doc.get("currentState") != "RUNNING"
                    and doc.get("lastRun") != current.get("lastRun"))
    step.seconds = round(clock() - started, 1)
    if finished is None:
        step.result, step.detail = "TIMEOUT", f"still running after {timeout:.0f} s (left running)"
    else:
        step.result = str(finished.get("lastRunResult") or "UNKNOWN")


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("retention", help="retention preset operations")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser(
        "run", help="run cleanup, docker GC and compact once now (exit 0 ok, 3 failed, 1 error)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("stack")
    run.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                     help="seconds to wait for each task (default %(default)s)")
    run.add_argument("--poll", type=float, default=DEFAULT_POLL,
                     help="seconds between status reads (default %(default)s)")
    report.add_options(run)
    run.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    out = report.Reporter(args)
    try:
        env, values = engine.deployed_stack(args.stack)
        expanded, problems = expanded_values(StackConfig(values, stack=args.stack))
        chain = retention.chain(expanded)
        if problems or not chain:
            raise StackError("; ".join(map(str, problems)) or f"stack '{args.stack}' has no "
                             "retention preset (nexus-registry:retention)")
        client = connect(args.stack, env, values)
        steps = find_ids(client, chain)
    except (StackError, NexusError) as exc:
        return out.failed(args.stack, f"retention run: {exc}", EXIT_ERROR)
    for step in steps:
        print(f"{step.name} ({step.type}) ...", end=" ", flush=True, file=out.human)
        try:
            run_one(client, step, args.timeout, args.poll)
        except NexusError as err:
            step.result, step.detail = "ERROR", err.message
        out.say(step.result + (f" in {step.seconds} s" if step.seconds is not None else "")
                + (f": {step.detail}" if step.detail else ""))
        if step.result != "OK":
            break
    skipped = [s.name for s in steps if s.result == "skipped"]
    if skipped:
        out.say(f"skipped (they depend on the failed step): {', '.join(skipped)}")
    failed = [s for s in steps if s.result != "OK"]
    out.report({"stack": args.stack, "status": "failed" if failed else "ok", "ok": not failed,
                "steps": [asdict(s) for s in steps]})
    return EXIT_FAILED if failed else EXIT_OK
