"""Capabilities (`capabilities`; `/v1/capabilities`, 3.84+): any capability type the server
offers — the base URL links use, outreach, the audit log, a default role — one per type.

Capabilities have server-generated ids: one is found by its type when first created or adopted
(these types allow one capability each, CapabilityDescriptorSupport), by the id kept in state
afterwards. Properties are strings on the wire (a boolean or number in the config is sent as
Nexus's string), compared as the server answers them; empty ones count as unset. At preview the
properties are checked against the type's form fields from `/v1/capabilities/types` (3.90+):
unknown types and fields, required fields, URLs, checkboxes and option lists. Webhooks are
capabilities too but keep their own key (`webhooks`); both read the one capabilities list.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import pulumi
from pulumi.dynamic import CreateResult

from .. import client as nexus
from ..client import NexusClient, NexusError, ServerInfo
from ..kind import Context, Fact, Found, Kind, Resources, after, config_entry
from ..problems import Problem, ServerFacts, Values, listing
from ..provider import AlreadyExists, NexusProvider, Spec, strip_provider
from ..resource import NexusResource
from ..schema import Fragment
from ..settings import Availability
from .webhooks import CAPABILITY_TYPES as WEBHOOK_TYPES, LIST_PATH, capability_path, list_capabilities

SCHEMA = Fragment.beside(__file__)
TYPES_PATH = "/v1/capabilities/types"
AVAILABILITY = Availability("The capabilities REST API", LIST_PATH, since="3.84.0")
TYPES_SINCE = "3.90.0"
FACT = "capability_types"  # type id -> its form fields


def wire(value: Any) -> str:
    """A property as Nexus stores it: a string ("true"/"false" for checkboxes)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def properties_of(values: Mapping[str, Any]) -> dict[str, str]:
    return {k: wire(v) for k, v in sorted(values.items()) if v is not None and wire(v) != ""}


class CapabilityProvider(NexusProvider):
    kind = "capability"
    resource_type = "nexus:Capability"
    replace_on = ("type",)
    keyed_by_name = False  # the resource id is the server's capability id

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return str(spec["type"])

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return {"type": spec["type"], "enabled": spec["enabled"], "notes": spec["notes"],
                "properties": properties_of(spec["properties"]), "adopt": bool(spec.get("adopt"))}

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        if spec["type"] in WEBHOOK_TYPES.values():
            return [("type", "webhooks have their own key: declare it under `webhooks`")]
        return []

    def body(self, spec: Spec) -> dict[str, Any]:
        return {"type": spec["type"], "enabled": spec["enabled"], "notes": spec["notes"],
                "properties": spec["properties"]}

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return next((dict(c) for c in list_capabilities(client) if c.get("id") == object_id), None)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return {"type": doc.get("type"), "enabled": doc.get("enabled"), "notes": doc.get("notes") or "",
                "properties": properties_of(doc.get("properties") or {})}

    def existing(self, client: NexusClient, spec: Spec) -> Optional[dict[str, Any]]:
        """The capability of this type on the server (one per type)."""
        found = next((c for c in list_capabilities(client) if c.get("type") == spec["type"]), None)
        if found is not None and not spec.get("adopt") and not self.matches(found, spec):
            raise AlreadyExists(
                f"a '{spec['type']}' capability already exists on the server (id {found['id']}) and this stack "
                "does not manage it. To take it over (its settings will be updated to the config), set "
                "`adopt: true` on it or `nexus.adopt: true`.")
        return found

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = strip_provider(props)
        client = nexus.for_run()
        try:
            existing = self.existing(client, spec)
            if existing is not None:
                pulumi.log.info(f"taking over the existing '{spec['type']}' capability ({existing['id']})")
                self._update(client, spec, self._with_carried(self.to_spec(existing, spec), spec), existing["id"])
                return CreateResult(str(existing["id"]), spec)
            created = client.send("POST", LIST_PATH, self.body(spec), ok=(200, 201), invalidates=("capabilities",))
        except NexusError as err:
            raise self._explain(err, spec, "create") from None
        assert created is not None
        return CreateResult(str(created.json()["id"]), spec)

    def update_remote_at(self, client: NexusClient, capability_id: str, spec: Spec,
                         previous: Optional[Spec] = None) -> None:
        client.send("PUT", capability_path(capability_id), self.body(spec), invalidates=("capabilities",))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            nexus.for_run().send("DELETE", capability_path(id_), invalidates=("capabilities",))
        except NexusError as err:
            if err.status != 404:
                raise self._explain(err, strip_provider(props), "delete") from None


class Capability(NexusResource, provider=CapabilityProvider):
    """A capability of any type but the webhooks."""


# --- config checks ----------------------------------------------------------------------------
def read_types(client: NexusClient) -> dict[str, dict[str, Any]]:
    """Type id -> {name, fields: {id: form field}}; empty before 3.90 (no types endpoint)."""
    try:
        types = client.get_json(TYPES_PATH) or []
    except NexusError as err:
        if err.status in (404, 405):
            return {}
        raise
    return {t["id"]: {"name": t.get("name") or t["id"], "fields": {f["id"]: f for f in t.get("formFields") or []}}
            for t in types}


def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    entries = values.get("capabilities") or []
    if not entries:
        return []
    found = AVAILABILITY.problems("capabilities", server)
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        first = seen.setdefault(entry["type"], i)
        if first != i:
            found.append(Problem(f"capabilities[{i}].type", f"'{entry['type']}' is also capabilities[{first}]: "
                                 "one capability per type; merge them"))
        if entry["type"] in WEBHOOK_TYPES.values():
            found.append(Problem(f"capabilities[{i}].type", "webhooks have their own key: declare it under "
                                 "`webhooks` (name, url, events, repository, secret)"))
    if server is not None and not found and server.version >= (3, 90, 0):
        types = server.mapping(FACT)
        for i, entry in enumerate(entries):
            found += _property_problems(f"capabilities[{i}]", entry, types)
    return found


def _property_problems(at: str, entry: Mapping[str, Any], types: Mapping[str, Any]) -> list[Problem]:
    offered = types.get(entry["type"])
    if not types:
        return []
    if offered is None:
        return [Problem(f"{at}.type", f"this Nexus offers no capability type '{entry['type']}'; it offers: "
                        f"{listing(t for t in types if t not in WEBHOOK_TYPES.values())}")]
    fields, props = offered["fields"], properties_of(entry.get("properties") or {})
    found = [Problem(f"{at}.properties.{k}", f"'{offered['name']}' has no field '{k}'; its fields: {listing(fields)}")
             for k in props if k not in fields]
    for field_id, form in fields.items():
        value, label = props.get(field_id), form.get("label") or field_id
        if value is None:
            if form.get("required"):
                found.append(Problem(f"{at}.properties", f"'{offered['name']}' needs {field_id} ({label})"))
            continue
        options = (form.get("attributes") or {}).get("options") or []
        if form.get("type") == "url" and not value.lower().startswith(("http://", "https://")):
            found.append(Problem(f"{at}.properties.{field_id}", f"{label} must be an http:// or https:// URL"))
        elif form.get("type") == "checkbox" and value not in ("true", "false"):
            found.append(Problem(f"{at}.properties.{field_id}", f"{label} must be true or false"))
        elif options and any(v.strip() not in options for v in value.split(",")):
            found.append(Problem(f"{at}.properties.{field_id}", f"{label} takes {', '.join(options)}"))
    return found


def needs_server(values: Values) -> bool:
    return bool(values.get("capabilities"))


# --- declaration ------------------------------------------------------------------------------
def declare(ctx: Context) -> Resources:
    return {item["type"]: Capability(f"capability-{item['type']}", ctx.cfg.spec(("capabilities", i), item),
                                     opts=after(ctx.bootstrap))
            for i, item in enumerate(ctx.cfg.get("capabilities", []))}


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    if not AVAILABILITY.on(info):
        return []
    provider = CapabilityProvider()
    found = []
    for doc in list_capabilities(client):
        if doc.get("type") in WEBHOOK_TYPES.values():
            continue  # the webhooks kind's
        entry = config_entry(provider, provider.to_spec(doc, {}), ("type",))
        found.append(KIND.found(str(doc.get("type")), entry, capability_path(str(doc["id"]))))
    return found


# Read by adopt only: every Nexus carries capabilities of its own (outreach, health check, ...),
# so one the config does not declare is no sign of a hand-made object for `unmanaged` to report.
KIND = Kind(
    name="capability", config_path=("capabilities",), schema=SCHEMA, id_key="type",
    resource_types=(Capability,), declare=declare, problems=problems, inventory=inventory, automation=True,
    facts=(Fact(FACT, read_types),), needs_server=needs_server)
