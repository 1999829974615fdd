"""Local users. The password is write-only: set on create, changed only when the configured
secret changes (compared with the last applied value, since Nexus never answers it). Passwords
live apart from the entries, in `security.passwords.<userId>` (a secret each).

The built-in anonymous user can be managed (its roles) but never deleted: removing it from
config gives it back its default role. The admin user belongs to the bootstrap.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional
from urllib.parse import quote

import pulumi

from ..client import NexusClient, ServerInfo
from ..kind import Context, Found, Kind, Resources, after, config_entry
from ..problems import Problem, ServerFacts, Values, duplicate_name_problems
from ..provider import NexusProvider, Spec, compact, find_by
from ..resource import NexusResource
from ..schema import Fragment
from .roles import known_roles

SCHEMA = Fragment.beside(__file__)
LIST_PATH = "/v1/security/users"
ADMIN = "admin"  # managed by the bootstrap (adminPassword)
BUILT_IN_ROLES = {"anonymous": ["nx-anonymous"]}  # built-in users and the roles Nexus gives them
FIELDS = ("userId", "firstName", "lastName", "emailAddress", "status", "roles")


def user_path(user_id: str) -> str:
    return f"{LIST_PATH}/{quote(user_id, safe='')}"


class UserProvider(NexusProvider):
    kind = "user"
    resource_type = "nexus:User"
    replace_on = ("userId",)
    write_only = (("password",),)

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return str(spec["userId"])

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        user_id = spec["userId"]
        return compact({**{k: spec[k] for k in FIELDS}, "roles": list(spec["roles"]), "password": spec.get("password"),
                        "adopt": bool(spec.get("adopt")) or user_id in BUILT_IN_ROLES})  # built-ins always exist

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        if spec["userId"] == ADMIN:
            return [("userId", "the admin user is managed by the bootstrap (adminPassword), not here")]
        if spec["userId"] not in BUILT_IN_ROLES and not spec.get("password") and not spec["adopt"]:
            return [("password", f"user '{spec['userId']}' needs a password: pulumi config set --secret "
                     f"--path 'security.passwords.{spec['userId']}' <password>")]
        return []

    def write_only_unverified(self, client: NexusClient, spec: Spec) -> bool:
        """Nexus never answers a password, but it accepts or refuses a login with it."""
        return bool(spec.get("password")) and not client.accepts_login(spec["userId"], spec["password"])

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        # Without source=default Nexus answers at most 100 users (UserApiResource limits searches
        # that may reach a remote source); the stack's users are all in the default source.
        return find_by(client.cached_list("users", f"{LIST_PATH}?source=default"), "userId", object_id)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return compact({k: doc.get(k) for k in FIELDS} | {"roles": list(doc.get("roles") or [])})

    def body(self, spec: Spec) -> dict[str, Any]:
        """The update body (ApiUser); creation takes the same fields without source, plus the
        password (ApiCreateUser)."""
        return {k: spec[k] for k in FIELDS} | {"source": "default"}

    def create_body(self, spec: Spec) -> dict[str, Any]:
        return {k: spec[k] for k in FIELDS} | {"password": spec.get("password")}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", LIST_PATH, self.create_body(spec), invalidates=("users",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        if any(spec.get(k) != previous.get(k) for k in FIELDS):
            client.send("PUT", user_path(spec["userId"]), self.body(spec), invalidates=("users",))
        if spec.get("password") and spec.get("password") != previous.get("password"):
            client.request("PUT", f"{user_path(spec['userId'])}/change-password",
                           text_body=spec["password"], ok=(204, 200))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        if spec["userId"] in BUILT_IN_ROLES:
            restored = {**self.body(spec), "roles": BUILT_IN_ROLES[spec["userId"]]}
            client.send("PUT", user_path(spec["userId"]), restored, invalidates=("users",))
            return
        client.send("DELETE", user_path(spec["userId"]), invalidates=("users",))


class User(NexusResource, provider=UserProvider):
    """A local user (CI robots, people); password is a Pulumi secret."""


# --- the kind -----------------------------------------------------------------------------------
def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    """Unique ids, roles that exist, and a password for every user but the built-in anonymous
    one and those adopted with the password they have."""
    security = values.get("security") or {}
    users = security.get("users", [])
    passwords = security.get("passwords", {}) or {}
    found = duplicate_name_problems("security.users", users, "userId")
    role_known = known_roles(values, server)
    for i, user in enumerate(users):
        at = f"security.users[{i}]"
        if user["userId"] == ADMIN:
            found.append(Problem(f"{at}.userId", "the admin user is managed by the bootstrap "
                                 "(adminPassword); remove it here"))
        for j, role in enumerate(user.get("roles", [])):
            if not role_known(role):
                found.append(Problem(f"{at}.roles[{j}]", f"role '{role}' is not declared in security.roles "
                                     "and is not built in (nx-admin, nx-anonymous)"))
        if user["userId"] not in BUILT_IN_ROLES and user["userId"] not in passwords and not user.get("adopt"):
            found.append(Problem(f"security.passwords.{user['userId']}", f"user '{user['userId']}' needs a "
                                 f"password: pulumi config set --secret --path "
                                 f"'security.passwords.{user['userId']}' <password>"))
    user_ids = {u["userId"] for u in users}
    for user_id in passwords:
        if user_id not in user_ids:
            found.append(Problem(f"security.passwords.{user_id}", f"no user '{user_id}' is declared "
                                 "(in security.users or security.pushers)"))
    return found


def declare(ctx: Context) -> Resources:
    out: Resources = {}
    settings = ctx.cfg.get("security", {})
    passwords = settings.get("passwords", {})
    anonymous, roles = ctx.of("anonymous access").get("anonymous"), ctx.of("role")
    for i, item in enumerate(settings.get("users", [])):
        spec = ctx.cfg.spec(("security", "users", i), item)
        if item["userId"] in passwords:
            spec["password"] = pulumi.Output.secret(passwords[item["userId"]])
        deps = [ctx.bootstrap, anonymous] + [roles.get(r) for r in item.get("roles", [])]
        out[item["userId"]] = User(f"user-{item['userId']}", spec, opts=after(*deps))
    return out


def references(values: Values) -> Iterable[tuple[tuple[str, ...], str, str]]:
    for user in (values.get("security") or {}).get("users") or []:
        for name in user.get("roles") or []:
            yield ("security", "roles"), name, f"user {user['userId']}"


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    provider = UserProvider()
    found = []
    for doc in client.get_json(LIST_PATH) or []:
        user_id = str(doc["userId"])
        if user_id == ADMIN or doc.get("source", "default") != "default":
            continue  # admin belongs to the bootstrap; LDAP users live in the directory
        if list(doc.get("roles") or []) == BUILT_IN_ROLES.get(user_id):
            continue  # built in and untouched
        # adopt: true keeps the user's current password (Nexus never tells it).
        entry = {**config_entry(provider, provider.to_spec(doc, {"userId": user_id}), ("userId",)), "adopt": True}
        found.append(KIND.found(user_id, entry, "" if user_id in BUILT_IN_ROLES else user_path(user_id)))
    return found


KIND = Kind(
    name="user", slug="user", config_path=("security", "users"), id_key="userId", schema=SCHEMA,
    resource_types=(User,), declare=declare, problems=problems, inventory=inventory,
    built_in=(ADMIN, *BUILT_IN_ROLES), references=references, depends_on=("anonymous access", "role"))
