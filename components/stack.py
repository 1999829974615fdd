"""Turns a validated stack config into resources, in dependency order."""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

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

Resources = dict[str, pulumi.Resource]  # lower-cased Nexus name -> resource
REPOSITORY_CLASSES = {"hosted": DockerHostedRepository, "proxy": DockerProxyRepository,
                      "group": DockerGroupRepository}


def load_validated_config() -> StackConfig:
    """The whole config, checked before anything is registered (so nothing is written when any
    of it is wrong). The server is asked only when the config needs it."""
    cfg = config.load_from_pulumi()
    problems = config.validate(cfg)
    if problems or preflight.needs_server(cfg):
        facts = preflight.server_facts(cfg)
        if facts is not None:
            problems = config.validate(cfg, facts)
    if problems:
        raise pulumi.RunError(str(config.ConfigError(problems, cfg.stack)))
    return cfg


def after(*resources: Optional[pulumi.Resource]) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(depends_on=[r for r in resources if r is not None])


def bootstrap(cfg: StackConfig, depends_on: Sequence[pulumi.Resource] = ()) -> Bootstrap:
    settings = cfg.nexus.get("bootstrap", {})
    return Bootstrap("bootstrap", {
        "adminPassword": pulumi.Output.secret(cfg.get("adminPassword")),
        "acceptEula": settings.get("acceptEula", False),
        "waitTimeoutSeconds": settings.get("waitTimeoutSeconds", 300),
        "initialPasswordFile": settings.get("initialPasswordFile"),
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
    """Hosted and proxies first, then groups (after their members, nested groups included)."""
    items = list(enumerate(cfg.get("repositories", [])))
    out: Resources = {}
    pending = [(i, r) for i, r in items if r["type"] == "group"]
    for i, item in [(i, r) for i, r in items if r["type"] != "group"]:
        out[item["name"].lower()] = _repository(cfg, i, item, boot, stores, policies, rules, out)
    while pending:  # config validation already refused cycles
        ready = [(i, r) for i, r in pending
                 if all(m.lower() in out or m.lower() not in _names(items) for m in r["members"])]
        for i, item in ready:
            out[item["name"].lower()] = _repository(cfg, i, item, boot, stores, policies, rules, out)
        pending = [p for p in pending if p not in ready]
    return out


def _repository(cfg: StackConfig, index: int, item: Mapping[str, Any], boot: pulumi.Resource,
                stores: Resources, policies: Resources, rules: Resources,
                repos: Resources) -> pulumi.Resource:
    kind = item["type"]
    deps = [boot, stores.get(item.get("blobStore", "default").lower()),
            rules.get(str(item.get("routingRule", "")).lower())]
    deps += [policies.get(p.lower()) for p in item.get("cleanupPolicies", [])]
    deps += [repos.get(m.lower()) for m in item.get("members", [])]
    spec = cfg.spec(("repositories", index), {k: v for k, v in item.items() if k != "type"})
    return REPOSITORY_CLASSES[kind](item["name"], spec, protect=item.get("protect", kind == "hosted"),
                                    opts=after(*deps))


def _names(items: Sequence[tuple[int, Mapping[str, Any]]]) -> set[str]:
    return {r["name"].lower() for _, r in items}
