"""Azure, Google Cloud and group blob stores (Pro): in-process provider cycles against one 3.94
Pro emulator (create → read → clean diff → out-of-band change seen → put right → delete), the
write-only keys never answered, and the checks Nexus's refusals become before any write
(edition and release gates, group members, conversion)."""
from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from components import client as nexus_client
from components.config import validate
from components.kinds.blob_stores.cloud import (AzureBlobStoreProvider, GoogleBlobStoreProvider,
                                                GroupBlobStoreProvider)
from components.preflight import LiveFacts
from components.problems import ServerFacts
from components.stack_config import StackConfig
from tests.emulator.testing import ADMIN_PASSWORD, Emulators, Nexus

AZURE = {"name": "azure-store", "accountName": "nexusstore", "containerName": "nexus-blobs",
         "authenticationMethod": "ACCOUNTKEY", "accountKey": "Azure-Key-1",
         "softQuota": {"type": "spaceUsedQuota", "limitMb": 1000}}
GOOGLE = {"name": "gcs-store", "bucket": "nexus-blobs", "region": "us-central1", "projectId": "platform",
          "authenticationMethod": "accountKey", "credentialsJson": '{"type": "service_account"}'}


@pytest.fixture(scope="module")
def pro(emulators: Emulators) -> Iterator[Nexus]:
    server = emulators.get("3.94.0", "pro")
    nexus_client.use_stack_config({"nexus-registry:nexus": json.dumps({"url": server.base_url}),
                                   "nexus-registry:adminPassword": ADMIN_PASSWORD})
    yield server


@pytest.mark.parametrize("provider,config,secret,kind,change,field", [
    (AzureBlobStoreProvider(), AZURE, "Azure-Key-1", "azure",
     lambda d: d["bucketConfiguration"].update(containerName="other-blobs"), "containerName"),
    (GoogleBlobStoreProvider(), GOOGLE, "service_account", "google",
     lambda d: d["bucketConfiguration"]["bucket"].update(prefix="moved"), "prefix"),
], ids=["azure", "google"])
def test_cloud_store_cycle(pro: Nexus, provider: Any, config: dict[str, Any], secret: str, kind: str,
                           change: Any, field: str) -> None:
    spec = provider.check({}, config).inputs
    provider.create(spec)
    answered = pro.get(f"/v1/blobstores/{kind}/{config['name']}").json()
    assert secret not in json.dumps(answered)
    assert pro.state.blobstores[config["name"]]["_accountKey"] == config.get("accountKey", config.get("credentialsJson"))
    read = provider.read(config["name"], spec)
    assert not provider.diff(config["name"], read.inputs, spec).changes, read.inputs

    doc = dict(answered)
    change(doc)
    assert pro.put(f"/v1/blobstores/{kind}/{config['name']}", doc).status_code == 204
    drifted = provider.read(config["name"], spec).inputs
    assert drifted[field] != read.inputs.get(field) and provider.diff(config["name"], drifted, spec).changes
    provider.update(config["name"], drifted, spec)
    assert not provider.diff(config["name"], provider.read(config["name"], spec).inputs, spec).changes
    assert pro.state.blobstores[config["name"]]["_accountKey"]  # the kept key survived the update
    provider.delete(config["name"], spec)
    assert pro.get(f"/v1/blobstores/{kind}/{config['name']}").status_code == 404


def test_group_cycle_members_in_config_spelling(pro: Nexus) -> None:
    for name in ("member-a", "member-b"):
        assert pro.post("/v1/blobstores/file", {"name": name, "path": name}).status_code == 204
    provider = GroupBlobStoreProvider()
    spec = provider.check({}, {"name": "grp", "members": ["Member-A"], "fillPolicy": "writeToFirst"}).inputs
    provider.create(spec)
    assert pro.get("/v1/blobstores/group/grp").json()["members"] == ["member-a"]
    assert not provider.diff("grp", provider.read("grp", spec).inputs, spec).changes  # names are case-insensitive

    grown = provider.check(spec, {"name": "grp", "members": ["Member-A", "member-b"], "fillPolicy": "roundRobin"}).inputs
    provider.update("grp", spec, grown)
    assert pro.get("/v1/blobstores/group/grp").json() == {"softQuota": None, "members": ["member-a", "member-b"],
                                                           "fillPolicy": "roundRobin"}
    assert pro.put("/v1/blobstores/group/grp", {"members": ["member-a", "member-b"],
                                                "fillPolicy": "writeToFirst"}).status_code == 204
    drifted = provider.read("grp", grown).inputs
    assert drifted["fillPolicy"] == "writeToFirst" and provider.diff("grp", drifted, grown).changes
    provider.delete("grp", grown)
    for name in ("member-a", "member-b"):
        assert pro.delete(f"/v1/blobstores/{name}").status_code == 204


def problems_of(values: dict[str, Any], server: Any = None) -> dict[str, str]:
    base = {"nexus": {"url": "http://nexus:8081"}, "adminPassword": "Admin-Pw-1"}
    return {p.path: p.message for p in validate(StackConfig({**base, **values}, frozenset({"adminPassword", "blobStores"})),
                                                server)}


@pytest.mark.parametrize("version,pro,refused", [
    ((3, 94, 0), True, set()),
    ((3, 86, 2), False, {"blobStores[1]", "blobStores[2]", "blobStores[3]"}),
    ((3, 76, 0), True, {"blobStores[2]"}),
])
def test_cloud_and_group_stores_are_gated_by_edition_and_release(version, pro, refused) -> None:
    stores = [{"name": "a", "type": "file"}, {**AZURE, "type": "azure"}, {**GOOGLE, "type": "google"},
              {"name": "g", "type": "group", "members": ["a"], "fillPolicy": "roundRobin"}]
    found = problems_of({"blobStores": stores}, ServerFacts(version, pro))
    assert set(found) == refused, found
    if version == (3, 86, 2):
        assert found["blobStores[1]"] == ("Azure blob stores (/v1/blobstores/azure) is only in Nexus Pro; this Nexus is "
                                          "3.86.2 Community Edition. Install a licence (the `license` key) and restart "
                                          "Nexus, or remove `blobStores[1]` from the config")


@pytest.mark.parametrize("stores,repositories,path,fragment", [
    ([{"name": "g", "type": "group", "members": ["ghost"], "fillPolicy": "roundRobin"}], [],
     "blobStores[0].members[0]", "blob store 'ghost' is not declared"),
    ([{"name": "a", "type": "file"}, {"name": "g", "type": "group", "members": ["a"], "fillPolicy": "roundRobin"},
      {"name": "h", "type": "group", "members": ["A"], "fillPolicy": "roundRobin"}], [],
     "blobStores[2].members[0]", "'A' is already a member of group 'g'"),
    ([{"name": "g", "type": "group", "members": ["g"], "fillPolicy": "roundRobin"}], [],
     "blobStores[0].members[0]", "a group cannot contain itself"),
    ([{"name": "a", "type": "file"}, {"name": "g", "type": "group", "members": ["a"], "fillPolicy": "roundRobin"},
      {"name": "h", "type": "group", "members": ["g"], "fillPolicy": "roundRobin"}], [],
     "blobStores[2].members[0]", "'g' is a group; Nexus does not nest groups"),
    ([{"name": "a", "type": "file"}, {"name": "g", "type": "group", "members": ["a"], "fillPolicy": "roundRobin"}],
     [{"name": "hosted", "type": "hosted", "blobStore": "a"}],
     "blobStores[1].members[0]", "repositories hosted store in 'a', so Nexus refuses it as a group member. To group a store in use, convert it"),
    ([{"name": "g", "type": "group", "members": ["a"]}], [], "blobStores[0]", "'fillPolicy' is a required property"),
    ([{**AZURE, "type": "azure", "accountKey": None}], [], "blobStores[0].accountKey", "ACCOUNTKEY authentication needs the account key"),
    ([{**AZURE, "type": "azure", "containerName": "Bad_Name"}], [], "blobStores[0].containerName", "is not valid"),
])
def test_group_refusals_are_named_before_any_write(stores, repositories, path, fragment) -> None:
    found = problems_of({"blobStores": [{k: v for k, v in s.items() if v is not None} for s in stores],
                         "repositories": repositories})
    assert path in found and fragment in found[path], found


def test_server_groups_taking_a_member_out_and_converting_a_store_are_refused(pro: Nexus) -> None:
    for name in ("m1", "m2", "plain"):
        assert pro.post("/v1/blobstores/file", {"name": name, "path": name}).status_code == 204
    assert pro.post("/v1/blobstores/group", {"name": "grp", "members": ["m1", "m2"],
                                             "fillPolicy": "roundRobin"}).status_code == 204
    facts = LiveFacts(nexus_client.for_run(), (3, 94, 0), True)
    stores = [{"name": "grp", "type": "group", "members": ["m1"], "fillPolicy": "roundRobin"},
              {"name": "plain", "type": "group", "members": ["m2"], "fillPolicy": "roundRobin"}]
    found = problems_of({"blobStores": stores}, facts)
    assert found["blobStores[0].members"].startswith(
        "m2 would leave group 'grp': Nexus refuses to take a member out over REST. Run the task "
        "'Admin - Remove a member from a blob store group'")
    assert found["blobStores[1].type"].startswith(
        "'plain' is a File blob store on the server; Nexus makes a store a group only by converting it "
        "(POST /v1/blobstores/group/convert/plain/<new name for the original>")
