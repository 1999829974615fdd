"""Speed report: wall time and HTTP calls of the day-to-day operations, against the emulator.

    .venv/bin/python scripts/benchmark.py [--sizes 5,100] [--runs 3] [--out reports/benchmark.md]

For each size (number of docker repositories besides the seed registry's) it measures a first
`up`, a no-op `preview`, the drift check (`refresh --preview-only`), a no-op
`preview --refresh`, and a first `up` with PULUMI_SKIP_CHECKPOINTS=true (faster, but a crash
mid-way leaves created objects out of the state). Times are medians of --runs; HTTP calls are
counted in the emulator's request log. Goals live here, not in timed tests.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import EmulatorProcess, Workspace, temp_dir  # noqa: E402
from tests.samples import free_ports, seed_registry  # noqa: E402

PASSWORD = "Bench-Admin-Pw-1"


def stack_values(extra_repositories: int) -> dict[str, Any]:
    values = copy.deepcopy(seed_registry())
    values["security"] = {"anonymousPull": ["hub-group"], "pushers": {"ci": ["ybcard"]}}
    for i, port in enumerate(free_ports(extra_repositories)):
        values["repositories"].append({"name": f"team-{i:03d}", "type": "hosted", "httpPort": port,
                                       "protect": False})
    return values


def measured(action: Callable[[], Any], emulator: EmulatorProcess) -> tuple[float, int, Any]:
    emulator.clear_log()
    started = time.monotonic()
    result = action()
    seconds = time.monotonic() - started
    calls = len([r for r in emulator.requests() if r["path"].startswith("/service/")])
    return seconds, calls, result


def one_run(extra: int, skip_checkpoints: bool) -> dict[str, tuple[float, int]]:
    base = temp_dir("nexus-bench-")
    emulator = EmulatorProcess(base / "data", admin_password=PASSWORD)
    emulator.password = PASSWORD  # type: ignore[attr-defined]
    try:
        ws = Workspace.create(base)
        if skip_checkpoints:
            ws.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
        ws.configure({"nexus": {"url": emulator.url}, **stack_values(extra)},
                     {"adminPassword": PASSWORD, "security.passwords.ci": "Bench-Ci-Pw-1"})
        results: dict[str, tuple[float, int]] = {}
        seconds, calls, _ = measured(lambda: ws.up(), emulator)
        results["first up"] = (seconds, calls)
        if skip_checkpoints:
            return results
        for name, action in (("no-op preview", lambda: ws.pulumi("preview", check=True)),
                             ("drift check (refresh --preview-only)", lambda: ws.refresh_check()),
                             ("no-op preview --refresh", lambda: ws.pulumi("preview", "--refresh",
                                                                           "--expect-no-changes", check=True))):
            seconds, calls, result = measured(action, emulator)
            if getattr(result, "code", 0) != 0:
                raise SystemExit(f"{name} reported changes or failed:\n{result.output}")
            results[name] = (seconds, calls)
        results["resources"] = (len(ws.resources()), 0)
        return results
    finally:
        emulator.stop()


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    return f"{model}, {os.cpu_count()} CPUs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0,100", help="extra hosted repositories per run, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "benchmark.md")
    args = parser.parse_args()
    report: dict[str, Any] = {}
    for extra in (int(s) for s in args.sizes.split(",")):
        runs = [one_run(extra, skip_checkpoints=False) for _ in range(args.runs)]
        fast = [one_run(extra, skip_checkpoints=True) for _ in range(args.runs)]
        rows = {key: (statistics.median(r[key][0] for r in runs), runs[0][key][1]) for key in runs[0]}
        rows["first up, PULUMI_SKIP_CHECKPOINTS=true"] = (statistics.median(r["first up"][0] for r in fast),
                                                          fast[0]["first up"][1])
        report[str(extra)] = rows
        print(f"extra repositories {extra}: " + json.dumps({k: [round(v[0], 2), v[1]] for k, v in rows.items()}),
              flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Benchmark", "", f"{args.runs} runs per figure (median seconds); HTTP calls counted by the emulator.",
             f"Machine: {machine()}",
             ""]
    for extra, rows in report.items():
        resources = int(rows.pop("resources")[0])
        lines += [f"## seed registry + {extra} extra hosted repositories ({resources} resources in state)", "",
                  "| operation | seconds | HTTP calls |", "|---|---:|---:|"]
        lines += [f"| {name} | {seconds:.2f} | {calls} |" for name, (seconds, calls) in rows.items()]
        lines.append("")
    args.out.write_text("\n".join(lines))
    raw = ROOT / "reports" / "benchmark.json"  # machine-readable figures, not committed
    raw.parent.mkdir(exist_ok=True)
    raw.write_text(json.dumps(report, indent=2))
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
