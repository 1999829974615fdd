"""What a docker or OCI connector stores and serves: blobs, manifests and tags per hosted
repository (a group shows its members' content, in order), the upload protocol, and for the OCI
format the referrers of a manifest.

The Docker Registry HTTP API V2 / OCI distribution-spec wire format: errors are
`{"errors": [{"code", "message", "detail"}]}` with the spec's codes and messages; a manifest is
addressed by tag or by its sha256 digest; a blob upload is started with POST, may be sent in
PATCH chunks and is completed by PUT with the digest (or in the POST itself, monolithic).
"""
from __future__ import annotations

import hashlib
import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional

from .http import Response

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
# The HTML page Jetty answers for a path no handler takes; a Community Edition group has no
# write handler, so `docker push` to a group port gets this and prints
# "error parsing HTTP 404 response body: invalid character '<' looking for beginning of value".
NOT_FOUND_HTML = (
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <title>404 - Sonatype Nexus Repository"
    "</title>\n  <meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\"/>\n"
    "</head>\n<body>\n<div class=\"nexus-header\">\n  <div class=\"product-name\">Sonatype Nexus "
    "Repository</div>\n</div>\n<div class=\"error-container\">\n  <div class=\"error-code\">404"
    "</div>\n  <div class=\"error-message\">Not Found</div>\n</div>\n</body>\n</html>\n")

ERRORS = {
    "UNAUTHORIZED": "access to the requested resource is not authorized",
    "DENIED": "requested access to the resource is denied",
    "BLOB_UNKNOWN": "blob unknown to registry",
    "BLOB_UPLOAD_UNKNOWN": "blob upload unknown to registry",
    "DIGEST_INVALID": "provided digest did not match uploaded content",
    "MANIFEST_UNKNOWN": "manifest unknown",
    "NAME_UNKNOWN": "repository name not known to registry",
    "UNSUPPORTED": "The operation is unsupported.",
    "UNAVAILABLE": "Repository offline",
}


def registry_error(status: int, code: str, headers: Optional[dict[str, str]] = None) -> Response:
    body = {"errors": [{"code": code, "message": ERRORS[code], "detail": None}]}
    return Response(status, json.dumps(body).encode(), "application/json", dict(headers or {}))


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class _Content:
    """What one hosted repository holds."""
    blobs: dict[str, bytes] = field(default_factory=dict)
    # image name -> reference (tag or digest) -> (media type, manifest bytes)
    manifests: dict[str, dict[str, tuple[str, bytes]]] = field(default_factory=dict)
    uploads: dict[str, bytearray] = field(default_factory=dict)


class ContentStore:
    """Blobs and manifests per hosted repository (keyed by lower-cased repository name)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.repos: dict[str, _Content] = {}

    def of(self, key: str) -> _Content:
        with self.lock:
            return self.repos.setdefault(key, _Content())

    def forget_except(self, keys: set[str]) -> None:
        with self.lock:
            for key in set(self.repos) - keys:
                del self.repos[key]


class ContentApi:
    """The content endpoints of one connector request. The class using it provides `state`,
    `repo_key`, `repo`, `call`, `manager` (whose `store` is the ContentStore), `oci` (the
    repository is of the OCI format), `permitted(user, action)` and
    `write_target(user, action)`."""

    state: Any
    repo_key: str
    repo: dict
    call: Any
    manager: Any
    oci: bool

    def permitted(self, user: Optional[str], action: str) -> Optional[Response]:
        raise NotImplementedError

    def write_target(self, user: Optional[str], action: str) -> str | Response:
        raise NotImplementedError

    # --- reads -----------------------------------------------------------------------------------
    def sources(self) -> list[str]:
        """Hosted repositories whose content this repository shows (groups: members, in order)."""
        found: list[str] = []
        pending, seen = [self.repo_key], set()
        with self.state.lock:
            while pending:
                key = pending.pop(0)
                if key in seen:
                    continue
                seen.add(key)
                repo = self.state.repositories.get(key)
                if repo is None:
                    continue
                if repo["type"] == "hosted":
                    found.append(key)
                elif repo["type"] == "group":
                    members = (repo.get("group") or {}).get("memberNames", [])
                    pending.extend(member.lower() for member in members)
        return found

    def catalog(self) -> Response:
        names: set[str] = set()
        for key in self.sources():
            content = self.manager.store.of(key)
            with self.manager.store.lock:
                names.update(content.manifests)
        return Response.json({"repositories": sorted(names)})

    def tags(self, user: Optional[str], name: str) -> Response:
        if self.call.method not in ("GET", "HEAD"):
            return registry_error(405, "UNSUPPORTED")
        refusal = self.permitted(user, "read")
        if refusal is not None:
            return refusal
        tags: set[str] = set()
        for key in self.sources():
            content = self.manager.store.of(key)
            with self.manager.store.lock:
                refs = content.manifests.get(name, {})
                tags.update(ref for ref in refs if not ref.startswith("sha256:"))
        if not tags:
            return registry_error(404, "NAME_UNKNOWN")
        return Response.json({"name": name, "tags": sorted(tags)})

    def find_manifest(self, name: str, reference: str) -> Optional[tuple[str, bytes]]:
        for key in self.sources():
            content = self.manager.store.of(key)
            with self.manager.store.lock:
                found = content.manifests.get(name, {}).get(reference)
            if found is not None:
                return found
        return None

    def find_blob(self, digest: str) -> Optional[bytes]:
        for key in self.sources():
            content = self.manager.store.of(key)
            with self.manager.store.lock:
                found = content.blobs.get(digest)
            if found is not None:
                return found
        return None

    # --- manifests -------------------------------------------------------------------------------
    def manifest(self, user: Optional[str], name: str, reference: str) -> Response:
        method = self.call.method
        if method in ("GET", "HEAD"):
            refusal = self.permitted(user, "read")
            if refusal is not None:
                return refusal
            found = self.find_manifest(name, reference)
            if found is None:
                return registry_error(404, "MANIFEST_UNKNOWN")
            media_type, data = found
            return Response(200, data, media_type, {"Docker-Content-Digest": sha256_digest(data)})
        if method == "PUT":
            return self.put_manifest(user, name, reference)
        if method == "DELETE":
            target = self.write_target(user, "delete")
            if isinstance(target, Response):
                return target
            content = self.manager.store.of(target)
            with self.manager.store.lock:
                refs = content.manifests.get(name, {})
                if reference not in refs:
                    return registry_error(404, "MANIFEST_UNKNOWN")
                doomed = sha256_digest(refs[reference][1])
                for ref in [r for r, (_, data) in refs.items() if sha256_digest(data) == doomed]:
                    del refs[ref]
                if not refs:
                    content.manifests.pop(name, None)
            return Response(202)
        return registry_error(405, "UNSUPPORTED")

    def put_manifest(self, user: Optional[str], name: str, reference: str) -> Response:
        exists = self.find_manifest(name, reference) is not None
        target = self.write_target(user, "edit" if exists else "add")
        if isinstance(target, Response):
            return target
        data = self.call.body
        digest = sha256_digest(data)
        media_type = self.call.headers.get("content-type", MANIFEST_V2)
        content = self.manager.store.of(target)
        with self.manager.store.lock:
            refs = content.manifests.setdefault(name, {})
            refs[reference] = (media_type, data)
            refs[digest] = (media_type, data)
        headers = {"Location": f"/v2/{name}/manifests/{digest}", "Docker-Content-Digest": digest}
        subject = _subject(data) if self.oci else None
        if subject:
            # distribution-spec 1.1: a registry that keeps referrers says so with OCI-Subject.
            headers["OCI-Subject"] = subject
        return Response(201, b"", None, headers)

    def referrers(self, user: Optional[str], name: str, digest: str) -> Response:
        """OCI distribution-spec 1.1 `GET /v2/<name>/referrers/<digest>`: an image index of the
        manifests whose `subject` is that digest (signatures, SBOMs, attestations), optionally
        filtered by `artifactType`."""
        if self.call.method not in ("GET", "HEAD"):
            return registry_error(405, "UNSUPPORTED")
        refusal = self.permitted(user, "read")
        if refusal is not None:
            return refusal
        wanted = self.call.arg("artifactType")
        found: dict[str, dict[str, Any]] = {}
        for key in self.sources():
            content = self.manager.store.of(key)
            with self.manager.store.lock:
                manifests = list(content.manifests.get(name, {}).values())
            for media_type, data in manifests:
                descriptor = _referrer(media_type, data, digest)
                if descriptor and (wanted is None or descriptor.get("artifactType") == wanted):
                    found.setdefault(descriptor["digest"], descriptor)
        body = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": list(found.values())}
        headers = {"OCI-Filters-Applied": "artifactType"} if wanted is not None else {}
        return Response(200, json.dumps(body).encode(), OCI_INDEX, headers)

    # --- blobs -----------------------------------------------------------------------------------
    def blob(self, user: Optional[str], name: str, digest: str) -> Response:
        method = self.call.method
        if method in ("GET", "HEAD"):
            refusal = self.permitted(user, "read")
            if refusal is not None:
                return refusal
            data = self.find_blob(digest)
            if data is None:
                return registry_error(404, "BLOB_UNKNOWN")
            return Response(200, data, "application/octet-stream",
                            {"Docker-Content-Digest": digest})
        if method == "DELETE":
            target = self.write_target(user, "delete")
            if isinstance(target, Response):
                return target
            content = self.manager.store.of(target)
            with self.manager.store.lock:
                if content.blobs.pop(digest, None) is None:
                    return registry_error(404, "BLOB_UNKNOWN")
            return Response(202)
        return registry_error(405, "UNSUPPORTED")

    def upload(self, user: Optional[str], name: str, upload: str) -> Response:
        method = self.call.method
        if method == "POST" and not upload:
            return self.start_upload(user, name)
        if not upload or method not in ("GET", "PATCH", "PUT", "DELETE"):
            return registry_error(405, "UNSUPPORTED")
        target = self.write_target(user, "add")
        if isinstance(target, Response):
            return target
        content = self.manager.store.of(target)
        with self.manager.store.lock:
            buffer = content.uploads.get(upload)
            if buffer is None:
                return registry_error(404, "BLOB_UPLOAD_UNKNOWN")
            if method == "DELETE":
                del content.uploads[upload]
                return Response(204)
            buffer.extend(self.call.body if method in ("PATCH", "PUT") else b"")
            if method == "PUT":
                return self.finish_upload(content, name, upload, self.call.arg("digest"))
            size = len(buffer)
        headers = {"Location": f"/v2/{name}/blobs/uploads/{upload}", "Docker-Upload-UUID": upload,
                   "Range": f"0-{max(size - 1, 0)}"}
        return Response(202 if method == "PATCH" else 204, b"", None, headers)

    def start_upload(self, user: Optional[str], name: str) -> Response:
        target = self.write_target(user, "add")
        if isinstance(target, Response):
            return target
        content = self.manager.store.of(target)
        upload = str(uuid.uuid4())
        with self.manager.store.lock:
            content.uploads[upload] = bytearray(self.call.body)
            digest = self.call.arg("digest")
            if digest:  # monolithic upload in the POST itself
                return self.finish_upload(content, name, upload, digest)
        return Response(202, b"", None, {"Location": f"/v2/{name}/blobs/uploads/{upload}",
                                         "Docker-Upload-UUID": upload, "Range": "0-0"})

    @staticmethod
    def finish_upload(content: _Content, name: str, upload: str, digest: Optional[str]) -> Response:
        """Completes an upload (call with the store lock held)."""
        data = bytes(content.uploads.pop(upload))
        if not digest or sha256_digest(data) != digest:
            return registry_error(400, "DIGEST_INVALID")
        content.blobs[digest] = data
        return Response(201, b"", None, {"Location": f"/v2/{name}/blobs/{digest}",
                                         "Docker-Content-Digest": digest})


def _manifest_json(data: bytes) -> Optional[dict[str, Any]]:
    try:
        parsed = json.loads(data)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _subject(data: bytes) -> Optional[str]:
    manifest = _manifest_json(data)
    subject = manifest.get("subject") if manifest else None
    digest = subject.get("digest") if isinstance(subject, dict) else None
    return digest if isinstance(digest, str) else None


def _referrer(media_type: str, data: bytes, digest: str) -> Optional[dict[str, Any]]:
    """The descriptor of a manifest that refers to `digest`, as a referrers index lists it: its
    artifactType is the manifest's own, else its config's media type (distribution-spec 1.1)."""
    if _subject(data) != digest:
        return None
    manifest = _manifest_json(data) or {}
    config = manifest.get("config") if isinstance(manifest.get("config"), dict) else {}
    descriptor: dict[str, Any] = {"mediaType": manifest.get("mediaType") or media_type,
                                  "digest": sha256_digest(data), "size": len(data)}
    artifact_type = manifest.get("artifactType") or config.get("mediaType")
    if artifact_type:
        descriptor["artifactType"] = artifact_type
    if isinstance(manifest.get("annotations"), dict):
        descriptor["annotations"] = manifest["annotations"]
    return descriptor
