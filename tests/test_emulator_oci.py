"""OCI repositories (3.94) on their connectors: the registry API docker repositories serve, with
the differences Nexus's OCI format has. Evidence (also in tests/emulator/registry.py):

* OciAttributes in the 3.94.0 OpenAPI spec are docker's (v1Enabled, forceBasicAuth, httpPort
  "Create an HTTP connector at specified port", httpsPort, subdomain, pathEnabled), and docker
  and OCI repositories share one port space;
* forceBasicAuth false needs the "OCI Bearer Token Realm" (the same spec; docker's says "Docker
  Bearer Token Realm"): OCI tokens come from their own realm, `OciBearerToken`;
* OciGroupRepositoryApiRequest carries GroupDeployAttributes: a Pro group writes to its
  writableMember, as docker's does;
* the OCI format keeps referrers (its cosign enforcement reads "a valid cosign signature attached
  as an OCI referrer", OciCosignConfiguration), the distribution-spec 1.1 API; docker
  repositories support OCI images 1.0.0/1.0.1 (help.sonatype.com docker-registry), without it.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import requests

from tests.emulator.testing import ADMIN, Emulators, Nexus
from tests.registry_client import Connectors, anonymous_token, bearer, free_port, port_open, push, v2

OCI = "3.94.0"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
SIGNATURE = "application/vnd.dev.sigstore.bundle.v0.3+json"


@pytest.fixture
def nexus(emulators: Emulators) -> Connectors:
    return Connectors(emulators.get(OCI).emulator)


def oci_body(name: str, kind: str = "hosted", port: Any = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "online": True,
                            "storage": {"blobStoreName": "default",
                                        "strictContentTypeValidation": True},
                            "oci": {"v1Enabled": False, "forceBasicAuth": True, "httpPort": port}}
    if kind == "hosted":
        body["storage"]["writePolicy"] = "ALLOW"
    body.update(extra)
    return body


def put_manifest(port: int, name: str, reference: str, manifest: dict[str, Any],
                 media_type: str = OCI_MANIFEST) -> requests.Response:
    return requests.put(v2(port, f"/v2/{name}/manifests/{reference}"), auth=ADMIN,
                        data=json.dumps(manifest).encode(), headers={"Content-Type": media_type})


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# --- connectors ----------------------------------------------------------------------------------
def test_an_oci_repository_created_over_rest_opens_its_connector(nexus: Connectors) -> None:
    port = free_port()
    assert nexus.post("/v1/repositories/oci/hosted", oci_body("oci-hosted", port=port)).status_code == 201
    assert port_open(port)
    answer = requests.get(v2(port), auth=ADMIN)
    assert answer.status_code == 200 and answer.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    assert requests.get(v2(port)).headers["WWW-Authenticate"] == \
        'BASIC realm="Sonatype Nexus Repository Manager"'
    docker = {"name": "docker-hosted", "online": True,
              "storage": {"blobStoreName": "default", "strictContentTypeValidation": True,
                          "writePolicy": "ALLOW"},
              "docker": {"v1Enabled": False, "forceBasicAuth": True, "httpPort": port}}
    taken = nexus.post("/v1/repositories/docker/hosted", docker)
    assert taken.status_code == 400
    assert taken.json() == {"id": "*", "message": f'"Port {port} is already in use by repository oci-hosted"'}
    assert nexus.delete("/v1/repositories/oci-hosted").status_code == 204
    assert not port_open(port)


def test_push_to_oci_hosted_and_pull_through_an_oci_group(nexus: Connectors) -> None:
    hosted = nexus.repository("oci-hosted", force_basic=True, fmt="oci")
    group = nexus.repository("oci-group", kind="group", members=["oci-hosted"], force_basic=True,
                             fmt="oci")
    digest = push(hosted, ADMIN, name="charts/app")
    manifest = requests.get(v2(group, "/v2/charts/app/manifests/1.0"), auth=ADMIN)
    assert manifest.status_code == 200
    assert json.loads(manifest.content)["layers"][0]["digest"] == digest
    assert requests.head(v2(group, f"/v2/charts/app/blobs/{digest}"), auth=ADMIN).status_code == 200
    assert requests.get(v2(group, "/v2/charts/app/tags/list"), auth=ADMIN).json() == {
        "name": "charts/app", "tags": ["1.0"]}
    refused = requests.post(v2(group, "/v2/charts/app/blobs/uploads/"), auth=ADMIN)
    assert refused.status_code == 404 and refused.headers["Content-Type"].startswith("text/html")


def test_a_pro_oci_group_writes_to_its_writable_member(emulators: Emulators) -> None:
    nexus = Connectors(emulators.get(OCI, "pro").emulator)
    hosted = nexus.repository("oci-hosted", force_basic=True, fmt="oci")
    group = nexus.repository("oci-group", kind="group", members=["oci-hosted"], force_basic=True,
                             fmt="oci")
    with nexus.state.lock:
        nexus.state.repositories["oci-group"]["group"]["writableMember"] = "oci-hosted"
    push(group, ADMIN)
    assert requests.get(v2(hosted, "/v2/team/app/manifests/1.0"), auth=ADMIN).status_code == 200


# --- the OCI token realm -------------------------------------------------------------------------
def test_oci_bearer_tokens_come_from_the_oci_token_realm(nexus: Connectors) -> None:
    oci = nexus.repository("oci-open", fmt="oci")
    docker = nexus.repository("docker-open")
    nexus.configure(token_realm="DockerToken")
    assert anonymous_token(oci).status_code == 401, "docker's realm does not serve OCI repositories"
    login = requests.get(v2(oci, "/v2/token"), auth=ADMIN).json()["token"]
    assert requests.get(v2(oci), headers=bearer(login)).status_code == 401
    nexus.configure(token_realm="OciBearerToken")
    assert anonymous_token(docker).status_code == 401, "and the OCI realm does not serve docker's"
    token = anonymous_token(oci)
    assert token.status_code == 200 and token.json()["token"].startswith("OciBearerToken.")
    assert requests.get(v2(oci), headers=bearer(token.json()["token"])).status_code == 200
    assert requests.get(v2(oci), headers=bearer(login)).status_code == 200
    assert nexus.put("/v1/security/realms/active",
                     ["NexusAuthenticatingRealm", "DockerToken", "OciBearerToken"]).status_code == 204
    docker_login = requests.get(v2(docker, "/v2/token"), auth=ADMIN).json()["token"]
    assert requests.get(v2(docker), headers=bearer(docker_login)).status_code == 200
    assert requests.get(v2(oci), headers=bearer(docker_login)).status_code == 401, \
        "a token is good in its own realm only"


@pytest.mark.parametrize("version,offered", [("3.86.2", False), (OCI, True)])
def test_the_oci_token_realm_and_privileges_come_with_394(emulators: Emulators, version: str,
                                                          offered: bool) -> None:
    nexus: Nexus = emulators.get(version)
    realms = {r["id"] for r in nexus.get("/v1/security/realms/available").json()}
    assert ("OciBearerToken" in realms) == offered
    activate = nexus.put("/v1/security/realms/active", ["NexusAuthenticatingRealm", "OciBearerToken"])
    assert activate.status_code == (204 if offered else 400)
    format_wide = nexus.get("/v1/security/privileges/nx-repository-view-oci-*-read")
    assert format_wide.status_code == (200 if offered else 404)
    created = nexus.post("/v1/security/privileges/repository-view", {
        "name": "oci-read", "description": "", "format": "oci", "repository": "*",
        "actions": ["READ"]})
    if offered:
        assert created.status_code == 201
    else:
        assert created.json() == {"id": "*", "message": "\"Invalid format 'oci' supplied.\""}


# --- referrers -----------------------------------------------------------------------------------
def test_oci_repositories_keep_the_referrers_of_a_manifest(nexus: Connectors) -> None:
    port = nexus.repository("oci-hosted", force_basic=True, fmt="oci")
    image = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
             "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                        "digest": "sha256:" + "1" * 64, "size": 2}, "layers": []}
    assert put_manifest(port, "team/app", "1.0", image).status_code == 201
    image_digest = digest_of(json.dumps(image).encode())
    subject = {"mediaType": OCI_MANIFEST, "digest": image_digest, "size": len(json.dumps(image))}
    signature = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": SIGNATURE,
                 "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                            "digest": "sha256:" + "4" * 64, "size": 2},
                 "layers": [], "subject": subject, "annotations": {"signed": "yes"}}
    signature_bytes = json.dumps(signature).encode()
    sbom = dict(signature, artifactType="application/spdx+json", annotations={})
    stored = put_manifest(port, "team/app", digest_of(signature_bytes), signature)
    assert stored.status_code == 201 and stored.headers["OCI-Subject"] == image_digest
    assert put_manifest(port, "team/app", "sbom", sbom).status_code == 201
    listed = requests.get(v2(port, f"/v2/team/app/referrers/{image_digest}"), auth=ADMIN)
    assert listed.status_code == 200
    assert listed.headers["Content-Type"] == "application/vnd.oci.image.index.v1+json"
    index = listed.json()
    assert index["schemaVersion"] == 2 and len(index["manifests"]) == 2
    assert {"mediaType": OCI_MANIFEST, "digest": digest_of(signature_bytes),
            "size": len(signature_bytes), "artifactType": SIGNATURE,
            "annotations": {"signed": "yes"}} in index["manifests"]
    only = requests.get(v2(port, f"/v2/team/app/referrers/{image_digest}"),
                        params={"artifactType": SIGNATURE}, auth=ADMIN)
    assert only.headers["OCI-Filters-Applied"] == "artifactType"
    assert [m["artifactType"] for m in only.json()["manifests"]] == [SIGNATURE]
    none = requests.get(v2(port, f"/v2/team/app/referrers/{'sha256:' + '9' * 64}"), auth=ADMIN)
    assert none.status_code == 200 and none.json()["manifests"] == []


def test_docker_repositories_have_no_referrers_api(nexus: Connectors) -> None:
    port = nexus.repository("docker-hosted", force_basic=True)
    image = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "layers": []}
    signature = dict(image, subject={"mediaType": OCI_MANIFEST,
                                     "digest": digest_of(json.dumps(image).encode()), "size": 1})
    stored = put_manifest(port, "team/app", "sig", signature)
    assert stored.status_code == 201 and "OCI-Subject" not in stored.headers
    assert requests.get(v2(port, f"/v2/team/app/referrers/{digest_of(b'x')}"),
                        auth=ADMIN).status_code == 404
