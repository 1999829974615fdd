"""Speed report: the day-to-day operations at N objects, against the engine floor.

    .venv/bin/python scripts/benchmark.py [--sizes 50,200,500,2000,5000] [--runs 1]
                                          [--checkpointed-up-max 500] [--out docs/benchmark.md]

For each N it stands up a fresh Nexus emulator and a stack of N objects of mixed kinds (docker
hosted/proxy/group repositories, file blob stores, content selectors, privileges, roles, users;
the lists in side files beside the stack file) and measures, with the project's engine settings
(nexusctl's: no per-step checkpoints): the first `up`, a no-op `preview`, the drift check
(`refresh --preview-only --expect-no-changes`, what `nexusctl drift` runs), an `up` that changes
10 objects, a no-op `preview` with the policy pack, and a no-op `preview` with the SDK's
per-resource costs left in (NEXUS_RAC_SDK_UNTRIMMED=1: before components/sdk_overhead.py). Each figure: wall time, peak memory of
the whole process tree (CLI, language host, program, providers, policy pack; sampled every
50 ms), HTTP calls the emulator served, and the emulator's own CPU time (to show it is not the
bottleneck).

In the same run, the engine floor: `scripts/floor/`, a trivial dynamic provider without HTTP,
the same N resources with the same inputs on the same CLI and settings; every figure is also a
ratio to it. Up to --checkpointed-up-max objects it also measures the first `up` with the
engine's default per-step checkpoints (what a plain `pulumi up` does), for both.

The emulator runs without its full-state save after every write (scripts/bench_emulator.py):
that save is O(state) per request and would make the emulator the bottleneck at thousands.

Goals live in the report, never in timed tests. Raw figures go to reports/benchmark.json.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components import stack_files  # noqa: E402
from nexusctl.engine import environment  # noqa: E402
from scripts.bench_report import machine, render  # noqa: E402
from tests.harness import EmulatorProcess, Workspace, engine_env, pulumi_binary, temp_dir  # noqa: E402

PASSWORD = "Bench-Admin-Pw-1"
FLOOR = ROOT / "scripts" / "floor"
# Share of N per kind; repositories take the rest.
MIX = {"blobStores": 0.05, "contentSelectors": 0.05, "privileges": 0.10, "roles": 0.10, "users": 0.20}
TIMEOUT = 3600
NOTES = "<!-- notes: kept when the figures above are regenerated -->"


# --- the stack ---------------------------------------------------------------------------------
def stack_objects(n: int) -> dict[str, Any]:
    """N objects of mixed kinds, as stack config lists."""
    count = {kind: max(1, int(n * share)) for kind, share in MIX.items()}
    repos = n - sum(count.values())
    groups = max(1, repos // 10)
    proxies = max(1, repos // 10)
    hosted = repos - groups - proxies
    stores = [{"name": f"store-{i:04d}", "type": "file"} for i in range(count["blobStores"])]
    repositories = [{"name": f"team-{i:04d}", "type": "hosted", "protect": False,
                     "blobStore": stores[i % len(stores)]["name"]} for i in range(hosted)]
    repositories += [{"name": f"mirror-{i:04d}", "type": "proxy", "remoteUrl": f"https://registry-{i}.example.org",
                      "indexType": "REGISTRY", "cleanupPolicies": ["bench-unused-30d"]} for i in range(proxies)]
    repositories += [{"name": f"group-{i:04d}", "type": "group",
                      "members": [f"team-{j:04d}" for j in range(i * 5, i * 5 + 5) if j < hosted] or ["team-0000"]}
                     for i in range(groups)]
    selectors = [{"name": f"selector-{i:04d}", "expression": f'format == "docker" and path =^ "/v2/team-{i}/"'}
                 for i in range(count["contentSelectors"])]
    privileges = [{"name": f"pull-{i:04d}", "type": "repository-view", "format": "docker",
                   "repository": f"team-{i % hosted:04d}", "actions": ["READ", "BROWSE"]}
                  for i in range(count["privileges"])]
    roles = [{"id": f"role-{i:04d}", "description": f"pulls from team-{i % hosted:04d}",
              "privileges": [f"pull-{i % len(privileges):04d}"]} for i in range(count["roles"])]
    users = [{"userId": f"robot-{i:04d}", "emailAddress": f"robot-{i:04d}@example.org",
              "roles": [f"role-{i % len(roles):04d}"]} for i in range(count["users"])]
    return {"blobStores": stores, "repositories": repositories,
            "cleanupPolicies": [{"name": "bench-unused-30d", "format": "docker", "lastDownloadedDays": 30}],
            "security": {"contentSelectors": selectors, "privileges": privileges, "roles": roles, "users": users}}


def change_ten(values: dict[str, Any]) -> dict[str, Any]:
    """The same stack with 10 objects changed: 4 hosted repositories, 2 roles, 2 users, 2 selectors."""
    changed = copy.deepcopy(values)
    hosted = [r for r in changed["repositories"] if r["type"] == "hosted"]
    for repo in hosted[:4]:
        repo["writePolicy"] = "ALLOW_ONCE"
    security = changed["security"]
    for role in security["roles"][:2]:
        role["description"] = "changed by the benchmark"
    for user in security["users"][:2]:
        user["lastName"] = "Changed"
    for selector in security["contentSelectors"][:2]:
        selector["description"] = "changed by the benchmark"
    return changed


def user_passwords(values: dict[str, Any]) -> dict[str, str]:
    return {f"security.passwords.{u['userId']}": f"Pw-{u['userId']}-1" for u in values["security"]["users"]}


def write_side_files(ws: Workspace, values: dict[str, Any]) -> None:
    folder = ws.root / "stacks" / ws.stack
    for old in folder.glob("*.yaml") if folder.exists() else []:
        old.unlink()
    _, files = stack_files.split(values, min_entries=1)
    stack_files.write(folder, files)


def floor_objects(values: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    security = values["security"]
    return ([("store", o) for o in values["blobStores"]] + [("repo", o) for o in values["repositories"]]
            + [("policy", o) for o in values["cleanupPolicies"]]
            + [("selector", o) for o in security["contentSelectors"]]
            + [("privilege", o) for o in security["privileges"]] + [("role", o) for o in security["roles"]]
            + [("user", o) for o in security["users"]])


class BenchEmulator(EmulatorProcess):
    """The emulator without its per-request full-state save (scripts/bench_emulator.py)."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.log_file = data_dir.parent / "emulator.log"
        self._log = open(self.log_file, "w")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "bench_emulator.py"), "--port", "0",
                                      "--data-dir", str(data_dir), "--admin-password", PASSWORD],
                                     cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log, text=True)
        assert self.proc.stdout is not None
        found = re.search(r"(https?://[\d.]+:\d+)", self.proc.stdout.readline())
        if not found:
            self.proc.kill()
            raise RuntimeError(f"emulator did not start: {self.log_file.read_text()}")
        self.url = found.group(1)
        self.http = requests.Session()
        self.password = PASSWORD


# --- measuring -----------------------------------------------------------------------------------
@dataclass
class Figure:
    seconds: float
    peak_mib: float
    http_calls: int = 0
    emulator_cpu: float = 0.0
    cpu: float = 0.0  # CPU seconds of the whole pulumi process tree
    by_process: dict[str, float] = field(default_factory=dict)  # peak MiB per program in the tree
    code: int = 0
    output: str = field(default="", repr=False)


def _tree_rss_kib(root: int) -> tuple[int, dict[str, int]]:
    """Total RSS of `root` and its descendants, and RSS per program name."""
    children: dict[int, list[int]] = {}
    rss: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        children.setdefault(int(fields.get("PPid", "0").strip() or 0), []).append(pid)
        rss[pid] = (_program(pid, fields.get("Name", "").strip()),
                    int(fields["VmRSS"].split()[0]) if "VmRSS" in fields else 0)
    total, by_name, pending = 0, {}, [root]
    while pending:
        pid = pending.pop()
        name, kib = rss.get(pid, ("", 0))
        total += kib
        by_name[name] = by_name.get(name, 0) + kib
        pending.extend(children.get(pid, []))
    return total, by_name


def _program(pid: int, name: str) -> str:
    """A readable name: which Python program a python process runs."""
    if not name.startswith("python"):
        return name
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return name
    for marker, label in (("pulumi.dynamic", "python: dynamic providers"), ("language-python-exec", "python: program"),
                          ("policy", "python: policy pack")):
        if any(marker in a for a in args):
            return label
    return "python: other"


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(ws: Workspace, args: list[str], emulator: Optional[EmulatorProcess] = None) -> Figure:
    """One pulumi command: wall time, peak RSS of its process tree, HTTP calls, emulator CPU."""
    if emulator is not None:
        emulator.clear_log()
        emulator_before = _cpu_seconds(emulator.proc.pid)
    cmd = [pulumi_binary(), *args, "--stack", ws.stack, "--non-interactive", "--color", "never"]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ws.root, env=ws.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]
    by_process: dict[str, int] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total, by_name = _tree_rss_kib(proc.pid)
            peak[0] = max(peak[0], total)
            for name, kib in by_name.items():
                by_process[name] = max(by_process.get(name, 0), kib)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate(timeout=TIMEOUT)
    seconds = time.monotonic() - started
    done.set()
    sampler.join()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    figure = Figure(seconds, peak[0] / 1024, cpu=cpu, code=proc.returncode, output=output,
                    by_process={name: round(kib / 1024) for name, kib in sorted(by_process.items(), key=lambda i: -i[1])})
    if emulator is not None:
        figure.http_calls = len([r for r in emulator.requests() if r["path"].startswith("/service/")])
        figure.emulator_cpu = _cpu_seconds(emulator.proc.pid) - emulator_before
    return figure


def checked(name: str, figure: Figure) -> Figure:
    if figure.code != 0:
        raise SystemExit(f"{name} failed ({figure.code}):\n{figure.output[-4000:]}")
    return figure


def project_env(backend: Path, checkpoints: bool) -> dict[str, str]:
    """What nexusctl runs pulumi with (or, with checkpoints, what a plain `pulumi up` does)."""
    env = environment(None, backend=backend, base=engine_env(backend))
    if checkpoints:
        env.pop("PULUMI_SKIP_CHECKPOINTS", None)
    return env


UP = ["up", "--yes", "--skip-preview"]


def project_run(n: int, checkpoints: bool = False) -> dict[str, Figure]:
    base = temp_dir("nexus-bench-")
    emulator = BenchEmulator(base / "data")
    try:
        ws = Workspace.create(base)
        ws.env = project_env(base / "state", checkpoints)
        (ws.root / "policy").symlink_to(ROOT / "policy")
        values = stack_objects(n)
        write_side_files(ws, values)
        ws.configure({"nexus": {"url": str(emulator.url)}}, {"adminPassword": PASSWORD, **user_passwords(values)})
        figures = {"first up": checked("first up", measure(ws, UP, emulator))}
        if checkpoints:
            return figures
        created = re.search(r"\+ (\d+) created", figures["first up"].output)
        figures["resources"] = Figure(0, 0, http_calls=int(created.group(1)) if created else 0)
        figures["no-op preview"] = checked("no-op preview", measure(ws, ["preview", "--expect-no-changes"], emulator))
        figures["drift check"] = checked("drift check", measure(
            ws, ["refresh", "--preview-only", "--expect-no-changes"], emulator))
        write_side_files(ws, change_ten(values))
        figures["up changing 10"] = checked("up changing 10", measure(ws, UP, emulator))
        figures["no-op preview, policy pack"] = checked("policy pack", measure(
            ws, ["preview", "--expect-no-changes", "--policy-pack", "policy"], emulator))
        ws.env["NEXUS_RAC_SDK_UNTRIMMED"] = "1"  # before components/sdk_overhead.py
        figures["no-op preview, SDK untrimmed"] = checked("untrimmed", measure(
            ws, ["preview", "--expect-no-changes"], emulator))
        return figures
    finally:
        emulator.stop()


def floor_run(n: int, checkpoints: bool = False) -> dict[str, Figure]:
    base = temp_dir("nexus-floor-")
    root = base / "project"
    root.mkdir()
    for name in ("Pulumi.yaml", "__main__.py", "floor_provider.py"):
        (root / name).symlink_to(FLOOR / name)
    (root / ".venv").symlink_to(ROOT / ".venv")
    (base / "state").mkdir()
    ws = Workspace(root, "floor", project_env(base / "state", checkpoints))
    ws.pulumi("stack", "init", "floor", check=True)
    values = stack_objects(n)
    (root / "objects.json").write_text(json.dumps(floor_objects(values)))
    figures = {"first up": checked("floor first up", measure(ws, UP))}
    if checkpoints:
        return figures
    figures["no-op preview"] = checked("floor preview", measure(ws, ["preview", "--expect-no-changes"]))
    figures["drift check"] = checked("floor drift", measure(ws, ["refresh", "--preview-only", "--expect-no-changes"]))
    (root / "objects.json").write_text(json.dumps(floor_objects(change_ten(values))))
    figures["up changing 10"] = checked("floor up 10", measure(ws, UP))
    return figures


def median(runs: list[dict[str, Figure]]) -> dict[str, Figure]:
    out = {}
    for name in runs[0]:
        if name == "resources":
            out[name] = runs[0][name]
            continue
        figures = [r[name] for r in runs]
        out[name] = Figure(statistics.median(f.seconds for f in figures), max(f.peak_mib for f in figures),
                           figures[0].http_calls, statistics.median(f.emulator_cpu for f in figures),
                           statistics.median(f.cpu for f in figures), figures[0].by_process)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50,200,500,2000,5000", help="object counts, comma-separated")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--checkpointed-up-max", type=int, default=500,
                        help="largest N for the first up with per-step checkpoints (quadratic: slow)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "benchmark.md")
    args = parser.parse_args()
    report: dict[str, Any] = {"sizes": {}}
    for n in (int(s) for s in args.sizes.split(",")):
        project = median([project_run(n) for _ in range(args.runs)])
        floor = median([floor_run(n) for _ in range(args.runs)])
        entry: dict[str, Any] = {"resources": project.pop("resources").http_calls, "project": {k: vars(v) for k, v in project.items()},
                                 "floor": {k: vars(v) for k, v in floor.items()}}
        if n <= args.checkpointed_up_max:
            entry["checkpointed"] = {"project": vars(median([project_run(n, True) for _ in range(args.runs)])["first up"]),
                                     "floor": vars(median([floor_run(n, True) for _ in range(args.runs)])["first up"])}
        report["sizes"][str(n)] = entry
        print(f"N={n}: " + json.dumps({k: [round(v.seconds, 1), round(v.peak_mib), v.http_calls]
                                       for k, v in project.items()})
              + " floor " + json.dumps({k: round(v.seconds, 1) for k, v in floor.items()}), flush=True)
    report["machine"] = machine()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    notes = ""  # the hand-written findings below the figures survive a re-run
    if args.out.exists() and NOTES in args.out.read_text():
        notes = args.out.read_text()[args.out.read_text().index(NOTES):]
    args.out.write_text(render(report, args.runs) + ("\n" + notes if notes else ""))
    raw = ROOT / "reports" / "benchmark.json"
    raw.parent.mkdir(exist_ok=True)
    raw.write_text(json.dumps(report, indent=2))
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
