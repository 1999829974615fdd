"""Nexus registry as code: the stack's table of contents.

The whole stack config is validated first; when any of it is wrong the program stops before
registering a single resource, so nothing is half-applied.
"""
import pulumi

from components import stack

cfg = stack.load_validated_config()

bootstrap = stack.bootstrap(cfg)
blob_stores = stack.blob_stores(cfg, bootstrap)
cleanup_policies = stack.cleanup_policies(cfg, bootstrap)
routing_rules = stack.routing_rules(cfg, bootstrap)
repositories = stack.repositories(cfg, bootstrap, blob_stores, cleanup_policies, routing_rules)

pulumi.export("nexusUrl", cfg.nexus["url"])
pulumi.export("repositories", sorted(r["name"] for r in cfg.get("repositories", [])))
