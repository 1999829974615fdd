"""S3 blob stores through the real chain: the bucket lifecycle setting (`expirationDays`) exists
up to Nexus 3.78 and not from 3.79 (evidence in tests/test_emulator_s3.py); a clean `up` must be
followed by a clean refresh on every release, and `expirationDays` for a server without the
setting is refused at preview, before any write."""
from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import configure

S3_SECRET = "S3-Secret-Key-1"


def stores(expiration_days: Any = None) -> list[dict[str, Any]]:
    archive: dict[str, Any] = {"name": "archive", "type": "s3", "bucket": "nexus-archive",
                               "region": "eu-west-1", "prefix": "nexus"}
    if expiration_days is not None:
        archive["expirationDays"] = expiration_days
    return [{"name": "cache", "type": "s3", "bucket": "nexus-cache", "accessKeyId": "AKIA-CACHE"},
            archive]


def bucket(nexus: Any, name: str) -> dict[str, Any]:
    answer = nexus.rest("GET", f"/v1/blobstores/s3/{name}", nexus.password)
    assert answer.status_code == 200, answer.text
    return answer.json()["bucketConfiguration"]["bucket"]


def converge_and_check(workspace: Any, nexus: Any, values: dict[str, Any]) -> None:
    configure(workspace, nexus, values, {"blobStores[0].secretAccessKey": S3_SECRET})
    workspace.up()
    clean = workspace.preview("--refresh", "--expect-no-changes")
    assert clean.code == 0, clean.output
    assert workspace.refresh_check().code == 0


@pytest.mark.engine
@pytest.mark.parametrize("version", [
    pytest.param("3.70.0", marks=pytest.mark.nexus(version="3.70.0")),  # the 3.68.1 API
    pytest.param("3.78.2", marks=pytest.mark.nexus(version="3.78.2")),
])
def test_lifecycle_days_are_managed_where_nexus_has_them(workspace, nexus, version):
    converge_and_check(workspace, nexus, {"blobStores": stores(expiration_days=7)})
    assert bucket(nexus, "archive")["expiration"] == 7
    assert bucket(nexus, "cache")["expiration"] == 3  # Nexus requires it: its UI default
    if version != "3.78.2":
        return
    # changed by hand (on the last release that has the setting): the drift check sees it, and
    # a refreshing up puts it back
    body = nexus.rest("GET", "/v1/blobstores/s3/archive", nexus.password).json()
    body["bucketConfiguration"]["bucket"]["expiration"] = 30
    assert nexus.rest("PUT", "/v1/blobstores/s3/archive", nexus.password, body).status_code == 204
    drift = workspace.refresh_check()
    assert drift.code != 0 and "expirationDays" in drift.output
    workspace.up("--refresh")
    assert bucket(nexus, "archive")["expiration"] == 7


@pytest.mark.engine
@pytest.mark.parametrize("version", [
    pytest.param("3.86.0", marks=pytest.mark.nexus(version="3.86.0")),
    pytest.param("3.94.0", marks=pytest.mark.nexus(version="3.94.0")),
])
def test_lifecycle_days_are_refused_where_nexus_has_none(workspace, nexus, version):
    configure(workspace, nexus, {"blobStores": stores(expiration_days=3)},
              {"blobStores[0].secretAccessKey": S3_SECRET})
    nexus.clear_log()
    refused = workspace.preview()
    assert refused.code != 0
    assert (f"blobStores[1].expirationDays: Nexus {version} no longer manages S3 bucket lifecycle "
            "rules") in refused.output
    assert "Traceback" not in refused.output and nexus.writes() == []
    converge_and_check(workspace, nexus, {"blobStores": stores()})
    assert "expiration" not in bucket(nexus, "archive")
