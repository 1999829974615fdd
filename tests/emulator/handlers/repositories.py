"""Repositories: the format-independent list/read/delete endpoints, `/v1/repositorySettings`,
docker hosted/proxy/group CRUD, and the default maven/nuget repositories of a first start.

Stored documents are the format-specific GET answer (DockerHostedApiRepository, ...,
`/v1/repositorySettings` entries) with private keys for what GET never shows: `_latestPolicy`
and `_secrets` (proxy authentication password / bearer token). `url` is recomputed from each
request's Host header when answering.

Request handling follows Nexus's AbstractRepositoriesApiResource and the API-request converters
(sonatype/nexus-public): bean validation first (400 list, `PARAMETER …` ids), then rename /
blob store checks (ids `name`, `BlobStoreName`), then what creating the repository finds
(400 with one quoted message).
"""
from __future__ import annotations

import copy
from typing import Any, Optional

from ..http import ApiError, Request, Response
from ..routing import Router, bind
from ..state import NexusState
from ..validation import (NAME_TAKEN, Errors, check_body, find, name_errors, public, quoted,
                          raise_if)
from . import security, ssrf

TYPES = ("hosted", "proxy", "group")
REQUEST_SCHEMAS = {"hosted": "DockerHostedRepositoryApiRequest",
                   "proxy": "DockerProxyRepositoryApiRequest",
                   "group": "DockerGroupRepositoryApiRequest"}
NAME_MAX = 200
WRITE_POLICIES = ("ALLOW", "ALLOW_ONCE", "DENY")
BLOBSTORE_NOT_FOUND = "Blob store not found"
# Nexus's ApiDocConstants.BLOBSTORE_CHANGE_NOT_ALLOWED, typographic apostrophe included.
BLOBSTORE_CHANGE_NOT_ALLOWED = "You cannot change a repository\u2019s blob store through the API"
LOWERCASE_DOCKER_NAMES = "3.89.0"  # terraform-provider-sonatyperepo#300/#306
PATH_ENABLED = "3.83.0"
CLEANUP_REFERENCES_CHECKED = "3.85.0"  # cloud-pi-native/console#2348


def register(router: Router, state: NexusState) -> None:
    # Repository endpoints check repository permissions per repository, not per endpoint:
    # RepositoriesResource (no annotation) shows what the subject may browse;
    # the API resources (@RequiresAuthentication) ask AuthorizingRepositoryManagerImpl for
    # repository-admin add/edit/delete/read on the repository concerned.
    router.add("GET", "/v1/repositories", list_repositories, auth="anyone")
    router.add("GET", "/v1/repositorySettings", list_settings, auth="user")
    router.add("GET", "/v1/repositories/{repositoryName}", get_repository, auth="anyone")
    router.add("DELETE", "/v1/repositories/{repositoryName}", delete_repository, auth="user")
    for repo_type in TYPES:
        router.add("POST", f"/v1/repositories/docker/{repo_type}", bind(create_docker, repo_type),
                   auth="user")
        router.add("GET", f"/v1/repositories/docker/{repo_type}/{{repositoryName}}",
                   bind(get_docker, repo_type), auth="user")
        router.add("PUT", f"/v1/repositories/docker/{repo_type}/{{repositoryName}}",
                   bind(update_docker, repo_type), auth="user")
    state.seeders.append(seed_default_repositories)



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
    return any(security.repository_permitted(state, req.user, doc, action)
               for action in ("browse", "read"))


def list_repositories(state: NexusState, req: Request) -> Response:
    """RepositoryManagerRESTAdapterImpl.getRepositories: only what the subject may browse (an
    unauthenticated caller with anonymous access off gets an empty list, not a 403)."""
    with state.lock:
        return Response.json([_summary(state, d, req) for d in _sorted(state)
                              if security.repository_permitted(state, req.user, d, "browse")])


def list_settings(state: NexusState, req: Request) -> Response:
    """Every repository the caller may administer (read), in its format-specific GET shape
    (AuthorizingRepositoryManagerImpl.getRepositoriesWithAdmin)."""
    with state.lock:
        return Response.json([_answer(d, req) for d in _sorted(state)
                              if security.permitted(state, req.user, _admin(d, "read"))])


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


def get_docker(state: NexusState, req: Request, repo_type: str) -> Response:
    """getRepositoryWithAdmin: a repository the caller may not administer reads as absent."""
    with state.lock:
        doc = find(state.repositories, req.params["repositoryName"])
        if doc is None or doc["format"] != "docker" or doc["type"] != repo_type \
                or not security.permitted(state, req.user, _admin(doc, "read")):
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
        if not security.permitted(state, req.user, _admin(doc, "delete")):
            raise ApiError.forbidden()
        del state.repositories[doc["name"].lower()]
        security.forget_repository_privileges(state, doc)
        gone = doc["name"].lower()
        for other in state.repositories.values():
            group = other.get("group")
            if not group:
                continue
            group["memberNames"] = [m for m in group.get("memberNames", []) if m.lower() != gone]
            if str(group.get("writableMember") or "").lower() == gone:
                group["writableMember"] = None
    return Response.empty(204)


# --- docker create / update ------------------------------------------------------------------
def _bean_errors(state: NexusState, repo_type: str, body: Any, creating: bool) -> Errors:
    """Bean validation of the request class. `docker.forceBasicAuth` is marked required in the
    spec but Nexus defaults it to true when absent, so it is not enforced."""
    optional = frozenset({"docker.forceBasicAuth"})
    errors = check_body(state, REQUEST_SCHEMAS[repo_type], body, optional)
    name = body.get("name")
    if not any(e[0] == "PARAMETER name" for e in errors):
        errors += name_errors(name, NAME_MAX)
    if creating and isinstance(name, str) and find(state.repositories, name) is not None:
        errors.append(("PARAMETER name", NAME_TAKEN))
    if (state.at_least(LOWERCASE_DOCKER_NAMES) and isinstance(name, str) and name != name.lower()):
        errors.append(("PARAMETER arg0", "Docker repository names must be lowercase to support "
                                         "path-based routing"))
    storage = body.get("storage") or {}
    if repo_type == "hosted" and storage.get("writePolicy") is not None \
            and str(storage["writePolicy"]).upper() not in WRITE_POLICIES:
        errors.append(("PARAMETER writePolicy",
                       f"Invalid write policy: {storage['writePolicy']}"))
    if repo_type == "proxy" and not (body.get("proxy") or {}).get("remoteUrl") \
            and not any(e[0] == "PARAMETER remoteUrl" for e in errors):
        errors.append(("PARAMETER remoteUrl", "must not be null"))
    return errors


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


def _docker_attributes(state: NexusState, body: dict[str, Any]) -> dict[str, Any]:
    docker = body.get("docker") or {}
    force = docker.get("forceBasicAuth")
    attributes = {"v1Enabled": bool(docker.get("v1Enabled", False)),
                  "forceBasicAuth": True if force is None else bool(force),
                  "httpPort": _port(docker.get("httpPort")), "httpsPort": _port(docker.get("httpsPort")),
                  "subdomain": docker.get("subdomain") or None}
    if state.at_least(PATH_ENABLED):  # before 3.83 the field does not exist and is ignored
        attributes["pathEnabled"] = bool(docker.get("pathEnabled", False))
    return attributes


def _port(value: Any) -> Optional[int]:
    return None if value is None else int(value)


def _repository_problems(state: NexusState, repo_type: str, body: dict[str, Any],
                         docker: dict[str, Any]) -> None:
    """What Nexus finds while building the repository from the configuration; each failure is a
    400 with one quoted message (the wording is the emulator's where no source shows Nexus's)."""
    name = body["name"]
    if docker["subdomain"] and not state.pro:
        raise quoted(400, "Docker subdomain connectors are only available in Nexus Repository Pro")
    for port in (docker["httpPort"], docker["httpsPort"]):
        if port is None:
            continue
        for other in state.repositories.values():
            other_docker = other.get("docker") or {}
            if other["name"].lower() != name.lower() and port in (other_docker.get("httpPort"),
                                                                   other_docker.get("httpsPort")):
                raise quoted(400, f"Port {port} is already in use by repository {other['name']}")
    if repo_type == "proxy":
        connection = (body.get("httpClient") or {}).get("connection") or {}
        if connection.get("useTrustStore") and not body["proxy"]["remoteUrl"].startswith("https"):
            raise quoted(400, "TrustStore is available only with HTTPS remote URLs")
        raise_if(ssrf.outbound_errors(state, body["proxy"]["remoteUrl"], "proxy.remoteUrl"))
    if repo_type == "group":
        group = body["group"]
        for member in group.get("memberNames") or []:
            target = find(state.repositories, member)
            if target is None or target["name"].lower() == name.lower():
                raise quoted(400, f"Group refers to nonexistent member repository {member}")
            if target["format"] != "docker":
                raise quoted(400, f"Member repository {member} has incompatible format "
                                  f"{target['format']}")
        writable = group.get("writableMember")
        if writable:
            if not state.pro:
                raise quoted(400, "Group deployment (writableMember) is only available in Nexus "
                                  "Repository Pro")
            target = find(state.repositories, writable)
            if (writable not in (group.get("memberNames") or []) or target is None
                    or target["type"] != "hosted"):
                raise quoted(400, f"Writable member {writable} must be a hosted member of the group")


def _document(state: NexusState, repo_type: str, body: dict[str, Any],
              docker: dict[str, Any], policies: Optional[list[str]]) -> dict[str, Any]:
    storage = body["storage"]
    doc: dict[str, Any] = {
        "name": body["name"], "format": "docker", "url": "", "online": bool(body["online"]),
        "storage": {"blobStoreName": storage["blobStoreName"],
                    "strictContentTypeValidation": bool(storage["strictContentTypeValidation"])}}
    if repo_type == "hosted":
        doc["storage"]["writePolicy"] = str(storage["writePolicy"]).upper()
        doc["_latestPolicy"] = storage.get("latestPolicy")  # stored, never answered
    if repo_type != "group":
        doc["cleanup"] = None if policies is None else {"policyNames": policies}
    if repo_type == "hosted":
        component = body.get("component") or {}
        doc["component"] = {"proprietaryComponents": bool(component.get("proprietaryComponents", False))}
    if repo_type == "proxy":
        doc.update(_proxy_parts(state, body))
    if repo_type == "group":
        group = body["group"]
        doc["group"] = {"memberNames": list(group.get("memberNames") or []),
                        "writableMember": group.get("writableMember") or None}
    doc["docker"] = docker
    if repo_type == "proxy":
        proxy = body.get("dockerProxy") or {}
        doc["dockerProxy"] = {
            "indexType": proxy.get("indexType"), "indexUrl": proxy.get("indexUrl"),
            "cacheForeignLayers": bool(proxy.get("cacheForeignLayers", False)),
            "foreignLayerUrlWhitelist": list(proxy.get("foreignLayerUrlWhitelist") or [])}
    doc["type"] = repo_type
    return doc


def _proxy_parts(state: NexusState, body: dict[str, Any]) -> dict[str, Any]:
    """The proxy-only sections. A routing rule is looked up by name and silently dropped when
    unknown (ProxyRepositoryApiRequestToConfigurationConverter); requests may name it
    `routingRule` (3.6x-3.9x) or `routingRuleName` (the 3.94 spec)."""
    proxy, negative, client = body["proxy"], body["negativeCache"], body["httpClient"]
    connection = client.get("connection") or {}
    authentication = client.get("authentication")
    rule_name = body.get("routingRule") or body.get("routingRuleName")
    rule = find(state.routing_rules, rule_name)
    parts: dict[str, Any] = {
        "proxy": {"remoteUrl": proxy["remoteUrl"], "contentMaxAge": int(proxy["contentMaxAge"]),
                  "metadataMaxAge": int(proxy["metadataMaxAge"])},
        "negativeCache": {"enabled": bool(negative["enabled"]),
                          "timeToLive": int(negative["timeToLive"])},
        "httpClient": {
            "blocked": bool(client.get("blocked", False)),
            "autoBlock": bool(client.get("autoBlock", False)),
            "connection": {"retries": _port(connection.get("retries")),
                           "userAgentSuffix": connection.get("userAgentSuffix"),
                           "timeout": _port(connection.get("timeout")),
                           "enableCircularRedirects": bool(connection.get("enableCircularRedirects",
                                                                          False)),
                           "enableCookies": bool(connection.get("enableCookies", False)),
                           "useTrustStore": bool(connection.get("useTrustStore", False))},
            "authentication": None},
        "routingRuleName": rule["name"] if rule else None,
    }
    if authentication:
        parts["httpClient"]["authentication"] = {
            "type": authentication.get("type"), "username": authentication.get("username"),
            "ntlmHost": authentication.get("ntlmHost"), "ntlmDomain": authentication.get("ntlmDomain"),
            "preemptive": bool(authentication.get("preemptive", False))}
        parts["_secrets"] = {k: authentication[k] for k in ("password", "bearerToken")
                             if authentication.get(k)}
    return parts


def _write(state: NexusState, req: Request, repo_type: str, path_name: Optional[str]) -> dict[str, Any]:
    """Validates a create (path_name None) or update request and returns the new document."""
    body = req.json()
    raise_if(_bean_errors(state, repo_type, body, creating=path_name is None))
    raise_if(_request_errors(state, body, path_name))
    if path_name is not None:
        current = find(state.repositories, path_name)
        if current is None or current["format"] != "docker" or current["type"] != repo_type:
            raise ApiError(404)
        if not security.permitted(state, req.user, _admin(current, "edit")):
            raise ApiError.forbidden()
    elif find(state.repositories, body["name"]) is not None:  # lost a race with another create
        raise ApiError.validation([("PARAMETER name", NAME_TAKEN)])
    elif not security.permitted(state, req.user, _admin({"format": "docker", "name": body["name"]},
                                                        "add")):
        raise ApiError.forbidden()
    policies = _policy_names(state, body)
    docker = _docker_attributes(state, body)
    _repository_problems(state, repo_type, body, docker)
    return _document(state, repo_type, body, docker, policies)


def create_docker(state: NexusState, req: Request, repo_type: str) -> Response:
    with state.lock:
        doc = _write(state, req, repo_type, None)
        doc["url"] = f"{base_url(req)}/repository/{doc['name']}"
        state.repositories[doc["name"].lower()] = doc
    return Response.empty(201)


def update_docker(state: NexusState, req: Request, repo_type: str) -> Response:
    with state.lock:
        doc = _write(state, req, repo_type, req.params["repositoryName"])
        doc["url"] = f"{base_url(req)}/repository/{doc['name']}"
        state.repositories[doc["name"].lower()] = doc
    return Response.empty(204)


# --- first start -----------------------------------------------------------------------------
def seed_default_repositories(state: NexusState) -> None:
    """The maven and nuget repositories a fresh Nexus creates, unless
    nexus.skipDefaultRepositories is set (shapes as /v1/repositorySettings answers them)."""
    if state.options.skip_default_repositories:
        return
    base = f"http://{state.options.host}:8081/repository/"
    http_client = {"blocked": False, "autoBlock": True,
                   "connection": {"retries": None, "userAgentSuffix": None, "timeout": None,
                                  "enableCircularRedirects": False, "enableCookies": False,
                                  "useTrustStore": False},
                   "authentication": None}

    def storage(strict: bool, write_policy: Optional[str] = None) -> dict[str, Any]:
        value: dict[str, Any] = {"blobStoreName": "default", "strictContentTypeValidation": strict}
        if write_policy:
            value["writePolicy"] = write_policy
        return value

    def maven(version_policy: str, layout: str) -> dict[str, Any]:
        return {"versionPolicy": version_policy, "layoutPolicy": layout, "contentDisposition": "INLINE"}

    hosted_extra = {"cleanup": None, "component": {"proprietaryComponents": False}}
    repositories = [
        {"name": "maven-central", "format": "maven2", "online": True, "storage": storage(False),
         "cleanup": None,
         "proxy": {"remoteUrl": "https://repo1.maven.org/maven2/", "contentMaxAge": -1,
                   "metadataMaxAge": 1440},
         "negativeCache": {"enabled": True, "timeToLive": 1440}, "httpClient": http_client,
         "routingRuleName": None, "maven": maven("RELEASE", "PERMISSIVE"), "type": "proxy"},
        {"name": "maven-releases", "format": "maven2", "online": True,
         "storage": storage(False, "ALLOW_ONCE"),
         **hosted_extra, "maven": maven("RELEASE", "STRICT"), "type": "hosted"},
        {"name": "maven-snapshots", "format": "maven2", "online": True,
         "storage": storage(False, "ALLOW"),
         **hosted_extra, "maven": maven("SNAPSHOT", "STRICT"), "type": "hosted"},
        {"name": "maven-public", "format": "maven2", "online": True, "storage": storage(True),
         "group": {"memberNames": ["maven-releases", "maven-snapshots", "maven-central"]},
         "type": "group"},
        {"name": "nuget.org-proxy", "format": "nuget", "online": True, "storage": storage(True),
         "cleanup": None,
         "proxy": {"remoteUrl": "https://api.nuget.org/v3/index.json", "contentMaxAge": 1440,
                   "metadataMaxAge": 1440},
         "negativeCache": {"enabled": True, "timeToLive": 1440}, "httpClient": http_client,
         "routingRuleName": None, "nugetProxy": {"queryCacheItemMaxAge": 3600, "nugetVersion": "V3"},
         "type": "proxy"},
        {"name": "nuget-hosted", "format": "nuget", "online": True, "storage": storage(True, "ALLOW"),
         **hosted_extra, "type": "hosted"},
        {"name": "nuget-group", "format": "nuget", "online": True, "storage": storage(True),
         "group": {"memberNames": ["nuget-hosted", "nuget.org-proxy"]}, "type": "group"},
    ]
    with state.lock:
        for repository in repositories:
            doc = copy.deepcopy(repository)
            doc["url"] = base + doc["name"]
            state.repositories[doc["name"].lower()] = doc
