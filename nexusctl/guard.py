"""`nexusctl pulumi [--create] <stack> <pulumi args>`: the project's own `up`, `preview` and
`destroy` (`make up|preview|destroy`, the CI workflows), with offline defaults and what they add
to plain Pulumi:

* Unknown stacks are refused: a mistyped `nexusctl pulumi acmee preview` would otherwise create
  a stack and a stack file and then fail on the empty config. A stack is known when it has a
  stack file (`stacks/Pulumi.<stack>.yaml`) or exists in the backend; `--create` makes a new one.
* They compare with the server by default (`--refresh --run-program`, Terraform's semantics):
  an object deleted or changed behind the stack's back, or a `nexus.url` pointed at a fresh
  server, is put back by the next `up` and shown by the next preview. A plain `pulumi up`
  compares with the last deployment only and would report "no changes". `--refresh=false`
  opts out.
* `up` and `destroy` preview first (`preview --json`, `destroy --preview-only --json`, with the
  same targets, refresh and policy packs) and stop before any write when the plan deletes or
  replaces a protected object (hosted repositories and blob stores hold artifacts), naming each
  and how to proceed. Plain Pulumi refuses a protected delete only when it reaches that step,
  after `--skip-preview` has applied the rest; `--ignore-protect` is refused the same way.
  A preview that fails for any other reason (config, policy pack, an unreachable Nexus) stops
  the command too, with the engine's own output.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Mapping, Optional, Sequence

from . import engine, recovery

EXIT_USAGE = 2
REFRESHING = ("up", "update", "preview")
GUARDED = ("up", "update", "destroy")
DELETING_OPS = frozenset({"delete", "replace", "delete-replaced", "create-replacement", "discard",
                          "discard-replaced"})
# Flags after which a destroy no longer deletes every resource of the stack.
WHOLE_STACK_LIMITS = frozenset({"--target", "-t", "--exclude", "-x", "--exclude-protected"})
# Flags that shape the plan, so the guard's preview gets them too; True: the value may follow as
# the next argument (`--refresh` takes one only as `--refresh=false`).
PLAN_FLAGS = {
    "up": {"--target": True, "-t": True, "--target-dependents": False, "--target-replace": True,
           "--replace": True, "--exclude": True, "--exclude-dependents": False, "--refresh": False,
           "-r": False, "--run-program": False, "--policy-pack": True, "--policy-pack-config": True,
           "--config-file": True, "--parallel": True, "-p": True, "--ignore-protect": False},
    "destroy": {"--target": True, "-t": True, "--target-dependents": False, "--exclude": True, "-x": True,
                "--exclude-protected": False, "--refresh": False, "-r": False, "--run-program": False,
                "--config-file": True, "--parallel": True, "-p": True, "--ignore-protect": False},
}


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "pulumi", help="run a pulumi command on a stack: offline defaults, refresh, protected-delete guard",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--create", action="store_true", help="create the stack when it does not exist yet")
    parser.add_argument("stack")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="pulumi arguments, e.g. preview --diff")
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    env = engine.environment(args.stack)
    try:
        engine.check_config_size(args.stack)
    except engine.StackError as exc:
        print(f"nexusctl pulumi: {exc}", file=sys.stderr)
        return engine.EXIT_ERROR
    recovery.recover(args.stack, engine.project_name(), env)
    problem = open_stack(args.stack, env, args.create)
    if problem:
        print(f"nexusctl pulumi: {problem}", file=sys.stderr)
        return EXIT_USAGE
    pulumi_args = with_refresh(args.args)
    if pulumi_args[:1] not in (["up"], ["update"]):
        refused = plan_refusal(args.stack, pulumi_args, env)
        if refused:
            print(refused, file=sys.stderr)
            return engine.EXIT_ERROR
        return engine.run(fast_apply(pulumi_args), stack=args.stack, env=env).returncode
    # An interrupted run's pending creates are the stack's own record of what it may have made:
    # the guard's preview and the apply both get it (components.interrupted).
    with engine.interrupted_creates_record(args.stack, env) as record_env:
        refused = plan_refusal(args.stack, pulumi_args, record_env)
        if refused:
            print(refused, file=sys.stderr)
            return engine.EXIT_ERROR
        code = engine.run(fast_apply(pulumi_args), stack=args.stack, env=record_env).returncode
    if code == 0:
        engine.clear_resolved_creates(args.stack, env)
    return code


def known_stacks(env: Mapping[str, str]) -> list[str]:
    """Stacks with a stack file here or a state in the backend."""
    files = {p.name[len("Pulumi."):-len(".yaml")] for p in (engine.ROOT / "stacks").glob("Pulumi.*.yaml")}
    listed = engine.run(["stack", "ls", "--json"], env=env, capture=True)
    backend = {s["name"].rsplit("/", 1)[-1] for s in json.loads(listed.stdout or "[]")} \
        if listed.returncode == 0 else set()
    return sorted(files | backend)


def open_stack(stack: str, env: Mapping[str, str], create: bool) -> Optional[str]:
    """Selects the stack, creating it in the backend when its stack file exists (a committed
    stack on a new backend) or `create` asks for it; otherwise says why not."""
    if engine.run(["stack", "select", stack], env=env, capture=True).returncode == 0:
        return None
    if not create and not (engine.ROOT / "stacks" / f"Pulumi.{stack}.yaml").exists():
        known = known_stacks(env)
        return (f"no stack '{stack}': there is no stacks/Pulumi.{stack}.yaml and the backend "
                f"{env.get('PULUMI_BACKEND_URL', '(default)')} has no such stack. Known stacks: "
                f"{', '.join(known) or 'none'}. To start a new one: python -m nexusctl pulumi --create {stack} "
                "preview (then set its config: README, \"Stacks\")")
    created = engine.run(["stack", "init", stack], env=env, capture=True)
    if created.returncode != 0:
        return f"cannot create stack '{stack}': {created.stderr.strip()}"
    return None


def with_refresh(args: Sequence[str]) -> list[str]:
    """`up` and `preview` compare with the server unless the caller said otherwise. The refresh
    runs the program (`--run-program`), so it reads the server the config names now: without it
    the engine refreshes with the provider settings of the last deployment, i.e. the old
    `nexus.url` when the stack was just pointed at a new server."""
    if not args or args[0] not in REFRESHING:
        return list(args)
    given = [a for a in args if _is_flag(a, "--refresh") or _is_flag(a, "-r")]
    if any(a.split("=", 1)[-1].lower() in ("false", "0") for a in given if "=" in a):
        return list(args)
    extra = ([] if given else ["--refresh"]) + ([] if "--run-program" in args else ["--run-program"])
    return [args[0], *extra, *args[1:]]


def plan_refusal(stack: str, args: Sequence[str], env: Mapping[str, str]) -> Optional[str]:
    """For `up` and `destroy`: the reason to stop before any write, or None to go ahead."""
    if not args or args[0] not in GUARDED:
        return None
    verb = "destroy" if args[0] == "destroy" else "up"
    preview = ["destroy", "--preview-only"] if verb == "destroy" else ["preview"]
    done = engine.run([*preview, "--json", *plan_flags(verb, args[1:])], stack=stack, env=env, capture=True)
    try:
        plan = json.loads(done.stdout)
    except ValueError:
        plan = {}
    protected = protected_deletes(plan)
    if verb == "destroy" and not any(a.split("=", 1)[0] in WHOLE_STACK_LIMITS for a in args):
        # A destroy preview stops at the first refused delete, so it names only some; all go.
        state = engine.export_state(stack, env)
        protected = list(dict.fromkeys(protected + [("delete", r["urn"]) for r in
                                                    (state.get("deployment") or {}).get("resources") or []
                                                    if r.get("protect")]))
    if protected:
        return refusal(stack, verb, protected)
    if done.returncode != 0 or not plan:
        # The JSON form names no policy violation and few causes: the engine's own words do.
        shown = engine.run([*preview, *plan_flags(verb, args[1:])], stack=stack, env=env, capture=True)
        return (f"{shown.stdout}{shown.stderr}".rstrip() + f"\n`{verb}` of stack '{stack}' stopped before any "
                f"change: its preview failed (exit {done.returncode}, above). Nothing was changed on Nexus or in "
                "the state.")
    return None


def plan_flags(verb: str, args: Sequence[str]) -> list[str]:
    """The caller's flags that shape the plan, for the guard's preview."""
    kept: list[str] = []
    flags = PLAN_FLAGS[verb]
    index = 0
    while index < len(args):
        arg = args[index]
        name = arg.split("=", 1)[0]
        if name in flags:
            kept.append(arg)
            if flags[name] and "=" not in arg and index + 1 < len(args):
                kept.append(args[index + 1])
                index += 1
        index += 1
    return kept


def protected_deletes(plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(op, urn) of every planned step that deletes or replaces a protected resource."""
    found = [(s["op"], s["urn"]) for s in plan.get("steps") or []
             if s.get("op") in DELETING_OPS and (s.get("oldState") or {}).get("protect")]
    return list(dict.fromkeys(found))


def refusal(stack: str, verb: str, protected: Sequence[tuple[str, str]]) -> str:
    action = "replace or delete" if any(op != "delete" for op, _ in protected) else "delete"
    count = f"{len(protected)} protected object{'s' if len(protected) != 1 else ''} that hold" \
        + ("s" if len(protected) == 1 else "")
    lines = [f"`{verb}` of stack '{stack}' stopped before any change: the plan would {action} {count} data:"]
    for op, urn in protected:
        kind, name = urn.rsplit("::", 2)[-2].rsplit(":", 1)[-1], urn.rsplit("::", 1)[-1]
        lines.append(f"  {kind} {name} ({op})")
    lines.append("Nothing was changed on Nexus or in the state.")
    if verb == "destroy":
        lines += ["To remove everything else and keep these (and their artifacts): "
                  f"python -m nexusctl pulumi {stack} destroy --yes --exclude-protected",
                  "To delete them too: set `protect: false` on each in stacks/Pulumi." + stack + ".yaml, run "
                  f"`make up STACK={stack}`, then `make destroy STACK={stack}`."]
    else:
        lines += [f"To keep them: put them back in stacks/Pulumi.{stack}.yaml (a replacement comes from a changed "
                  "name or blob store: undo that change).",
                  "To delete them on purpose (their artifacts are lost): set `protect: false` on each entry, run "
                  f"`make up STACK={stack}` (it changes nothing on Nexus), then remove the entries and run "
                  f"`make up STACK={stack}` again."]
    return "\n".join(lines)


def fast_apply(args: Sequence[str]) -> list[str]:
    """After the guard's preview, an approved `up`/`destroy` need not preview again."""
    approved = any(a in ("--yes", "-y") or _is_flag(a, "--yes") for a in args)
    if args and args[0] in GUARDED and approved and not any(a in ("--skip-preview", "-f") for a in args):
        return [args[0], "--skip-preview", *args[1:]]
    return list(args)


def _is_flag(arg: str, name: str) -> bool:
    return arg == name or arg.startswith(name + "=")
