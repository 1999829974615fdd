"""Roles: privileges and nested roles. Built-in roles (nx-admin, nx-anonymous) can be
referenced but never managed or deleted."""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Optional
from urllib.parse import quote

from ..client import NexusClient, ServerInfo
from ..kind import Context, Found, Kind, Resources, after, config_entry, list_fact, nested_first, referring
from ..problems import KnownNames, Problem, ServerFacts, Values, duplicate_name_problems, find_cycles
from ..provider import NexusProvider, Spec, find_by
from ..resource import NexusResource
from ..schema import Fragment
from .privileges import known_privileges

SCHEMA = Fragment.beside(__file__)
LIST_PATH = "/v1/security/roles"
FACT = "roles"  # lower-cased ids of the server's roles
BUILT_IN = ("nx-admin", "nx-anonymous")
# The privileges Nexus makes for each repository: nx-repository-<view|admin>-<format>-<repo>-<action>
REPOSITORY_PRIVILEGE = re.compile(r"^nx-repository-(?:view|admin)-[^-]+-(?P<repo>.+)-"
                                  r"(?:browse|read|edit|add|delete|\*)$")


def role_path(role_id: str) -> str:
    return f"{LIST_PATH}/{quote(role_id, safe='')}"


def known_roles(values: Values, server: Optional[ServerFacts]) -> KnownNames:
    """Declared roles, the built-in ones, and the server's."""
    declared = (values.get("security") or {}).get("roles", [])
    return KnownNames([r["id"] for r in declared] + sorted(BUILT_IN), server, FACT)


def repository_of_builtin_privilege(name: str, repositories: Mapping[str, Any]) -> Optional[str]:
    """The (lower-cased) repository among `repositories` whose own privilege `name` is; Nexus
    deletes those privileges, and removes them from every role, when the repository goes."""
    found = REPOSITORY_PRIVILEGE.match(name)
    repository = found.group("repo").lower() if found else None
    return repository if repository in repositories else None


class RoleProvider(NexusProvider):
    kind = "role"
    resource_type = "nexus:Role"
    replace_on = ("id",)

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return str(spec["id"])

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return {"id": spec["id"], "name": spec["name"], "description": spec["description"],
                "privileges": list(spec["privileges"]), "roles": list(spec["roles"]),
                "adopt": bool(spec.get("adopt"))}

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        if spec["id"] in BUILT_IN:
            return [("id", f"'{spec['id']}' is a built-in role: reference it, but do not declare it")]
        if spec["id"] in spec["roles"]:
            return [("roles", "a role cannot contain itself")]
        return []

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return find_by(client.cached_list("roles", LIST_PATH), "id", object_id)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return {"id": doc["id"], "name": doc.get("name") or doc["id"],
                "description": doc.get("description") or "",
                "privileges": list(doc.get("privileges") or []), "roles": list(doc.get("roles") or [])}

    def body(self, spec: Spec) -> dict[str, Any]:
        return {k: spec[k] for k in ("id", "name", "description", "privileges", "roles")}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", LIST_PATH, self.body(spec), invalidates=("roles",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        client.send("PUT", role_path(spec["id"]), self.body(spec), invalidates=("roles",))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", role_path(spec["id"]), invalidates=("roles",))


class Role(NexusResource, provider=RoleProvider):
    """A role grouping privileges and other roles."""


# --- the kind -----------------------------------------------------------------------------------
def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    """Unique ids, no cycles of nested roles, and every privilege and role a role names."""
    roles = (values.get("security") or {}).get("roles", [])
    found = duplicate_name_problems("security.roles", roles, "id") + role_cycle_problems(roles)
    role_known, privilege_known = known_roles(values, server), known_privileges(values, server)
    for i, role in enumerate(roles):
        for j, name in enumerate(role.get("privileges", [])):
            if not name.startswith("nx-") and not privilege_known(name):
                found.append(Problem(f"security.roles[{i}].privileges[{j}]", f"privilege '{name}' is not "
                                     "declared in security.privileges (built-in ones start with nx-)"))
        for j, name in enumerate(role.get("roles", [])):
            if name == role["id"]:
                found.append(Problem(f"security.roles[{i}].roles[{j}]", "a role cannot contain itself"))
            elif not role_known(name):
                found.append(Problem(f"security.roles[{i}].roles[{j}]", f"role '{name}' is not declared"))
    return found


def role_cycle_problems(roles: list[Mapping[str, Any]]) -> list[Problem]:
    """Nexus refuses a role that contains itself directly or through other roles
    (RoleNotContainSelf); without this check `up` stops half-way, a role short of its child."""
    graph = [(i, role["id"], list(role.get("roles", []))) for i, role in enumerate(roles)]
    return [Problem(f"security.roles[{i}].roles[{j}]", f"roles form a cycle: {' → '.join(cycle)}; "
                    "Nexus refuses a role that contains itself through other roles. Remove "
                    f"'{roles[i]['roles'][j]}' from the roles of '{roles[i]['id']}' or break the "
                    "cycle elsewhere")
            for i, j, cycle in find_cycles(graph)]


def declare(ctx: Context) -> Resources:
    """Nested roles after the roles they contain."""
    out: Resources = {}
    privileges = ctx.of("privilege")
    roles = ctx.cfg.get("security", {}).get("roles", [])
    for i, item in nested_first(roles, lambda role: role["id"], lambda role: role.get("roles", [])):
        held = {p: privileges.get(p.lower()) for p in item.get("privileges", [])}
        deps = [ctx.bootstrap, *held.values()] + [out.get(r) for r in item.get("roles", [])]
        spec = referring(ctx.cfg.spec(("security", "roles", i), item), _references(ctx, held))
        out[item["id"]] = Role(f"role-{item['id']}", spec, opts=after(*deps))
    return out


def _references(ctx: Context, privileges: Mapping[str, Optional[Any]]) -> dict[str, Optional[Any]]:
    """A role refers to the privileges it holds, and through Nexus's own per-repository
    privileges (nx-repository-view-docker-<repo>-read ...) to those repositories: deleting
    either removes the privilege id from the role."""
    repositories = ctx.of("repository")
    targets: dict[str, Optional[Any]] = {}
    for name, privilege in privileges.items():
        if privilege is not None:
            targets[f"privilege:{name}"] = privilege
            continue
        repository = repository_of_builtin_privilege(name, repositories)
        if repository is not None:
            targets[f"repository:{repository}"] = repositories[repository]
    return targets


def references(values: Values) -> Iterable[tuple[tuple[str, ...], str, str]]:
    for role in (values.get("security") or {}).get("roles") or []:
        for name in role.get("privileges") or []:
            yield ("security", "privileges"), name, f"role {role['id']}"
        for name in role.get("roles") or []:
            yield ("security", "roles"), name, f"role {role['id']}"


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    provider = RoleProvider()
    found = []
    for doc in client.get_json(LIST_PATH) or []:
        if doc.get("readOnly") or doc.get("source", "default") != "default":
            continue  # built in, or mapped from an external source (LDAP groups)
        role_id = str(doc["id"])
        entry = config_entry(provider, provider.to_spec(doc, {"id": role_id}), ("id",))
        found.append(KIND.found(role_id, entry, role_path(role_id)))
    return found


KIND = Kind(
    name="role", slug="role", config_path=("security", "roles"), id_key="id", schema=SCHEMA,
    resource_types=(Role,), declare=declare, problems=problems, inventory=inventory,
    facts=(list_fact(FACT, LIST_PATH, "id"),), references=references, depends_on=("privilege", "repository"))
