"""What a live Nexus holds, as stack config entries: read by `nexusctl adopt` and `unmanaged`.

Each entry is the shortest config that the object's provider normalizes back to exactly what
the server answers (a field is left out when its default gives the same value), so a generated
file reads like a hand-written stack. An object the config cannot declare comes with the reason
instead of an entry: built-ins are skipped altogether (the default blob store, read-only roles
and privileges, admin, the tasks Nexus makes itself while untouched), repositories of other
formats and anything the config schema cannot express are listed with why.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence
from urllib.parse import quote, urlsplit

from components.anonymous import DEFAULTS as ANONYMOUS_DEFAULTS
from components.blob_store import FileBlobStoreProvider, S3BlobStoreProvider
from components.cleanup_policy import CleanupPolicyProvider
from components.client import NexusClient, ServerInfo
from components.config import schema_problems
from components.content_selector import ContentSelectorProvider
from components.docker_group import DockerGroupProvider
from components.docker_hosted import DockerHostedProvider
from components.docker_proxy import DockerProxyProvider
from components.ldap import LdapServerProvider
from components.privilege import TYPE_FIELDS, PrivilegeProvider
from components.provider import NexusProvider
from components.role import RoleProvider
from components.routing_rule import RoutingRuleProvider
from components.task import (CLEANUP_DEFAULT_CRON, CLEANUP_TYPE, CREATE_API_VERSION, TaskProvider, list_tasks,
                             normalize_task)
from components.user import UserProvider
from components.webhook import (CAPABILITIES_API_VERSION, CAPABILITY_TYPES, WebhookProvider, default_notes,
                                list_capabilities)

BUILT_IN_BLOB_STORE = "default"
BUILT_IN_USERS = ("admin",)
ANONYMOUS_USER, ANONYMOUS_ROLES = "anonymous", ["nx-anonymous"]

# Sections of the stack config that hold lists of objects, in the order they are written.
SECTIONS: tuple[tuple[str, ...], ...] = (
    ("blobStores",), ("cleanupPolicies",), ("routingRules",), ("repositories",),
    ("security", "contentSelectors"), ("security", "privileges"), ("security", "roles"),
    ("security", "users"), ("security", "ldap"))
# Read by adopt only: tasks and webhooks have server-generated ids (webhooks not even a name).
AUTOMATION_SECTIONS: tuple[tuple[str, ...], ...] = (("tasks",), ("webhooks",))
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


def read_inventory(client: NexusClient, automation: bool = False) -> Inventory:
    """Every object the stack config can declare, with its config entry (NexusError when Nexus
    refuses or cannot be reached); with `automation`, scheduled tasks and webhooks too."""
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
    if automation:
        inventory.objects += _tasks(client, info)
        inventory.objects += _webhooks(client, info)
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
        problems = list(schema_problems(nest(section, [entry], {"nexus": {"url": "http://nexus:8081"}})))
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


def nest(section: tuple[str, ...], value: Any, into: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """`value` at `section` (e.g. ("security", "roles")) of a config dict."""
    out = into if into is not None else {}
    node = out
    for part in section[:-1]:
        node = node.setdefault(part, {})
    node[section[-1]] = value
    return out


# --- tasks and webhooks -------------------------------------------------------------------------
TASK_DEFINITION_VERSION = "3.94.0"  # GET /v1/tasks answers schedule and properties from here on
# Task types Nexus makes itself, for a Nexus without templates to tell them (before 3.84).
NEXUS_OWN_TASK_TYPES = (CLEANUP_TYPE, "assetBlob.cleanup")
WEBHOOK_SECRET_HIDDEN_VERSION = "3.87.0"  # before, a set secret is answered as a placeholder


def _tasks(client: NexusClient, info: ServerInfo) -> list[Found]:
    """Tasks, by name. Those Nexus makes itself (types without a creation template) are left
    alone, except its "Cleanup service" once someone changed its schedule."""
    version = ".".join(map(str, info.version))
    if not info.at_least(CREATE_API_VERSION):
        why = f"this Nexus ({version}) cannot create or change tasks over REST (that needs {CREATE_API_VERSION}+)"
        creatable: Optional[set[str]] = None
    else:
        creatable = {str(t["type"]) for t in client.get_json("/v1/tasks/templates") or []}
        why = (f"this Nexus ({version}) does not answer a task's schedule and settings over REST "
               f"({TASK_DEFINITION_VERSION}+ does); declare it by hand with adopt: true (schemas/tasks.schema.json)")
    items = list_tasks(client)
    provider = TaskProvider()
    found = []
    for doc in items:
        name, kind = str(doc.get("name", "")), str(doc.get("type", ""))
        if kind != CLEANUP_TYPE and (kind in NEXUS_OWN_TASK_TYPES if creatable is None else kind not in creatable):
            continue  # made and run by Nexus itself
        delete = "" if kind == CLEANUP_TYPE else f"/v1/tasks/{quote(str(doc['id']), safe='')}"
        if "enabled" not in doc:  # the definition cannot be read: adopting would overwrite it blind
            if kind != CLEANUP_TYPE:
                found.append(_found("task", name, ("tasks",), None, delete, reason=why))
            continue
        spec = provider.to_spec(doc, {"name": name, "properties": dict(doc.get("properties") or {})})
        if kind == CLEANUP_TYPE and _is_cleanup_default(spec):
            continue
        twins = [t for t in items if str(t.get("name", "")).lower() == name.lower()]
        if len(twins) > 1:
            found.append(_found("task", name, ("tasks",), None, delete,
                                reason=f"{len(twins)} tasks share this name; tasks are found by name, so rename them"))
            continue
        found.append(_found("task", name, ("tasks",), config_entry(provider, spec, ("name", "type")), delete))
    return found


def _is_cleanup_default(spec: Mapping[str, Any]) -> bool:
    """Nexus's own "Cleanup service" as it comes: daily at 01:00 by cron, enabled, no e-mail."""
    default = normalize_task({"name": spec["name"], "type": CLEANUP_TYPE,
                              "schedule": {"type": "cron", "cron": CLEANUP_DEFAULT_CRON}})
    return all(normalize_task(spec).get(key) == default.get(key) for key in ("schedule", "enabled", "alertEmail"))


def _webhooks(client: NexusClient, info: ServerInfo) -> list[Found]:
    """Webhook capabilities (3.84+). They have no name in Nexus: the entry takes the one in the
    notes this project writes, else one made from the repository (or "global") and the host."""
    if not info.at_least(CAPABILITIES_API_VERSION):
        return []  # no capabilities API: webhooks cannot be read (nor managed)
    provider = WebhookProvider()
    found: list[Found] = []
    taken: set[str] = set()
    for doc in list_capabilities(client):
        if doc.get("type") not in CAPABILITY_TYPES.values():
            continue  # other capabilities are not webhooks
        properties = doc.get("properties") or {}
        name = _webhook_name(doc, taken)
        spec = provider.to_spec(doc, {"name": name})
        entry = config_entry(provider, spec, ("name", "url", "events"))
        if properties.get("secret"):  # the placeholder: a secret is set, and never answered
            secrets = [("secret", "secret key (HMAC) of the webhook")]
        elif info.at_least(WEBHOOK_SECRET_HIDDEN_VERSION):
            secrets = [("secret", "secret key (HMAC) of the webhook, only if it has one: Nexus does not tell, "
                                  "and the next change to the webhook clears a key the config does not hold")]
        else:
            secrets = []
        found.append(_found("webhook", name, ("webhooks",), entry,
                            f"/v1/capabilities/{quote(str(doc['id']), safe='')}", secrets))
    return found


def _webhook_name(doc: Mapping[str, Any], taken: set[str]) -> str:
    properties = doc.get("properties") or {}
    noted = re.fullmatch(r"nexus-registry webhook '([a-zA-Z0-9][a-zA-Z0-9_.-]*)'", str(doc.get("notes") or ""))
    if noted and default_notes(noted.group(1)) == doc.get("notes"):
        base = noted.group(1)
    else:
        host = urlsplit(str(properties.get("url", ""))).hostname or "webhook"
        base = re.sub(r"[^a-zA-Z0-9_.-]+", "-", f"{properties.get('repository') or 'global'}-{host}").strip("-._")
    base = base[:90] or "webhook"
    name, counter = base, 1
    while name.lower() in taken:
        counter += 1
        name = f"{base}-{counter}"
    taken.add(name.lower())
    return name
