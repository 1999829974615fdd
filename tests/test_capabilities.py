"""Capabilities of any type (not webhooks): one per type, found by type then by id, properties
as Nexus's strings, checked against the type's form fields at preview (in-process providers and
config checks against one 3.94 emulator)."""
from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from components import client as nexus_client
from components.config import validate
from components.kinds.capabilities import CapabilityProvider
from components.preflight import LiveFacts
from components.problems import ServerFacts
from components.provider import AlreadyExists
from components.stack_config import StackConfig
from tests.emulator.testing import ADMIN_PASSWORD, Emulators, Nexus


@pytest.fixture(scope="module")
def nexus(emulators: Emulators) -> Iterator[Nexus]:
    server = emulators.get("3.94.0", "community")
    nexus_client.use_stack_config({"nexus-registry:nexus": json.dumps({"url": server.base_url}),
                                   "nexus-registry:adminPassword": ADMIN_PASSWORD})
    yield server


def stored(nexus: Nexus, kind: str) -> list[dict[str, Any]]:
    return [c for c in nexus.get("/v1/capabilities").json() if c["type"] == kind]


def fresh() -> None:
    nexus_client.for_run().invalidate("capabilities")


def test_capability_cycle_with_drift_and_out_of_band_delete(nexus: Nexus) -> None:
    provider = CapabilityProvider()
    spec = provider.check({}, {"type": "OutreachManagementCapability", "properties": {"alwaysRemote": True}}).inputs
    assert spec["properties"] == {"alwaysRemote": "true"}
    created = provider.create(spec)
    [doc] = stored(nexus, "OutreachManagementCapability")
    assert created.id == doc["id"] and doc["properties"] == {"alwaysRemote": "true"} and doc["enabled"] is True
    read = provider.read(created.id, created.outs)
    assert not provider.diff(created.id, read.inputs, spec).changes

    body = {"type": doc["type"], "enabled": False, "notes": doc["notes"], "properties": doc["properties"]}
    assert nexus.put(f"/v1/capabilities/{doc['id']}", body).status_code == 204
    fresh()
    drifted = provider.read(created.id, created.outs).inputs
    assert drifted["enabled"] is False and provider.diff(created.id, drifted, spec).changes
    provider.update(created.id, drifted, spec)
    assert stored(nexus, "OutreachManagementCapability")[0]["enabled"] is True

    changed = provider.check(spec, {"type": "OutreachManagementCapability",
                                    "properties": {"alwaysRemote": False, "overrideUrl": "https://outreach.example.com"}}).inputs
    provider.update(created.id, spec, changed)
    assert stored(nexus, "OutreachManagementCapability")[0]["properties"] == {
        "alwaysRemote": "false", "overrideUrl": "https://outreach.example.com"}

    assert nexus.delete(f"/v1/capabilities/{doc['id']}").status_code == 204
    fresh()
    assert provider.read(created.id, changed).id == ""  # gone: the next up creates it again
    again = provider.create(changed)
    assert again.id != created.id
    provider.delete(again.id, again.outs)
    assert stored(nexus, "OutreachManagementCapability") == []


def test_an_existing_capability_of_the_type_is_adopted_only_when_asked(nexus: Nexus) -> None:
    assert nexus.post("/v1/capabilities", {"type": "baseurl", "enabled": True, "notes": "by hand",
                                           "properties": {"url": "https://old.example.com"}}).status_code == 200
    fresh()
    provider = CapabilityProvider()
    config = {"type": "baseurl", "properties": {"url": "https://nexus.example.com"}}
    with pytest.raises(AlreadyExists, match="set `adopt: true`"):
        provider.create(provider.check({}, config).inputs)
    adopted = provider.create(provider.check({}, {**config, "adopt": True}).inputs)
    [doc] = stored(nexus, "baseurl")
    assert adopted.id == doc["id"] and doc["properties"]["url"] == "https://nexus.example.com"
    provider.delete(adopted.id, adopted.outs)


@pytest.mark.parametrize("entry,path,fragment", [
    ({"type": "nosuch"}, "capabilities[0].type", "this Nexus offers no capability type 'nosuch'; it offers: OutreachManagementCapability, audit, baseurl, defaultrole"),
    ({"type": "baseurl"}, "capabilities[0].properties", "'Base URL' needs url (URL)"),
    ({"type": "baseurl", "properties": {"url": "ftp://x"}}, "capabilities[0].properties.url", "must be an http:// or https:// URL"),
    ({"type": "baseurl", "properties": {"url": "https://x", "colour": "red"}}, "capabilities[0].properties.colour", "'Base URL' has no field 'colour'; its fields: url"),
    ({"type": "OutreachManagementCapability", "properties": {"alwaysRemote": "yes"}}, "capabilities[0].properties.alwaysRemote", "must be true or false"),
    ({"type": "webhook.global"}, "capabilities[0].type", "webhooks have their own key"),
])
def test_properties_are_checked_against_the_types_form_fields(nexus: Nexus, entry, path, fragment) -> None:
    values = {"nexus": {"url": nexus.base_url}, "adminPassword": ADMIN_PASSWORD, "capabilities": [entry]}
    facts = LiveFacts(nexus_client.for_run(), (3, 94, 0), False)
    found = {p.path: p.message for p in validate(StackConfig(values, frozenset({"adminPassword"})), facts)}
    assert path in found and fragment in found[path], found


def test_capabilities_before_3_84_are_refused_naming_the_release() -> None:
    values = {"nexus": {"url": "http://nexus:8081"}, "adminPassword": "Admin-Pw-1",
              "capabilities": [{"type": "baseurl", "properties": {"url": "https://x"}}, {"type": "baseurl"}]}
    found = {p.path: p.message for p in validate(StackConfig(values, frozenset({"adminPassword"})), ServerFacts((3, 68, 1), True))}
    assert found["capabilities"].startswith("The capabilities REST API (/v1/capabilities) is only in Nexus 3.84 or later; "
                                            "this Nexus is 3.68.1 Pro. Upgrade Nexus")
    assert "one capability per type" in found["capabilities[1].type"]
