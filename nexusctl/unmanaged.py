"""`nexusctl unmanaged <stack>`: what exists in Nexus that the stack does not declare.

Compares a live Nexus (read as `nexusctl adopt` reads it) with the stack's config, presets
expanded: default repositories (maven-central, nuget-group, ...), repositories, blob stores,
cleanup policies, routing rules, content selectors, privileges, roles, users and LDAP servers
made by hand. Built-ins are never listed (the default blob store, read-only roles and
privileges, admin, an untouched anonymous user). Scheduled tasks and capabilities are not read.

Nothing changes unless asked:
  --adopt         append every object this project can manage to the stack config with
                  `adopt: true` (through `pulumi config set`, so comments and secrets in the
                  stack file stay); the next `pulumi up` takes them over unchanged.
  --delete --yes  delete them from Nexus (without --yes: show what would be deleted). Objects
                  the stack's own config refers to are kept, and Nexus refuses to delete what
                  is still in use (a blob store with repositories); both are reported.

Exit codes: 0 nothing unmanaged (after --adopt/--delete: nothing left); 3 unmanaged objects
exist (listed); 1 the check failed (stack or Nexus unreachable); 2 usage error.
"""
from __future__ import annotations

import argparse
import re
import sys
from typing import Any, Iterator, Mapping, Sequence

from components.client import NexusClient, NexusError
from components.config import StackConfig, expanded_values, format_path

from . import engine
from .adopt import SECTIONS, Found, read_inventory
from .engine import StackError, project_name, write_report

EXIT_NONE, EXIT_ERROR, EXIT_USAGE, EXIT_UNMANAGED = 0, 1, 2, 3
# Deletion order: what refers to others goes first (users → roles → privileges → selectors;
# group repositories → other repositories → rules, policies, blob stores).
DELETE_ORDER = ("user", "role", "privilege", "content selector", "LDAP server", "repository", "routing rule",
                "cleanup policy", "blob store")
ID_KEYS = {("security", "roles"): "id", ("security", "users"): "userId"}
_AMBIGUOUS = re.compile(r"^(true|false|-?\d+(\.\d+)?)$", re.IGNORECASE)


def declared(values: Mapping[str, Any]) -> set[tuple[tuple[str, ...], str]]:
    """(section, lower-cased name) of everything the expanded config declares, built-ins included."""
    keys = {(("blobStores",), "default"), (("security", "users"), "admin"), (("security", "users"), "anonymous")}
    for section in SECTIONS:
        for item in _get(values, section):
            keys.add((section, str(item.get(ID_KEYS.get(section, "name"), "")).lower()))
    return keys


def referenced(values: Mapping[str, Any]) -> dict[tuple[tuple[str, ...], str], str]:
    """Objects the config refers to by name (whether it declares them or not) -> who refers."""
    refs: dict[tuple[tuple[str, ...], str], str] = {}

    def note(section: tuple[str, ...], name: Any, by: str) -> None:
        if name:
            refs.setdefault((section, str(name).lower()), by)

    for repo in values.get("repositories") or []:
        by = f"repository {repo['name']}"
        note(("blobStores",), repo.get("blobStore", "default"), by)
        note(("routingRules",), repo.get("routingRule"), by)
        for policy in repo.get("cleanupPolicies") or []:
            note(("cleanupPolicies",), policy, by)
        for member in repo.get("members") or []:
            note(("repositories",), member, by)
    proxy = values.get("reverseProxy") or {}
    for key in ("pullRepository", "pushRepository"):
        note(("repositories",), proxy.get(key), "reverseProxy")
    security = values.get("security") or {}
    for privilege in security.get("privileges") or []:
        by = f"privilege {privilege['name']}"
        note(("repositories",), privilege.get("repository"), by)
        note(("security", "contentSelectors"), privilege.get("contentSelector"), by)
    for role in security.get("roles") or []:
        for name in role.get("privileges") or []:
            note(("security", "privileges"), name, f"role {role['id']}")
        for name in role.get("roles") or []:
            note(("security", "roles"), name, f"role {role['id']}")
    for user in security.get("users") or []:
        for name in user.get("roles") or []:
            note(("security", "roles"), name, f"user {user['userId']}")
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


# --- --delete -----------------------------------------------------------------------------------
def deletion_order(found: Sequence[Found]) -> list[Found]:
    return sorted(found, key=lambda f: (DELETE_ORDER.index(f.kind), not f.group, f.name.lower()))


def delete(client: NexusClient, found: Sequence[Found], refs: Mapping[tuple[tuple[str, ...], str], str],
           yes: bool) -> list[Found]:
    """Deletes (or, without `yes`, lists) the objects; returns those still on the server."""
    left: list[Found] = []
    for obj in deletion_order(found):
        if not obj.delete_path:
            print(f"  keep   {obj.kind} {obj.name}: built in, it cannot be deleted")
            left.append(obj)
        elif obj.key in refs:
            print(f"  keep   {obj.kind} {obj.name}: the stack's config refers to it ({refs[obj.key]}); declare it "
                  "(unmanaged --adopt) or remove the reference")
            left.append(obj)
        elif not yes:
            print(f"  would delete {obj.kind} {obj.name}")
            left.append(obj)
        else:
            try:
                client.send("DELETE", obj.delete_path)
                print(f"  deleted {obj.kind} {obj.name}")
            except NexusError as err:
                print(f"  FAILED {obj.kind} {obj.name}: {err.message}")
                left.append(obj)
    return left


# --- the command --------------------------------------------------------------------------------
def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "unmanaged", help="list Nexus objects the stack does not declare (exit 0 none, 3 some, 1 error)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--adopt", action="store_true", help="declare them in the stack config with adopt: true")
    action.add_argument("--delete", action="store_true", help="delete them from Nexus (needs --yes)")
    parser.add_argument("--yes", action="store_true", help="really delete (with --delete)")
    parser.add_argument("--json", metavar="FILE", help="also write the list as JSON ('-' for stdout)")
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    if args.yes and not args.delete:
        print("unmanaged: --yes only goes with --delete", file=sys.stderr)
        return EXIT_USAGE
    try:
        env, raw = engine.deployed_stack(args.stack)  # the admin password too
        expanded, _ = expanded_values(StackConfig(raw, stack=args.stack))
        client = NexusClient(engine.nexus_connection(args.stack, env, raw))
        inventory = read_inventory(client)
    except StackError as exc:
        print(f"unmanaged: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except NexusError as err:
        print(f"unmanaged: cannot read Nexus for stack '{args.stack}': {err}", file=sys.stderr)
        return EXIT_ERROR
    known = declared(expanded)
    found = [f for f in inventory.objects if f.key not in known]
    _report(args.stack, found)
    left = found
    if args.adopt:
        adoptable = [f for f in found if f.item is not None]
        try:
            secrets = adopt_into_stack(args.stack, env, raw, adoptable)
        except StackError as exc:
            print(f"unmanaged: {exc}", file=sys.stderr)
            return EXIT_ERROR
        left = [f for f in found if f.item is None]
        if adoptable:
            print(f"\nDeclared {len(adoptable)} objects in stack '{args.stack}' with adopt: true; "
                  f"`pulumi up --stack {args.stack}` takes them over unchanged.")
        for path in secrets:
            print(f"  first: pulumi config set --secret --path '{path}' --stack {args.stack}    # Nexus never "
                  "reveals it")
    elif args.delete:
        print(f"\n{'Deleting' if args.yes else 'Would delete (add --yes to do it)'}:")
        left = delete(client, found, referenced(expanded), args.yes)
    if args.json:
        _write_json(args.json, args.stack, left)
    return EXIT_UNMANAGED if left else EXIT_NONE


def _report(stack: str, found: Sequence[Found]) -> None:
    if not found:
        print(f"Nothing unmanaged: stack '{stack}' declares every object on the server.")
        return
    print(f"{len(found)} objects on the server are not declared in stack '{stack}':")
    for obj in sorted(found, key=lambda f: (SECTIONS.index(f.section), f.name.lower())):
        note = f"  ({obj.reason})" if obj.item is None else ""
        print(f"  {obj.kind:<16} {obj.name}{note}")


def _write_json(target: str, stack: str, found: Sequence[Found]) -> None:
    write_report(target, {"stack": stack, "unmanaged": [
        {"kind": f.kind, "name": f.name, "adoptable": f.item is not None, "reason": f.reason or None}
        for f in found]})