"""Blob stores: `/v1/blobstores` (list, delete, quota status) and the file and S3 variants.

Stored documents: {name, type: "File"|"S3", softQuota, path (file) | bucketConfiguration (S3)}
plus private usage counters (`_blobCount`, `_totalSizeInBytes`, `_availableSpaceInBytes`, set
through POST /__emulator/blobstore-usage) and, for S3, the real secrets in `_secrets` while the
public document carries Nexus's placeholder.

Messages and statuses follow Nexus's own resources (sonatype/nexus-public FileBlobStoreResource,
S3BlobStoreApiResource, BlobStoreResource, BlobStoreManagerImpl, SpaceUsedQuota,
SpaceRemainingQuota, UnitFormatter).

S3 bucket lifecycle (`bucketConfiguration.bucket.expiration`, days until soft-deleted blobs are
purged): up to 3.78 the request class S3BlobStoreApiBucket marks it @NotNull (nexus-public
release-3.77.1-01; a 3.78.1-02 server answers `[{"id":"PARAMETER expiration","message":"must not
be null"}]` to a body without it, terraform-provider-sonatyperepo#314) and GET answers it
(S3BlobStoreApiConfigurationMapper: the stored value, "0" when none). From 3.79 the field is gone:
the published specs of 3.81.1 (nexus-repo-api-client-go v3.81.4), 3.86.2 and 3.94.0 have no
`expiration`, terraform-provider-sonatyperepo (validated against 3.79.1+) never sends it, GET
does not answer it, and a request that still carries it is accepted with the field ignored
(Nexus's REST ObjectMapper disables FAIL_ON_UNKNOWN_PROPERTIES).
"""
from __future__ import annotations

import copy
from typing import Any, Optional

from ..http import ApiError, Request, Response
from ..routing import Router
from ..state import NexusState
from ..validation import (NAME_TAKEN, Errors, check_body, find, name_errors, public, quoted,
                          raise_if, unquoted, unreadable)
from . import ssrf

PLACEHOLDER = "#~NXRM~PLACEHOLDER~PASSWORD~#"
SECRET_FIELDS = ("secretAccessKey", "sessionToken")
QUOTA_TYPES = {"spaceUsedQuota": "Space Used", "spaceRemainingQuota": "Space Remaining"}
# A file store reports the free space of its file system; S3 reports "unlimited" as Long.MAX_VALUE.
DEFAULT_FILE_AVAILABLE = 100_000_000_000
UNLIMITED = 2**63 - 1
NAME_MAX = 200
S3_EXPIRATION_REMOVED = "3.79.0"


def register(router: Router, state: NexusState) -> None:
    # BlobStoreResource, FileBlobStoreResource, S3BlobStoreApiResource: nexus:blobstores:<action>
    router.add("GET", "/v1/blobstores", list_stores, auth="nexus:blobstores:read")
    router.add("DELETE", "/v1/blobstores/{name}", delete_store, auth="nexus:blobstores:delete")
    router.add("GET", "/v1/blobstores/{name}/quota-status", quota_status,
               auth="nexus:blobstores:read")
    router.add("POST", "/v1/blobstores/file", create_file, auth="nexus:blobstores:create")
    router.add("GET", "/v1/blobstores/file/{name}", get_file, auth="nexus:blobstores:read")
    router.add("PUT", "/v1/blobstores/file/{name}", update_file, auth="nexus:blobstores:update")
    router.add("POST", "/v1/blobstores/s3", create_s3, auth="nexus:blobstores:create")
    router.add("GET", "/v1/blobstores/s3/{name}", get_s3, auth="nexus:blobstores:read")
    router.add("PUT", "/v1/blobstores/s3/{name}", update_s3, auth="nexus:blobstores:update")
    state.control_handlers[("POST", "blobstore-usage")] = set_usage


# --- list, delete, quota ---------------------------------------------------------------------
def _usage(doc: dict[str, Any]) -> tuple[int, int, int]:
    default_available = UNLIMITED if doc["type"] == "S3" else DEFAULT_FILE_AVAILABLE
    return (int(doc.get("_blobCount", 0)), int(doc.get("_totalSizeInBytes", 0)),
            int(doc.get("_availableSpaceInBytes", default_available)))


def list_stores(state: NexusState, req: Request) -> Response:
    with state.lock:
        answer = []
        for doc in state.blobstores.values():
            blob_count, total, available = _usage(doc)
            answer.append({"softQuota": copy.deepcopy(doc.get("softQuota")), "name": doc["name"],
                           "type": doc["type"], "unavailable": bool(doc.get("_unavailable", False)),
                           "blobCount": blob_count, "totalSizeInBytes": total,
                           "availableSpaceInBytes": available})
    return Response.json(answer)


def delete_store(state: NexusState, req: Request) -> Response:
    name = req.params["name"]
    with state.lock:
        doc = find(state.blobstores, name)
        if doc is None:
            # Nexus formats "Unable to find %s '%s' blobstore" with an empty type here.
            raise unquoted(404, f"Unable to find  '{name}' blobstore")
        in_use = any(str(r.get("storage", {}).get("blobStoreName", "")).lower() == doc["name"].lower()
                     for r in state.repositories.values())
        # a group member counts as used too (BlobStoreManagerImpl.blobStoreUsageCount)
        in_use = in_use or any(doc["name"].lower() in (m.lower() for m in other.get("members", ()))
                               for other in state.blobstores.values())
        if in_use:
            raise quoted(400, f"BlobStore {doc['name']} is in use and cannot be deleted")
        del state.blobstores[doc["name"].lower()]
    return Response.empty(204)


def format_storage(size: int) -> str:
    """Nexus's UnitFormatter.formatStorage: decimal SI prefixes, two decimals."""
    units = ("B", "KB", "MB", "GB", "TB", "PB", "EB")
    index = 0 if size == 0 else min(len(str(abs(size))) - 1, 18) // 3
    return f"{size / 10 ** (3 * index):.2f} {units[index]}"


def quota_status(state: NexusState, req: Request) -> Response:
    """The soft-quota verdict. The limit is compared with byte counts as stored: the spec calls it
    "MB" but Nexus stores the number unchanged (BlobStoreApiModel) and the quota checks read it
    as bytes (datadrivers/terraform-provider-nexus#41)."""
    name = req.params["name"]
    with state.lock:
        doc = find(state.blobstores, name)
        if doc is None:
            raise ApiError(404)
        quota = doc.get("softQuota")
        _, total, available = _usage(doc)
        store_name = doc["name"]
    if not quota:
        return Response.json({"isViolation": False, "message": f"Blob store {store_name} has no quota",
                              "blobStoreName": store_name})
    limit = int(quota.get("limit") or 0)
    if quota["type"] == "spaceUsedQuota":
        violation = total > limit
        message = (f"Blob store {store_name} is using {format_storage(total)} space and has a limit "
                   f"of {format_storage(limit)}")
    else:
        violation = available != UNLIMITED and available < limit
        message = (f"Blob store {store_name} is limited to having {format_storage(limit)} available "
                   f"space, and has {format_storage(available)} space remaining")
    return Response.json({"isViolation": violation, "message": message, "blobStoreName": store_name})


def set_usage(state: NexusState, req: Request) -> Response:
    """Control call: POST /__emulator/blobstore-usage {name, blobCount, totalSizeInBytes,
    availableSpaceInBytes}; omitted counters keep their value."""
    body = req.json()
    if not isinstance(body, dict):
        return Response.json({"error": "expected a JSON object"}, 400)
    with state.lock:
        doc = find(state.blobstores, body.get("name"))
        if doc is None:
            return Response.json({"error": f"no blob store named {body.get('name')!r}"}, 404)
        for key in ("blobCount", "totalSizeInBytes", "availableSpaceInBytes"):
            if body.get(key) is not None:
                doc["_" + key] = int(body[key])
    return Response.empty(204)


# --- shared create/update checks -------------------------------------------------------------
def _soft_quota(body: dict[str, Any]) -> tuple[Optional[dict[str, Any]], Errors]:
    """The quota as stored (a missing limit is stored as -1, as Nexus does) and its errors."""
    quota = body.get("softQuota")
    if not quota:
        return None, []
    quota_type = quota.get("type")
    if not quota_type:
        return None, [("PARAMETER type", "must not be blank")]
    if quota_type not in QUOTA_TYPES:
        return None, [("*", f"Unknown soft quota type: {quota_type}")]
    limit = int(quota["limit"]) if quota.get("limit") is not None else -1
    if limit <= 0:
        return None, [("*", f"{QUOTA_TYPES[quota_type]} quotas must have a Quota Limit greater than 0")]
    return {"type": quota_type, "limit": limit}, []


def _name_taken(state: NexusState, name: Any) -> bool:
    return find(state.blobstores, name) is not None


# --- file ------------------------------------------------------------------------------------
def _file_errors(state: NexusState, schema_name: str, body: Any) -> tuple[Optional[dict], Errors]:
    """Bean validation first (the request class marks path @NotEmpty in every release, even where
    the spec does not list it as required), then the quota the descriptor validates."""
    errors = check_body(state, schema_name, body)
    if not body.get("path") and not any(e[0] == "PARAMETER path" for e in errors):
        errors.append(("PARAMETER path", "must not be empty"))
    if "Create" in schema_name:
        errors += _name_errors(body, errors)
    raise_if(errors)
    return _soft_quota(body)


def _name_errors(body: dict[str, Any], errors: Errors) -> Errors:
    """Only 3.94's spec carries the name pattern, but Nexus applied the name rules before too."""
    if any(e[0] == "PARAMETER name" for e in errors):
        return []
    return name_errors(body.get("name"), NAME_MAX)


def create_file(state: NexusState, req: Request) -> Response:
    body = req.json()
    quota, errors = _file_errors(state, "FileBlobStoreApiCreateRequest", body)
    raise_if(errors)
    with state.lock:
        if _name_taken(state, body["name"]):
            raise ApiError.validation([("name", NAME_TAKEN)])
        state.blobstores[body["name"].lower()] = {
            "name": body["name"], "type": "File", "path": body["path"], "softQuota": quota,
            "_unavailable": False}
    return Response.empty(204)


def _typed(state: NexusState, name: str, store_type: str) -> dict[str, Any]:
    """The store read through a typed endpoint: absent is 404, the other type is 400."""
    doc = find(state.blobstores, name)
    if doc is None:
        raise unquoted(404, f"Unable to find {store_type} '{name}' blobstore")
    if doc["type"] != store_type:
        if store_type == "File":
            raise quoted(400, "Unable to read non-file blob store configuration "
                              f"(type was {doc['type']})")
        raise quoted(400, f"{doc['name']} is not an S3 blob store.")
    return doc


def get_file(state: NexusState, req: Request) -> Response:
    with state.lock:
        doc = _typed(state, req.params["name"], "File")
        return Response.json({"softQuota": copy.deepcopy(doc.get("softQuota")), "path": doc["path"]})


def update_file(state: NexusState, req: Request) -> Response:
    """The name comes from the path; path and quota are replaced (no quota in the body removes it)."""
    with state.lock:
        _typed(state, req.params["name"], "File")
    body = req.json()
    quota, errors = _file_errors(state, "FileBlobStoreApiUpdateRequest", body)
    raise_if(errors)
    with state.lock:
        doc = _typed(state, req.params["name"], "File")
        doc["path"] = body["path"]
        doc["softQuota"] = quota
    return Response.empty(204)


# --- S3 --------------------------------------------------------------------------------------
def _s3_errors(state: NexusState, body: Any) -> tuple[Optional[dict], Errors]:
    """What the blob store's own validation finds once the body is well-formed (quota, SSRF)."""
    connection = (body.get("bucketConfiguration") or {}).get("advancedBucketConnection") or {}
    endpoint = connection.get("endpoint")
    quota, errors = _soft_quota(body)
    return quota, errors + ssrf.outbound_errors(
        state, endpoint, "bucketConfiguration.advancedBucketConnection.endpoint")


def _expiration_errors(state: NexusState, body: dict[str, Any], errors: Errors) -> Errors:
    """Before 3.79 `bucket.expiration` is @NotNull. The 3.68.1 spec says so itself; for 3.77-3.78
    the emulator reads the 3.86.2 spec, which no longer has the field, so the check is added."""
    if state.at_least(S3_EXPIRATION_REMOVED) or not state.at_least("3.77.0"):
        return []
    bucket = (body.get("bucketConfiguration") or {}).get("bucket")
    if not isinstance(bucket, dict) or any(e[0] == "PARAMETER expiration" for e in errors):
        return []
    value = bucket.get("expiration")
    if value is None:
        return [("PARAMETER expiration", "must not be null")]
    if isinstance(value, bool) or not (isinstance(value, int) or str(value).lstrip("-").isdigit()):
        raise unreadable(f"Cannot deserialize value of type `Integer` from {value!r} at "
                         "bucketConfiguration.bucket.expiration")
    return []


def _s3_bucket(state: NexusState, bucket: dict[str, Any]) -> dict[str, Any]:
    """S3BlobStoreApiBucket as stored and answered: region, name, prefix, and the lifecycle
    expiration only on releases that still have it."""
    stored = {"region": bucket.get("region"), "name": bucket.get("name"),
              "prefix": bucket.get("prefix")}
    if not state.at_least(S3_EXPIRATION_REMOVED):
        expiration = bucket.get("expiration")
        stored["expiration"] = int(expiration) if expiration is not None else 0
    return {k: v for k, v in stored.items() if v is not None}


def _s3_document(state: NexusState, body: dict[str, Any], quota: Optional[dict],
                 kept: dict[str, str]) -> dict[str, Any]:
    """The stored document with secrets replaced by the placeholder; `kept` holds the stored
    secrets that a placeholder in the request stands for."""
    configuration = copy.deepcopy(body["bucketConfiguration"])
    configuration["bucket"] = _s3_bucket(state, configuration["bucket"])
    security = configuration.get("bucketSecurity")
    secrets: dict[str, str] = {}
    if isinstance(security, dict):
        for field in SECRET_FIELDS:
            value = security.get(field)
            if value == PLACEHOLDER and field in kept:
                value = kept[field]
            if value:
                secrets[field] = value
                security[field] = PLACEHOLDER
    return {"name": body["name"], "softQuota": quota, "bucketConfiguration": configuration,
            "type": "S3", "_secrets": secrets, "_unavailable": False}


def create_s3(state: NexusState, req: Request) -> Response:
    body = req.json()
    errors = check_body(state, "S3BlobStoreApiModel", body)
    errors += _expiration_errors(state, body, errors)
    raise_if(errors + ([] if not str(body.get("name") or "").strip() else _name_errors(body, errors)))
    if not str(body.get("name") or "").strip():
        raise ApiError.validation([("name", "Blob store name cannot be empty")])
    quota, errors = _s3_errors(state, body)
    raise_if(errors)
    with state.lock:
        if _name_taken(state, body["name"]):
            raise ApiError.validation([("name", NAME_TAKEN)])
        state.blobstores[body["name"].lower()] = _s3_document(state, body, quota, {})
    return Response.empty(201)


def get_s3(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json(public(_typed(state, req.params["name"], "S3")))


def update_s3(state: NexusState, req: Request) -> Response:
    """A secret sent back as the placeholder keeps the stored one (S3BlobStoreApiResource)."""
    name = req.params["name"]
    body = req.json()
    errors = check_body(state, "S3BlobStoreApiModel", body)
    raise_if(errors + _expiration_errors(state, body, errors))
    with state.lock:
        doc = find(state.blobstores, name)
        errors: Errors = []
        if doc is None:
            errors.append(("name", f"No S3 blob store called '{name}'"))
        if str(body.get("name") or "").lower() != name.lower():
            errors.append(("name", "Renaming an S3 blob store name is not supported"))
        if doc is not None and doc["type"] != "S3":
            errors.append(("*", f"Blob store {name} is not an S3 blob store"))
        raise_if(errors)
    quota, errors = _s3_errors(state, body)
    raise_if(errors)
    with state.lock:
        doc = _typed(state, name, "S3")
        kept = {k: v for k, v in doc.items() if k.startswith("_") and k != "_secrets"}
        state.blobstores[doc["name"].lower()] = dict(
            _s3_document(state, dict(body, name=doc["name"]), quota, doc.get("_secrets", {})),
            **kept)
    return Response.empty(204)
