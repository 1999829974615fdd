"""Turns a validated stack config into resources, in dependency order."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

import pulumi

from . import config, preflight
from .blob_store import FileBlobStore, S3BlobStore
from .bootstrap import Bootstrap
from .cleanup_policy import CleanupPolicy
from .config import StackConfig
from .docker_group import DockerGroupRepository
from .docker_hosted import DockerHostedRepository
from .docker_proxy import DockerProxyRepository
from .routing_rule import RoutingRule
from .anonymous import AnonymousAccess
from .content_selector import ContentSelector
from .ldap import LdapOrder, LdapServer
from .privilege import Privilege
from .provider import INSTANCE, REFERENCES
from .realms import Realms
from .role import Role, repository_of_builtin_privilege
from .user import User

Resources = dict[str, pulumi.Resource]  # lower-cased Nexus name -> resource


@dataclass
class Context:
    """Everything declared so far, for features that refer to it (tasks need repositories,
    webhooks need repositories, verification needs all of it)."""

    cfg: StackConfig
    bootstrap: pulumi.Resource
    blob_stores: Resources = field(default_factory=dict)
    cleanup_policies: Resources = field(default_factory=dict)
    routing_rules: Resources = field(default_factory=dict)
    repositories: Resources = field(default_factory=dict)
    security: Resources = field(default_factory=dict)  # "realms", "anonymous", "role:<id>", ...

    def all(self) -> list[pulumi.Resource]:
        return [self.bootstrap, *self.blob_stores.values(), *self.cleanup_policies.values(),
                *self.routing_rules.values(), *self.repositories.values(), *self.security.values()]
REPOSITORY_CLASSES = {"hosted": DockerHostedRepository, "proxy": DockerProxyRepository,
                      "group": DockerGroupRepository}


def load_validated_config() -> StackConfig:
    """The whole config, checked before anything is registered (so nothing is written when any
    of it is wrong). The server is asked only when the config needs it."""
    cfg = config.load_from_pulumi()
    problems = config.validate(cfg)
    # Wrong shapes (a missing url, nexus given as a string) are reported as they are: the
    # server is asked only about a config whose shapes are right, with a password to log in.
    if (not any(p.schema for p in problems) and cfg.get("adminPassword")
            and (problems or preflight.needs_server(cfg))):
        facts = preflight.server_facts(cfg)
        if facts is not None:
            problems = config.validate(cfg, facts)
    if problems:
        raise pulumi.RunError(str(config.ConfigError(problems, cfg.stack)))
    expanded, _ = config.expanded_values(cfg)
    return StackConfig(expanded, cfg.secret_keys, cfg.stack)


def core(cfg: StackConfig, depends_on: Sequence[pulumi.Resource] = (),
         bootstrap_inputs: Optional[Mapping[str, Any]] = None) -> Context:
    """The registry itself: bootstrap, blob stores, cleanup policies, routing rules,
    repositories. `bootstrap_inputs` come from the stand-up (components/standup.py)."""
    boot = bootstrap(cfg, depends_on, bootstrap_inputs)
    ctx = Context(cfg, boot)
    ctx.blob_stores = blob_stores(cfg, boot)
    ctx.cleanup_policies = cleanup_policies(cfg, boot)
    ctx.routing_rules = routing_rules(cfg, boot)
    ctx.repositories = repositories(cfg, boot, ctx.blob_stores, ctx.cleanup_policies, ctx.routing_rules)
    return ctx


def security(ctx: Context) -> Resources:
    """Realms, anonymous access, content selectors, privileges, roles, users, LDAP — in the
    order they refer to each other. Presets were already expanded into these lists."""
    cfg, out = ctx.cfg, ctx.security
    settings = cfg.get("security", {})
    boot = ctx.bootstrap
    if settings.get("realms"):
        out["realms"] = Realms("realms", {"active": settings["realms"]}, opts=after(boot))
    if settings.get("anonymous"):
        out["anonymous"] = AnonymousAccess("anonymous", dict(settings["anonymous"]),
                                           opts=after(boot, out.get("realms")))
    for i, item in enumerate(settings.get("contentSelectors", [])):
        out[f"selector:{item['name'].lower()}"] = ContentSelector(
            item["name"], cfg.spec(("security", "contentSelectors", i), item), opts=after(boot))
    for i, item in enumerate(settings.get("privileges", [])):
        repository = ctx.repositories.get(str(item.get("repository", "")).lower())
        deps = [boot, repository, out.get(f"selector:{str(item.get('contentSelector', '')).lower()}")]
        spec = referring(cfg.spec(("security", "privileges", i), item),
                         {f"repository:{item.get('repository')}": repository})
        out[f"privilege:{item['name'].lower()}"] = Privilege(item["name"], {**spec, INSTANCE: None},
                                                             opts=after(*deps))
    roles = settings.get("roles", [])
    for i, item in _nested_first(roles, lambda role: role["id"], lambda role: role.get("roles", [])):
        privileges = {p: out.get(f"privilege:{p.lower()}") for p in item.get("privileges", [])}
        deps = [boot, *privileges.values()] + [out.get(f"role:{r}") for r in item.get("roles", [])]
        spec = referring(cfg.spec(("security", "roles", i), item), _role_references(ctx, privileges))
        out[f"role:{item['id']}"] = Role(f"role-{item['id']}", spec, opts=after(*deps))
    passwords = settings.get("passwords", {})
    for i, item in enumerate(settings.get("users", [])):
        spec = cfg.spec(("security", "users", i), item)
        if item["userId"] in passwords:
            spec["password"] = pulumi.Output.secret(passwords[item["userId"]])
        deps = [boot, out.get("anonymous")] + [out.get(f"role:{r}") for r in item.get("roles", [])]
        out[f"user:{item['userId']}"] = User(f"user-{item['userId']}", spec, opts=after(*deps))
    ldap = settings.get("ldap", [])
    for i, item in enumerate(ldap):
        out[f"ldap:{item['name']}"] = LdapServer(f"ldap-{item['name']}", cfg.spec(("security", "ldap", i), item),
                                                 opts=after(boot))
    if len(ldap) > 1:
        out["ldap-order"] = LdapOrder("ldap-order", {"names": [s["name"] for s in ldap]},
                                      opts=after(*[out[f"ldap:{s['name']}"] for s in ldap]))
    return out


def _nested_first(items: Sequence[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], str],
                  children: Callable[[Mapping[str, Any]], Sequence[str]]) -> list[tuple[int, Mapping[str, Any]]]:
    """(index, item) ordered so each item comes after the declared items it contains (nested
    roles, nested groups). The config check refused cycles (role_cycle_problems,
    group_cycle_problems), so every round places at least one item."""
    declared = {key(item) for item in items}
    ordered: list[tuple[int, Mapping[str, Any]]] = []
    done: set[str] = set()
    pending = list(enumerate(items))
    while pending:
        ready = [(i, it) for i, it in pending if all(c in done or c not in declared or c == key(it)
                                                     for c in children(it))]
        if not ready:
            raise RuntimeError(f"cycle among {', '.join(key(it) for _, it in pending)} passed validation")
        ordered += ready
        done.update(key(it) for _, it in ready)
        pending = [p for p in pending if p not in ready]
    return ordered


def after(*resources: Optional[pulumi.Resource]) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(depends_on=[r for r in resources if r is not None])


def referring(spec: dict[str, Any], targets: Mapping[str, Optional[pulumi.Resource]]) -> dict[str, Any]:
    """The spec with the instance tokens of the stack's objects it refers to (see
    provider.INSTANCE): when one of them is re-created, this object is written again."""
    tokens = {label: getattr(res, INSTANCE) for label, res in sorted(targets.items())
              if res is not None and hasattr(res, INSTANCE)}
    return {**spec, REFERENCES: tokens} if tokens else spec


def _role_references(ctx: Context, privileges: Mapping[str, Optional[pulumi.Resource]]) -> dict[str, Optional[pulumi.Resource]]:
    """A role refers to the privileges it holds, and through Nexus's own per-repository
    privileges (nx-repository-view-docker-<repo>-read ...) to those repositories: deleting
    either removes the privilege id from the role."""
    targets: dict[str, Optional[pulumi.Resource]] = {}
    for name, privilege in privileges.items():
        if privilege is not None:
            targets[f"privilege:{name}"] = privilege
            continue
        repository = repository_of_builtin_privilege(name, ctx.repositories)
        if repository is not None:
            targets[f"repository:{repository}"] = ctx.repositories[repository]
    return targets


def bootstrap(cfg: StackConfig, depends_on: Sequence[pulumi.Resource] = (),
              extra: Optional[Mapping[str, Any]] = None) -> Bootstrap:
    settings = cfg.nexus.get("bootstrap", {})
    return Bootstrap("bootstrap", {
        "adminPassword": pulumi.Output.secret(cfg.get("adminPassword")),
        "acceptEula": settings.get("acceptEula", False),
        "waitTimeoutSeconds": settings.get("waitTimeoutSeconds", 300),
        "initialPasswordFile": settings.get("initialPasswordFile"),
        **(extra or {}),
    }, opts=after(*depends_on))


def blob_stores(cfg: StackConfig, boot: pulumi.Resource) -> Resources:
    out: Resources = {}
    for i, item in enumerate(cfg.get("blobStores", [])):
        cls = FileBlobStore if item["type"] == "file" else S3BlobStore
        spec = cfg.spec(("blobStores", i), {k: v for k, v in item.items() if k != "type"})
        out[item["name"].lower()] = cls(item["name"], spec, protect=item.get("protect", True),
                                        opts=after(boot))
    return out


def cleanup_policies(cfg: StackConfig, boot: pulumi.Resource) -> Resources:
    return {item["name"].lower(): CleanupPolicy(item["name"], cfg.spec(("cleanupPolicies", i), item),
                                                opts=after(boot))
            for i, item in enumerate(cfg.get("cleanupPolicies", []))}


def routing_rules(cfg: StackConfig, boot: pulumi.Resource) -> Resources:
    return {item["name"].lower(): RoutingRule(item["name"], cfg.spec(("routingRules", i), item),
                                              opts=after(boot))
            for i, item in enumerate(cfg.get("routingRules", []))}


def repositories(cfg: StackConfig, boot: pulumi.Resource, stores: Resources, policies: Resources,
                 rules: Resources) -> Resources:
    """Groups after their members (nested groups included)."""
    out: Resources = {}
    ordered = _nested_first(cfg.get("repositories", []), lambda repo: repo["name"].lower(),
                            lambda repo: [m.lower() for m in repo.get("members", [])])
    for i, item in ordered:
        out[item["name"].lower()] = _repository(cfg, i, item, boot, stores, policies, rules, out)
    return out


def _repository(cfg: StackConfig, index: int, item: Mapping[str, Any], boot: pulumi.Resource,
                stores: Resources, policies: Resources, rules: Resources,
                repos: Resources) -> pulumi.Resource:
    kind = item["type"]
    deps = [boot, stores.get(item.get("blobStore", "default").lower()),
            rules.get(str(item.get("routingRule", "")).lower())]
    deps += [policies.get(p.lower()) for p in item.get("cleanupPolicies", [])]
    members = {f"repository:{m}": repos.get(m.lower()) for m in item.get("members", [])}
    deps += list(members.values())
    spec = referring(cfg.spec(("repositories", index),
                              {k: v for k, v in item.items() if k not in ("type", "renamedFrom")}),
                     members)
    return REPOSITORY_CLASSES[kind](item["name"], {**spec, INSTANCE: None},
                                    protect=item.get("protect", kind == "hosted"),
                                    opts=pulumi.ResourceOptions.merge(after(*deps), renamed(item)))


def renamed(item: Mapping[str, Any]) -> Optional[pulumi.ResourceOptions]:
    """`renamedFrom: old`: the state's resource of the old name becomes this one (an alias), and
    as Nexus has no rename it is replaced with the old repository deleted first (its connector
    port and name are unique on the server)."""
    old = item.get("renamedFrom")
    if not old:
        return None
    return pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old)], delete_before_replace=True)
