"""KINDS: every kind of Nexus object this project manages, one row each, in dependency order.

The program declares them in this order (each after what its entries refer to), the config asks
each for its problems, the preflight reads their facts, and nexusctl adopt, unmanaged and drift
read their inventories and labels. Adding a kind is one module here plus one row below
(docs/DESIGN.md has the steps; tests/test_kinds.py checks that every module is in the table and
every row is complete).

`provider_for` turns a resource type name back into its provider: every provider pickles as a
call of it (components/resource.py), so moving a class never breaks a deployed stack.
"""
from __future__ import annotations

from typing import Optional

from ..kind import Kind
from ..resource import ProvidedResource, StableProvider, use_locator
from ..standup.bootstrap import Bootstrap
from ..standup.deployment_check import DeploymentCheck
from ..standup.tls_material import TlsMaterial
from . import (anonymous, blob_stores, capabilities, cleanup_policies, content_selectors, crowd, email_server, http_settings,
               ip_allowlist, iq_server, ldap, license, privileges, realms, repositories, roles, routing_rules, saml,
               ssrf_protection, tasks, truststore, user_tokens, users, webhooks)

KINDS: tuple[Kind, ...] = (
    license.KIND,  # first: a licence decides what the rest may use
    http_settings.KIND,  # before the proxy repositories that reach remotes through it
    email_server.KIND,
    truststore.KIND,  # before what reaches remotes with it (proxy repositories, LDAP, SMTP)
    blob_stores.KIND,
    cleanup_policies.KIND,
    routing_rules.KIND,
    repositories.KIND,
    realms.KIND,
    anonymous.KIND,
    content_selectors.KIND,
    privileges.KIND,
    roles.KIND,
    users.KIND,
    ldap.KIND,
    crowd.KIND,
    saml.KIND,
    user_tokens.KIND,
    ssrf_protection.KIND,
    ip_allowlist.KIND,
    iq_server.KIND,
    tasks.KIND,
    webhooks.KIND,
    capabilities.KIND,  # after webhooks: the same capabilities list, read once
)
# Resources of the stand-up (components/standup) with providers of their own: not Nexus objects.
STAND_UP_RESOURCES: tuple[type[ProvidedResource], ...] = (Bootstrap, TlsMaterial, DeploymentCheck)


def kind(name: str) -> Kind:
    """The row of this name ("blob store", "repository", ...)."""
    found = next((k for k in KINDS if k.name == name), None)
    if found is None:
        raise KeyError(f"no kind '{name}'; kinds: {', '.join(k.name for k in KINDS)}")
    return found


def kind_of(resource_type: str) -> Optional[Kind]:
    """The kind whose resources have this type name ("nexus:DockerHostedRepository"), if any."""
    return next((k for k in KINDS if any(r.provider_class.resource_type == resource_type
                                         for r in k.resource_types)), None)


def resource_classes() -> dict[str, type[ProvidedResource]]:
    """Every resource class of the program by its type name ("nexus:FileBlobStore")."""
    classes = [*(r for k in KINDS for r in k.resource_types), *STAND_UP_RESOURCES]
    return {r.provider_class.resource_type: r for r in classes}


def provider_class(resource_type: str) -> type[StableProvider]:
    found = resource_classes().get(resource_type)
    if found is None:
        raise LookupError(f"no provider for the resource type '{resource_type}' in this version of the program")
    return found.provider_class


def provider_for(resource_type: str) -> StableProvider:
    """The provider of a resource type: what every pickled provider in a state calls."""
    return provider_class(resource_type)()


use_locator(provider_for)
