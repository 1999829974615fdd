"""Everything the emulated Nexus knows, behind one lock, seeded like a first start."""
from __future__ import annotations

import copy
import json
import os
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

DEFAULT_VERSION = "3.86.0"
EULA_DISCLAIMER = (
    "Use of Sonatype Nexus Repository - Community Edition is governed by the End User License "
    "Agreement at https://links.sonatype.com/products/nxrm/ce-eula. By returning the value from "
    "'accepted:false' to 'accepted:true', you acknowledge that you have read and agree to the "
    "End User License Agreement at https://links.sonatype.com/products/nxrm/ce-eula."
)


def parse_version(text: str) -> tuple[int, int, int]:
    """'3.86.0' or '3.86.0-01' -> (3, 86, 0)."""
    core = text.split("-")[0]
    parts = [int(p) for p in core.split(".")]
    while len(parts) < 3:
        parts.append(0)
    return parts[0], parts[1], parts[2]


class PersistenceError(Exception):
    """The data directory cannot be written: for Nexus, its database failing a write."""


@dataclass
class Options:
    version: str = DEFAULT_VERSION
    edition: str = "community"  # or "pro"
    admin_password: Optional[str] = None  # None: random first password in data_dir/admin.password
    data_dir: Optional[Path] = None
    skip_default_repositories: bool = False
    host: str = "127.0.0.1"


@dataclass
class NexusState:
    """Mutable server state. Handlers take `lock` for every read-modify-write."""

    options: Options
    lock: threading.RLock = field(default_factory=threading.RLock)
    # user id -> password (plain: it is an emulator); kept apart from the user documents
    passwords: dict[str, str] = field(default_factory=dict)
    eula_accepted: bool = False
    # Object stores, keyed by lower-cased name (Nexus names are unique case-insensitively);
    # each value is the document as the REST API answers it (plus private keys starting "_").
    blobstores: dict[str, dict] = field(default_factory=dict)
    cleanup_policies: dict[str, dict] = field(default_factory=dict)
    repositories: dict[str, dict] = field(default_factory=dict)
    routing_rules: dict[str, dict] = field(default_factory=dict)
    users: dict[str, dict] = field(default_factory=dict)  # keyed by exact user id
    roles: dict[str, dict] = field(default_factory=dict)  # keyed by exact role id
    privileges: dict[str, dict] = field(default_factory=dict)  # keyed by lower-cased name
    content_selectors: dict[str, dict] = field(default_factory=dict)
    ldap_servers: list[dict] = field(default_factory=list)  # ordered
    realms_active: list[str] = field(default_factory=list)
    anonymous: dict[str, Any] = field(default_factory=dict)
    ssrf: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, dict] = field(default_factory=dict)  # keyed by task id
    capabilities: dict[str, dict] = field(default_factory=dict)  # keyed by capability id
    # Server-wide settings, each seeded by its handler module (see `seeders`).
    http_settings: dict[str, Any] = field(default_factory=dict)
    email: dict[str, Any] = field(default_factory=dict)
    truststore: dict[str, dict] = field(default_factory=dict)  # keyed by upper-cased fingerprint
    saml: dict[str, Any] = field(default_factory=dict)  # empty while not configured
    user_tokens: dict[str, Any] = field(default_factory=dict)
    crowd: dict[str, Any] = field(default_factory=dict)
    ip_allowlist: dict[str, Any] = field(default_factory=dict)
    iq: dict[str, Any] = field(default_factory=dict)
    license: dict[str, Any] = field(default_factory=dict)  # empty while none is installed
    # Called (without the lock) after every successful mutating request, e.g. to open or close
    # docker connectors when repositories change.
    listeners: list[Callable[["NexusState"], None]] = field(default_factory=list)
    # Seeders registered by handler modules; each fills its part of a first-start state.
    seeders: list[Callable[["NexusState"], None]] = field(default_factory=list)
    # Extra control calls under /__emulator/ registered by handler modules:
    # (method, name) -> handler(state, req) -> Response, e.g. ("POST", "blobstore-usage").
    control_handlers: dict[tuple[str, str], Callable[..., Any]] = field(default_factory=dict)

    # --- version and edition -------------------------------------------------------------
    @property
    def version(self) -> tuple[int, int, int]:
        return parse_version(self.options.version)

    def at_least(self, version: str) -> bool:
        return self.version >= parse_version(version)

    @property
    def pro(self) -> bool:
        return self.options.edition == "pro"

    @property
    def server_header(self) -> str:
        """`Nexus/3.86.0-01 (COMMUNITY)`; before 3.77 the free edition was called OSS."""
        if self.pro:
            label = "PRO"
        else:
            label = "COMMUNITY" if self.at_least("3.77.0") else "OSS"
        return f"Nexus/{self.options.version.split('-')[0]}-01 ({label})"

    @property
    def eula_required(self) -> bool:
        """The click-through EULA exists on Community Edition 3.77 and later."""
        return not self.pro and self.at_least("3.77.0")

    @property
    def eula_pending(self) -> bool:
        return self.eula_required and not self.eula_accepted

    # --- first start ----------------------------------------------------------------------
    def seed(self) -> None:
        """Reset to what a freshly started Nexus holds."""
        with self.lock:
            for name in ("blobstores", "cleanup_policies", "repositories", "routing_rules",
                         "users", "roles", "privileges", "content_selectors", "tasks",
                         "capabilities"):
                getattr(self, name).clear()
            self.ldap_servers.clear()
            self.passwords.clear()
            self.realms_active[:] = ["NexusAuthenticatingRealm"]
            if not self.at_least("3.60.0"):
                self.realms_active.append("NexusAuthorizingRealm")
            self.anonymous.clear()
            self.anonymous.update({"enabled": False, "userId": "anonymous",
                                   "realmName": "NexusAuthorizingRealm"})
            self.ssrf.clear()
            self.ssrf.update({"enabled": True, "allowedIPs": [], "allowedDomains": []})
            self.users["admin"] = {
                "userId": "admin", "firstName": "Administrator", "lastName": "User",
                "emailAddress": "admin@example.org", "source": "default", "status": "active",
                "readOnly": False, "roles": ["nx-admin"], "externalRoles": []}
            self.users["anonymous"] = {
                "userId": "anonymous", "firstName": "Anonymous", "lastName": "User",
                "emailAddress": "anonymous@example.org", "source": "default", "status": "active",
                "readOnly": False, "roles": ["nx-anonymous"], "externalRoles": []}
            self.roles["nx-admin"] = {
                "id": "nx-admin", "source": "default", "name": "nx-admin",
                "description": "Administrator Role", "readOnly": True,
                "privileges": ["nx-all"], "roles": []}
            self.roles["nx-anonymous"] = {
                "id": "nx-anonymous", "source": "default", "name": "nx-anonymous",
                "description": "Anonymous Role", "readOnly": True,
                "privileges": ["nx-healthcheck-read", "nx-search-read",
                               "nx-repository-view-*-*-read", "nx-repository-view-*-*-browse"],
                "roles": []}
            self.blobstores["default"] = {
                "name": "default", "type": "File", "path": "default", "softQuota": None,
                "_unavailable": False}
            if self.options.admin_password is not None:
                self.passwords["admin"] = self.options.admin_password
                self.eula_accepted = True
            else:
                first = str(uuid.uuid4())
                self.passwords["admin"] = first
                self.eula_accepted = False
                if self.options.data_dir is not None:
                    self.options.data_dir.mkdir(parents=True, exist_ok=True)
                    (self.options.data_dir / "admin.password").write_text(first)
            for seeder in self.seeders:
                seeder(self)

    # --- authentication and authorization -------------------------------------------------
    def check_password(self, user_id: str, password: str) -> bool:
        user = self.users.get(user_id)
        return (user is not None and user.get("status", "active") == "active"
                and self.passwords.get(user_id) == password)

    def effective_privileges(self, user_id: str) -> set[str]:
        """Privilege names granted to a user through its roles, nested roles included."""
        user = self.users.get(user_id)
        if user is None:
            return set()
        granted: set[str] = set()
        pending = list(user.get("roles", []))
        seen: set[str] = set()
        while pending:
            role_id = pending.pop()
            if role_id in seen:
                continue
            seen.add(role_id)
            role = self.roles.get(role_id)
            if role is None:
                continue
            granted.update(role.get("privileges", []))
            pending.extend(role.get("roles", []))
        return granted

    def is_admin(self, user_id: Optional[str]) -> bool:
        return user_id is not None and "nx-all" in self.effective_privileges(user_id)

    def first_password_consumed(self) -> None:
        """Nexus deletes admin.password once the admin password has been changed."""
        if self.options.data_dir is not None:
            (self.options.data_dir / "admin.password").unlink(missing_ok=True)

    # --- persistence ------------------------------------------------------------------------
    _PERSISTED = ("passwords", "eula_accepted", "blobstores", "cleanup_policies", "repositories",
                  "routing_rules", "users", "roles", "privileges", "content_selectors",
                  "ldap_servers", "realms_active", "anonymous", "ssrf", "tasks", "capabilities",
                  "http_settings", "email", "truststore", "saml", "user_tokens", "crowd",
                  "ip_allowlist", "iq", "license")

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy({name: getattr(self, name) for name in self._PERSISTED})

    def restore(self, data: dict[str, Any]) -> None:
        with self.lock:
            for name in self._PERSISTED:
                if name in data:
                    setattr(self, name, data[name])

    @property
    def state_file(self) -> Optional[Path]:
        if self.options.data_dir is None:
            return None
        return self.options.data_dir / "emulator-state.json"

    def persist(self) -> None:
        """Keep the data directory like Nexus's: a restarted emulator comes back as it was.
        Raises PersistenceError when the directory cannot be written (made again, parents too,
        when it is missing)."""
        target = self.state_file
        if target is None:
            return
        tmp = target.with_suffix(".tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(self.snapshot()))
            os.replace(tmp, target)
        except OSError as err:
            raise PersistenceError(f"cannot write {target}: {err}") from err

    def load_or_seed(self) -> None:
        target = self.state_file
        if target is not None and target.exists():
            self.seed()
            self.restore(json.loads(target.read_text()))
        else:
            self.seed()
