"""`nexusctl adopt --url URL --stack NAME`: put a hand-made Nexus under this project, unchanged.

Reads every object this project manages from a live Nexus (blob stores, cleanup policies,
routing rules, repositories of every format, realms, anonymous access, content selectors, privileges,
roles, users, LDAP servers, scheduled tasks, webhooks; see nexusctl/inventory.py) and writes a
stack config file with `nexus.adopt: true`. The next `up` takes each object over through the
providers' adopt path without a single write, and `nexusctl drift` then reports nothing.

Each entry is the shortest config that normalizes back to exactly what the server answers, so
the file reads like a hand-written stack; every value is kept exactly (a soft quota that is no
whole number of MB is written in bytes). Left out, with the reason printed: repositories of a
format no release this program knows has, tasks on a Nexus that does not answer their schedule
and settings (before 3.94) and anything the config schema cannot express.
Built-ins are skipped silently (the default blob store, read-only roles and privileges, admin,
the tasks Nexus runs itself while their settings are untouched).

Secrets Nexus never answers are left out of the file and become steps to run before `up`
(printed, and listed at the top of the file, as command lines that run as printed from the
project root): the admin password, proxy authentication passwords, repository signing keys (apt,
yum, alpine, terraform), S3 secret keys, LDAP bind passwords and webhook secret keys. Until the required ones are set, config validation refuses
the stack before anything is sent to Nexus, naming the command to run. Users are adopted with
their current passwords (`adopt: true` on each); set `security.passwords.<user>` later to
manage one.

Exit codes: 0 the file was written; 1 nothing was written (Nexus unreachable, wrong
credentials, the file exists without --force); 2 usage error.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import yaml

from components.client import Connection, NexusClient, NexusError
from components.config import validate
from components.kinds import KINDS
from components.preflight import LiveFacts
from components.problems import ServerFacts, format_path
from components.stack_config import StackConfig

from . import engine
from .engine import project_name
from .inventory import Inventory, nest, read_inventory

EXIT_WRITTEN, EXIT_ERROR = 0, 1
DEFAULT_PASSWORD_ENV = "NEXUS_PASSWORD"


# --- the stack config ---------------------------------------------------------------------------
def stack_values(url: str, username: str, inventory: Inventory,
                 tls: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """The stack config (without namespace) that declares every manageable object; `tls` is the
    nexus.tls the command itself reached Nexus with."""
    nexus: dict[str, Any] = {"url": url.rstrip("/")}
    if username != "admin":
        nexus["username"] = username
    if tls:
        nexus["tls"] = dict(tls)
    nexus["adopt"] = True
    values: dict[str, Any] = {"nexus": nexus}
    for kind in KINDS:
        if kind.singleton:
            if kind.config_path in inventory.settings:
                nest(kind.config_path, inventory.settings[kind.config_path], values)
            continue
        entries = [f.item for f in inventory.objects if f.section == kind.config_path and f.item is not None]
        if entries:
            nest(kind.config_path, entries, values)
    return values


def secret_paths(inventory: Inventory) -> list[tuple[str, str]]:
    """(config path, what) of every secret to set before `pulumi up`."""
    found = []
    for section in [k.config_path for k in KINDS if not k.singleton]:
        adopted = [f for f in inventory.objects if f.section == section and f.item is not None]
        for index, obj in enumerate(adopted):
            for path, what in obj.secrets:
                found.append((format_path((*section, index, *path.split("."))), f"{what} of {obj.kind} '{obj.name}'"))
    for section, secrets in inventory.setting_secrets.items():  # one-per-server settings (email, http, ...)
        found += [(format_path((*section, *path.split("."))), what) for path, what in secrets]
    return found


def remaining_problems(values: Mapping[str, Any], facts: ServerFacts, pending: Sequence[str]) -> list[str]:
    """Config problems other than the secrets still to be set (those are expected)."""
    cfg = StackConfig(dict(values), stack="adopt")
    return [str(p) for p in validate(cfg, facts)
            if not any(p.path == path or p.path.startswith(path + ".") for path in pending)
            and p.path != "adminPassword"]


def render(values: Mapping[str, Any], namespace: str, header: Sequence[str], keep: Mapping[str, Any]) -> str:
    """The stack file: header comments, the kept top-level keys (encryption settings), config."""
    doc = dict(keep)
    config = {f"{namespace}:{k}": v for k, v in values.items()}
    if "config" in keep:
        config.update(keep["config"])
    doc["config"] = config
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header)
    return comments + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110)


def nexusctl_command() -> str:
    """How to run nexusctl again from the project root, as this process was started: the
    project's venv needs no activation (a bare `pulumi` or `python` may not be on PATH)."""
    if Path(sys.prefix).resolve() == (engine.ROOT / ".venv").resolve():
        return ".venv/bin/python -m nexusctl"
    return f"{shlex.quote(sys.executable)} -m nexusctl"


def next_steps(stack: str, secrets: Sequence[tuple[str, str]], password_kept: bool,
               moved_from: Optional[Path] = None) -> list[str]:
    """Command lines that run as printed from the project root (`nexusctl pulumi` finds the
    CLI and the backend; secret values are asked for, or read from stdin)."""
    run = f"{nexusctl_command()} pulumi {shlex.quote(stack)}"
    steps = [f"mv {shlex.quote(str(moved_from))} stacks/Pulumi.{stack}.yaml    # where pulumi reads the stack"] \
        if moved_from else []
    if not password_kept:
        steps.append(f"{run} config set --secret adminPassword    # the admin password, piped in (or typed, then Ctrl-D)")
    steps += [f"{run} config set --secret --path '{path}'    # {what}" for path, what in secrets]
    steps += [f"{run} up --yes    # takes every object over; changes nothing on Nexus",
              f"{nexusctl_command()} drift {shlex.quote(stack)}    # must report no drift"]
    return steps


def passphrase_note(stack: str, keep: Mapping[str, Any]) -> Optional[str]:
    """What the secret steps need first, when nothing tells Pulumi how to encrypt them."""
    if stack == "local" or keep.get("secretsprovider") not in (None, "passphrase") or \
            os.environ.get("PULUMI_CONFIG_PASSPHRASE") is not None or os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        return None
    return (f"# first: export PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE), the passphrase that "
            f"encrypts the secrets of stack '{stack}': keep it, every later run needs it")


def unreferenced_warnings(inventory: Inventory) -> list[str]:
    """Adopted objects that name one that is left out (a repository on an Azure blob store): they
    work, but the stack does not manage what they rely on."""
    left_out = {(f.section, f.name.lower()) for f in inventory.objects if f.item is None}
    labels = {k.config_path: k.name for k in KINDS}
    warnings = []
    for kind in KINDS:
        adopted = [f.item for f in inventory.objects if f.section == kind.config_path and f.item is not None]
        if kind.singleton or not adopted:
            continue
        warnings += [f"{by} uses {labels[section]} {name}, which is left out"
                     for section, name, by in kind.references(nest(kind.config_path, adopted))
                     if (section, str(name).lower()) in left_out]
    return warnings


# --- the command --------------------------------------------------------------------------------
def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "adopt", help="write a stack config that takes over an existing Nexus unchanged",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="Nexus base URL, e.g. http://nexus:8081")
    parser.add_argument("--stack", required=True, help="name of the stack to write")
    parser.add_argument("--username", default="admin", help="admin user (default %(default)s)")
    parser.add_argument("--ca-file", help="PEM CA bundle that signs Nexus's HTTPS certificate (nexus.tls.caFile)")
    parser.add_argument("--client-cert", help="mutual TLS: PEM client certificate file (nexus.tls.clientCertFile)")
    parser.add_argument("--client-key", help="mutual TLS: its PEM key file (nexus.tls.clientKeyFile)")
    parser.add_argument("--insecure", action="store_true", help="do not verify the HTTPS certificate (warned)")
    parser.add_argument("--password-env", default=DEFAULT_PASSWORD_ENV, metavar="VAR",
                        help="environment variable holding that user's password (default %(default)s); "
                             "never given on the command line")
    parser.add_argument("--output", help="stack file to write (default: stacks/Pulumi.<stack>.yaml of this project)")
    parser.add_argument("--force", action="store_true",
                        help="replace the config of an existing file (its encryption settings and a secret "
                             "adminPassword are kept)")
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    password = os.environ.get(args.password_env)
    if not password:
        print(f"adopt: set {args.password_env} to the password of '{args.username}' (read from the environment so "
              "it stays out of shell history and process lists)", file=sys.stderr)
        return EXIT_ERROR
    output = Path(args.output) if args.output else engine.ROOT / "stacks" / f"Pulumi.{args.stack}.yaml"
    namespace = project_name()
    keep: dict[str, Any] = {}
    if output.exists():
        if not args.force:
            print(f"adopt: {output} exists; pass --force to replace its config (encryption settings and a secret "
                  "adminPassword are kept), or --output another file", file=sys.stderr)
            return EXIT_ERROR
        keep = _kept(output, namespace)
    tls = {key: value for key, value in (("caFile", args.ca_file), ("clientCertFile", args.client_cert),
                                         ("clientKeyFile", args.client_key), ("insecure", args.insecure or None))
           if value}
    client = NexusClient(Connection.from_settings({"url": args.url, "username": args.username, "tls": tls}, password))
    try:
        inventory = read_inventory(client, automation=True)
        values = stack_values(args.url, args.username, inventory, tls)
        secrets = secret_paths(inventory)
        facts = LiveFacts(client, inventory.version, inventory.pro)
        problems = remaining_problems(values, facts, [p for p, _ in secrets])
    except NexusError as err:
        print(f"adopt: cannot read {args.url}: {err}", file=sys.stderr)
        return EXIT_ERROR
    if problems:
        print("adopt: the generated config would not validate (a case this command does not handle yet; "
              "nothing was written):\n" + "\n".join(f"  - {p}" for p in problems), file=sys.stderr)
        return EXIT_ERROR
    adopted = [f for f in inventory.objects if f.item is not None]
    skipped = [f for f in inventory.objects if f.item is None]
    default_output = engine.ROOT / "stacks" / f"Pulumi.{args.stack}.yaml"
    steps = next_steps(args.stack, secrets, password_kept=bool(keep.get("config")),
                       moved_from=None if output.resolve() == default_output.resolve() else output)
    note = passphrase_note(args.stack, keep)
    warnings = unreferenced_warnings(inventory)
    header = [f"Stack '{args.stack}': generated by `nexusctl adopt` from {args.url} on "
              f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.",
              f"{len(adopted)} object{'' if len(adopted) == 1 else 's'}, taken over by the first `up` "
              "(nexus.adopt: true) without changes.",
              "", f"Before and after `up` (from {engine.ROOT}):", *[f"  {s}" for s in ([note] if note else []) + steps]]
    if skipped:
        header += ["", "Not declared (not managed by this project):",
                   *[f"  {f.kind} {f.name}: {f.reason}" for f in skipped], *[f"  note: {w}" for w in warnings]]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(values, namespace, [*header, ""], keep))
    print(f"Wrote {output}: {len(adopted)} object{'' if len(adopted) == 1 else 's'} to adopt"
          + (f", {len(skipped)} left out" if skipped else "") + ".")
    for f in skipped:
        print(f"  left out {f.kind} {f.name}: {f.reason}")
    for warning in warnings:
        print(f"  note: {warning}")
    print(f"Next, from {engine.ROOT}:")
    print("\n".join(f"  {s}" for s in ([note] if note else []) + steps))
    return EXIT_WRITTEN


def _kept(path: Path, namespace: str) -> dict[str, Any]:
    """Top-level keys of an existing stack file other than config (encryption salt, secrets
    provider), and its adminPassword when it is a secret."""
    doc = yaml.safe_load(path.read_text()) or {}
    keep = {k: v for k, v in doc.items() if k != "config"}
    password = (doc.get("config") or {}).get(f"{namespace}:adminPassword")
    if isinstance(password, dict) and "secure" in password:
        keep["config"] = {f"{namespace}:adminPassword": password}
    return keep
