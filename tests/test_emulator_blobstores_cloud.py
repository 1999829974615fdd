"""The emulator's Azure, Google Cloud and group blob stores against real-Nexus behaviour (cases
and sources: tests/emulator/handlers/blobstores_cloud.py). Straight HTTP, no Pulumi."""
from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.testing import Emulators, Nexus

GROUP = "/v1/blobstores/group"


@pytest.fixture
def pro(emulators: Emulators) -> Nexus:
    return emulators.get("3.94.0", "pro")


def azure(name: str = "az", key: Any = "azure-key", **overrides: Any) -> dict[str, Any]:
    auth: dict[str, Any] = {"authenticationMethod": "ACCOUNTKEY"}
    if key is not None:
        auth["accountKey"] = key
    body: dict[str, Any] = {"name": name, "softQuota": None,
                            "bucketConfiguration": {"accountName": "account",
                                                    "containerName": "nexus-blobs",
                                                    "authentication": auth}}
    body.update(overrides)
    return body


def google(name: str = "gcs", **security: Any) -> dict[str, Any]:
    return {"name": name, "bucketConfiguration": {
        "bucket": {"name": "bucket", "prefix": "nexus", "region": "us-central1",
                   "projectId": "project"},
        "bucketSecurity": security or {"authenticationMethod": "accountKey",
                                       "accountKey": "{\"type\": \"service_account\"}"}}}


def file_store(nexus: Nexus, name: str) -> None:
    assert nexus.post("/v1/blobstores/file", {"name": name, "path": name}).status_code == 204


def group(name: str = "grp", members: tuple[str, ...] = ("m1",), fill: Any = "roundRobin",
          **extra: Any) -> dict[str, Any]:
    return {"name": name, "members": list(members), "fillPolicy": fill, **extra}


# --- Azure and Google --------------------------------------------------------------------------
def test_azure_lifecycle_keeps_the_key_write_only(pro: Nexus) -> None:
    assert pro.post("/v1/blobstores/azure", azure()).status_code == 201
    got = pro.get("/v1/blobstores/azure/az").json()
    assert got == {"name": "az", "softQuota": None, "bucketConfiguration": {
        "accountName": "account", "containerName": "nexus-blobs",
        "authentication": {"authenticationMethod": "ACCOUNTKEY"}}}
    quota = {"type": "spaceUsedQuota", "limit": 10_000_000}
    assert pro.put("/v1/blobstores/azure/az", dict(got, softQuota=quota)).status_code == 204
    assert pro.state.blobstores["az"]["_accountKey"] == "azure-key", "a PUT without key keeps it"
    assert pro.get("/v1/blobstores/azure/az").json()["softQuota"] == quota
    listed = {s["name"]: s["type"] for s in pro.get("/v1/blobstores").json()}
    assert listed["az"] == "Azure Cloud Storage"
    assert pro.get("/v1/blobstores/file/az").status_code == 400
    assert pro.put("/v1/blobstores/azure/missing", azure("missing")).status_code == 400


@pytest.mark.parametrize("body,status", [
    (azure(key=None), 400),
    (azure(name="bad name"), 400),
    (azure(bucketConfiguration={"accountName": "a", "containerName": "Upper_Case",
                                "authentication": {"authenticationMethod": "ACCOUNTKEY",
                                                   "accountKey": "k"}}), 400),
    (azure(bucketConfiguration={"accountName": "a", "containerName": "blobs",
                                "authentication": {"authenticationMethod": "SAS"}}), 400),
])
def test_azure_validation(pro: Nexus, body: dict, status: int) -> None:
    assert pro.post("/v1/blobstores/azure", body).status_code == status
    assert [s["name"] for s in pro.get("/v1/blobstores").json()] == ["default"]


def test_azure_managed_identity_needs_no_key_and_name_is_unique(pro: Nexus) -> None:
    managed = azure(key=None)
    managed["bucketConfiguration"]["authentication"]["authenticationMethod"] = "MANAGEDIDENTITY"
    assert pro.post("/v1/blobstores/azure", managed).status_code == 201
    taken = pro.post("/v1/blobstores/azure", azure(name="AZ"))
    assert taken.status_code == 400 and taken.json()[0]["message"].startswith("Name is already used")


def test_google_lifecycle(emulators: Emulators) -> None:
    nexus = emulators.get("3.86.2", "pro")
    assert nexus.post("/v1/blobstores/google", google()).status_code == 201
    got = nexus.get("/v1/blobstores/google/gcs").json()
    assert got["type"] == "Google Cloud Storage"
    assert got["bucketConfiguration"]["bucketSecurity"] == {"authenticationMethod": "accountKey"}
    assert got["bucketConfiguration"]["bucket"]["projectId"] == "project"
    assert nexus.put("/v1/blobstores/google/gcs", got).status_code == 204
    assert nexus.state.blobstores["gcs"]["_accountKey"].startswith("{")
    assert nexus.get("/v1/blobstores/google/missing").status_code == 404
    assert nexus.post("/v1/blobstores/google",
                      google("g2", authenticationMethod="accountKey")).status_code == 400
    assert nexus.post("/v1/blobstores/google",
                      google("g3", authenticationMethod="applicationDefault")).status_code == 201


# --- groups ------------------------------------------------------------------------------------
def test_group_lifecycle(pro: Nexus) -> None:
    for name in ("m1", "m2"):
        file_store(pro, name)
    assert pro.post(GROUP, group(members=("m1",))).status_code == 204
    assert pro.get(f"{GROUP}/grp").json() == {"softQuota": None, "members": ["m1"],
                                              "fillPolicy": "roundRobin"}
    update = {"members": ["m1", "m2"], "fillPolicy": "writeToFirst", "softQuota": None}
    assert pro.put(f"{GROUP}/grp", update).status_code == 204
    assert pro.get(f"{GROUP}/grp").json()["members"] == ["m1", "m2"]
    in_use = pro.delete("/v1/blobstores/m1")
    assert in_use.status_code == 400
    assert in_use.json() == {"id": "*", "message": "\"BlobStore m1 is in use and cannot be deleted\""}
    assert pro.get("/v1/blobstores/file/grp").status_code == 400
    assert pro.delete("/v1/blobstores/grp").status_code == 204
    assert pro.delete("/v1/blobstores/m1").status_code == 204, "no longer a member"


def test_group_member_removal_is_refused(pro: Nexus) -> None:
    for name in ("m1", "m2"):
        file_store(pro, name)
    pro.post(GROUP, group(members=("m1", "m2")))
    response = pro.put(f"{GROUP}/grp", {"members": ["m2"], "fillPolicy": "roundRobin"})
    assert response.status_code == 400
    assert response.json() == [{"id": "*", "message": "Blob Store 'm1' cannot be removed from Blob "
                                                      "Store Group 'grp', use 'Admin - Remove a "
                                                      "member from a blob store group' task instead"}]
    assert pro.get(f"{GROUP}/grp").json()["members"] == ["m1", "m2"]


GROUP_INVALID = [
    (group(fill=None), "*", "Blob store group requires a fill policy configuration"),
    (group(fill="random"), "Blob store group requires a valid fill policy name, options include [{}]",
     "roundRobin, writeToFirst"),
    (group(members=()), "*", "Blob Store 'grp' cannot be empty"),
    (group(members=("grp",)), "*", "Blob Store 'grp' cannot contain itself"),
    (group(members=("nope",)), "*", "Blob Store 'nope' does not exist"),
    (group(members=("used",)), "*", "Blob Store 'used' is set as storage for 1 repositories and "
                                    "is not eligible to be a group member"),
    (group(members=("taken",)), "*", "Blob Store 'taken' is already a member of Blob Store Group "
                                     "'first'"),
    (group(members=("first",)), "*", "Blob Store 'first' is of type 'Group' and is not eligible "
                                     "to be a group member"),
    (group(name="default"), "name", "Name is already used, must be unique (ignoring case)"),
]


@pytest.mark.parametrize("body,error_id,message", GROUP_INVALID,
                         ids=[m[:30] for _, _, m in GROUP_INVALID])
def test_group_validation(pro: Nexus, body: dict, error_id: str, message: str) -> None:
    for name in ("m1", "used", "taken"):
        file_store(pro, name)
    assert pro.post(GROUP, group("first", members=("taken",))).status_code == 204
    with pro.state.lock:
        pro.state.repositories["repo"] = {"name": "repo", "storage": {"blobStoreName": "used"}}
    response = pro.post(GROUP, body)
    assert response.status_code == 400
    assert response.json() == [{"id": error_id, "message": message}]
    assert pro.get(f"{GROUP}/grp").status_code == 404


def test_convert_a_store_into_a_group(pro: Nexus) -> None:
    file_store(pro, "docker")
    with pro.state.lock:
        pro.state.repositories["repo"] = {"name": "repo", "storage": {"blobStoreName": "docker"}}
    response = pro.post(f"{GROUP}/convert/docker/docker-original")
    assert response.status_code == 200
    assert response.json() == {"softQuota": None, "members": ["docker-original"],
                               "fillPolicy": "writeToFirst"}
    assert pro.get("/v1/blobstores/file/docker-original").json()["path"] == "docker"
    assert pro.get(f"{GROUP}/docker").status_code == 200, "the repository's storage is now the group"
    assert pro.post(f"{GROUP}/convert/docker/again").status_code == 400, "a group"
    assert pro.post(f"{GROUP}/convert/docker-original/x").status_code == 400, "a member"
    assert pro.post(f"{GROUP}/convert/missing/x").status_code == 404
    file_store(pro, "other")
    taken = pro.post(f"{GROUP}/convert/other/default")
    assert taken.status_code == 400 and pro.get("/v1/blobstores/file/other").status_code == 200


def test_community_edition_has_no_pro_blob_stores(emulators: Emulators) -> None:
    nexus = emulators.get("3.94.0", "community")
    assert nexus.post("/v1/blobstores/azure", azure()).status_code == 405
    assert nexus.post(GROUP, group()).status_code == 405
    assert nexus.post("/v1/blobstores/google", google()).status_code == 405
    assert nexus.get(f"{GROUP}/x").status_code == 404


@pytest.mark.parametrize("version,error_id", [
    ("3.68.1", "HelperBean.attributes.storage.blobStoreName"),  # OrientDB: StorageFacetImpl
    ("3.94.0", "HelperBean.storage.blobStoreName"),  # H2/PostgreSQL: ContentFacetSupport
])
def test_a_group_member_cannot_be_a_repositorys_storage(emulators: Emulators, version: str,
                                                        error_id: str) -> None:
    """The storage facet refuses a blob store that belongs to a group (validateBlobStoreNotInGroup
    in nexus-public 3.30-3.77: "Blob Store '%s' is a member of Blob Store Group '%s' and cannot
    be set as storage"); the violation comes from ConstraintViolationFactory's HelperBean, whose
    path is attributes.storage.blobStoreName on OrientDB and storage.blobStoreName on the
    datastore. The group itself is fine as storage."""
    nexus = emulators.get(version, "pro", skip_default_repositories=True)
    file_store(nexus, "m1")
    assert nexus.post(GROUP, group("grp", members=("m1",))).status_code == 204
    for path, body in (("docker/hosted", hosted_on("m1")), ("raw/hosted", raw_hosted_on("m1"))):
        refused = nexus.post(f"/v1/repositories/{path}", body)
        assert refused.status_code == 400, refused.text
        assert refused.json() == [{"id": error_id, "message": "Blob Store 'm1' is a member of Blob "
                                                              "Store Group 'grp' and cannot be set "
                                                              "as storage"}]
    assert nexus.get("/v1/repositories").json() == []
    assert nexus.post("/v1/repositories/docker/hosted", hosted_on("grp")).status_code == 201


def hosted_on(blob_store: str) -> dict[str, Any]:
    return {"name": "docker-hosted", "online": True,
            "storage": {"blobStoreName": blob_store, "strictContentTypeValidation": True,
                        "writePolicy": "ALLOW"},
            "docker": {"v1Enabled": False, "forceBasicAuth": True}}


def raw_hosted_on(blob_store: str) -> dict[str, Any]:
    return {"name": "raw-hosted", "online": True,
            "storage": {"blobStoreName": blob_store, "strictContentTypeValidation": True,
                        "writePolicy": "ALLOW"}}
