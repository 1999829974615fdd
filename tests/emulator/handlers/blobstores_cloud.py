"""Pro blob stores: Azure (`/v1/blobstores/azure`), Google Cloud (`/v1/blobstores/google`, from
3.77 - first documented by the 3.86.2 spec) and groups (`/v1/blobstores/group`, with
`POST /v1/blobstores/group/convert/{name}/{newNameForOriginal}`).

Edition: help.sonatype.com ("Configuring Blob Stores", "Storage Guide") marks Azure Cloud
Storage, Group, Fill Policy and Promote to Group as PRO; the Pro resources are not installed on
Community Edition, so there `POST /v1/blobstores/azure` hits `DELETE /v1/blobstores/{name}`
(405) and the typed GET/PUT paths are unknown (404).

Group rules are BlobStoreGroupDescriptor's (sonatype/nexus-public), answered as 400 lists
with id "*": a fill policy is required and must be roundRobin or writeToFirst; members may not
be empty, contain the group itself, be groups, belong to another group, or be storage of a
repository; a member may only leave a group when it is read-only and empty, which a concrete
store never is over REST ("use 'Admin - Remove a member from a blob store group' task instead").
Deleting a member is refused like deleting a store in use (BlobStoreManagerImpl.delete, hooked
in blobstores.delete_store). Conversion (BlobStoreManagerImpl.isConvertable) renames the
original to `newNameForOriginal`, puts it alone in a new writeToFirst group that takes the old
name (so repositories keep their storage), and answers 200 with the group.

Secrets: Azure and Google account keys are write-only - GET leaves them out (the sonatyperepo
provider: "AccountKey is never returned by API"); a PUT without one keeps the stored key.
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Optional

from ..http import ApiError, Request, Response
from ..routing import Router, bind
from ..state import NexusState
from ..validation import (NAME_TAKEN, Errors, check_body, find, name_errors, quoted, raise_if,
                          unquoted)
from .blobstores import NAME_MAX, _soft_quota as soft_quota
from .support import PLACEHOLDER, SPEC_3_86, available

AZURE, GOOGLE, GROUP = "Azure Cloud Storage", "Google Cloud Storage", "Group"
FILL_POLICIES = ("roundRobin", "writeToFirst")
GOOGLE_AUTH = ("applicationDefault", "accountKey")
GOOGLE_ENCRYPTION = ("default", "kmsManagedEncryption")


def register(router: Router, state: NexusState) -> None:
    pro = available(pro=True)
    google = available(since=SPEC_3_86, pro=True)
    for kind, gate in (("azure", pro), ("google", google)):
        router.add("POST", f"/v1/blobstores/{kind}", bind(create_cloud, kind), available=gate)
        router.add("PUT", f"/v1/blobstores/{kind}/{{name}}", bind(update_cloud, kind),
                   available=gate)
    router.add("GET", "/v1/blobstores/azure/{name}", get_azure, available=pro)
    router.add("GET", "/v1/blobstores/google/{name}", get_google, available=google)
    router.add("POST", "/v1/blobstores/group", create_group, available=pro)
    router.add("GET", "/v1/blobstores/group/{name}", get_group, available=pro)
    router.add("PUT", "/v1/blobstores/group/{name}", update_group, available=pro)
    router.add("POST", "/v1/blobstores/group/convert/{name}/{newNameForOriginal}", convert,
               available=pro)


# --- shared ------------------------------------------------------------------------------------
def _typed(state: NexusState, name: str, store_type: str) -> dict[str, Any]:
    doc = find(state.blobstores, name)
    if doc is None:
        raise unquoted(404, f"Unable to find {store_type} '{name}' blobstore")
    if doc["type"] != store_type:
        raise quoted(400, f"{doc['name']} is not a {store_type} blob store.")
    return doc


def _new_name_errors(state: NexusState, name: Any, errors: Errors) -> Errors:
    if any(e[0] == "PARAMETER name" for e in errors):
        return []
    problems = name_errors(name, NAME_MAX)
    if not problems and find(state.blobstores, name) is not None:
        problems = [("name", NAME_TAKEN)]
    return problems


def group_of(state: NexusState, member: str) -> Optional[str]:
    """The group a blob store belongs to (BlobStoreManager.getParent)."""
    for doc in state.blobstores.values():
        if doc["type"] == GROUP and member.lower() in (m.lower() for m in doc["members"]):
            return doc["name"]
    return None


def _stored_secret(sent: Optional[str], kept: Optional[str]) -> Optional[str]:
    return kept if sent in (None, "", PLACEHOLDER) else sent


# --- Azure -------------------------------------------------------------------------------------
def _azure(body: dict[str, Any], kept_key: Optional[str]) -> dict[str, Any]:
    config = body["bucketConfiguration"]
    auth = config["authentication"]
    key = _stored_secret(auth.get("accountKey"), kept_key)
    quota, errors = soft_quota(body)
    if auth["authenticationMethod"] == "ACCOUNTKEY" and not key:
        errors.append(("bucketConfiguration.authentication.accountKey",
                       "An account key is required for the ACCOUNTKEY authentication method"))
    raise_if(errors)
    return {"name": body["name"], "type": AZURE, "softQuota": quota,
            "bucketConfiguration": {"accountName": config["accountName"],
                                    "containerName": config["containerName"],
                                    "authentication": {
                                        "authenticationMethod": auth["authenticationMethod"]}},
            "_accountKey": key if auth["authenticationMethod"] == "ACCOUNTKEY" else None,
            "_unavailable": False}


def get_azure(state: NexusState, req: Request) -> Response:
    with state.lock:
        doc = _typed(state, req.params["name"], AZURE)
        return Response.json({"name": doc["name"], "softQuota": copy.deepcopy(doc["softQuota"]),
                              "bucketConfiguration": copy.deepcopy(doc["bucketConfiguration"])})


# --- Google Cloud ------------------------------------------------------------------------------
def _google(body: dict[str, Any], kept_key: Optional[str]) -> dict[str, Any]:
    config = body["bucketConfiguration"]
    security = config.get("bucketSecurity") or config.get("security") or {}
    encryption = config.get("encryption")
    quota, errors = soft_quota(body)
    method = security.get("authenticationMethod") or "applicationDefault"
    if method not in GOOGLE_AUTH:
        errors.append(("bucketConfiguration.bucketSecurity.authenticationMethod",
                       f"Unknown authentication method {method}; use one of "
                       f"{', '.join(GOOGLE_AUTH)}"))
    key = _stored_secret(security.get("accountKey"), kept_key)
    if method == "accountKey" and not key:
        errors.append(("bucketConfiguration.bucketSecurity.accountKey",
                       "The credentials JSON file is required for the accountKey method"))
    if encryption and encryption.get("encryptionType") not in (None, *GOOGLE_ENCRYPTION):
        errors.append(("bucketConfiguration.encryption.encryptionType",
                       f"Unknown encryption type {encryption['encryptionType']}; use one of "
                       f"{', '.join(GOOGLE_ENCRYPTION)}"))
    raise_if(errors)
    bucket = config["bucket"]
    return {"name": body["name"], "type": GOOGLE, "softQuota": quota,
            "bucketConfiguration": {
                "bucket": {k: bucket.get(k) for k in ("name", "prefix", "region", "projectId")},
                "bucketSecurity": {"authenticationMethod": method},
                "encryption": None if not encryption else {
                    "encryptionType": encryption.get("encryptionType") or "default",
                    "encryptionKey": encryption.get("encryptionKey")}},
            "_accountKey": key if method == "accountKey" else None, "_unavailable": False}


def get_google(state: NexusState, req: Request) -> Response:
    with state.lock:
        doc = _typed(state, req.params["name"], GOOGLE)
        return Response.json({"name": doc["name"], "type": GOOGLE,
                              "softQuota": copy.deepcopy(doc["softQuota"]),
                              "bucketConfiguration": copy.deepcopy(doc["bucketConfiguration"])})


# --- create and update (Azure and Google alike) -------------------------------------------------
# kind -> (type, request schema, the stored document built from a request and the kept key)
Builder = Callable[[dict[str, Any], Optional[str]], dict[str, Any]]
CLOUD: dict[str, tuple[str, str, Builder]] = {
    "azure": (AZURE, "AzureBlobStoreApiModel", _azure),
    "google": (GOOGLE, "GoogleCloudBlobstoreApiModel", _google)}


def create_cloud(state: NexusState, req: Request, kind: str) -> Response:
    """201; bean validation, then the name rules, then the store's own checks."""
    body = req.json()
    errors = check_body(state, CLOUD[kind][1], body)
    with state.lock:
        raise_if(errors + _new_name_errors(state, body.get("name"), errors))
        state.blobstores[body["name"].lower()] = CLOUD[kind][2](body, None)
    return Response.empty(201)


def update_cloud(state: NexusState, req: Request, kind: str) -> Response:
    """204; the name comes from the path, a left-out key keeps the stored one. A missing Azure
    store is a 400 ("Specified Azure blob store doesn't exist" in the spec), a Google one 404."""
    store_type, schema, build = CLOUD[kind]
    body = req.json()
    raise_if(check_body(state, schema, body, optional=frozenset({"name"})))
    name = req.params["name"]
    with state.lock:
        if kind == "azure" and find(state.blobstores, name) is None:
            raise quoted(400, f"Azure blob store '{name}' doesn't exist")
        doc = _typed(state, name, store_type)
        kept = {k: v for k, v in doc.items() if k.startswith("_") and k != "_accountKey"}
        new = build(dict(body, name=doc["name"]), doc.get("_accountKey"))
        state.blobstores[doc["name"].lower()] = dict(new, **kept)
    return Response.empty(204)


# --- groups ------------------------------------------------------------------------------------
def _repositories_using(state: NexusState, name: str) -> int:
    return sum(1 for repo in state.repositories.values()
               if str(repo.get("storage", {}).get("blobStoreName", "")).lower() == name.lower())


def _group_errors(state: NexusState, name: str, members: list[str], fill_policy: Any,
                  current: Optional[dict[str, Any]]) -> Errors:
    """BlobStoreGroupDescriptor.validateConfig, first failure only (it throws)."""
    if not fill_policy or not str(fill_policy).strip():
        return [("*", "Blob store group requires a fill policy configuration")]
    if fill_policy not in FILL_POLICIES:
        # The descriptor passes its message template as the error id, the options as the text.
        return [("Blob store group requires a valid fill policy name, options include [{}]",
                 ", ".join(FILL_POLICIES))]
    if not members:
        return [("*", f"Blob Store '{name}' cannot be empty")]
    if name.lower() in (m.lower() for m in members):
        return [("*", f"Blob Store '{name}' cannot contain itself")]
    for member in members:
        doc = find(state.blobstores, member)
        if doc is None:
            return [("*", f"Blob Store '{member}' does not exist")]
        if doc["type"] == GROUP:
            return [("*", f"Blob Store '{member}' is of type '{GROUP}' and is not eligible to "
                          "be a group member")]
        parent = group_of(state, member)
        if parent is not None and parent.lower() != name.lower():
            return [("*", f"Blob Store '{member}' is already a member of Blob Store Group "
                          f"'{parent}'")]
        used = _repositories_using(state, member)
        if used:
            return [("*", f"Blob Store '{member}' is set as storage for {used} repositories and "
                          "is not eligible to be a group member")]
    for existing in (current or {}).get("members", []):
        if existing.lower() not in (m.lower() for m in members):
            return [("*", f"Blob Store '{existing}' cannot be removed from Blob Store Group "
                          f"'{name}', use 'Admin - Remove a member from a blob store group' "
                          "task instead")]
    return []


def _group_body(state: NexusState, body: Any, schema: str) -> tuple[dict, Optional[dict], Errors]:
    errors = check_body(state, schema, body)
    quota, quota_errors = soft_quota(body)
    return body, quota, errors + quota_errors


def create_group(state: NexusState, req: Request) -> Response:
    body, quota, errors = _group_body(state, req.json(), "GroupBlobStoreApiCreateRequest")
    with state.lock:
        raise_if(errors + _new_name_errors(state, body.get("name"), errors))
        members = list(body.get("members") or [])
        raise_if(_group_errors(state, body["name"], members, body.get("fillPolicy"), None))
        state.blobstores[body["name"].lower()] = {
            "name": body["name"], "type": GROUP, "softQuota": quota,
            "members": [find(state.blobstores, m)["name"] for m in members],
            "fillPolicy": body["fillPolicy"], "_unavailable": False}
    return Response.empty(204)


def _group_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {"softQuota": copy.deepcopy(doc["softQuota"]), "members": list(doc["members"]),
            "fillPolicy": doc["fillPolicy"]}


def get_group(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json(_group_view(_typed(state, req.params["name"], GROUP)))


def update_group(state: NexusState, req: Request) -> Response:
    with state.lock:
        _typed(state, req.params["name"], GROUP)
    body, quota, errors = _group_body(state, req.json(), "GroupBlobStoreApiUpdateRequest")
    raise_if(errors)
    with state.lock:
        doc = _typed(state, req.params["name"], GROUP)
        members = list(body.get("members") or [])
        raise_if(_group_errors(state, doc["name"], members, body.get("fillPolicy"), doc))
        doc.update({"softQuota": quota, "fillPolicy": body["fillPolicy"],
                    "members": [find(state.blobstores, m)["name"] for m in members]})
    return Response.empty(204)


def convert(state: NexusState, req: Request) -> Response:
    name, new_name = req.params["name"], req.params["newNameForOriginal"]
    with state.lock:
        doc = find(state.blobstores, name)
        if doc is None:
            raise unquoted(404, f"Unable to find  '{name}' blobstore")
        parent = group_of(state, doc["name"])
        if doc["type"] == GROUP or parent is not None:
            reason = "is a group" if doc["type"] == GROUP else f"is a member of group '{parent}'"
            raise quoted(400, f"Blob store '{doc['name']}' {reason} and cannot be converted "
                              "to a group")
        raise_if(name_errors(new_name, NAME_MAX, "newNameForOriginal"))
        if find(state.blobstores, new_name) is not None:
            raise ApiError.validation([("newNameForOriginal", NAME_TAKEN)])
        original = dict(doc, name=new_name)
        del state.blobstores[doc["name"].lower()]
        state.blobstores[new_name.lower()] = original
        group = {"name": doc["name"], "type": GROUP, "softQuota": None, "members": [new_name],
                 "fillPolicy": "writeToFirst", "_unavailable": False}
        state.blobstores[doc["name"].lower()] = group
        return Response.json(_group_view(group))
