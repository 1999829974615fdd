"""`nexusctl drift <stack>`: has anyone changed Nexus behind the stack's back?

Runs `pulumi refresh --preview-only --expect-no-changes --diff`: every provider reads its object
from Nexus and nothing is written, neither to Nexus nor to the state. A refresh preview does not
run the program, so it is about three times faster than `pulumi preview --refresh`, and it
compares the server with the *last deployment* (not with a config change waiting in a branch).

The field-level changes are read from the engine's `--diff` text. Its `--json` form would be the
natural source, but for a refresh preview this CLI (v3.259) puts the *recorded* state in both
`oldState` and `newState` of every step, so it names no field; the text diff is complete, the CLI
is pinned (tools/pulumi-cli/go.mod), and tests/test_drift.py holds the parser to its format.
Secrets stay masked: the engine prints `[secret]`, and fields named like secrets are masked here
as well.

Before the refresh, the state is read and the Nexus it was deployed to is probed (`GET
/service/rest/v1/status`, one call): an unreachable Nexus is always "could not check", never "no
drift", and a stack whose state holds no Nexus object (never deployed, or its first `up` failed
after the TLS material) says so instead of reporting the few resources it has as matching.

The summary says what the project's own `up` will do about each object: `make up` (and
`nexusctl pulumi <stack> up`) compare with the server first (`--refresh`), so they put back what
was changed or deleted behind the stack's back; a plain `pulumi up` without `--refresh` compares
with the last deployment only and changes nothing.

Output: the summary on stdout; with `--format json` the JSON report alone on stdout and the
summary on stderr (nexusctl/report.py). Exit codes: 0 no drift; 3 drift found; 1 the check could
not run (stack missing, Nexus unreachable, no Nexus objects in the state, engine error);
2 usage error.
"""
from __future__ import annotations

import argparse
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Optional

from components.client import Connection, NexusClient, NexusError
from components.kinds import KINDS
from components.resource import type_token

from . import engine, report
from .engine import StackError, select_stack
from .fields import MASK, is_secret_path, show

EXIT_CLEAN, EXIT_ERROR, EXIT_DRIFT = 0, 1, 3
EXPECTED_CHANGES_ERROR = "no changes were expected for refresh but changes were proposed"
PROVIDER_TYPE = "pulumi:providers:pulumi-python"
# The Nexus objects' resource types (not the bootstrap, the TLS material or the deployment check).
OBJECT_TYPES = frozenset(type_token(r.provider_class.resource_type) for k in KINDS for r in k.resource_types)
MAX_ERRORS = 5

# `    ~ pulumi-python:dynamic/nexus:DockerHostedRepository: (update) 🔒`, indented one level more per
# parent (the NexusRegistry component's children are one level below the stack)
_HEADER = re.compile(r"^(?P<indent>(?:  )+)(?P<mark>\S{1,2}) (?P<type>[\w.\-]+:[\w.\-/]*:[\w.\-]+): "
                     r"\((?P<op>[^)]*)\)")
_URN = re.compile(r"^\s+\[urn=(?P<urn>[^\]]+)\]")
# `      ~ online   : true => false`, `        name : "x"`, `          ~ [2]: "a" => "b"`
_PROPERTY = re.compile(r"^(?P<indent> *)(?:(?P<mark>[~+-]) )?(?P<key>\[\d+\]|[^\s:\[\]{}][^:]*?)\s*: (?P<value>.*)$")
_CLOSER = re.compile(r"^(?P<indent> *)[\]}]\s*$")
_ERROR = re.compile(r"^\s*error: (?P<message>.+)$")
_COUNT = re.compile(r"(?P<count>\d+) (?:unchanged|to \w+)")


@dataclass
class FieldChange:
    path: str
    state: Any  # what the last deployment recorded (None: absent)
    server: Any  # what Nexus answers now (None: absent)


@dataclass
class ObjectDrift:
    urn: str
    type: str  # e.g. DockerHostedRepository
    name: str
    change: str  # "changed" | "deleted"
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class Report:
    stack: str
    status: str  # "clean" | "drift" | "error" (could not check) | "empty" (no Nexus objects in the state)
    checked: int = 0  # resources compared (Nexus objects, and TLS material or a container when managed)
    drift: list[ObjectDrift] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def analyse(stack: str, code: int, stdout: str, stderr: str) -> Report:
    """The report for one `refresh --preview-only --expect-no-changes --diff` run."""
    report = Report(stack, "clean", checked=_checked(stdout))
    report.drift = parse_diff(stdout)
    messages = [m.group("message").strip() for line in (stderr + "\n" + stdout).splitlines()
                if (m := _ERROR.match(line)) and EXPECTED_CHANGES_ERROR not in line]
    report.errors = list(dict.fromkeys(messages))  # each provider repeats a shared failure
    if report.errors:
        report.status = "error"
    elif report.drift:
        report.status = "drift"
    elif code != 0:
        report.status = "error"
        report.errors.append(f"pulumi exited {code} without naming a change or an error:\n{stdout}{stderr}")
    return report


def parse_diff(text: str) -> list[ObjectDrift]:
    """Every resource block of the engine's diff, with its changed fields as leaf paths."""
    found: list[ObjectDrift] = []
    current: Optional[ObjectDrift] = None
    containers: list[tuple[int, str, bool]] = []  # (column, path, whole container added/removed)
    body = "      "  # a property line of the current block starts with this
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            body = header.group("indent") + "  "
            kind = header.group("type").rsplit(":", 1)[-1]
            current = ObjectDrift("", kind, "", "deleted" if header.group("op") == "delete" else "changed")
            found.append(current)
            containers = []
            continue
        if current is None:
            continue
        urn = _URN.match(line)
        if urn:
            current.urn, current.name = urn.group("urn"), urn.group("urn").rsplit("::", 1)[-1]
            continue
        if not line.startswith(body) or current.change == "deleted":
            if not line.startswith(" "):
                current = None  # the block ended (e.g. "Resources:")
            continue
        closer = _CLOSER.match(line)
        if closer:
            column = len(closer.group("indent"))
            containers = [c for c in containers if c[0] < column]
            continue
        prop = _PROPERTY.match(line)
        if not prop:
            continue
        mark = prop.group("mark")
        column = len(prop.group("indent")) + (2 if mark else 0)
        containers = [c for c in containers if c[0] < column]
        if containers and containers[-1][2]:
            continue  # inside a container that was added or removed as a whole
        parent = containers[-1][1] if containers else ""
        key = prop.group("key")
        path = f"{parent}{key}" if key.startswith("[") or not parent else f"{parent}.{key}"
        value = prop.group("value").strip()
        if value in ("{", "["):
            containers.append((column, path, mark in ("+", "-")))
            if mark in ("+", "-"):
                whole = "{…}" if value == "{" else "[…]"
                current.fields.append(FieldChange(path, whole if mark == "-" else None,
                                                  whole if mark == "+" else None))
            continue
        if mark == "~":
            old, _, new = value.partition(" => ")
            current.fields.append(_masked(FieldChange(path, _value(old), _value(new))))
        elif mark in ("+", "-"):
            current.fields.append(_masked(FieldChange(path, _value(value) if mark == "-" else None,
                                                      _value(value) if mark == "+" else None)))
    return [d for d in found if d.change == "deleted" or d.fields]


def _value(text: str) -> Any:
    """An engine-printed value as data where it is JSON ("x", 5, true), else as printed."""
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()


def _masked(change: FieldChange) -> FieldChange:
    if is_secret_path(change.path):
        change.state = None if change.state is None else MASK
        change.server = None if change.server is None else MASK
    return change


def _checked(stdout: str) -> int:
    """Resources compared: the engine's counts, less the stack itself."""
    _, _, tail = stdout.rpartition("Resources:")
    total = sum(int(m.group("count")) for m in _COUNT.finditer(tail))
    return max(total - 1, 0)


def summary(report: Report) -> str:
    if report.status in ("error", "empty"):
        lines = [f"Drift check of stack '{report.stack}' failed, so drift is unknown:"]
        lines += [f"  {e}" for e in report.errors[:MAX_ERRORS]]
        if len(report.errors) > MAX_ERRORS:
            lines.append(f"  … and {len(report.errors) - MAX_ERRORS} more (all in the JSON report)")
        lines.append("Fix the cause above and run the check again.")
        return "\n".join(lines)
    if report.status == "clean":
        return (f"No drift in stack '{report.stack}': all {report.checked} resources match the last "
                "deployment.")
    up = f"make up STACK={report.stack}"
    lines = [f"Drift in stack '{report.stack}': {len(report.drift)} of {report.checked} resources differ "
             "from the last deployment (state → server):"]
    for item in report.drift:
        if item.change == "deleted":
            lines.append(f"  {item.type} {item.name}: deleted on the server; `{up}` creates it again")
            continue
        lines.append(f"  {item.type} {item.name}: changed on the server; `{up}` sets it to the config again")
        lines += [f"      {c.path}: {show(c.state)} → {show(c.server)}" for c in item.fields]
    lines += [f"`{up}` (or `python -m nexusctl pulumi {report.stack} up --yes`) reads the server first "
              "(--refresh), so it undoes all of the above; a plain `pulumi up` without --refresh would change "
              "nothing.",
              f"To keep a change instead, put it in the config (stacks/Pulumi.{report.stack}.yaml) first."]
    return "\n".join(lines)


def check(stack: str, env: Mapping[str, str]) -> Report:
    """Reads the state, probes the Nexus it was deployed to, then runs the refresh preview and
    reads its verdict."""
    select_stack(stack, env)
    state = engine.export_state(stack, env)
    objects = nexus_objects(state)
    errors = [problem] if (problem := unreachable(stack, env, state)) else []
    if not objects:
        errors.append(f"stack '{stack}' has no Nexus objects in its state, so there is nothing to compare: it was "
                      f"never deployed, or its first `up` failed before creating any (run `make up STACK={stack}`), "
                      "or its state is in another backend (PULUMI_BACKEND_URL)")
    if errors:
        return Report(stack, "empty" if len(errors) == 1 and not objects else "error", errors=errors)
    done = engine.run(["refresh", "--preview-only", "--expect-no-changes", "--diff", "--color", "never"],
                      stack=stack, env=env, capture=True)
    return analyse(stack, done.returncode, done.stdout, done.stderr)


def nexus_objects(state: Mapping[str, Any]) -> list[str]:
    """URNs of the Nexus objects a deployment recorded (not the TLS material, the container, the
    bootstrap or the deployment check, which a stack whose first `up` failed may hold alone)."""
    resources = (state.get("deployment") or {}).get("resources") or []
    return [r["urn"] for r in resources if r.get("type") in OBJECT_TYPES]


def recorded_nexus(state: Mapping[str, Any]) -> Optional[dict[str, Any]]:
    """The `nexus` settings of the last deployment, which a refresh without the program uses
    (the engine configures the providers from the state): the server the check compares."""
    for resource in (state.get("deployment") or {}).get("resources") or []:
        if resource.get("type") != PROVIDER_TYPE:
            continue
        # `<project>:nexus` of the stack config (the default provider), or the `nexus-registry:nexus`
        # of a NexusRegistry component's own provider (components/registry.py) in a team's project.
        for key, value in (resource.get("inputs") or {}).items():
            if key.endswith(":nexus") and isinstance(value, str):  # a secret is a ciphertext object
                return json.loads(value)
    return None


def unreachable(stack: str, env: Mapping[str, str], state: Mapping[str, Any]) -> Optional[str]:
    """Why the Nexus the check would read cannot be reached, after one unauthenticated status
    call (the recorded server; the config's when nothing was deployed yet), or None."""
    try:
        nexus = recorded_nexus(state) or engine.stack_values(stack, env)["nexus"]
    except StackError as exc:
        return str(exc)
    if not isinstance(nexus, Mapping) or not nexus.get("url"):
        return f"stack '{stack}' has no nexus.url: pulumi config set --path nexus.url http://host:8081 --stack {stack}"
    try:
        NexusClient(Connection.from_settings(nexus, None)).server()
    except NexusError as err:
        return f"Nexus at {nexus['url']} cannot be checked: {err.message}"
    return None


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "drift", help="compare Nexus with the stack's last deployment (exit 0 clean, 3 drift, 1 error)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack")
    report.add_options(parser)
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    out = report.Reporter(args)
    env = engine.environment(args.stack)
    try:
        result = check(args.stack, env)
    except StackError as exc:
        result = Report(args.stack, "error", errors=[str(exc)])
    text = summary(result)
    if result.status in ("error", "empty"):
        out.problem(text)
    else:
        out.say(text)
    out.report(asdict(result))
    return {"clean": EXIT_CLEAN, "drift": EXIT_DRIFT}.get(result.status, EXIT_ERROR)
