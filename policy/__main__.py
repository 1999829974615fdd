"""Guardrails for the Nexus registry stacks: `pulumi preview --policy-pack policy`.

The policies read the resources the program registers (each one's inputs are the normalized
config of one Nexus object), so they judge what a stack *declares*, before anything is sent to
Nexus. Stack-level policies follow the references between resources: the anonymous user's roles,
their nested roles and privileges, the repositories those grant, the realms and anonymous access.

Levels (mandatory stops the preview/update; advisory only warns) are the defaults below and can
be changed per policy with `--policy-pack-config FILE`, e.g.
  {"all": "advisory"}  or  {"http-connector-needs-tls": {"enforcementLevel": "advisory",
                           "devStacks": ["local", "staging"]}}
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional

from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, PolicyPack, ReportViolation,
                           ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs,
                           StackValidationPolicy)

TYPE = "pulumi-python:dynamic/nexus:"
# nexus:<Format><Type>Repository, every format (nexus:DockerHostedRepository, nexus:MavenProxyRepository, ...).
REPOSITORY_TYPE = re.compile(rf"^{re.escape(TYPE)}\w+?(Hosted|Proxy|Group)Repository$")
BLOB_STORE_TYPES = (f"{TYPE}FileBlobStore", f"{TYPE}S3BlobStore")
WRITE_ACTIONS = frozenset({"ADD", "EDIT", "DELETE", "ALL"})
PULL_ACTIONS = frozenset({"READ", "ALL"})
DOCKER_TOKEN = "DockerToken"
DEFAULT_DEV_STACKS = ["local", "dev", "test"]
DEFAULT_PROD_STACKS = ["prod", "production"]
# Built-in roles as a fresh Nexus has them (they cannot be changed).
BUILT_IN_ROLES = {"nx-admin": (["nx-all"], []),
                  "nx-anonymous": (["nx-healthcheck-read", "nx-search-read", "nx-repository-view-*-*-read",
                                    "nx-repository-view-*-*-browse"], [])}


def stack_of(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type>::<name>` -> <stack>."""
    return urn.split("::", 1)[0].split(":", 2)[-1]


@dataclass(frozen=True)
class Grant:
    """What one privilege allows: actions on a repository (or "*"), or administration."""

    privilege: str
    actions: frozenset[str]
    repository: Optional[str]  # lower-cased name or "*"; None: not about repositories
    admin: bool = False  # administers Nexus (nx-all, repository-admin, application writes)


@dataclass
class Access:
    """The stack's declared security objects, with the references between them resolved."""

    repositories: dict[str, tuple[str, Mapping[str, Any], str]] = field(default_factory=dict)  # name -> (type, props, urn)
    privileges: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    roles: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    users: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    anonymous: Mapping[str, Any] = field(default_factory=dict)
    realms: Optional[list[str]] = None  # None: not managed by the stack
    _grants: Optional[list[tuple[str, "Grant"]]] = field(default=None, repr=False)  # anonymous_grants, once

    @classmethod
    def of(cls, resources: Iterable[Any]) -> "Access":
        access = cls()
        for r in resources:
            props, kind = r.props or {}, r.resource_type
            repository = REPOSITORY_TYPE.match(kind)
            if repository:
                access.repositories[str(props.get("name", r.name)).lower()] = (repository.group(1).lower(), props, r.urn)
            elif kind == f"{TYPE}Privilege":
                access.privileges[str(props.get("name")).lower()] = props
            elif kind == f"{TYPE}Role":
                access.roles[str(props.get("id"))] = props
            elif kind == f"{TYPE}User":
                access.users[str(props.get("userId"))] = props
            elif kind == f"{TYPE}AnonymousAccess":
                access.anonymous = props
            elif kind == f"{TYPE}Realms":
                access.realms = list(props.get("active") or [])
        return access

    @property
    def anonymous_user(self) -> str:
        return str(self.anonymous.get("userId", "anonymous"))

    def anonymous_grants(self) -> list[tuple[str, Grant]]:
        """(role path, grant) for everything the anonymous user holds through its roles (walked
        once: the policies ask for every repository of a stack with thousands)."""
        if self._grants is not None:
            return self._grants
        user = self.users.get(self.anonymous_user)
        found: list[tuple[str, Grant]] = []
        pending = [(role, role) for role in (user.get("roles") if user else ["nx-anonymous"]) or []]
        seen: set[str] = set()
        while pending:
            role_id, path = pending.pop(0)
            if role_id in seen:
                continue
            seen.add(role_id)
            role = self.roles.get(role_id)
            privileges, nested = ((list(role.get("privileges") or []), list(role.get("roles") or []))
                                  if role is not None else BUILT_IN_ROLES.get(role_id, ([], [])))
            found += [(path, grant) for name in privileges if (grant := self.grant(name)) is not None]
            pending += [(child, f"{path} → {child}") for child in nested]
        self._grants = found
        return found

    def grant(self, name: str) -> Optional[Grant]:
        """A declared privilege, or a built-in one read from its name (nx-repository-view-<format>-
        <repository>-<action>, nx-all, nx-<domain>-<action>); None when unknown."""
        props = self.privileges.get(name.lower())
        if props is not None:
            return _declared_grant(name, props)
        return _built_in_grant(name)

    def hosted_targets(self, repository: Optional[str]) -> list[str]:
        """Hosted repositories a grant on `repository` reaches (a group reaches its hosted members)."""
        if repository is None:
            return []
        if repository == "*":
            return sorted(n for n, (kind, _, _) in self.repositories.items() if kind == "hosted")
        kind, props, _ = self.repositories.get(repository, ("", {}, ""))
        if kind == "hosted":
            return [repository]
        if kind == "group":
            return sorted({h for m in props.get("members") or [] for h in self.hosted_targets(str(m).lower())})
        return []

    def anonymous_can_pull(self, repository: str, declared_only: bool = False) -> bool:
        """Every condition Nexus needs for an anonymous docker pull of `repository`. With
        `declared_only`, the read must be granted for this repository by name: the built-in
        nx-anonymous role reads every repository (nx-repository-view-*-*-read), which is how a
        stray forceBasicAuth: false opens a repository nobody meant to open."""
        kind, props, _ = self.repositories.get(repository, ("", {}, ""))
        targets = (repository,) if declared_only else ("*", repository)
        return (bool(kind) and props.get("forceBasicAuth", True) is False
                and bool(self.anonymous.get("enabled")) and DOCKER_TOKEN in (self.realms or [])
                and any(g.repository in targets and g.actions & PULL_ACTIONS for _, g in self.anonymous_grants()))


def _declared_grant(name: str, props: Mapping[str, Any]) -> Grant:
    kind = props.get("type")
    actions = frozenset(str(a).upper() for a in props.get("actions") or [])
    if kind in ("repository-view", "repository-content-selector"):
        return Grant(name, actions, str(props.get("repository", "")).lower() or None)
    if kind == "repository-admin":
        return Grant(name, frozenset({"ALL"}), str(props.get("repository", "")).lower() or None, admin=True)
    if kind == "wildcard":
        return _pattern_grant(name, str(props.get("pattern", "")))
    return Grant(name, actions, None, admin=bool(actions - {"READ"}))  # application


def _pattern_grant(name: str, pattern: str) -> Grant:
    """`nexus:*`, `nexus:repository-view:docker:ybcard:add,edit`, ..."""
    parts = pattern.split(":")
    if pattern in ("nexus:*", "*") or (len(parts) >= 2 and parts[1] == "*"):
        return Grant(name, frozenset({"ALL"}), "*", admin=True)
    if len(parts) >= 4 and parts[1] in ("repository-view", "repository-admin"):
        actions = frozenset("ALL" if a == "*" else a.upper() for a in (parts[4] if len(parts) > 4 else "*").split(","))
        return Grant(name, actions, parts[3].lower(), admin=parts[1] == "repository-admin")
    actions = frozenset("ALL" if a == "*" else a.upper() for a in (parts[-1] if len(parts) > 2 else "*").split(","))
    return Grant(name, actions, None, admin=bool(actions - {"READ"}))


def _built_in_grant(name: str) -> Optional[Grant]:
    if name == "nx-all":
        return Grant(name, frozenset({"ALL"}), "*", admin=True)
    for prefix, admin in (("nx-repository-view-", False), ("nx-repository-admin-", True)):
        if name.startswith(prefix):
            fmt_and_repo, _, action = name[len(prefix):].rpartition("-")
            _, _, repository = fmt_and_repo.partition("-")
            actions = frozenset({"ALL" if action == "*" else action.upper()})
            return Grant(name, frozenset({"ALL"}) if admin else actions, repository.lower() or None, admin)
    if name.startswith("nx-"):
        action = name.rsplit("-", 1)[-1]
        return Grant(name, frozenset({action.upper()}), None, admin=action not in ("read", "browse"))
    return None


# --- policies ---------------------------------------------------------------------------------
def proxy_needs_cleanup_policy(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != f"{TYPE}DockerProxyRepository" or args.props.get("cleanupPolicies"):
        return
    report(f"docker proxy '{args.props.get('name', args.name)}' has no cleanup policy: its cache only grows "
           "until the blob store is full. Add `cleanupPolicies: [<a docker cleanup policy>]` to it (and the "
           "retention tasks that free the disk).", args.urn)


def no_anonymous_write(args: StackValidationArgs, report: ReportViolation) -> None:
    access = Access.of(args.resources)
    for path, grant in access.anonymous_grants():
        hosted = access.hosted_targets(grant.repository) if grant.actions & WRITE_ACTIONS else []
        if grant.admin:
            report(f"the anonymous user ('{access.anonymous_user}') gets administration rights through role "
                   f"{path} → privilege '{grant.privilege}': anyone could change Nexus. Remove that role or "
                   "privilege from the anonymous user.")
        elif hosted:
            report(f"the anonymous user ('{access.anonymous_user}') may push to hosted "
                   f"{', '.join(repr(h) for h in hosted)} ({', '.join(sorted(grant.actions & WRITE_ACTIONS))}) "
                   f"through role {path} → privilege '{grant.privilege}': anyone could overwrite images. Give "
                   "push rights to a CI user instead (security.pushers).")


def anonymous_read_of_hosted(args: StackValidationArgs, report: ReportViolation) -> None:
    access = Access.of(args.resources)
    for name, (kind, _, urn) in sorted(access.repositories.items()):
        if kind == "proxy" or not access.anonymous_can_pull(name):
            continue
        exposed = access.hosted_targets(name)
        if exposed:
            via = "" if kind == "hosted" else f" through group '{name}'"
            report(f"anyone can pull the company's own images from hosted {', '.join(repr(h) for h in exposed)}{via} "
                   "(anonymous pull is on there). Fine for public images; otherwise pull anonymously only from "
                   "a group of proxies.", urn)


def http_connector_needs_tls(args: StackValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    stacks = {stack_of(r.urn) for r in args.resources}
    if stacks & set(config.get("devStacks", DEFAULT_DEV_STACKS)) or config.get("tlsTerminatedElsewhere", False):
        return
    if any(r.resource_type == f"{TYPE}TlsMaterial" for r in args.resources):
        return  # TLS ends at the generated reverse proxy or at Jetty HTTPS
    for name, (_, props, urn) in sorted(Access.of(args.resources).repositories.items()):
        if props.get("httpPort"):
            report(f"repository '{name}' opens a plain-HTTP docker connector (httpPort {int(props['httpPort'])}) and "
                   "nothing in this stack puts TLS in front of it: credentials and images would cross the network "
                   "unencrypted. Add a `tls` section (with reverseProxy, or jettyHttps and httpsPort), or set "
                   "this policy's tlsTerminatedElsewhere when a load balancer ends TLS.", urn)


def blob_store_soft_quota_in_prod(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in BLOB_STORE_TYPES or args.props.get("softQuota"):
        return
    if stack_of(args.urn) not in args.get_config().get("prodStacks", DEFAULT_PROD_STACKS):
        return
    report(f"blob store '{args.props.get('name', args.name)}' has no soft quota in production: nobody is warned "
           "before the disk fills up. Add `softQuota: {type: spaceUsedQuota, limitMb: <size>}`.", args.urn)


def force_basic_auth_only_with_anonymous_pull(args: StackValidationArgs, report: ReportViolation) -> None:
    access = Access.of(args.resources)
    for name, (_, props, urn) in sorted(access.repositories.items()):
        if props.get("forceBasicAuth", True) is False and not access.anonymous_can_pull(name, declared_only=True):
            report(f"repository '{name}' has forceBasicAuth: false, but this stack does not declare anonymous pull "
                   "for it: the setting only weakens authentication, and wherever anonymous access is on, the "
                   "built-in nx-anonymous role lets anyone pull from it. Remove forceBasicAuth: false, or declare "
                   f"the pull with `security.anonymousPull: [{name}]`.", urn)


STACK_NAMES = {"type": "array", "items": {"type": "string"}}

PolicyPack(
    name="nexus-registry-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="proxy-needs-cleanup-policy",
            description="Every docker proxy has a cleanup policy, so its cache does not grow forever.",
            validate=proxy_needs_cleanup_policy),
        StackValidationPolicy(
            name="no-anonymous-write",
            description="The anonymous user can neither push to hosted repositories nor administer Nexus.",
            validate=no_anonymous_write),
        StackValidationPolicy(
            name="anonymous-read-of-hosted",
            description="Warns when anonymous clients can pull from a hosted repository.",
            enforcement_level=EnforcementLevel.ADVISORY,
            validate=anonymous_read_of_hosted),
        StackValidationPolicy(
            name="http-connector-needs-tls",
            description="Outside dev stacks, a docker connector on httpPort needs TLS in front of it.",
            config_schema=PolicyConfigSchema(properties={
                "devStacks": {**STACK_NAMES, "default": DEFAULT_DEV_STACKS},
                "tlsTerminatedElsewhere": {"type": "boolean", "default": False}}),
            validate=http_connector_needs_tls),
        ResourceValidationPolicy(
            name="blob-store-soft-quota-in-prod",
            description="In production stacks every blob store has a soft quota.",
            config_schema=PolicyConfigSchema(properties={
                "prodStacks": {**STACK_NAMES, "default": DEFAULT_PROD_STACKS}}),
            validate=blob_store_soft_quota_in_prod),
        StackValidationPolicy(
            name="force-basic-auth-only-with-anonymous-pull",
            description="forceBasicAuth is turned off only on repositories declared for anonymous pull.",
            validate=force_basic_auth_only_with_anonymous_pull),
    ],
)
