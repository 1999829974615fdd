"""Cleanup policies: the internal API `/internal/cleanup-policies` (every edition and release) and
the public `/v1/cleanup-policies` (Pro before 3.94 only; elsewhere an unknown path).

Stored documents: {name, format, notes, criteriaLastBlobUpdated, criteriaLastDownloaded,
criteriaReleaseType, criteriaAssetRegex, retain, sortBy}; `inUseCount` and `repositories` are
computed from the repositories' `cleanup.policyNames` when answering.

Behaviour follows Nexus's CleanupPolicyResource and CleanupPolicyXO (sonatype/nexus-public) and a
probe of a live 3.96.1 (internal POST 200 with the policy, PUT 200, DELETE 204, duplicate name 400
`PARAMETER name` "Name is already used, must be unique (ignoring case)", criteria in days with no
range check, and v1 answering 404 on Community Edition).
"""
from __future__ import annotations

from typing import Any, Optional

from ..http import ApiError, Request, Response
from ..regex import lucene_regexp_error
from ..routing import Router, bind
from ..state import NexusState
from ..validation import (NAME_TAKEN, Errors, find, json_object, name_errors, raise_if, unquoted,
                          unreadable)

ALL_FORMATS = "*"
FORMATS = ("ansiblegalaxy", "apt", "cargo", "cocoapods", "composer", "conan", "conda", "docker",
           "gitlfs", "go", "helm", "huggingface", "maven2", "npm", "nuget", "p2", "pypi", "r", "raw",
           "rubygems", "terraform", "yum")
RELEASE_TYPES = ("RELEASES", "PRERELEASES")
V1_RELEASE_TYPES = RELEASE_TYPES + ("RELEASES_AND_PRERELEASES",)
PRERELEASE_FORMATS = ("maven2", "npm", "yum")  # the formats whose components know pre-releases
RETAIN_FORMATS = ("docker", "maven2")  # Pro only
NO_REGEX_FORMATS = (ALL_FORMATS, "gitlfs")
CRITERIA = ("criteriaLastBlobUpdated", "criteriaLastDownloaded", "criteriaReleaseType",
            "criteriaAssetRegex", "retain", "sortBy")


def register(router: Router, state: NexusState) -> None:
    for prefix, api in (("/internal/cleanup-policies", "internal"), ("/v1/cleanup-policies", "v1")):
        # The public API is an unknown path on Community Edition and from 3.94 on.
        available = v1_available if api == "v1" else None
        # CleanupPolicyResource: the list needs nexus:settings:read, everything else nexus:*.
        router.add("GET", prefix, bind(list_policies, api), available=available,
                   auth="nexus:settings:read")
        router.add("POST", prefix, bind(create_policy, api), available=available)
        router.add("GET", prefix + "/{name}", bind(get_policy, api), available=available)
        router.add("PUT", prefix + "/{name}", bind(update_policy, api), available=available)
        router.add("DELETE", prefix + "/{name}", bind(delete_policy, api), available=available)



def v1_available(state: NexusState) -> bool:
    return state.pro and not state.at_least("3.94.0")


# --- answers ---------------------------------------------------------------------------------
def _users(state: NexusState, name: str) -> list[dict[str, Any]]:
    return [r for r in state.repositories.values()
            if name.lower() in [p.lower() for p in ((r.get("cleanup") or {}).get("policyNames") or [])]]


def _answer(state: NexusState, doc: dict[str, Any], api: str) -> dict[str, Any]:
    if api == "v1":
        return {key: doc.get(key) for key in ("name", "notes", "format", "criteriaLastBlobUpdated",
                                              "criteriaLastDownloaded", "criteriaReleaseType",
                                              "criteriaAssetRegex", "retain")}
    users = _users(state, doc["name"])
    answer = {"name": doc["name"], "format": doc["format"], "notes": doc.get("notes"),
              "criteriaLastBlobUpdated": doc.get("criteriaLastBlobUpdated"),
              "criteriaLastDownloaded": doc.get("criteriaLastDownloaded"), "retain": doc.get("retain")}
    if state.at_least("3.94.0"):
        answer["sortBy"] = doc.get("sortBy")
    answer.update({"criteriaReleaseType": doc.get("criteriaReleaseType"),
                   "criteriaAssetRegex": doc.get("criteriaAssetRegex"), "inUseCount": len(users)})
    if state.at_least("3.94.0"):
        answer["repositories"] = sorted(r["name"] for r in users
                                        if doc["format"] in (ALL_FORMATS, r.get("format")))
    return answer


def _existing(state: NexusState, name: str) -> dict[str, Any]:
    doc = find(state.cleanup_policies, name)
    if doc is None:
        raise unquoted(404, f"Cleanup policy {name} not found.")
    return doc


def list_policies(state: NexusState, req: Request, api: str) -> Response:
    wanted = req.arg("format")
    with state.lock:
        docs = sorted(state.cleanup_policies.values(), key=lambda d: d["name"])
        return Response.json([_answer(state, d, api) for d in docs
                              if not wanted or wanted == ALL_FORMATS or d["format"] == wanted])


def get_policy(state: NexusState, req: Request, api: str) -> Response:
    with state.lock:
        return Response.json(_answer(state, _existing(state, req.params["name"]), api))


# --- validation ------------------------------------------------------------------------------
def _typed_body(body: Any, api: str) -> dict[str, Any]:
    """Jackson's part: integers, strings and the release-type enum."""
    body = json_object(body)
    for key in ("criteriaLastBlobUpdated", "criteriaLastDownloaded", "retain"):
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise unreadable(f"Cannot deserialize value of type `Long` from {value!r} at {key}")
    for key in ("name", "format", "notes", "criteriaAssetRegex", "sortBy"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise unreadable(f"Cannot deserialize value of type `String` from {body[key]!r} at {key}")
    allowed = V1_RELEASE_TYPES if api == "v1" else RELEASE_TYPES
    if body.get("criteriaReleaseType") is not None and body["criteriaReleaseType"] not in allowed:
        raise unreadable(f"Cannot deserialize value of type `CleanupPolicyReleaseType` from String "
                         f"{body['criteriaReleaseType']!r}: not one of the values accepted: "
                         f"{list(allowed)}")
    return body


def _bean_errors(state: NexusState, body: dict[str, Any], creating: bool) -> Errors:
    errors = name_errors(body.get("name"), 255)
    if creating and not errors and find(state.cleanup_policies, body["name"]) is not None:
        errors.append(("PARAMETER name", NAME_TAKEN))
    if not body.get("format"):
        errors.append(("PARAMETER format", "must not be empty"))
    if body.get("retain") is not None and body["retain"] < 1:
        errors.append(("PARAMETER retain", "must be greater than or equal to 1"))
    regex = body.get("criteriaAssetRegex")
    problem = lucene_regexp_error(regex) if regex is not None else None
    if problem is not None:
        # @CleanupPolicyAssetNamePattern on CleanupPolicyXO.criteriaAssetRegex: any value that is
        # not null goes through RegexCriteriaValidator, i.e. Lucene's `new RegExp(value)`.
        errors.append(("PARAMETER criteriaAssetRegex",
                       f"Invalid regular expression pattern: {problem}"))
    return errors


def _criteria_problem(state: NexusState, body: dict[str, Any]) -> Optional[ApiError]:
    """Which criteria the format supports (CleanupPolicyConfiguration per format), at least one
    age/usage/name criterion (documented for 3.94's internal API)."""
    fmt = body["format"]
    if not any(body.get(k) is not None for k in ("criteriaLastBlobUpdated", "criteriaLastDownloaded")) \
            and not str(body.get("criteriaAssetRegex") or "").strip():
        return ApiError.validation([("*", "At least one criterion is required: criteriaLastBlobUpdated, "
                                          "criteriaLastDownloaded or criteriaAssetRegex")])
    supported = {"criteriaLastBlobUpdated": True, "criteriaLastDownloaded": True,
                 "criteriaAssetRegex": fmt not in NO_REGEX_FORMATS,
                 "criteriaReleaseType": fmt in PRERELEASE_FORMATS,
                 "retain": state.pro and fmt in RETAIN_FORMATS,
                 "sortBy": state.pro and fmt in RETAIN_FORMATS}
    labels = {"criteriaAssetRegex": "Asset name regex", "criteriaLastBlobUpdated": "Published before",
              "criteriaLastDownloaded": "Last downloaded before", "criteriaReleaseType": "Release type",
              "retain": "Retain components", "sortBy": "Retain sort by"}
    for key in ("criteriaAssetRegex", "criteriaLastBlobUpdated", "criteriaLastDownloaded",
                "criteriaReleaseType", "retain", "sortBy"):
        if body.get(key) is not None and not supported[key]:
            return unquoted(400, f"Specified format {fmt} does not support the '{labels[key]}' "
                                 "criteria.")
    return None


def _validate(state: NexusState, body: dict[str, Any], creating: bool) -> None:
    raise_if(_bean_errors(state, body, creating))
    if body["format"] != ALL_FORMATS and body["format"] not in FORMATS:
        raise ApiError.validation([("format", f"specified format {body['format']} is not valid.")])
    if state.at_least("3.94.0") and body.get("repositories"):
        raise ApiError.validation([("repositories", "The 'repositories' field is not supported for "
                                                    f"format '{body['format']}'.")])
    problem = _criteria_problem(state, body)
    if problem is not None:
        raise problem


def _document(body: dict[str, Any], name: str) -> dict[str, Any]:
    doc = {"name": name, "format": body["format"], "notes": body.get("notes")}
    doc.update({key: body.get(key) for key in CRITERIA})
    return doc


# --- writes ----------------------------------------------------------------------------------
def create_policy(state: NexusState, req: Request, api: str) -> Response:
    body = _typed_body(req.json(), api)
    with state.lock:
        _validate(state, body, creating=True)
        doc = _document(body, body["name"])
        state.cleanup_policies[doc["name"].lower()] = doc
        if api == "v1":
            return Response.empty(201)
        return Response.json(_answer(state, doc, api))


def update_policy(state: NexusState, req: Request, api: str) -> Response:
    """The policy is the one named in the path; the body's name is validated but not applied."""
    body = _typed_body(req.json(), api)
    with state.lock:
        doc = _existing(state, req.params["name"])
        _validate(state, body, creating=False)
        if body["format"] not in (ALL_FORMATS, doc["format"]) and _users(state, doc["name"]):
            raise ApiError.validation(
                [("format", "You cannot change the format of a policy that is in use.")])
        doc.update(_document(body, doc["name"]))
        if api == "v1":
            return Response.empty(204)
        return Response.json(_answer(state, doc, api))


def delete_policy(state: NexusState, req: Request, api: str) -> Response:
    """Deleting a policy in use detaches it from the repositories that named it."""
    with state.lock:
        doc = _existing(state, req.params["name"])
        for repository in _users(state, doc["name"]):
            cleanup = repository["cleanup"]
            cleanup["policyNames"] = [p for p in cleanup["policyNames"]
                                      if p.lower() != doc["name"].lower()]
        del state.cleanup_policies[doc["name"].lower()]
    return Response.empty(204)
