"""Roles: privileges and nested roles. Built-in roles (nx-admin, nx-anonymous) can be
referenced but never managed or deleted."""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional
from urllib.parse import quote

import pulumi
import pulumi.dynamic

from .client import NexusClient
from .provider import NexusProvider, Spec, find_by, resource_options

BUILT_IN = ("nx-admin", "nx-anonymous")
# The privileges Nexus makes for each repository: nx-repository-<view|admin>-<format>-<repo>-<action>
REPOSITORY_PRIVILEGE = re.compile(r"^nx-repository-(?:view|admin)-[^-]+-(?P<repo>.+)-"
                                  r"(?:browse|read|edit|add|delete|\*)$")


def repository_of_builtin_privilege(name: str, repositories: Mapping[str, Any]) -> Optional[str]:
    """The (lower-cased) repository among `repositories` whose own privilege `name` is; Nexus
    deletes those privileges, and removes them from every role, when the repository goes."""
    found = REPOSITORY_PRIVILEGE.match(name)
    repository = found.group("repo").lower() if found else None
    return repository if repository in repositories else None


class RoleProvider(NexusProvider):
    kind = "role"
    replace_on = ("id",)

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return str(spec["id"])

    def normalize(self, spec: Spec) -> Spec:
        return {"id": spec["id"], "name": spec.get("name", spec["id"]),
                "description": spec.get("description", ""),
                "privileges": list(spec.get("privileges", [])), "roles": list(spec.get("roles", [])),
                "adopt": bool(spec.get("adopt", False))}

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        if spec["id"] in BUILT_IN:
            return [("id", f"'{spec['id']}' is a built-in role: reference it, but do not declare it")]
        if spec["id"] in spec["roles"]:
            return [("roles", "a role cannot contain itself")]
        return []

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        roles = client.cached_list("roles", "/v1/security/roles")
        return find_by(roles, "id", object_id)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return {"id": doc["id"], "name": doc.get("name") or doc["id"],
                "description": doc.get("description") or "",
                "privileges": list(doc.get("privileges") or []), "roles": list(doc.get("roles") or [])}

    def body(self, spec: Spec) -> dict[str, Any]:
        return {k: spec[k] for k in ("id", "name", "description", "privileges", "roles")}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", "/v1/security/roles", self.body(spec), invalidates=("roles",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        client.send("PUT", f"/v1/security/roles/{quote(spec['id'], safe='')}", self.body(spec),
                    invalidates=("roles",))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", f"/v1/security/roles/{quote(spec['id'], safe='')}", invalidates=("roles",))


class Role(pulumi.dynamic.Resource, module="nexus", name="Role"):
    """A role grouping privileges and other roles."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(RoleProvider(), resource_name, dict(spec), resource_options(opts))
