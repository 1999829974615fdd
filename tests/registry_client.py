"""A small docker/OCI registry client for the connector tests (tests/test_emulator_connectors.py,
tests/test_emulator_oci.py): free ports, the /v2/ URLs of a connector, bearer tokens, a push,
and an emulator handle that puts docker and OCI repositories straight into its state."""
from __future__ import annotations

import hashlib
import json
import socket
from typing import Optional

import requests

from tests.emulator.testing import Nexus

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
UNAUTHORIZED = {"errors": [{"code": "UNAUTHORIZED",
                            "message": "access to the requested resource is not authorized",
                            "detail": None}]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Connectors(Nexus):
    """An emulator with helpers for connector tests."""

    @property
    def v1(self) -> str:
        return f"{self.rest}/v1"

    def repository(self, name: str, kind: str = "hosted", force_basic: bool = False,
                   members: Optional[list[str]] = None, online: bool = True,
                   https_port: Optional[int] = None, fmt: str = "docker") -> int:
        """Puts a docker (or OCI) repository's GET document into the state (as the repositories
        handler would) and lets the connectors follow; returns its HTTP port."""
        port = free_port()
        doc = {"name": name, "format": fmt, "type": kind, "online": online,
               "storage": {"blobStoreName": "default", "strictContentTypeValidation": True},
               fmt: {"v1Enabled": False, "forceBasicAuth": force_basic, "httpPort": port,
                     "httpsPort": https_port}}
        if kind == "group":
            doc["group"] = {"memberNames": members or []}
        self.put_repository(doc)
        return port

    def configure(self, *, realm: bool = True, anonymous: bool = True,
                  token_realm: str = "DockerToken") -> None:
        """Active realms (the local one, plus `token_realm` when `realm`) and anonymous access."""
        realms = ["NexusAuthenticatingRealm"] + ([token_realm] if realm else [])
        assert self.put("/v1/security/realms/active", realms).status_code == 204
        assert self.put("/v1/security/anonymous", {
            "enabled": anonymous, "userId": "anonymous",
            "realmName": "NexusAuthorizingRealm"}).status_code == 200

    def connector_log(self) -> list[dict]:
        return [e for e in self.emulator.log.all() if e.get("connector")]


def v2(port: int, path: str = "/v2/") -> str:
    return f"http://127.0.0.1:{port}{path}"


def anonymous_token(port: int) -> requests.Response:
    return requests.get(v2(port, "/v2/token"), params={
        "service": v2(port, "/v2/token"), "scope": "repository:library/alpine:pull"})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def push(port: int, auth: tuple[str, str], name: str = "team/app", tag: str = "1.0") -> str:
    """A docker push: blob upload (POST, PATCH, PUT ?digest=), then the manifest; returns the
    layer's digest."""
    layer = b"layer-bytes"
    digest = "sha256:" + hashlib.sha256(layer).hexdigest()
    start = requests.post(v2(port, f"/v2/{name}/blobs/uploads/"), auth=auth)
    assert start.status_code == 202, start.text
    location = start.headers["Location"]
    assert location == f"/v2/{name}/blobs/uploads/{start.headers['Docker-Upload-UUID']}"
    patch = requests.patch(v2(port, location), data=layer, auth=auth)
    assert patch.status_code == 202 and patch.headers["Range"] == f"0-{len(layer) - 1}"
    done = requests.put(v2(port, location), params={"digest": digest}, auth=auth)
    assert done.status_code == 201 and done.headers["Docker-Content-Digest"] == digest
    manifest = json.dumps({"schemaVersion": 2, "layers": [{"digest": digest}]}).encode()
    put = requests.put(v2(port, f"/v2/{name}/manifests/{tag}"), data=manifest, auth=auth,
                       headers={"Content-Type": MANIFEST_V2})
    assert put.status_code == 201
    return digest
