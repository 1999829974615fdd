"""LDAP server connections (user and group mapping) and their lookup order.

The bind password is write-only: diffed against the last applied value. No directory is
contacted by this project; Nexus does that when users log in.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional
from urllib.parse import quote

import pulumi
import pulumi.dynamic

from .client import NexusClient, ServerInfo
from .provider import NexusProvider, Spec, compact, find_by_name, resource_options

DEFAULTS: dict[str, Any] = {
    "protocol": "ldap", "port": 389, "useTrustStore": False, "authScheme": "SIMPLE",
    "connectionTimeoutSeconds": 30, "connectionRetryDelaySeconds": 300, "maxIncidentsCount": 3,
    "userSubtree": False, "userObjectClass": "inetOrgPerson", "userIdAttribute": "uid",
    "userRealNameAttribute": "cn", "userEmailAddressAttribute": "mail", "ldapGroupsAsRoles": False,
}
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
ENUM_FIELDS = ("protocol", "authScheme", "groupType")


# The 3.94 API spells these enums differently (LDAPS, simple, CRAM-MD5, STATIC).
SPELLING_3_94 = {
    "protocol": str.upper,
    "authScheme": lambda v: {"NONE": "none", "SIMPLE": "simple"}.get(v, v.replace("_", "-")),
    "groupType": str.upper,
}


def _enum_key(value: Any) -> str:
    return str(value).upper().replace("-", "_")


class LdapServerProvider(NexusProvider):
    kind = "LDAP server"
    write_only = (("authPassword",),)

    def normalize(self, spec: Spec) -> Spec:
        out = {**DEFAULTS, **{k: spec[k] for k in FIELDS if spec.get(k) is not None}}
        out["authPassword"] = spec.get("authPassword")
        out["adopt"] = bool(spec.get("adopt", False))
        return compact(out)

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        found = [(k, f"{k} is required") for k in ("host", "searchBase") if not spec.get(k)]
        if spec["authScheme"] != "NONE":
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
        return find_by_name(client.cached_list("ldap", "/v1/security/ldap"), object_id)

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
        client.send("POST", "/v1/security/ldap", self.body(spec, client.server()), invalidates=("ldap",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        current = self.fetch(client, spec["name"]) or {}
        client.send("PUT", f"/v1/security/ldap/{quote(spec['name'], safe='')}",
                    {**self.body(spec, client.server()), "id": current.get("id")}, invalidates=("ldap",))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", f"/v1/security/ldap/{quote(spec['name'], safe='')}", invalidates=("ldap",))


class LdapOrderProvider(NexusProvider):
    """The order in which Nexus asks the LDAP servers, as one resource."""

    kind = "LDAP server order"
    replace_on = ()
    singleton = True

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return LDAP_ORDER_ID

    def normalize(self, spec: Spec) -> Spec:
        return {"names": list(spec.get("names", []))}

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        servers = sorted(client.cached_list("ldap", "/v1/security/ldap"), key=lambda s: s.get("order", 0))
        return {"names": [s["name"] for s in servers]}

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return {"names": list(doc["names"])}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", "/v1/security/ldap/change-order", spec["names"], invalidates=("ldap",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        self.create_remote(client, spec)

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        """The servers themselves go with their own resources."""


class LdapServer(pulumi.dynamic.Resource, module="nexus", name="LdapServer"):
    """An LDAP connection; the bind password stays a Pulumi secret."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(LdapServerProvider(), resource_name, dict(spec), resource_options(opts))


class LdapOrder(pulumi.dynamic.Resource, module="nexus", name="LdapOrder"):
    """Lookup order of the LDAP servers (config order)."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(LdapOrderProvider(), resource_name, dict(spec), resource_options(opts))
