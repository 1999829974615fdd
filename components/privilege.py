"""Privileges: who may do what on which repository (repository-view, repository-admin,
repository-content-selector), plus wildcard and application privileges."""
from __future__ import annotations

from typing import Any, Mapping, Optional
from urllib.parse import quote

import pulumi
import pulumi.dynamic

from .client import NexusClient
from .provider import NexusProvider, Spec, compact, find_by_name, resource_options

# privilege type -> fields of its request body besides name/description
TYPE_FIELDS = {
    "repository-view": ("format", "repository", "actions"),
    "repository-admin": ("format", "repository", "actions"),
    "repository-content-selector": ("format", "repository", "contentSelector", "actions"),
    "wildcard": ("pattern",),
    "application": ("domain", "actions"),
}
ACTIONS = ("READ", "BROWSE", "EDIT", "ADD", "DELETE", "RUN", "START", "STOP", "ASSOCIATE",
           "DISASSOCIATE", "ALL")


class PrivilegeProvider(NexusProvider):
    kind = "privilege"
    # Nexus cannot turn a privilege into another type.
    replace_on = ("name", "type")
    referenced = True  # roles hold it: deleting it takes it out of them

    def normalize(self, spec: Spec) -> Spec:
        fields = TYPE_FIELDS.get(spec.get("type", ""), ())
        out = {"name": spec["name"], "type": spec["type"], "description": spec.get("description", ""),
               "adopt": bool(spec.get("adopt", False))}
        out.update({k: spec.get(k) for k in fields})
        if "actions" in fields:
            out["actions"] = sorted({str(a).upper() for a in spec.get("actions") or []})
        if "format" in fields:
            out["format"] = spec.get("format", "docker")
        return compact(out)

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        if spec["type"] not in TYPE_FIELDS:
            return [("type", f"unknown privilege type; known: {', '.join(TYPE_FIELDS)}")]
        found = [(k, f"a {spec['type']} privilege needs {k}") for k in TYPE_FIELDS[spec["type"]]
                 if not spec.get(k)]
        found += [("actions", f"unknown action {a}; known: {', '.join(ACTIONS)}")
                  for a in spec.get("actions", []) if a not in ACTIONS]
        return found

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return find_by_name(client.cached_list("privileges", "/v1/security/privileges"), object_id)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        kind = doc.get("type", previous.get("type"))
        out = {"name": previous["name"], "type": kind, "description": doc.get("description") or ""}
        out.update({k: doc.get(k) for k in TYPE_FIELDS.get(kind, ())})
        if "actions" in out:
            out["actions"] = sorted(str(a).upper() for a in out["actions"] or [])
        return compact(out)

    def body(self, spec: Spec) -> dict[str, Any]:
        return {k: spec[k] for k in ("name", "description", *TYPE_FIELDS[spec["type"]])}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", f"/v1/security/privileges/{spec['type']}", self.body(spec),
                    invalidates=("privileges",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        client.send("PUT", f"/v1/security/privileges/{spec['type']}/{quote(spec['name'], safe='')}",
                    self.body(spec), invalidates=("privileges",))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", f"/v1/security/privileges/{quote(spec['name'], safe='')}",
                    invalidates=("privileges", "roles"))


class Privilege(pulumi.dynamic.Resource, module="nexus", name="Privilege"):
    """A privilege; roles refer to it by name."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(PrivilegeProvider(), resource_name, dict(spec), resource_options(opts))
