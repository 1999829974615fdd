"""LDAP server connections (user and group mapping) and their lookup order.

The bind password is write-only: diffed against the last applied value. No directory is
contacted by this project; Nexus does that when users log in.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional
from urllib.parse import quote

from ..client import NexusClient, ServerInfo
from ..kind import Context, Found, Kind, Resources, after, config_entry
from ..problems import Problem, ServerFacts, Values, duplicate_name_problems
from ..provider import NexusProvider, Spec, compact, find_by_name
from ..resource import NexusResource
from ..schema import Fragment

SCHEMA = Fragment.beside(__file__)
LIST_PATH = "/v1/security/ldap"
FIELDS = ("name", "protocol", "useTrustStore", "host", "port", "searchBase", "authScheme",
          "authRealm", "authUsername", "connectionTimeoutSeconds", "connectionRetryDelaySeconds",
          "maxIncidentsCount", "userBaseDn", "userSubtree", "userObjectClass", "userLdapFilter",
          "userIdAttribute", "userRealNameAttribute", "userEmailAddressAttribute",
          "userPasswordAttribute", "ldapGroupsAsRoles", "groupType", "groupBaseDn", "groupSubtree",
          "groupObjectClass", "groupIdAttribute", "groupMemberAttribute", "groupMemberFormat",
          "userMemberOfAttribute")
GROUP_FIELDS = {"static": ("groupBaseDn", "groupObjectClass", "groupIdAttribute",
                           "groupMemberAttribute", "groupMemberFormat"),
                "dynamic": ("userMemberOfAttribute",)}
LDAP_ORDER_ID = "ldap-order"
NO_AUTH = "NONE"
ENUM_FIELDS = ("protocol", "authScheme", "groupType")


# The 3.94 API spells these enums differently (LDAPS, simple, CRAM-MD5, STATIC).
SPELLING_3_94 = {
    "protocol": str.upper,
    "authScheme": lambda v: {"NONE": "none", "SIMPLE": "simple"}.get(v, v.replace("_", "-")),
    "groupType": str.upper,
}


def server_path(name: str) -> str:
    return f"{LIST_PATH}/{quote(name, safe='')}"


def _enum_key(value: Any) -> str:
    return str(value).upper().replace("-", "_")


class LdapServerProvider(NexusProvider):
    kind = "LDAP server"
    resource_type = "nexus:LdapServer"
    write_only = (("authPassword",),)

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return compact({**{k: spec.get(k) for k in FIELDS}, "authPassword": spec.get("authPassword"),
                        "adopt": bool(spec.get("adopt"))})

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        found = [(k, f"{k} is required") for k in ("host", "searchBase") if not spec.get(k)]
        if spec["authScheme"] != NO_AUTH:
            found += [(k, f"authScheme {spec['authScheme']} needs {k}")
                      for k in ("authUsername", "authPassword") if not spec.get(k)]
        if spec.get("ldapGroupsAsRoles"):
            group_type = spec.get("groupType")
            if group_type not in GROUP_FIELDS:
                found.append(("groupType", "ldapGroupsAsRoles needs groupType static or dynamic"))
            else:
                found += [(k, f"groupType {group_type} needs {k}") for k in GROUP_FIELDS[group_type]
                          if not spec.get(k)]
        return found

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return find_by_name(client.cached_list("ldap", LIST_PATH), object_id)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        current = compact({k: doc.get(k) for k in FIELDS} | {"name": previous["name"]})
        # Nexus 3.94 spells the same enums differently (LDAPS, simple, CRAM-MD5, DYNAMIC).
        for key in ENUM_FIELDS:
            if key in current and _enum_key(current[key]) == _enum_key(previous.get(key)):
                current[key] = previous[key]
        return current

    def body(self, spec: Spec, server: Optional[ServerInfo] = None) -> dict[str, Any]:
        # Nexus wants a password on every write; with NONE there is none to give.
        body = compact({**{k: spec.get(k) for k in FIELDS}, "authPassword": spec.get("authPassword", "")})
        if server is None or server.at_least("3.94.0"):
            body.update({k: SPELLING_3_94[k](body[k]) for k in SPELLING_3_94 if k in body})
        return body

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", LIST_PATH, self.body(spec, client.server()), invalidates=("ldap",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        current = self.fetch(client, spec["name"]) or {}
        client.send("PUT", server_path(spec["name"]), {**self.body(spec, client.server()), "id": current.get("id")},
                    invalidates=("ldap",))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", server_path(spec["name"]), invalidates=("ldap",))


class LdapOrderProvider(NexusProvider):
    """The order in which Nexus asks the LDAP servers, as one resource."""

    kind = "LDAP server order"
    resource_type = "nexus:LdapOrder"
    replace_on = ()
    singleton = True

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return LDAP_ORDER_ID

    def normalize(self, spec: Spec) -> Spec:
        return {"names": list(spec["names"])}

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        servers = sorted(client.cached_list("ldap", LIST_PATH), key=lambda s: s.get("order", 0))
        return {"names": [s["name"] for s in servers]}

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return {"names": list(doc["names"])}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", f"{LIST_PATH}/change-order", spec["names"], invalidates=("ldap",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        self.create_remote(client, spec)

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        """The servers themselves go with their own resources."""


class LdapServer(NexusResource, provider=LdapServerProvider):
    """An LDAP connection; the bind password stays a Pulumi secret."""


class LdapOrder(NexusResource, provider=LdapOrderProvider):
    """Lookup order of the LDAP servers (config order)."""


# --- the kind -----------------------------------------------------------------------------------
def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    return duplicate_name_problems("security.ldap", (values.get("security") or {}).get("ldap", []))


def declare(ctx: Context) -> Resources:
    """One resource per server ("server:<name>"), and their order ("order") when there are several."""
    out: Resources = {}
    servers = ctx.cfg.get("security", {}).get("ldap", [])
    for i, item in enumerate(servers):
        out[f"server:{item['name']}"] = LdapServer(f"ldap-{item['name']}", ctx.cfg.spec(("security", "ldap", i), item),
                                       opts=after(ctx.bootstrap))
    if len(servers) > 1:
        out["order"] = LdapOrder(LDAP_ORDER_ID, {"names": [s["name"] for s in servers]},
                                 opts=after(*out.values()))
    return out


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    provider = LdapServerProvider()
    found = []
    for doc in client.get_json(LIST_PATH) or []:
        name = str(doc["name"])
        entry = config_entry(provider, provider.to_spec(doc, {"name": name}), ("name", "host", "searchBase"))
        secrets = [("authPassword", "LDAP bind password")] \
            if SCHEMA.with_defaults(entry)["authScheme"] != NO_AUTH else []
        found.append(KIND.found(name, entry, server_path(name), secrets))
    return found


KIND = Kind(
    name="LDAP server", slug="ldapServer", config_path=("security", "ldap"), schema=SCHEMA,
    resource_types=(LdapServer, LdapOrder), declare=declare, problems=problems, inventory=inventory)
