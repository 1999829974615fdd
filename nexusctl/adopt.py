"""`nexusctl adopt --url URL --stack NAME`: put a hand-made Nexus under this project, unchanged.

Reads every object this project manages from a live Nexus (blob stores, cleanup policies,
routing rules, docker repositories, realms, anonymous access, content selectors, privileges,
roles, users, LDAP servers) and writes a stack config file with `nexus.adopt: true`. The next
`pulumi up` takes each object over through the providers' adopt path without changing it, and
`nexusctl drift` / `pulumi preview --refresh` then report nothing.

Each entry is the shortest config that the object's provider normalizes back to exactly what
the server answers (a field is left out when its default gives the same value), so the file
reads like a hand-written stack. Left out, with the reason printed: built-ins (the default
blob store, read-only roles and privileges, admin), repositories of other formats (maven,
nuget, ...: this project manages docker), and anything the config schema cannot express.
Scheduled tasks and capabilities (webhooks) are not read.

Secrets Nexus never answers are left out of the file and become steps to run before
`pulumi up` (printed, and listed at the top of the file): the admin password, proxy
authentication passwords, S3 secret keys and LDAP bind passwords. Until they are set, config
validation (the LDAP provider's check for bind passwords) refuses the stack before anything is
sent to Nexus, naming the `pulumi config set --secret --path ...` to run. Users are adopted with
their current passwords (`adopt: true` on each); set `security.passwords.<user>` later to
manage one.

Exit codes: 0 the file was written; 1 nothing was written (Nexus unreachable, wrong
credentials, the file exists without --force); 2 usage error.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence
from urllib.parse import quote

import yaml

from components.anonymous import DEFAULTS as ANONYMOUS_DEFAULTS
from components.blob_store import FileBlobStoreProvider, S3BlobStoreProvider
from components.cleanup_policy import CleanupPolicyProvider
from components.client import Connection, NexusClient, NexusError
from components.config import ServerFacts, StackConfig, format_path, schema_problems, validate
from components.preflight import LiveFacts
from components.content_selector import ContentSelectorProvider
from components.docker_group import DockerGroupProvider
from components.docker_hosted import DockerHostedProvider
from components.docker_proxy import DockerProxyProvider
from components.ldap import LdapServerProvider
from components.privilege import TYPE_FIELDS, PrivilegeProvider
from components.provider import NexusProvider
from components.role import RoleProvider
from components.routing_rule import RoutingRuleProvider
from components.user import UserProvider

from . import engine
from .engine import project_name

EXIT_WRITTEN, EXIT_ERROR = 0, 1
DEFAULT_PASSWORD_ENV = "NEXUS_PASSWORD"
BUILT_IN_BLOB_STORE = "default"
BUILT_IN_USERS = ("admin",)
ANONYMOUS_USER, ANONYMOUS_ROLES = "anonymous", ["nx-anonymous"]

# Sections of the stack config that hold lists of objects, in the order they are written.
SECTIONS: tuple[tuple[str, ...], ...] = (
    ("blobStores",), ("cleanupPolicies",), ("routingRules",), ("repositories",),
    ("security", "contentSelectors"), ("security", "privileges"), ("security", "roles"),
    ("security", "users"), ("security", "ldap"))
REPOSITORY_PROVIDERS: dict[str, NexusProvider] = {
    "hosted": DockerHostedProvider(), "proxy": DockerProxyProvider(), "group": DockerGroupProvider()}


@dataclass
class Found:
    """One object on the server, as a stack config entry when this project can manage it."""

    kind: str  # "blob store", "repository", "role", ...
    name: str  # Nexus name (user id, role id)
    section: tuple[str, ...]  # where its entry goes, e.g. ("security", "roles")
    item: Optional[dict[str, Any]]  # the config entry; None when not manageable here
    reason: str = ""  # why it is not manageable (item is None)
    delete_path: str = ""  # REST path that deletes it
    secrets: tuple[tuple[str, str], ...] = ()  # (path inside the entry, what it is): never answered
    group: bool = False  # a group repository (deleted before its members)

    @property
    def key(self) -> tuple[tuple[str, ...], str]:
        """Names are unique case-insensitively in Nexus, per kind."""
        return self.section, self.name.lower()


@dataclass
class Inventory:
    """What a live Nexus holds, in config terms."""

    objects: list[Found] = field(default_factory=list)
    realms: Optional[list[str]] = None  # None: the server's default list (left unmanaged)
    anonymous: Optional[dict[str, Any]] = None  # None: the default (off)
    version: tuple[int, int, int] = (0, 0, 0)
    pro: bool = False


# --- reading a live Nexus -----------------------------------------------------------------------
def read_inventory(client: NexusClient) -> Inventory:
    """Every object the stack config can declare, with its config entry (NexusError when Nexus
    refuses or cannot be reached)."""
    info = client.server()
    inventory = Inventory(version=info.version, pro=info.pro)
    inventory.objects += _blob_stores(client)
    inventory.objects += _cleanup_policies(client)
    inventory.objects += _listed(client, "routing rule", ("routingRules",), "/v1/routing-rules",
                                 RoutingRuleProvider(), required=("name", "mode", "matchers"))
    inventory.objects += _repositories(client)
    inventory.objects += _listed(client, "content selector", ("security", "contentSelectors"),
                                 "/v1/security/content-selectors", ContentSelectorProvider(),
                                 required=("name", "expression"))
    inventory.objects += _privileges(client)
    inventory.objects += _roles(client)
    inventory.objects += _users(client)
    inventory.objects += _listed(client, "LDAP server", ("security", "ldap"), "/v1/security/ldap",
                                 LdapServerProvider(), required=("name", "host", "searchBase"),
                                 secret=lambda item: [("authPassword", "LDAP bind password")]
                                 if item.get("authScheme", "SIMPLE") != "NONE" else [])
    realms = list(client.get_json("/v1/security/realms/active") or [])
    default_realms = ["NexusAuthenticatingRealm"] + ([] if info.at_least("3.60.0") else ["NexusAuthorizingRealm"])
    inventory.realms = realms if realms != default_realms else None
    anonymous = {k: v for k, v in (client.get_json("/v1/security/anonymous") or {}).items() if k in ANONYMOUS_DEFAULTS}
    # Only what differs from the defaults the provider fills in.
    inventory.anonymous = {k: v for k, v in anonymous.items() if v != ANONYMOUS_DEFAULTS[k]} or None
    return inventory


def config_entry(provider: NexusProvider, spec: Mapping[str, Any], required: Sequence[str] = ("name",)) -> dict[str, Any]:
    """The shortest config entry the provider normalizes to the same inputs as `spec`: a field
    is left out when its default gives the same value."""
    target = provider.normalize({**spec, "adopt": True})
    entry = dict(spec)
    for key in list(entry):
        if key in required:
            continue
        trial = {k: v for k, v in entry.items() if k != key}
        try:
            same = provider.normalize({**trial, "adopt": True}) == target
        except (KeyError, TypeError):
            same = False
        if same:
            entry = trial
    return entry


def _found(kind: str, name: str, section: tuple[str, ...], entry: Optional[dict[str, Any]], delete_path: str,
           secrets: Sequence[tuple[str, str]] = (), reason: str = "", group: bool = False) -> Found:
    """A Found whose entry passed the config schema (else it carries the schema's complaint)."""
    if entry is not None:
        problems = list(schema_problems(_nest(section, [entry], {"nexus": {"url": "http://nexus:8081"}})))
        if problems:
            entry, reason = None, "the config schema cannot express it: " + "; ".join(p.message for p in problems)
    return Found(kind, name, section, entry, reason, delete_path, tuple(secrets) if entry else (), group)


def _blob_stores(client: NexusClient) -> list[Found]:
    found = []
    for summary in client.get_json("/v1/blobstores") or []:
        name, kind = str(summary["name"]), str(summary.get("type", "")).lower()
        if name.lower() == BUILT_IN_BLOB_STORE:
            continue  # every Nexus has it; the config knows it without declaring it
        delete = f"/v1/blobstores/{quote(name, safe='')}"
        provider = {"file": FileBlobStoreProvider(), "s3": S3BlobStoreProvider()}.get(kind)
        if provider is None:
            found.append(_found("blob store", name, ("blobStores",), None, delete,
                                reason=f"a {summary.get('type')} blob store; this project manages file and S3 ones"))
            continue
        doc = client.get_json(f"/v1/blobstores/{kind}/{quote(name, safe='')}") or {}
        entry = {"name": name, "type": kind, **config_entry(provider, provider.to_spec(doc, {"name": name}))}
        secrets = []
        security = (doc.get("bucketConfiguration") or {}).get("bucketSecurity") or {}
        if security.get("accessKeyId"):
            secrets.append(("secretAccessKey", "S3 secret access key"))
        if security.get("sessionToken"):
            secrets.append(("sessionToken", "S3 session token"))
        found.append(_found("blob store", name, ("blobStores",), entry, delete, secrets))
    return found


def _cleanup_policies(client: NexusClient) -> list[Found]:
    base = client.cleanup_policy_base()
    provider = CleanupPolicyProvider()
    found = []
    for doc in client.get_json(base) or []:
        name, fmt = str(doc["name"]), str(doc.get("format") or "")
        delete = f"{base}/{quote(name, safe='')}"
        if fmt not in ("docker", "*"):
            found.append(_found("cleanup policy", name, ("cleanupPolicies",), None, delete,
                                reason=f"a {fmt} policy; this project manages docker registries"))
            continue
        entry = config_entry(provider, provider.to_spec(doc, {"name": name}))
        found.append(_found("cleanup policy", name, ("cleanupPolicies",), entry, delete))
    return found


def _listed(client: NexusClient, kind: str, section: tuple[str, ...], path: str, provider: NexusProvider,
            required: Sequence[str],
            secret: Optional[Callable[[Mapping[str, Any]], list[tuple[str, str]]]] = None) -> list[Found]:
    """Objects read from one list endpoint, keyed by `name`."""
    found = []
    for doc in client.get_json(path) or []:
        name = str(doc["name"])
        entry = config_entry(provider, provider.to_spec(doc, {"name": name}), required)
        found.append(_found(kind, name, section, entry, f"{path}/{quote(name, safe='')}",
                            secret(entry) if secret else ()))
    return found


def _repositories(client: NexusClient) -> list[Found]:
    found = []
    for doc in client.get_json("/v1/repositorySettings") or []:
        name, fmt, repo_type = str(doc["name"]), str(doc.get("format")), str(doc.get("type"))
        delete = f"/v1/repositories/{quote(name, safe='')}"
        provider = REPOSITORY_PROVIDERS.get(repo_type)
        if fmt != "docker" or provider is None:
            found.append(_found("repository", name, ("repositories",), None, delete, group=repo_type == "group",
                                reason=f"a {fmt} {repo_type} repository; this project manages docker "
                                       "repositories only"))
            continue
        required = ("name", "remoteUrl") if repo_type == "proxy" else ("name", "members") if repo_type == "group" \
            else ("name",)
        entry = {"name": name, "type": repo_type,
                 **config_entry(provider, provider.to_spec(doc, {"name": name}), required)}
        secrets = [("authentication.password", "password of the remote registry")] \
            if (entry.get("authentication") or {}).get("type") else []
        found.append(_found("repository", name, ("repositories",), entry, delete, secrets,
                            group=repo_type == "group"))
    return found


def _privileges(client: NexusClient) -> list[Found]:
    provider = PrivilegeProvider()
    found = []
    for doc in client.get_json("/v1/security/privileges") or []:
        if doc.get("readOnly"):
            continue  # built in (nx-…)
        name, kind = str(doc["name"]), str(doc.get("type"))
        delete = f"/v1/security/privileges/{quote(name, safe='')}"
        if kind not in TYPE_FIELDS:
            found.append(_found("privilege", name, ("security", "privileges"), None, delete,
                                reason=f"a {kind} privilege; this project manages {', '.join(TYPE_FIELDS)}"))
            continue
        entry = config_entry(provider, provider.to_spec(doc, {"name": name, "type": kind}), ("name", "type"))
        found.append(_found("privilege", name, ("security", "privileges"), entry, delete))
    return found


def _roles(client: NexusClient) -> list[Found]:
    provider = RoleProvider()
    found = []
    for doc in client.get_json("/v1/security/roles") or []:
        if doc.get("readOnly") or doc.get("source", "default") != "default":
            continue  # built in, or mapped from an external source (LDAP groups)
        role_id = str(doc["id"])
        entry = config_entry(provider, provider.to_spec(doc, {"id": role_id}), ("id",))
        found.append(_found("role", role_id, ("security", "roles"), entry,
                            f"/v1/security/roles/{quote(role_id, safe='')}"))
    return found


def _users(client: NexusClient) -> list[Found]:
    provider = UserProvider()
    found = []
    for doc in client.get_json("/v1/security/users") or []:
        user_id = str(doc["userId"])
        if user_id in BUILT_IN_USERS or doc.get("source", "default") != "default":
            continue  # admin belongs to the bootstrap; LDAP users live in the directory
        if user_id == ANONYMOUS_USER and list(doc.get("roles") or []) == ANONYMOUS_ROLES:
            continue  # built in and untouched
        # adopt: true keeps the user's current password (Nexus never tells it).
        entry = {**config_entry(provider, provider.to_spec(doc, {"userId": user_id}), ("userId",)), "adopt": True}
        found.append(_found("user", user_id, ("security", "users"), entry,
                            "" if user_id == ANONYMOUS_USER else f"/v1/security/users/{quote(user_id, safe='')}"))
    return found


# --- the stack config ---------------------------------------------------------------------------
def _nest(section: tuple[str, ...], value: Any, into: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    out = into if into is not None else {}
    node = out
    for part in section[:-1]:
        node = node.setdefault(part, {})
    node[section[-1]] = value
    return out


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
    for section in SECTIONS:
        entries = [f.item for f in inventory.objects if f.section == section and f.item is not None]
        if entries:
            _nest(section, entries, values)
    if inventory.realms is not None:
        _nest(("security", "realms"), inventory.realms, values)
    if inventory.anonymous is not None:
        _nest(("security", "anonymous"), inventory.anonymous, values)
    return values


def secret_paths(inventory: Inventory) -> list[tuple[str, str]]:
    """(config path, what) of every secret to set before `pulumi up`."""
    found = []
    for section in SECTIONS:
        adopted = [f for f in inventory.objects if f.section == section and f.item is not None]
        for index, obj in enumerate(adopted):
            for path, what in obj.secrets:
                found.append((format_path((*section, index, *path.split("."))), f"{what} of {obj.kind} '{obj.name}'"))
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


def next_steps(stack: str, secrets: Sequence[tuple[str, str]], password_kept: bool) -> list[str]:
    steps = [f"pulumi stack init {stack}    # once, if the stack is new in your backend; keeps this file"]
    if not password_kept:
        steps.append(f"pulumi config set --secret adminPassword --stack {stack}    # asks for it (or pipe it)")
    steps += [f"pulumi config set --secret --path '{path}' --stack {stack}    # {what}" for path, what in secrets]
    steps += [f"pulumi up --stack {stack}    # takes every object over; changes nothing on Nexus",
              f"python -m nexusctl drift {stack}    # must report no drift"]
    return steps


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
        inventory = read_inventory(client)
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
    steps = next_steps(args.stack, secrets, password_kept=bool(keep.get("config")))
    header = [f"Stack '{args.stack}': generated by `nexusctl adopt` from {args.url} on "
              f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.",
              f"{len(adopted)} objects, taken over by the first `pulumi up` (nexus.adopt: true) without changes.",
              "", "Before and after `pulumi up`:", *[f"  {s}" for s in steps]]
    if skipped:
        header += ["", "Not declared (not managed by this project):",
                   *[f"  {f.kind} {f.name}: {f.reason}" for f in skipped]]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(values, namespace, [*header, ""], keep))
    print(f"Wrote {output}: {len(adopted)} objects to adopt"
          + (f", {len(skipped)} left out" if skipped else "") + ".")
    for f in skipped:
        print(f"  left out {f.kind} {f.name}: {f.reason}")
    print("Next:")
    print("\n".join(f"  {s}" for s in steps))
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
