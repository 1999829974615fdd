"""Blob store soft quotas in MB or in bytes: the wire value is bytes whatever the config says, a
limit that is not a whole number of MB (10 GiB set in the UI) is expressible and read back
exactly, and drift is true in both spellings (in-process providers against one emulator)."""
from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from components import client as nexus_client
from components.kinds.blob_stores import FileBlobStoreProvider, S3BlobStoreProvider, quota_body, quota_spec
from components.config import validate
from components.stack_config import StackConfig
from tests.conftest import ADMIN_PASSWORD
from tests.harness import EmulatorProcess

GIB_10 = 10 * 1024 ** 3  # 10737418240: 10737.41824 MB


@pytest.mark.parametrize("config,wire", [
    ({"limitMb": 51200}, 51_200_000_000),
    ({"limitBytes": GIB_10}, GIB_10),
    ({"limitBytes": 51_200_000_000}, 51_200_000_000),
])
def test_the_limit_goes_to_nexus_in_bytes(config, wire):
    assert quota_body({"softQuota": {"type": "spaceUsedQuota", **config}}) == {"type": "spaceUsedQuota", "limit": wire}


@pytest.mark.parametrize("wire,previous,read", [
    (51_200_000_000, None, {"limitMb": 51200}),  # adopt: whole MB read as MB
    (GIB_10, None, {"limitBytes": GIB_10}),  # adopt: anything else exactly, in bytes
    (51_200_000_000, {"limitMb": 1}, {"limitMb": 51200}),
    (51_200_000_001, {"limitMb": 51200}, {"limitBytes": 51_200_000_001}),  # drift shows, never rounded away
    (51_200_000_000, {"limitBytes": 51_200_000_000}, {"limitBytes": 51_200_000_000}),  # the config's own unit
])
def test_read_answers_exactly_in_the_unit_of_the_config_when_it_can(wire, previous, read):
    doc = {"softQuota": {"type": "spaceRemainingQuota", "limit": wire}}
    prev = None if previous is None else {"type": "spaceRemainingQuota", **previous}
    assert quota_spec(doc, prev) == {"type": "spaceRemainingQuota", **read}


@pytest.mark.parametrize("quota,message", [
    ({"type": "spaceUsedQuota"}, "needs at least one of: limitMb, limitBytes"),
    ({"type": "spaceUsedQuota", "limitMb": 1, "limitBytes": 1_000_000}, "give only one of: limitMb, limitBytes"),
    ({"type": "spaceUsedQuota", "limitBytes": 10737.41824}, "must be an integer"),
    ({"type": "spaceUsedQuota", "limitBytes": 0}, "is less than the minimum of 1"),
])
def test_exactly_one_whole_positive_limit(quota, message):
    values = {"nexus": {"url": "http://nexus:8081"}, "adminPassword": "secret-value",
              "blobStores": [{"name": "a", "type": "file", "softQuota": quota}]}
    problems = [p for p in validate(StackConfig(values, frozenset({"adminPassword"}))) if "softQuota" in p.path]
    assert any(message in p.message for p in problems), [str(p) for p in problems]


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    target = EmulatorProcess(tmp_path_factory.mktemp("blob-store") / "nexus-data", admin_password=ADMIN_PASSWORD)
    nexus_client.use_stack_config({"nexus-registry:nexus": json.dumps({"url": target.url}),
                                   "nexus-registry:adminPassword": ADMIN_PASSWORD})
    yield target
    target.stop()


def set_limit(emulator: EmulatorProcess, kind: str, name: str, limit: int) -> None:
    """An out-of-band change: the same store with another limit, as the UI would save it."""
    doc = emulator.rest("GET", f"/v1/blobstores/{kind}/{name}", ADMIN_PASSWORD).json()
    doc["softQuota"] = {"type": "spaceUsedQuota", "limit": limit}
    assert emulator.rest("PUT", f"/v1/blobstores/{kind}/{name}", ADMIN_PASSWORD, {"name": name, **doc}).status_code == 204


def changed(provider: Any, old: dict[str, Any], new: dict[str, Any]) -> bool:
    return provider.diff("id", old, new).changes


def test_s3_quota_in_bytes_is_read_back_exactly(emulator):
    provider = S3BlobStoreProvider()
    spec = provider.check({}, {"name": "quota-s3", "bucket": "quota-bucket",
                               "softQuota": {"type": "spaceUsedQuota", "limitBytes": GIB_10}}).inputs
    provider.create(spec)
    assert provider.read("quota-s3", spec).outs["softQuota"] == {"type": "spaceUsedQuota", "limitBytes": GIB_10}
    provider.delete("quota-s3", spec)


def test_provider_check_create_read_diff_update_delete_in_bytes_and_mb(emulator):
    provider, kind, extra, name = FileBlobStoreProvider(), "file", {}, "quota-file"
    news = provider.check({}, {"name": name, **extra, "softQuota": {"type": "spaceUsedQuota", "limitBytes": GIB_10}})
    assert news.failures == []
    spec = news.inputs
    provider.create(spec)
    stored = emulator.rest("GET", f"/v1/blobstores/{kind}/{name}", ADMIN_PASSWORD).json()["softQuota"]
    assert stored == {"type": "spaceUsedQuota", "limit": GIB_10}
    read = provider.read(name, spec)
    assert read.outs["softQuota"] == {"type": "spaceUsedQuota", "limitBytes": GIB_10}
    assert not changed(provider, read.inputs, spec)  # a clean stack is clean

    set_limit(emulator, kind, name, 51_200_000_000)  # someone set 51200 MB in the UI
    drifted = provider.read(name, spec).inputs
    assert drifted["softQuota"] == {"type": "spaceUsedQuota", "limitBytes": 51_200_000_000}
    assert changed(provider, drifted, spec)

    in_mb = provider.check({}, {"name": name, **extra, "softQuota": {"type": "spaceUsedQuota", "limitMb": 51200}}).inputs
    provider.update(name, drifted, in_mb)
    assert not changed(provider, provider.read(name, in_mb).inputs, in_mb)  # same bytes, MB config: clean
    set_limit(emulator, kind, name, 51_200_000_001)
    assert provider.read(name, in_mb).inputs["softQuota"]["limitBytes"] == 51_200_000_001
    provider.update(name, provider.read(name, in_mb).inputs, in_mb)
    assert emulator.rest("GET", f"/v1/blobstores/{kind}/{name}", ADMIN_PASSWORD).json()["softQuota"]["limit"] \
        == 51_200_000_000
    provider.delete(name, in_mb)
    assert emulator.rest("GET", f"/v1/blobstores/{kind}/{name}", ADMIN_PASSWORD).status_code == 404
