"""`nexusctl unmanaged <stack>`: what exists in Nexus that the stack does not declare.

Compares a live Nexus (read as `nexusctl adopt` reads it) with the stack's config, presets
expanded: default repositories (maven-central, nuget-group, ...), repositories, blob stores,
cleanup policies, routing rules, content selectors, privileges, roles, users and LDAP servers
made by hand. Built-ins are never listed (the default blob store, read-only roles and
privileges, admin, an untouched anonymous user). Scheduled tasks and capabilities are not read.
What the stack's `unmanaged.ignore` list matches (names, glob patterns, formats, types, per
kind) belongs to someone else: never listed, adopted or deleted, so a shared Nexus can report
clean.

Nothing changes unless asked:
  --adopt           append every object this project can manage to the stack config with
                    `adopt: true` (through `pulumi config set`, so comments and secrets in the
                    stack file stay); the next `pulumi up` takes them over unchanged.
  --delete [--yes]  delete the unmanaged objects that hold no data. Hosted repositories (of
                    any format) and blob stores hold artifacts: they are deleted only when
                    named, one by one: `--delete NAME` (repeat it; `KIND:NAME`, e.g.
                    `blobStore:legacy`, when a name is taken by two kinds). `--delete NAME`
                    alone deletes only what is named. Without --yes it shows what it would
                    delete. Objects the stack's own config refers to are kept, and Nexus refuses
                    to delete what is still in use (a blob store with repositories); both are
                    reported.

Output: the list on stdout; with `--format json` the JSON report alone on stdout and the list on
stderr (nexusctl/report.py). Exit codes: 0 nothing unmanaged (after --adopt/--delete: nothing
left); 3 unmanaged objects exist (listed); 1 the check failed (stack or Nexus unreachable);
2 usage error (--yes without --delete, a name to delete that is not unmanaged).
"""
from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

from components.client import NexusClient, NexusError
from components.config import expanded_values
from components.kinds import KINDS as TABLE
from components.problems import format_path
from components.stack_config import StackConfig

from . import engine, report
from .engine import StackError, project_name
from .inventory import SECTIONS, Found, read_inventory

EXIT_NONE, EXIT_ERROR, EXIT_USAGE, EXIT_UNMANAGED = 0, 1, 2, 3
LISTED = tuple(k for k in TABLE if k.slug)  # the kinds this command reports
# Deletion order: what refers to others goes first (users → roles → privileges → selectors;
# group repositories → other repositories → rules, policies, blob stores): the table's, reversed.
DELETE_ORDER = tuple(k.name for k in reversed(LISTED))
_AMBIGUOUS = re.compile(r"^(true|false|-?\d+(\.\d+)?)$", re.IGNORECASE)
# The config's (and --delete KIND:NAME's) spelling of each kind of object.
KINDS = {k.slug: k.name for k in LISTED}
SLUGS = {kind: slug for slug, kind in KINDS.items()}
ALL = "*all*"  # `--delete` without a name


def declared(values: Mapping[str, Any]) -> set[tuple[tuple[str, ...], str]]:
    """(section, lower-cased name) of everything the expanded config declares, built-ins included."""
    keys = set()
    for kind in LISTED:
        keys |= {(kind.config_path, name) for name in kind.built_in}
        keys |= {(kind.config_path, str(item.get(kind.id_key, "")).lower()) for item in _get(values, kind.config_path)}
    return keys


def referenced(values: Mapping[str, Any]) -> dict[tuple[tuple[str, ...], str], str]:
    """Objects the config refers to by name (whether it declares them or not) -> who refers."""
    refs: dict[tuple[tuple[str, ...], str], str] = {}
    proxy = values.get("reverseProxy") or {}
    found = [reference for kind in TABLE for reference in kind.references(values)]
    found += [(("repositories",), proxy.get(key), "reverseProxy") for key in ("pullRepository", "pushRepository")]
    for section, name, by in found:
        if name:
            refs.setdefault((section, str(name).lower()), by)
    return refs


def _get(values: Mapping[str, Any], section: Sequence[str]) -> list[Mapping[str, Any]]:
    node: Any = values
    for part in section:
        node = (node or {}).get(part) if isinstance(node, Mapping) else None
    return list(node or [])


# --- --adopt ------------------------------------------------------------------------------------
def leaves(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, scalar) pairs of a config entry, for `pulumi config set --path`. Empty lists and
    maps are skipped: in a generated entry they are always the defaults."""
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from leaves(child, (*path, index))
    else:
        yield path, value


def adopt_into_stack(stack: str, env: Mapping[str, str], raw: Mapping[str, Any], found: Sequence[Found]) -> list[str]:
    """Appends the entries to the stack config with `adopt: true`; returns the secret paths to
    set. One `pulumi config set-all --path` writes them (keeping the file's comments and
    secrets); strings that look like numbers or booleans get their own typed `config set`."""
    namespace = project_name()
    plain: list[str] = []
    typed: list[tuple[str, str]] = []
    secrets: list[str] = []
    next_index = {section: len(_get(raw, section)) for section in SECTIONS}
    for obj in found:
        assert obj.item is not None
        index = next_index[obj.section]
        next_index[obj.section] += 1
        entry = {**obj.item, "adopt": True}
        for path, value in leaves(entry, (*obj.section, index)):
            key = f"{namespace}:{format_path(path)}"
            if isinstance(value, bool):
                plain.append(f"{key}={str(value).lower()}")
            elif isinstance(value, str) and _AMBIGUOUS.match(value):
                typed.append((key, value))
            else:
                plain.append(f"{key}={value}")
        secrets += [format_path((*obj.section, index, *p.split("."))) for p, _ in obj.secrets]
    if plain:
        _pulumi(["config", "set-all", "--stack", stack, "--path",
                 *[a for pair in plain for a in ("--plaintext", pair)]], env)
    for key, value in typed:
        _pulumi(["config", "set", "--stack", stack, "--path", "--type", "string", key, "--", value], env)
    return secrets


def _pulumi(args: list[str], env: Mapping[str, str]) -> None:
    done = engine.run(args, env=env, capture=True)
    if done.returncode != 0:
        raise StackError(f"pulumi {' '.join(args[:2])} failed: {done.stderr.strip()}")



# --- unmanaged.ignore ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Facets:
    """What an ignore rule and the delete guard look at beyond the name."""

    format: Optional[str] = None  # repositories and cleanup policies
    type: Optional[str] = None  # repositories: hosted | proxy | group


def facets_of(found: Sequence[Found]) -> dict[tuple[tuple[str, ...], str], Facets]:
    """Format and type of every repository and cleanup policy, also of those the inventory keeps
    no config entry for (`maven-releases` must still be known as a hosted repository)."""
    return {f.key: Facets(f.format, f.type) for f in found if f.format or f.type}


def ignored_by(rules: Sequence[Mapping[str, str]], obj: Found, facets: Facets) -> Optional[int]:
    """Index of the first `unmanaged.ignore` entry whose every field matches the object."""
    for index, rule in enumerate(rules):
        if "kind" in rule and KINDS[rule["kind"]] != obj.kind:
            continue
        if "name" in rule and not fnmatchcase(obj.name.lower(), rule["name"].lower()):
            continue
        if "format" in rule and not (facets.format and fnmatchcase(facets.format.lower(), rule["format"].lower())):
            continue
        if "type" in rule and facets.type != rule["type"]:
            continue
        return index
    return None


# --- --delete -----------------------------------------------------------------------------------
def deletion_order(found: Sequence[Found]) -> list[Found]:
    return sorted(found, key=lambda f: (DELETE_ORDER.index(f.kind), not f.group, f.name.lower()))


def named_objects(names: Sequence[str], found: Sequence[Found], ignored: Sequence[Found]) -> list[Found]:
    """The objects `--delete NAME` names, each exactly (`KIND:NAME` when two kinds share it).
    ValueError (a usage error, nothing deleted yet) for a name that is not unmanaged here."""
    chosen: list[Found] = []
    for given in names:
        slug, _, rest = given.partition(":")
        kind, name = (KINDS[slug], rest) if rest and slug in KINDS else (None, given)
        matches = [f for f in found if f.name == name and kind in (None, f.kind)]
        if len(matches) > 1:
            raise ValueError(f"--delete {given}: {len(matches)} objects are named so ("
                             + ", ".join(f.kind for f in matches) + "); say which one: "
                             + " or ".join(f"--delete {SLUGS[f.kind]}:{name}" for f in matches))
        if not matches:
            if any(f.name == name and kind in (None, f.kind) for f in ignored):
                raise ValueError(f"--delete {given}: it is ignored by the stack's unmanaged.ignore list; "
                                 "take it off the list first if it is really this stack's to delete")
            close = [f.name for f in found if f.name.lower() == name.lower()]
            raise ValueError(f"--delete {given}: no unmanaged object has this exact name"
                             + (f" (did you mean {close[0]}?)" if close else "")
                             + "; `nexusctl unmanaged <stack>` lists them")
        chosen.append(matches[0])
    return chosen


def delete(client: NexusClient, found: Sequence[Found], named: Sequence[Found], everything: bool,
           refs: Mapping[tuple[tuple[str, ...], str], str],
           yes: bool, say: Callable[[str], None]) -> tuple[list[Found], list[Found]]:
    """Deletes (or, without `yes`, lists) what was asked; returns (deleted, still on the server)."""
    deleted: list[Found] = []
    left: list[Found] = []
    for obj in deletion_order(found):
        is_named = any(obj is n for n in named)
        if not is_named and not everything:
            left.append(obj)
        elif not obj.delete_path:
            say(f"  keep   {obj.kind} {obj.name}: built in, it cannot be deleted")
            left.append(obj)
        elif obj.key in refs:
            say(f"  keep   {obj.kind} {obj.name}: the stack's config refers to it ({refs[obj.key]}); declare it "
                "(unmanaged --adopt) or remove the reference")
            left.append(obj)
        elif not is_named and obj.holds_data:  # blob stores, hosted repositories of any format
            say(f"  keep   {obj.kind} {obj.name}: it holds artifacts, so it is deleted only when named: "
                f"--delete {obj.name}")
            left.append(obj)
        elif not yes:
            say(f"  would delete {obj.kind} {obj.name}")
            left.append(obj)
        else:
            try:
                client.send("DELETE", obj.delete_path)
                say(f"  deleted {obj.kind} {obj.name}")
                deleted.append(obj)
            except NexusError as err:
                say(f"  FAILED {obj.kind} {obj.name}: {err.message}")
                left.append(obj)
    return deleted, left


# --- the command --------------------------------------------------------------------------------
def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "unmanaged", help="list Nexus objects the stack does not declare (exit 0 none, 3 some, 1 error)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--adopt", action="store_true", help="declare them in the stack config with adopt: true")
    action.add_argument("--delete", action="append", nargs="?", const=ALL, metavar="NAME",
                        help="delete those that hold no data; with NAME (repeatable, KIND:NAME when ambiguous) "
                             "only the named ones, hosted repositories and blob stores included (needs --yes)")
    parser.add_argument("--yes", action="store_true", help="really delete (with --delete)")
    report.add_options(parser)
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    out = report.Reporter(args)
    if args.yes and not args.delete:
        out.problem("unmanaged: --yes only goes with --delete")
        return EXIT_USAGE
    try:
        env, raw = engine.deployed_stack(args.stack)  # the admin password too
        expanded, _ = expanded_values(StackConfig(raw, stack=args.stack))
        client = NexusClient(engine.nexus_connection(args.stack, env, raw))
        inventory = read_inventory(client)
        facets = facets_of(inventory.objects)
    except StackError as exc:
        return out.failed(args.stack, f"unmanaged: {exc}", EXIT_ERROR)
    except NexusError as err:
        return out.failed(args.stack, f"unmanaged: cannot read Nexus for stack '{args.stack}': {err}", EXIT_ERROR)
    rules = (raw.get("unmanaged") or {}).get("ignore") or []
    known = declared(expanded)
    candidates = [f for f in inventory.objects if f.key not in known]
    ignored = [f for f in candidates if ignored_by(rules, f, facets.get(f.key, Facets())) is not None]
    found = [f for f in candidates if not any(f is i for i in ignored)]
    names = [n for n in args.delete or [] if n != ALL]
    try:
        named = named_objects(names, found, ignored)
    except ValueError as exc:
        out.problem(f"unmanaged: {exc}; nothing was deleted")
        return EXIT_USAGE
    _report(out, args.stack, found, ignored)
    left, deleted = found, []
    if args.adopt:
        adoptable = [f for f in found if f.item is not None]
        try:
            secrets = adopt_into_stack(args.stack, env, raw, adoptable)
        except StackError as exc:
            return out.failed(args.stack, f"unmanaged: {exc}", EXIT_ERROR)
        left = [f for f in found if f.item is None]
        if adoptable:
            out.say(f"\nDeclared {len(adoptable)} objects in stack '{args.stack}' with adopt: true; "
                    f"`make up STACK={args.stack}` takes them over unchanged.")
        for path in secrets:
            out.say(f"  first: pulumi config set --secret --path '{path}' --stack {args.stack}    # Nexus never "
                    "reveals it")
    elif args.delete:
        out.say(f"\n{'Deleting' if args.yes else 'Would delete (add --yes to do it)'}:")
        deleted, left = delete(client, found, named, ALL in args.delete, referenced(expanded), args.yes,
                               out.say)
    out.report({"stack": args.stack, "status": "unmanaged" if left else "none",
                "unmanaged": [_entry(f) for f in left], "deleted": [_entry(f) for f in deleted],
                "ignored": [_entry(f) for f in ignored]})
    return EXIT_UNMANAGED if left else EXIT_NONE


def _report(out: report.Reporter, stack: str, found: Sequence[Found], ignored: Sequence[Found]) -> None:
    also = f" ({len(ignored)} more ignored by unmanaged.ignore)" if ignored else ""
    if not found:
        out.say(f"Nothing unmanaged: stack '{stack}' declares every object on the server{also}.")
        return
    out.say(f"{len(found)} objects on the server are not declared in stack '{stack}'{also}:")
    for obj in sorted(found, key=lambda f: (SECTIONS.index(f.section), f.name.lower())):
        note = f"  ({obj.reason})" if obj.item is None else ""
        out.say(f"  {obj.kind:<16} {obj.name}{note}")


def _entry(found: Found) -> dict[str, Any]:
    return {"kind": found.kind, "name": found.name, "adoptable": found.item is not None,
            "reason": found.reason or None}
