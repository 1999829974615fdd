"""Nexus registry as code: the stack's table of contents.

The whole stack config is validated first; when any of it is wrong the program stops before
registering a single resource, so nothing is half-applied. The stack is one `NexusRegistry`
(components/registry.py), the component a team's own program uses too:
  the TLS material and the sonatype/nexus3 container when the stack runs one (components/standup),
  the bootstrap, then every kind in components/kinds (KINDS): blob stores, cleanup policies,
  routing rules, repositories, realms, anonymous access, content selectors, privileges, roles,
  users, LDAP, tasks, webhooks;
  the reverse proxy's files for one registry host name, and the deployment check that fails the
  deployment when the docker path is broken;
  the stack outputs: nexusUrl, repositories, caCertPem and the docker client hints.
"""
from components import sdk_overhead
from components.registry import NexusRegistry

sdk_overhead.trim()  # the SDK's per-resource costs we can spare (debug RPCs, stack walks, pickling)
NexusRegistry.from_stack_config()
