"""Repositories of every format: the format-independent list/read/delete endpoints,
`/v1/repositorySettings`, create/read/update at `/v1/repositories/<format>/<type>` for each format
and type the emulated release offers (tests/emulator/formats.py holds the per-format knowledge),
and the default maven/nuget repositories of a first start.

Stored documents are the format-specific GET answer (DockerHostedApiRepository,
MavenProxyApiRepository, ..., as `/v1/repositorySettings` lists them) with private keys for what GET
never shows: `_latestPolicy`, `_secrets` (proxy authentication password / bearer token) and
`_signing` (signing key pairs and passphrases). `url` is recomputed from each request's Host
header when answering.

Request handling follows Nexus's AbstractRepositoriesApiResource and the API-request converters
(sonatype/nexus-public): Jackson first (a wrong type or an unknown enum constant: plain-text 400;
unknown properties are ignored), bean validation (400 list, `PARAMETER …` ids), then rename /
blob store checks (ids `name`, `BlobStoreName`), then what creating the repository finds (400 with
one quoted message).
"""
from __future__ import annotations

from typing import Any, Optional

from ..formats import (FORMATS, GROUP, HOSTED, PROXY, Format, field_errors, has_field, offered,
                       request_spec, rule_paths)
from ..http import ApiError, Request, Response
from ..repository_documents import connector_attributes, document
from ..routing import Router, bind
from ..state import NexusState
from ..validation import (NAME_TAKEN, Errors, check_body, find, json_object, name_errors, public,
                          quoted, raise_if)
from .. import permissions
from . import ssrf
from .blobstores_cloud import group_of

NAME_MAX = 200
WRITE_POLICIES = ("ALLOW", "ALLOW_ONCE", "DENY")
BLOBSTORE_NOT_FOUND = "Blob store not found"
# Nexus's ApiDocConstants.BLOBSTORE_CHANGE_NOT_ALLOWED, typographic apostrophe included.
BLOBSTORE_CHANGE_NOT_ALLOWED = "You cannot change a repository\u2019s blob store through the API"
LOWERCASE_DOCKER_NAMES = "3.89.0"  # terraform-provider-sonatyperepo#300/#306
CLEANUP_REFERENCES_CHECKED = "3.85.0"  # cloud-pi-native/console#2348
# A proxy of 3.94 may name an inline Repository Firewall mode; without a Sonatype IQ connection
# anything but DISABLED is refused (terraform-provider-sonatyperepo, repository_common_proxy_test.go).
FIREWALL_NEEDS_IQ = "Unable to configure Repository Firewall as not connected to Sonatype IQ"
DATASTORE = "3.71.0"  # H2/PostgreSQL only from here on; before, the emulator stands for OrientDB


def register(router: Router, state: NexusState) -> None:
    # Repository endpoints check repository permissions per repository, not per endpoint:
    # RepositoriesResource (no annotation) shows what the subject may browse;
    # the API resources (@RequiresAuthentication) ask AuthorizingRepositoryManagerImpl for
    # repository-admin add/edit/delete/read on the repository concerned.
    router.add("GET", "/v1/repositories", list_repositories, auth="anyone")
    router.add("GET", "/v1/repositorySettings", list_settings, auth="user")
    router.add("GET", "/v1/repositories/{repositoryName}", get_repository, auth="anyone")
    router.add("DELETE", "/v1/repositories/{repositoryName}", delete_repository, auth="user")
    for fmt in FORMATS.values():
        for repo_type in fmt.since:
            route = f"{fmt.path}/{repo_type}"

            def available(s: NexusState, f: Format = fmt, t: str = repo_type) -> bool:
                return offered(s, f, t)
            router.add("POST", f"/v1/repositories/{route}", bind(create_repository, route),
                       available=available, auth="user")
            router.add("GET", f"/v1/repositories/{route}/{{repositoryName}}",
                       bind(get_typed_repository, route), available=available, auth="user")
            router.add("PUT", f"/v1/repositories/{route}/{{repositoryName}}",
                       bind(update_repository, route), available=available, auth="user")
    state.seeders.append(seed_default_repositories)


def _route(route: str) -> tuple[Format, str]:
    path, repo_type = route.split("/")
    return FORMATS[path], repo_type


# --- answers ---------------------------------------------------------------------------------
def base_url(req: Request) -> str:
    scheme = req.headers.get("x-forwarded-proto", "http").split(",")[0].strip() or "http"
    host = req.headers.get("x-forwarded-host") or req.headers.get("host") or "localhost:8081"
    return f"{scheme}://{host.split(',')[0].strip()}"


def _answer(doc: dict[str, Any], req: Request) -> dict[str, Any]:
    answer = public(doc)
    answer["url"] = f"{base_url(req)}/repository/{doc['name']}"
    return answer


def _summary(state: NexusState, doc: dict[str, Any], req: Request) -> dict[str, Any]:
    """RepositoryXO: proxies carry their remote URL in `attributes`; 3.94's model adds online/size."""
    attributes = {"proxy": {"remoteUrl": doc["proxy"]["remoteUrl"]}} if doc["type"] == "proxy" else {}
    summary = {"name": doc["name"], "format": doc["format"], "type": doc["type"],
               "url": f"{base_url(req)}/repository/{doc['name']}", "attributes": attributes}
    if state.at_least("3.94.0"):
        summary.update({"online": doc.get("online", True), "size": 0})
    return summary


def _sorted(state: NexusState) -> list[dict[str, Any]]:
    return sorted(state.repositories.values(), key=lambda d: d["name"].lower())


def _admin(doc: dict[str, Any], action: str) -> str:
    """RepositoryAdminPermission for one repository."""
    return f"nexus:repository-admin:{doc['format']}:{doc['name']}:{action}"


def _may_browse(state: NexusState, req: Request, doc: dict[str, Any]) -> bool:
    return any(permissions.repository_permitted(state, req.user, doc, action)
               for action in ("browse", "read"))


def list_repositories(state: NexusState, req: Request) -> Response:
    """RepositoryManagerRESTAdapterImpl.getRepositories: only what the subject may browse (an
    unauthenticated caller with anonymous access off gets an empty list, not a 403)."""
    with state.lock:
        return Response.json([_summary(state, d, req) for d in _sorted(state)
                              if permissions.repository_permitted(state, req.user, d, "browse")])


def list_settings(state: NexusState, req: Request) -> Response:
    """Every repository the caller may administer (read), in its format-specific GET shape
    (AuthorizingRepositoryManagerImpl.getRepositoriesWithAdmin)."""
    with state.lock:
        return Response.json([_answer(d, req) for d in _sorted(state)
                              if permissions.permitted(state, req.user, _admin(d, "read"))])


def get_repository(state: NexusState, req: Request) -> Response:
    """RepositoryManagerRESTAdapterImpl.getRepository: an unknown name is JAX-RS's
    NotFoundException (a bare 404), a repository the subject may not browse or read a bare 403."""
    with state.lock:
        doc = find(state.repositories, req.params["repositoryName"])
        if doc is None:
            raise ApiError(404)
        if not _may_browse(state, req, doc):
            raise ApiError.forbidden()
        return Response.json(_summary(state, doc, req))


def get_typed_repository(state: NexusState, req: Request, route: str) -> Response:
    """FormatAndType: a repository of another format or type at that name is not found, and so
    is one the caller may not administer (getRepositoryWithAdmin)."""
    fmt, repo_type = _route(route)
    with state.lock:
        doc = find(state.repositories, req.params["repositoryName"])
        if doc is None or doc["format"] != fmt.name or doc["type"] != repo_type \
                or not permissions.permitted(state, req.user, _admin(doc, "read")):
            raise ApiError.not_found("Repository not found")
        return Response.json(_answer(doc, req))


def delete_repository(state: NexusState, req: Request) -> Response:
    """Deleting a repository also takes it out of every group that listed it
    (RepositoryManagerImpl.delete -> removeRepositoryFromAllGroups) and removes its own
    nx-repository-view/admin privileges from every role (untrack -> the security contributors'
    remove). Tasks and webhooks naming it stay: a task fails when it runs, a repository webhook
    capability turns passive until a repository of that name exists again
    (RepositoryExistsCondition)."""
    with state.lock:
        doc = find(state.repositories, req.params["repositoryName"])
        if doc is None:
            raise ApiError(404)
        if not permissions.permitted(state, req.user, _admin(doc, "delete")):
            raise ApiError.forbidden()
        del state.repositories[doc["name"].lower()]
        permissions.forget_repository_privileges(state, doc)
        gone = doc["name"].lower()
        for other in state.repositories.values():
            group = other.get("group")
            if not group:
                continue
            group["memberNames"] = [m for m in group.get("memberNames", []) if m.lower() != gone]
            if str(group.get("writableMember") or "").lower() == gone:
                group["writableMember"] = None
    return Response.empty(204)


# --- create / update -------------------------------------------------------------------------
def _bean_errors(state: NexusState, fmt: Format, repo_type: str, body: dict[str, Any],
                 creating: bool) -> Errors:
    """Bean validation of the format's request class. `docker.forceBasicAuth` is marked required
    in the spec but Nexus defaults it to true when absent, so it is not enforced."""
    version, schema_name = request_spec(state, fmt, repo_type)
    required, custom = rule_paths(version, schema_name)
    optional = required | ({"docker.forceBasicAuth"} if fmt.path == "docker" else set())
    errors = check_body(state, schema_name, body, frozenset(optional), custom, version)
    errors += field_errors(body, required, custom)
    name = body.get("name")
    if not any(e[0] == "PARAMETER name" for e in errors):
        errors += name_errors(name, NAME_MAX)
    if creating and isinstance(name, str) and find(state.repositories, name) is not None:
        errors.append(("PARAMETER name", NAME_TAKEN))
    if (fmt.path == "docker" and state.at_least(LOWERCASE_DOCKER_NAMES) and isinstance(name, str)
            and name != name.lower()):
        errors.append(("PARAMETER arg0", "Docker repository names must be lowercase to support "
                                         "path-based routing"))
    storage = body.get("storage") or {}
    if repo_type == HOSTED and storage.get("writePolicy") is not None \
            and str(storage["writePolicy"]).upper() not in WRITE_POLICIES:
        errors.append(("PARAMETER writePolicy",
                       f"Invalid write policy: {storage['writePolicy']}"))
    return list(dict.fromkeys(errors))  # violations are a set: one per field and message


def _request_errors(state: NexusState, body: dict[str, Any], path_name: Optional[str]) -> Errors:
    """AbstractRepositoriesApiResource.validateRequest: rename, blob store exists, unchanged."""
    if path_name is not None and body["name"] != path_name:
        return [("name", "Renaming a repository is not supported")]
    blob_store = body["storage"]["blobStoreName"]
    if find(state.blobstores, blob_store) is None:
        return [("BlobStoreName", BLOBSTORE_NOT_FOUND)]
    current = find(state.repositories, path_name) if path_name is not None else None
    if current is not None and current["storage"]["blobStoreName"] != blob_store:
        return [("BlobStoreName", BLOBSTORE_CHANGE_NOT_ALLOWED)]
    return []


def _policy_names(state: NexusState, body: dict[str, Any]) -> Optional[list[str]]:
    """Cleanup policies named by the request. Since 3.85 an unknown one is refused; before, Nexus
    silently dropped it."""
    cleanup = body.get("cleanup")
    if cleanup is None:
        return None
    names = list(dict.fromkeys(cleanup.get("policyNames") or []))
    known = [n for n in names if find(state.cleanup_policies, n) is not None]
    if state.at_least(CLEANUP_REFERENCES_CHECKED):
        missing = [n for n in names if n not in known]
        if missing:
            raise ApiError.validation(
                [("HelperBean.cleanup", f"Cleanup Policy '{missing[0]}' does not exist.")])
    return known


def _storage_problems(state: NexusState, blob_store: str) -> None:
    """A member of a group blob store cannot be a repository's storage: the storage facet's
    validate() (StorageFacetImpl on OrientDB, ContentFacetSupport on H2/PostgreSQL, nexus-public
    3.30-3.77) makes the violation through ConstraintViolationFactory, whose HelperBean path is
    `attributes.storage.blobStoreName` on OrientDB and `storage.blobStoreName` on the datastore
    (ConstraintViolationExceptionMapper prefixes the bean's class name)."""
    group = group_of(state, blob_store)
    if group is not None:
        path = "storage.blobStoreName" if state.at_least(DATASTORE) else \
            "attributes.storage.blobStoreName"
        raise ApiError.validation([(f"HelperBean.{path}", f"Blob Store '{blob_store}' is a member of "
                                                         f"Blob Store Group '{group}' and cannot be "
                                                         "set as storage")])


def _connector_problems(state: NexusState, name: str, connector: dict[str, Any]) -> None:
    """Docker and OCI repositories open Jetty connectors: ports are exclusive across both."""
    if connector["subdomain"] and not state.pro:
        raise quoted(400, "Docker subdomain connectors are only available in Nexus Repository Pro")
    for port in (connector["httpPort"], connector["httpsPort"]):
        if port is None:
            continue
        for other in state.repositories.values():
            ports = [(other.get(block) or {}).get(key) for block in ("docker", "oci")
                     for key in ("httpPort", "httpsPort")]
            if other["name"].lower() != name.lower() and port in ports:
                raise quoted(400, f"Port {port} is already in use by repository {other['name']}")


def _group_problems(state: NexusState, fmt: Format, body: dict[str, Any]) -> None:
    """Members exist, are not the group itself and share its format; `writableMember` (only in
    the request classes with GroupDeployAttributes) is Pro-only and a hosted member."""
    name, group = body["name"], body["group"]
    for member in group.get("memberNames") or []:
        target = find(state.repositories, member)
        if target is None or target["name"].lower() == name.lower():
            raise quoted(400, f"Group refers to nonexistent member repository {member}")
        if target["format"] != fmt.name:
            raise quoted(400, f"Member repository {member} has incompatible format {target['format']}")
    writable = group.get("writableMember")
    if writable:
        if not state.pro:
            raise quoted(400, "Group deployment (writableMember) is only available in Nexus "
                              "Repository Pro")
        target = find(state.repositories, writable)
        if (writable not in (group.get("memberNames") or []) or target is None
                or target["type"] != HOSTED):
            raise quoted(400, f"Writable member {writable} must be a hosted member of the group")


def _repository_problems(state: NexusState, fmt: Format, repo_type: str, body: dict[str, Any],
                         connector: Optional[dict[str, Any]]) -> None:
    """What Nexus finds while building the repository from the configuration; each failure is a
    400 with one quoted message (the wording is the emulator's where no source shows Nexus's)."""
    _storage_problems(state, body["storage"]["blobStoreName"])
    if connector is not None:
        _connector_problems(state, body["name"], connector)
    if repo_type == PROXY:
        connection = (body.get("httpClient") or {}).get("connection") or {}
        if connection.get("useTrustStore") and not body["proxy"]["remoteUrl"].startswith("https"):
            raise quoted(400, "TrustStore is available only with HTTPS remote URLs")
        raise_if(ssrf.outbound_errors(state, body["proxy"]["remoteUrl"], "proxy.remoteUrl"))
        mode = str((body.get("firewall") or {}).get("mode") or "DISABLED").upper()
        if state.at_least("3.94.0") and mode != "DISABLED":
            raise quoted(400, FIREWALL_NEEDS_IQ)
    if repo_type == GROUP:
        _group_problems(state, fmt, body)


def _write(state: NexusState, req: Request, route: str, path_name: Optional[str]) -> dict[str, Any]:
    """Validates a create (path_name None) or update request and returns the new document."""
    fmt, repo_type = _route(route)
    body = json_object(req.json())
    raise_if(_bean_errors(state, fmt, repo_type, body, creating=path_name is None))
    raise_if(_request_errors(state, body, path_name))
    if path_name is not None:
        current = find(state.repositories, path_name)
        if current is None or current["format"] != fmt.name or current["type"] != repo_type:
            raise ApiError(404)
        if not permissions.permitted(state, req.user, _admin(current, "edit")):
            raise ApiError.forbidden()
    elif find(state.repositories, body["name"]) is not None:  # lost a race with another create
        raise ApiError.validation([("PARAMETER name", NAME_TAKEN)])
    elif not permissions.permitted(state, req.user, _admin({"format": fmt.name, "name": body["name"]},
                                                        "add")):
        raise ApiError.forbidden()
    version, schema_name = request_spec(state, fmt, repo_type)
    if repo_type == GROUP and not has_field(version, schema_name, "group.writableMember"):
        body["group"].pop("writableMember", None)  # plain GroupAttributes: Jackson drops it
    policies = _policy_names(state, body)
    connector = connector_attributes(state, body.get(fmt.connector) or {}) if fmt.connector else None
    _repository_problems(state, fmt, repo_type, body, connector)
    return document(state, fmt, repo_type, body, connector, policies)


def create_repository(state: NexusState, req: Request, route: str) -> Response:
    with state.lock:
        doc = _write(state, req, route, None)
        doc["url"] = f"{base_url(req)}/repository/{doc['name']}"
        state.repositories[doc["name"].lower()] = doc
    return Response.empty(201)


def update_repository(state: NexusState, req: Request, route: str) -> Response:
    with state.lock:
        doc = _write(state, req, route, req.params["repositoryName"])
        doc["url"] = f"{base_url(req)}/repository/{doc['name']}"
        state.repositories[doc["name"].lower()] = doc
    return Response.empty(204)


# --- first start -----------------------------------------------------------------------------
def _default(fmt: str, repo_type: str, name: str, strict: bool, **parts: Any) -> tuple[str, str, dict]:
    body: dict[str, Any] = {"name": name, "online": True,
                            "storage": {"blobStoreName": "default", "strictContentTypeValidation": strict}}
    if "write_policy" in parts:
        body["storage"]["writePolicy"] = parts.pop("write_policy")
    if "remote" in parts:
        body.update(proxy={"remoteUrl": parts.pop("remote"), "contentMaxAge": parts.pop("content_age"),
                           "metadataMaxAge": 1440},
                    negativeCache={"enabled": True, "timeToLive": 1440},
                    httpClient={"blocked": False, "autoBlock": True})
    body.update(parts)
    return fmt, repo_type, body


def seed_default_repositories(state: NexusState) -> None:
    """The maven and nuget repositories a fresh Nexus creates, unless
    nexus.skipDefaultRepositories is set, built like REST-created ones so each release answers
    them in its own shape (help.sonatype.com repository-types: maven-central, maven-releases,
    maven-snapshots, maven-public, nuget.org-proxy, nuget-hosted, nuget-group)."""
    if state.options.skip_default_repositories:
        return

    def maven(version_policy: str, layout: str) -> dict[str, Any]:
        return {"versionPolicy": version_policy, "layoutPolicy": layout, "contentDisposition": "INLINE"}

    defaults = [
        _default("maven", PROXY, "maven-central", False, remote="https://repo1.maven.org/maven2/",
                 content_age=-1, maven=maven("RELEASE", "PERMISSIVE")),
        _default("maven", HOSTED, "maven-releases", False, write_policy="ALLOW_ONCE",
                 maven=maven("RELEASE", "STRICT")),
        _default("maven", HOSTED, "maven-snapshots", False, write_policy="ALLOW",
                 maven=maven("SNAPSHOT", "STRICT")),
        _default("maven", GROUP, "maven-public", True,
                 group={"memberNames": ["maven-releases", "maven-snapshots", "maven-central"]}),
        _default("nuget", PROXY, "nuget.org-proxy", True, remote="https://api.nuget.org/v3/index.json",
                 content_age=1440, nugetProxy={"queryCacheItemMaxAge": 3600, "nugetVersion": "V3"}),
        _default("nuget", HOSTED, "nuget-hosted", True, write_policy="ALLOW"),
        _default("nuget", GROUP, "nuget-group", True, group={"memberNames": ["nuget-hosted", "nuget.org-proxy"]}),
    ]
    with state.lock:
        for path, repo_type, body in defaults:
            doc = document(state, FORMATS[path], repo_type, body, None, None)
            doc["url"] = f"http://{state.options.host}:8081/repository/{doc['name']}"
            state.repositories[doc["name"].lower()] = doc
