"""S3 blob stores: the bucket lifecycle setting (`bucketConfiguration.bucket.expiration`) exists
up to Nexus 3.78 and is gone from 3.79.

Evidence: nexus-public up to release-3.77.1-01 — S3BlobStoreApiBucket marks `expiration`
@NotNull and S3BlobStoreApiConfigurationMapper answers the stored value ("0" when none); a
3.78.1-02 server refuses a body without it with `[{"id":"PARAMETER expiration","message":"must not
be null"}]` (sonatype-nexus-community/terraform-provider-sonatyperepo#314); the specs Sonatype
publishes for 3.81.1 (nexus-repo-api-client-go v3.81.4), 3.86.2 and 3.94.0 have no `expiration`
and terraform-provider-sonatyperepo, validated against 3.79.1+, never sends it; Nexus's REST
ObjectMapper ignores unknown properties (nexus-rest-jackson2 ObjectMapperProvider disables
FAIL_ON_UNKNOWN_PROPERTIES), so a 3.79+ server takes a body that still carries it and drops it.
"""
from __future__ import annotations

from typing import Any, Optional

import pytest

from tests.emulator.testing import Emulators

pytestmark = pytest.mark.emulator_only


def s3(expiration: Optional[int] = None, name: str = "s3-store") -> dict[str, Any]:
    bucket: dict[str, Any] = {"region": "eu-west-1", "name": "bucket", "prefix": "nexus"}
    if expiration is not None:
        bucket["expiration"] = expiration
    return {"name": name, "softQuota": None, "bucketConfiguration": {"bucket": bucket}}


@pytest.mark.parametrize("version", ["3.68.1", "3.70.0", "3.77.0", "3.78.2"])
def test_expiration_is_required_and_answered_up_to_3_78(emulators: Emulators, version: str) -> None:
    admin = emulators.get(version).admin
    missing = admin.post("/v1/blobstores/s3", s3())
    assert missing.status_code == 400
    assert missing.json() == [{"id": "PARAMETER expiration", "message": "must not be null"}]
    assert admin.post("/v1/blobstores/s3", s3(expiration=7)).status_code == 201
    bucket = admin.get("/v1/blobstores/s3/s3-store").json()["bucketConfiguration"]["bucket"]
    assert bucket == {"region": "eu-west-1", "name": "bucket", "prefix": "nexus", "expiration": 7}
    assert admin.put("/v1/blobstores/s3/s3-store", s3()).status_code == 400  # on update too
    assert admin.put("/v1/blobstores/s3/s3-store", s3(expiration=-1)).status_code == 204
    bucket = admin.get("/v1/blobstores/s3/s3-store").json()["bucketConfiguration"]["bucket"]
    assert bucket["expiration"] == -1


@pytest.mark.parametrize("version", ["3.79.0", "3.86.2", "3.94.0"])
def test_expiration_is_gone_from_3_79(emulators: Emulators, version: str) -> None:
    admin = emulators.get(version).admin
    assert admin.post("/v1/blobstores/s3", s3()).status_code == 201
    assert admin.post("/v1/blobstores/s3", s3(expiration=3, name="other")).status_code == 201
    for name in ("s3-store", "other"):
        bucket = admin.get(f"/v1/blobstores/s3/{name}").json()["bucketConfiguration"]["bucket"]
        assert bucket == {"region": "eu-west-1", "name": "bucket", "prefix": "nexus"}
    assert admin.put("/v1/blobstores/s3/other", s3(expiration=9, name="other")).status_code == 204
    assert "expiration" not in admin.get("/v1/blobstores/s3/other").json()[
        "bucketConfiguration"]["bucket"]


def test_a_mistyped_expiration_fails_deserialization(emulators: Emulators) -> None:
    answer = emulators.get("3.78.2").admin.post("/v1/blobstores/s3", s3(expiration="soon"))  # type: ignore[arg-type]
    assert answer.status_code == 400 and "Integer" in answer.text
