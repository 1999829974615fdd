"""Nexus registry as code: the stack's table of contents.

The whole stack config is validated first; when any of it is wrong the program stops before
registering a single resource, so nothing is half-applied.
"""
import pulumi

from components import sdk_overhead, stack, standup, task, webhook

sdk_overhead.trim()                 # the SDK's per-resource costs we can spare (debug RPCs, stack walks, pickling)
cfg = stack.load_validated_config()

nexus = standup.stand_up(cfg)       # TLS material; the sonatype/nexus3 container when the stack runs one
registry = stack.core(cfg, nexus.before_bootstrap, nexus.bootstrap_inputs)  # bootstrap, stores, policies, repositories
stack.security(registry)            # realms, anonymous access, selectors, privileges, roles, users, LDAP
task.declare(registry)              # scheduled tasks: the retention preset's cleanup, docker GC, compact
webhook.declare(registry)           # webhooks (capabilities)
nginx = standup.reverse_proxy(cfg, nexus)  # one registry host name: pulls to the group, pushes to hosted
standup.deployment_check(cfg, nexus, registry)  # fail the deployment when the docker path is broken

pulumi.export("nexusUrl", cfg.nexus["url"])
pulumi.export("repositories", sorted(r["name"] for r in cfg.get("repositories", [])))
standup.export_client_outputs(cfg, nexus, nginx)
