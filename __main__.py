"""Nexus registry as code: the stack's table of contents.

The whole stack config is validated first; when any of it is wrong the program stops before
registering a single resource, so nothing is half-applied.
"""
import pulumi

from components import stack

cfg = stack.load_validated_config()

registry = stack.core(cfg)          # bootstrap, blob stores, cleanup policies, routing rules, repositories
stack.security(registry)            # realms, anonymous access, selectors, privileges, roles, users, LDAP

pulumi.export("nexusUrl", cfg.nexus["url"])
pulumi.export("repositories", sorted(r["name"] for r in cfg.get("repositories", [])))
