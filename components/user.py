"""Local users. The password is write-only: set on create, changed only when the configured
secret changes (compared with the last applied value, since Nexus never answers it).

The built-in anonymous user can be managed (its roles) but never deleted: removing it from
config gives it back its default role. The admin user belongs to the bootstrap.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional
from urllib.parse import quote

import pulumi
import pulumi.dynamic

from .client import NexusClient
from .provider import NexusProvider, Spec, find_by, compact, resource_options

BUILT_IN_ROLES = {"anonymous": ["nx-anonymous"]}
FIELDS = ("userId", "firstName", "lastName", "emailAddress", "status", "roles")


class UserProvider(NexusProvider):
    kind = "user"
    replace_on = ("userId",)
    write_only = (("password",),)

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return str(spec["userId"])

    def normalize(self, spec: Spec) -> Spec:
        user_id = spec["userId"]
        return compact({
            "userId": user_id,
            "firstName": spec.get("firstName", user_id),
            "lastName": spec.get("lastName", "(nexus-registry)"),
            "emailAddress": spec.get("emailAddress", f"{user_id}@example.invalid"),
            "status": spec.get("status", "active"),
            "roles": list(spec.get("roles", [])),
            "password": spec.get("password"),
            "adopt": bool(spec.get("adopt")) or user_id in BUILT_IN_ROLES,  # built-ins always exist
        })

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        if spec["userId"] == "admin":
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
        users = client.cached_list("users", "/v1/security/users?source=default")
        return find_by(users, "userId", object_id)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return compact({k: doc.get(k) for k in FIELDS} | {"roles": list(doc.get("roles") or [])})

    def body(self, spec: Spec) -> dict[str, Any]:
        """The update body (ApiUser); creation takes the same fields without source, plus the
        password (ApiCreateUser)."""
        return {k: spec[k] for k in FIELDS} | {"source": "default"}

    def create_body(self, spec: Spec) -> dict[str, Any]:
        return {k: spec[k] for k in FIELDS} | {"password": spec.get("password")}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", "/v1/security/users", self.create_body(spec), invalidates=("users",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        user = quote(spec["userId"], safe="")
        if any(spec.get(k) != previous.get(k) for k in FIELDS):
            client.send("PUT", f"/v1/security/users/{user}", self.body(spec), invalidates=("users",))
        if spec.get("password") and spec.get("password") != previous.get("password"):
            client.request("PUT", f"/v1/security/users/{user}/change-password",
                           text_body=spec["password"], ok=(204, 200))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        if spec["userId"] in BUILT_IN_ROLES:
            restored = {**self.body(spec), "roles": BUILT_IN_ROLES[spec["userId"]]}
            client.send("PUT", f"/v1/security/users/{quote(spec['userId'], safe='')}", restored,
                        invalidates=("users",))
            return
        client.send("DELETE", f"/v1/security/users/{quote(spec['userId'], safe='')}",
                    invalidates=("users",))


class User(pulumi.dynamic.Resource, module="nexus", name="User"):
    """A local user (CI robots, people); password is a Pulumi secret."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(UserProvider(), resource_name, dict(spec), resource_options(opts))
