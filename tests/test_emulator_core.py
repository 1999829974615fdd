"""The emulator's configuration areas (blob stores, cleanup policies, docker repositories, routing
rules, SSRF protection) against real-Nexus behaviour. Each decided case is a test; where each case
comes from is said in the handler modules' docstrings."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pytest

from tests.emulator.handlers.blobstores import PLACEHOLDER, format_storage
from tests.emulator.testing import Emulators, Nexus
from tests.emulator.validation import NAME_MESSAGE, NAME_TAKEN


@pytest.fixture
def nexus(emulators: Emulators) -> Nexus:
    return emulators.get()


def hosted(name: str = "docker-hosted", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "online": True,
                            "storage": {"blobStoreName": "default", "strictContentTypeValidation": True,
                                        "writePolicy": "ALLOW_ONCE"},
                            "docker": {"v1Enabled": False, "forceBasicAuth": True}}
    body.update(overrides)
    return body


def proxy(name: str = "docker-proxy", remote: str = "https://registry-1.docker.io", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "online": True,
                            "storage": {"blobStoreName": "default", "strictContentTypeValidation": True},
                            "proxy": {"remoteUrl": remote, "contentMaxAge": 1440, "metadataMaxAge": 1440},
                            "negativeCache": {"enabled": True, "timeToLive": 1440},
                            "httpClient": {"blocked": False, "autoBlock": True},
                            "docker": {"v1Enabled": False, "forceBasicAuth": False},
                            "dockerProxy": {"indexType": "HUB"}}
    body.update(overrides)
    return body


def group(name: str = "docker-group", members: Optional[list[str]] = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "online": True,
                            "storage": {"blobStoreName": "default", "strictContentTypeValidation": True},
                            "group": {"memberNames": members if members is not None else ["docker-hosted"]},
                            "docker": {"v1Enabled": False, "forceBasicAuth": True}}
    body.update(overrides)
    return body


def s3(name: str = "s3-store", secret: str = "s3cr3t") -> dict[str, Any]:
    return {"name": name, "softQuota": None,
            "bucketConfiguration": {"bucket": {"region": "eu-west-1", "name": "bucket", "prefix": ""},
                                    "bucketSecurity": {"accessKeyId": "AKIA", "secretAccessKey": secret}}}


def policy(name: str = "docker-30d", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "format": "docker", "notes": "", "criteriaLastDownloaded": 30}
    body.update(overrides)
    return body


def rule(name: str = "only-library", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "description": "", "mode": "ALLOW", "matchers": ["^/v2/library/.*"]}
    body.update(overrides)
    return body


# --- blob stores ------------------------------------------------------------------------------
def test_default_file_blob_store_is_listed_with_usage_fields(nexus: Nexus) -> None:
    stores = nexus.get("/v1/blobstores").json()
    assert [s["name"] for s in stores] == ["default"]
    assert set(stores[0]) >= {"name", "type", "blobCount", "totalSizeInBytes",
                              "availableSpaceInBytes", "softQuota"}
    assert stores[0]["type"] == "File" and stores[0]["softQuota"] is None


def test_file_blob_store_lifecycle(nexus: Nexus) -> None:
    assert nexus.post("/v1/blobstores/file", {"name": "docker", "path": "docker"}).status_code == 204
    assert nexus.get("/v1/blobstores/file/docker").json() == {"softQuota": None, "path": "docker"}
    quota = {"type": "spaceUsedQuota", "limit": 5_000_000}
    assert nexus.put("/v1/blobstores/file/docker",
                     {"path": "/nexus-data/blobs/docker2", "softQuota": quota}).status_code == 204
    assert nexus.get("/v1/blobstores/file/docker").json() == {"softQuota": quota,
                                                             "path": "/nexus-data/blobs/docker2"}
    # no softQuota in an update removes it
    assert nexus.put("/v1/blobstores/file/docker", {"path": "x"}).status_code == 204
    assert nexus.get("/v1/blobstores/file/docker").json()["softQuota"] is None
    assert nexus.delete("/v1/blobstores/docker").status_code == 204
    assert nexus.get("/v1/blobstores/file/docker").status_code == 404


def test_blob_store_names_are_unique_ignoring_case_and_patterned(nexus: Nexus) -> None:
    r = nexus.post("/v1/blobstores/file", {"name": "DEFAULT", "path": "p"})
    assert r.status_code == 400 and r.json() == [{"id": "name", "message": NAME_TAKEN}]
    r = nexus.post("/v1/blobstores/file", {"name": "_bad", "path": "p"})
    assert r.status_code == 400 and r.json() == [{"id": "PARAMETER name", "message": NAME_MESSAGE}]
    r = nexus.post("/v1/blobstores/file", {"name": "nopath"})
    assert r.status_code == 400 and r.json()[0]["id"] == "PARAMETER path"


def test_blob_store_read_through_the_other_type_is_a_bad_request(nexus: Nexus) -> None:
    assert nexus.post("/v1/blobstores/s3", s3()).status_code == 201
    r = nexus.get("/v1/blobstores/s3/default")
    assert r.status_code == 400 and r.json() == {"id": "*", "message": '"default is not an S3 blob store."'}
    r = nexus.get("/v1/blobstores/file/s3-store")
    assert r.status_code == 400
    assert r.json()["message"] == '"Unable to read non-file blob store configuration (type was S3)"'
    r = nexus.get("/v1/blobstores/file/missing")
    assert r.status_code == 404 and r.json() == {"id": "*", "message": "Unable to find File 'missing' blobstore"}


def test_s3_secret_is_masked_and_placeholder_keeps_it(nexus: Nexus) -> None:
    assert nexus.post("/v1/blobstores/s3", s3()).status_code == 201
    doc = nexus.get("/v1/blobstores/s3/s3-store").json()
    assert doc["type"] == "S3" and doc["name"] == "s3-store"
    assert doc["bucketConfiguration"]["bucketSecurity"]["secretAccessKey"] == PLACEHOLDER
    doc["bucketConfiguration"]["bucket"]["prefix"] = "raw"
    assert nexus.put("/v1/blobstores/s3/s3-store", doc).status_code == 204
    stored = nexus.control("GET", "state").json()["blobstores"]["s3-store"]
    assert stored["_secrets"]["secretAccessKey"] == "s3cr3t"
    assert stored["bucketConfiguration"]["bucket"]["prefix"] == "raw"
    assert nexus.put("/v1/blobstores/s3/s3-store", s3(secret="new")).status_code == 204
    assert nexus.control("GET", "state").json()["blobstores"]["s3-store"]["_secrets"]["secretAccessKey"] == "new"


def test_s3_update_refuses_rename_and_unknown_store(nexus: Nexus) -> None:
    assert nexus.post("/v1/blobstores/s3", s3()).status_code == 201
    r = nexus.put("/v1/blobstores/s3/s3-store", s3(name="other"))
    assert r.status_code == 400
    assert r.json() == [{"id": "name", "message": "Renaming an S3 blob store name is not supported"}]
    r = nexus.put("/v1/blobstores/s3/ghost", s3(name="ghost"))
    assert r.status_code == 400 and {"id": "name", "message": "No S3 blob store called 'ghost'"} in r.json()


def test_blob_store_delete_in_use_and_absent(nexus: Nexus) -> None:
    r = nexus.delete("/v1/blobstores/default")  # the default maven/nuget repositories use it
    assert r.status_code == 400
    assert r.json() == {"id": "*", "message": '"BlobStore default is in use and cannot be deleted"'}
    r = nexus.delete("/v1/blobstores/nothing")
    assert r.status_code == 404 and r.json()["message"] == "Unable to find  'nothing' blobstore"


def test_quota_status(nexus: Nexus) -> None:
    assert nexus.get("/v1/blobstores/default/quota-status").json() == {
        "isViolation": False, "message": "Blob store default has no quota", "blobStoreName": "default"}
    assert nexus.get("/v1/blobstores/ghost/quota-status").status_code == 404
    nexus.post("/v1/blobstores/file", {"name": "used", "path": "u",
                                       "softQuota": {"type": "spaceUsedQuota", "limit": 1_000_000}})
    status = nexus.get("/v1/blobstores/used/quota-status").json()
    assert status["isViolation"] is False
    assert status["message"] == "Blob store used is using 0.00 B space and has a limit of 1.00 MB"
    assert nexus.control("POST", "blobstore-usage", {"name": "used", "blobCount": 3,
                                                     "totalSizeInBytes": 2_500_000}).status_code == 204
    status = nexus.get("/v1/blobstores/used/quota-status").json()
    assert status["isViolation"] is True and "using 2.50 MB space" in status["message"]
    listed = next(s for s in nexus.get("/v1/blobstores").json() if s["name"] == "used")
    assert (listed["blobCount"], listed["totalSizeInBytes"]) == (3, 2_500_000)
    nexus.post("/v1/blobstores/file", {"name": "free", "path": "f",
                                       "softQuota": {"type": "spaceRemainingQuota", "limit": 10_000}})
    nexus.control("POST", "blobstore-usage", {"name": "free", "availableSpaceInBytes": 5_000})
    status = nexus.get("/v1/blobstores/free/quota-status").json()
    assert status["isViolation"] is True
    assert status["message"] == ("Blob store free is limited to having 10.00 KB available space, "
                                 "and has 5.00 KB space remaining")
    assert nexus.control("POST", "blobstore-usage", {"name": "ghost"}).status_code == 404


def test_soft_quota_needs_a_positive_limit(nexus: Nexus) -> None:
    r = nexus.post("/v1/blobstores/file", {"name": "q", "path": "q", "softQuota": {"type": "spaceUsedQuota"}})
    assert r.status_code == 400
    assert r.json() == [{"id": "*", "message": "Space Used quotas must have a Quota Limit greater than 0"}]


def test_format_storage_matches_nexus_unit_formatter() -> None:
    assert format_storage(0) == "0.00 B"
    assert format_storage(999) == "999.00 B"
    assert format_storage(1000) == "1.00 KB"
    assert format_storage(2_500_000_000) == "2.50 GB"


# --- cleanup policies -------------------------------------------------------------------------
def test_internal_cleanup_policy_lifecycle(nexus: Nexus) -> None:
    r = nexus.post("/internal/cleanup-policies", policy())
    assert r.status_code == 200
    assert r.json()["name"] == "docker-30d" and r.json()["inUseCount"] == 0
    assert r.json()["criteriaLastDownloaded"] == 30 and r.json()["criteriaLastBlobUpdated"] is None
    assert [p["name"] for p in nexus.get("/internal/cleanup-policies").json()] == ["docker-30d"]
    r = nexus.put("/internal/cleanup-policies/docker-30d", policy(criteriaLastDownloaded=45))
    assert r.status_code == 200 and r.json()["criteriaLastDownloaded"] == 45
    assert nexus.get("/internal/cleanup-policies/docker-30d").json()["criteriaLastDownloaded"] == 45
    assert nexus.get("/internal/cleanup-policies?format=maven2").json() == []
    assert nexus.delete("/internal/cleanup-policies/docker-30d").status_code == 204
    assert nexus.get("/internal/cleanup-policies/docker-30d").status_code == 404


def test_cleanup_policy_validation(emulators: Emulators) -> None:
    nexus = emulators.get()
    nexus.post("/internal/cleanup-policies", policy())
    r = nexus.post("/internal/cleanup-policies", policy(name="DOCKER-30D"))
    assert r.status_code == 400 and r.json() == [{"id": "PARAMETER name", "message": NAME_TAKEN}]
    r = nexus.post("/internal/cleanup-policies", policy(name="no-criteria", criteriaLastDownloaded=None))
    assert r.status_code == 400 and "At least one criterion" in r.json()[0]["message"]
    r = nexus.post("/internal/cleanup-policies", policy(name="bad-format", format="dockr"))
    assert r.json() == [{"id": "format", "message": "specified format dockr is not valid."}]
    r = nexus.post("/internal/cleanup-policies", policy(name="rt", criteriaReleaseType="RELEASES"))
    assert r.status_code == 400
    assert r.json()["message"] == "Specified format docker does not support the 'Release type' criteria."
    r = nexus.post("/internal/cleanup-policies", policy(name="keep", retain=3))  # Pro only
    assert r.status_code == 400 and "'Retain components'" in r.json()["message"]
    r = nexus.post("/internal/cleanup-policies", policy(name="rx", criteriaAssetRegex="(["))
    assert r.status_code == 400 and r.json()[0]["id"] == "PARAMETER criteriaAssetRegex"
    pro = emulators.get(edition="pro")
    assert pro.post("/internal/cleanup-policies", policy(name="keep", retain=3)).status_code == 200


def test_public_cleanup_policy_api_only_on_pro_before_394(emulators: Emulators) -> None:
    assert emulators.get().get("/v1/cleanup-policies").status_code == 404
    assert emulators.get(version="3.94.0", edition="pro").post("/v1/cleanup-policies", policy()).status_code == 404
    pro = emulators.get(edition="pro")
    assert pro.post("/v1/cleanup-policies", policy()).status_code == 201
    assert pro.put("/v1/cleanup-policies/docker-30d", policy(criteriaLastBlobUpdated=7)).status_code == 204
    assert pro.get("/v1/cleanup-policies/docker-30d").json()["criteriaLastBlobUpdated"] == 7
    assert "inUseCount" not in pro.get("/v1/cleanup-policies").json()[0]
    assert pro.delete("/v1/cleanup-policies/docker-30d").status_code == 204


def test_deleting_a_policy_detaches_it_from_repositories(emulators: Emulators) -> None:
    nexus = emulators.get(version="3.94.0")
    nexus.post("/internal/cleanup-policies", policy())
    assert nexus.post("/v1/repositories/docker/hosted",
                      hosted(cleanup={"policyNames": ["docker-30d"]})).status_code == 201
    read = nexus.get("/internal/cleanup-policies/docker-30d").json()
    assert read["inUseCount"] == 1 and read["repositories"] == ["docker-hosted"]
    r = nexus.put("/internal/cleanup-policies/docker-30d", policy(format="maven2"))
    assert r.json() == [{"id": "format", "message": "You cannot change the format of a policy that is in use."}]
    r = nexus.put("/internal/cleanup-policies/docker-30d", policy(repositories=["docker-hosted"]))
    assert r.json() == [{"id": "repositories",
                         "message": "The 'repositories' field is not supported for format 'docker'."}]
    assert nexus.delete("/internal/cleanup-policies/docker-30d").status_code == 204
    assert nexus.get("/v1/repositories/docker/hosted/docker-hosted").json()["cleanup"] == {"policyNames": []}


# --- repositories -----------------------------------------------------------------------------
def test_default_repositories_are_seeded_unless_skipped(emulators: Emulators) -> None:
    names = {r["name"]: r for r in emulators.get().get("/v1/repositorySettings").json()}
    assert set(names) == {"maven-central", "maven-releases", "maven-snapshots", "maven-public",
                          "nuget.org-proxy", "nuget-hosted", "nuget-group"}
    assert names["maven-public"]["group"]["memberNames"] == ["maven-releases", "maven-snapshots",
                                                             "maven-central"]
    assert names["maven-releases"]["maven"]["versionPolicy"] == "RELEASE"
    assert names["maven-releases"]["storage"]["writePolicy"] == "ALLOW_ONCE"
    assert emulators.get(skip_default_repositories=True).get("/v1/repositories").json() == []


def test_docker_hosted_defaults_and_read_back(nexus: Nexus) -> None:
    body = hosted(storage={"blobStoreName": "default", "strictContentTypeValidation": True,
                           "writePolicy": "allow_once", "latestPolicy": True})
    del body["docker"]["forceBasicAuth"]
    assert nexus.post("/v1/repositories/docker/hosted", body).status_code == 201
    doc = nexus.get("/v1/repositories/docker/hosted/docker-hosted").json()
    assert doc["docker"]["forceBasicAuth"] is True  # a new docker repository forces basic auth
    assert "latestPolicy" not in doc["storage"]  # stored, never read back
    assert doc["storage"]["writePolicy"] == "ALLOW_ONCE"
    assert doc["url"] == nexus.emulator.base_url + "/repository/docker-hosted"
    assert doc["cleanup"] is None and doc["component"] == {"proprietaryComponents": False}
    assert doc["format"] == "docker" and doc["type"] == "hosted"
    for wrong in ("/v1/repositories/docker/proxy/docker-hosted", "/v1/repositories/docker/hosted/maven-releases"):
        r = nexus.get(wrong)
        assert r.status_code == 404 and r.json() == {"id": "*", "message": '"Repository not found"'}
    settings = {r["name"]: r for r in nexus.get("/v1/repositorySettings").json()}
    assert settings["docker-hosted"] == doc
    listed = {r["name"]: r for r in nexus.get("/v1/repositories").json()}
    assert listed["docker-hosted"] == {"name": "docker-hosted", "format": "docker", "type": "hosted",
                                       "url": doc["url"], "attributes": {}}
    assert listed["maven-central"]["attributes"] == {"proxy": {"remoteUrl": "https://repo1.maven.org/maven2/"}}
    assert nexus.get("/v1/repositories/docker-hosted").json() == listed["docker-hosted"]
    assert nexus.get("/v1/repositories/ghost").status_code == 404


def test_docker_update_rules(nexus: Nexus) -> None:
    nexus.post("/v1/blobstores/file", {"name": "other", "path": "other"})
    assert nexus.post("/v1/repositories/docker/hosted", hosted()).status_code == 201
    updated = hosted(online=False)
    assert nexus.put("/v1/repositories/docker/hosted/docker-hosted", updated).status_code == 204
    assert nexus.get("/v1/repositories/docker/hosted/docker-hosted").json()["online"] is False
    r = nexus.put("/v1/repositories/docker/hosted/docker-hosted", hosted(name="renamed"))
    assert r.status_code == 400 and r.json() == [{"id": "name", "message": "Renaming a repository is not supported"}]
    moved = hosted(storage={"blobStoreName": "other", "strictContentTypeValidation": True, "writePolicy": "ALLOW"})
    r = nexus.put("/v1/repositories/docker/hosted/docker-hosted", moved)
    assert r.status_code == 400
    assert r.json() == [{"id": "BlobStoreName",
                         "message": "You cannot change a repository\u2019s blob store through the API"}]
    assert nexus.put("/v1/repositories/docker/hosted/ghost", hosted(name="ghost")).status_code == 404


def test_docker_create_validation(nexus: Nexus) -> None:
    r = nexus.post("/v1/repositories/docker/hosted",
                   hosted(storage={"blobStoreName": "nope", "strictContentTypeValidation": True,
                                   "writePolicy": "ALLOW"}))
    assert r.status_code == 400 and r.json() == [{"id": "BlobStoreName", "message": "Blob store not found"}]
    r = nexus.post("/v1/repositories/docker/hosted", hosted(name="Maven-Releases"))
    assert r.status_code == 400 and r.json() == [{"id": "PARAMETER name", "message": NAME_TAKEN}]
    r = nexus.post("/v1/repositories/docker/hosted", hosted(name=".hidden"))
    assert r.json() == [{"id": "PARAMETER name", "message": NAME_MESSAGE}]
    r = nexus.post("/v1/repositories/docker/hosted", hosted(name="x" * 201))
    assert r.json() == [{"id": "PARAMETER name", "message": "size must be between 1 and 200"}]
    body = proxy()
    del body["httpClient"]
    r = nexus.post("/v1/repositories/docker/proxy", body)
    assert r.status_code == 400 and r.json() == [{"id": "PARAMETER httpClient", "message": "must not be null"}]
    r = nexus.post("/v1/repositories/docker/hosted", hosted(online="sure"))
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("text/plain")


def test_docker_names_must_be_lowercase_from_389(emulators: Emulators) -> None:
    r = emulators.get(version="3.89.0").post("/v1/repositories/docker/hosted", hosted(name="Docker-Hosted"))
    assert r.status_code == 400
    assert r.json() == [{"id": "PARAMETER arg0",
                         "message": "Docker repository names must be lowercase to support path-based routing"}]
    assert emulators.get(version="3.88.0").post("/v1/repositories/docker/hosted",
                                        hosted(name="Docker-Hosted")).status_code == 201


def test_docker_ports_are_exclusive(nexus: Nexus) -> None:
    assert nexus.post("/v1/repositories/docker/hosted",
                      hosted(docker={"v1Enabled": False, "forceBasicAuth": True, "httpPort": 8082})).status_code == 201
    r = nexus.post("/v1/repositories/docker/group",
                   group(docker={"v1Enabled": False, "forceBasicAuth": True, "httpsPort": 8082}))
    assert r.status_code == 400 and "8082" in r.json()["message"]
    # a repository keeps its own port through an update
    assert nexus.put("/v1/repositories/docker/hosted/docker-hosted",
                     hosted(docker={"v1Enabled": True, "forceBasicAuth": True, "httpPort": 8082})).status_code == 204


def test_group_members_and_writable_member(emulators: Emulators) -> None:
    nexus = emulators.get()
    nexus.post("/v1/repositories/docker/hosted", hosted())
    r = nexus.post("/v1/repositories/docker/group", group(members=["ghost"]))
    assert r.status_code == 400 and "ghost" in r.json()["message"]
    r = nexus.post("/v1/repositories/docker/group", group(members=["maven-releases"]))
    assert r.status_code == 400 and "maven2" in r.json()["message"]
    r = nexus.post("/v1/repositories/docker/group",
                   group(group={"memberNames": ["docker-hosted"], "writableMember": "docker-hosted"}))
    assert r.status_code == 400 and "Pro" in r.json()["message"]
    assert nexus.post("/v1/repositories/docker/group", group()).status_code == 201
    assert nexus.delete("/v1/repositories/docker-hosted").status_code == 204
    assert nexus.get("/v1/repositories/docker/group/docker-group").json()["group"]["memberNames"] == []
    assert nexus.delete("/v1/repositories/docker-hosted").status_code == 404
    pro = emulators.get(edition="pro")
    pro.post("/v1/repositories/docker/hosted", hosted())
    body = group(group={"memberNames": ["docker-hosted"], "writableMember": "docker-hosted"})
    assert pro.post("/v1/repositories/docker/group", body).status_code == 201
    assert pro.get("/v1/repositories/docker/group/docker-group").json()["group"]["writableMember"] == "docker-hosted"


def test_path_enabled_and_subdomain_by_version_and_edition(emulators: Emulators) -> None:
    old = emulators.get(version="3.68.1")
    body = hosted(docker={"v1Enabled": False, "forceBasicAuth": True, "pathEnabled": True})
    assert old.post("/v1/repositories/docker/hosted", body).status_code == 201
    assert "pathEnabled" not in old.get("/v1/repositories/docker/hosted/docker-hosted").json()["docker"]
    new = emulators.get(version="3.86.0")
    assert new.post("/v1/repositories/docker/hosted", hosted()).status_code == 201
    assert new.get("/v1/repositories/docker/hosted/docker-hosted").json()["docker"]["pathEnabled"] is False
    body = hosted(name="sub", docker={"v1Enabled": False, "forceBasicAuth": True, "subdomain": "sub"})
    assert new.post("/v1/repositories/docker/hosted", body).status_code == 400
    assert emulators.get(edition="pro").post("/v1/repositories/docker/hosted", body).status_code == 201


def test_proxy_secrets_and_routing_rule(nexus: Nexus) -> None:
    nexus.post("/v1/routing-rules", rule())
    body = proxy(httpClient={"blocked": False, "autoBlock": True,
                             "authentication": {"type": "username", "username": "u", "password": "p"}},
                 routingRule="only-library")
    assert nexus.post("/v1/repositories/docker/proxy", body).status_code == 201
    doc = nexus.get("/v1/repositories/docker/proxy/docker-proxy").json()
    assert doc["routingRuleName"] == "only-library" and "routingRule" not in doc
    assert doc["httpClient"]["authentication"]["username"] == "u"
    assert "password" not in doc["httpClient"]["authentication"]
    assert doc["httpClient"]["connection"]["retries"] is None  # connection always answered
    assert doc["dockerProxy"]["indexType"] == "HUB" and doc["dockerProxy"]["foreignLayerUrlWhitelist"] == []
    # an unknown rule name is dropped silently; 3.94's spec spells the field routingRuleName
    assert nexus.post("/v1/repositories/docker/proxy",
                      proxy(name="p2", routingRule="ghost")).status_code == 201
    assert nexus.get("/v1/repositories/docker/proxy/p2").json()["routingRuleName"] is None
    assert nexus.post("/v1/repositories/docker/proxy",
                      proxy(name="p3", routingRuleName="only-library")).status_code == 201
    assert nexus.get("/v1/repositories/docker/proxy/p3").json()["routingRuleName"] == "only-library"
    trust = proxy(name="p4", remote="http://registry.example.org",
                  httpClient={"blocked": False, "autoBlock": True, "connection": {"useTrustStore": True}})
    r = nexus.post("/v1/repositories/docker/proxy", trust)
    assert r.json() == {"id": "*", "message": '"TrustStore is available only with HTTPS remote URLs"'}


def test_cleanup_policy_references(emulators: Emulators) -> None:
    checked = emulators.get(version="3.85.0")
    r = checked.post("/v1/repositories/docker/hosted", hosted(cleanup={"policyNames": ["ghost"]}))
    assert r.status_code == 400
    assert r.json() == [{"id": "HelperBean.cleanup", "message": "Cleanup Policy 'ghost' does not exist."}]
    lenient = emulators.get(version="3.84.0")
    assert lenient.post("/v1/repositories/docker/hosted",
                        hosted(cleanup={"policyNames": ["ghost"]})).status_code == 201
    assert lenient.get("/v1/repositories/docker/hosted/docker-hosted").json()["cleanup"] == {"policyNames": []}


def test_ssrf_protection(emulators: Emulators) -> None:
    nexus = emulators.get(version="3.94.0")
    local = proxy(remote="http://127.0.0.1:5000")
    r = nexus.post("/v1/repositories/docker/proxy", local)
    assert r.status_code == 400 and r.json()[0]["id"] == "proxy.remoteUrl"
    assert nexus.get("/v1/security/ssrf-protection").json() == {"enabled": True, "allowedIPs": [],
                                                               "allowedDomains": []}
    allow = {"enabled": True, "allowedIPs": ["127.0.0.1"], "allowedDomains": []}
    assert nexus.put("/v1/security/ssrf-protection", allow).status_code == 200
    assert nexus.post("/v1/repositories/docker/proxy", local).status_code == 201
    assert nexus.post("/v1/repositories/docker/proxy", proxy(name="p2", remote="http://localhost:5000")).status_code == 400
    assert nexus.put("/v1/security/ssrf-protection",
                     {"enabled": False, "allowedIPs": [], "allowedDomains": []}).status_code == 200
    assert nexus.post("/v1/repositories/docker/proxy", proxy(name="p2", remote="http://localhost:5000")).status_code == 201
    r = nexus.put("/v1/security/ssrf-protection", {"enabled": True, "allowedIPs": ["not-an-ip"]})
    assert r.status_code == 400
    bucket = s3()
    bucket["bucketConfiguration"]["advancedBucketConnection"] = {"endpoint": "http://10.0.0.5:9000"}
    assert nexus.post("/v1/blobstores/s3", bucket).status_code == 201  # protection is off now
    assert nexus.put("/v1/security/ssrf-protection", {"enabled": True}).status_code == 200
    r = nexus.post("/v1/blobstores/s3", dict(bucket, name="s3-other"))
    assert r.status_code == 400
    assert r.json()[0]["id"] == "bucketConfiguration.advancedBucketConnection.endpoint"
    older = emulators.get(version="3.86.0")
    assert older.get("/v1/security/ssrf-protection").status_code == 404
    assert older.post("/v1/repositories/docker/proxy", proxy(remote="http://127.0.0.1:5000")).status_code == 201


def test_repositories_survive_a_restart(emulators: Emulators, tmp_path: Path) -> None:
    first = emulators.start(data_dir=tmp_path)
    assert first.post("/v1/repositories/docker/hosted", hosted()).status_code == 201
    second = emulators.start(data_dir=tmp_path)  # a second server on the same data directory
    assert second.get("/v1/repositories/docker/hosted/docker-hosted").status_code == 200


# --- routing rules ----------------------------------------------------------------------------
def test_routing_rule_lifecycle(nexus: Nexus) -> None:
    assert nexus.post("/v1/routing-rules", rule()).status_code == 204
    assert nexus.get("/v1/routing-rules").json() == [rule()]
    assert nexus.get("/v1/routing-rules/only-library").json() == rule()
    r = nexus.post("/v1/routing-rules", rule(name="ONLY-LIBRARY"))
    assert r.status_code == 400
    assert r.json() == [{"id": "name", "message": "A rule with the same name already exists. Name must be unique."}]
    nexus.post("/v1/repositories/docker/proxy", proxy(routingRule="only-library"))
    # a rename keeps the repository pointing at the rule
    assert nexus.put("/v1/routing-rules/only-library", rule(name="library-only", mode="BLOCK")).status_code == 204
    assert nexus.get("/v1/repositories/docker/proxy/docker-proxy").json()["routingRuleName"] == "library-only"
    r = nexus.delete("/v1/routing-rules/library-only")
    assert r.status_code == 400
    assert r.json() == {"id": "*", "message": '"Routing rule is still in use by 1 repositories."'}
    nexus.delete("/v1/repositories/docker-proxy")
    assert nexus.delete("/v1/routing-rules/library-only").status_code == 204
    r = nexus.get("/v1/routing-rules/library-only")
    assert r.status_code == 404
    assert r.json() == {"id": "*", "message": "\"Did not find a routing rule with the name 'library-only'\""}


def test_routing_rule_validation_reports_everything_at_once(nexus: Nexus) -> None:
    r = nexus.post("/v1/routing-rules", {"name": "none", "mode": "BLOCK", "matchers": ["ok", "", "(["]})
    assert r.status_code == 400
    ids = {e["id"]: e["message"] for e in r.json()}
    assert ids["name"] == "Rule must not be named None"
    assert ids["description"] == "A non-null value must be specified"
    assert ids["matchers[1]"] == "Empty matchers are not allowed"
    assert ids["matchers[2]"].startswith("Invalid regex")
    r = nexus.post("/v1/routing-rules", rule(matchers=[]))
    assert r.json() == [{"id": "matchers", "message": "At least one rule must be specified"}]
    r = nexus.post("/v1/routing-rules", rule(mode="MAYBE"))
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("text/plain")

