"""Nexus registry as code: the stack's table of contents.

The whole stack config is validated first; when any of it is wrong the program stops before
registering a single resource, so nothing is half-applied.
"""
import pulumi

from components import program, sdk_overhead
from components.standup import build, outputs

sdk_overhead.trim()                 # the SDK's per-resource costs we can spare (debug RPCs, stack walks, pickling)
cfg = program.load_validated_config()

nexus = build.stand_up(cfg)         # TLS material; the sonatype/nexus3 container when the stack runs one
registry = program.declare(cfg, nexus.before_bootstrap, nexus.bootstrap_inputs, nexus.stack_ca_pem)
# ^ the bootstrap, then every kind in components/kinds (KINDS): blob stores, cleanup policies, routing rules,
#   repositories, realms, anonymous access, content selectors, privileges, roles, users, LDAP, tasks, webhooks
nginx = build.reverse_proxy(cfg, nexus)   # one registry host name: pulls to the group, pushes to hosted
build.deployment_check(cfg, nexus, registry)  # fail the deployment when the docker path is broken

pulumi.export("nexusUrl", cfg.nexus["url"])
pulumi.export("repositories", sorted(r["name"] for r in cfg.get("repositories", [])))
outputs.export_client_outputs(cfg, nexus, nginx)
