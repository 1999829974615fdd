"""What every repository shares, whatever its format: the REST paths, storage, cleanup, the
proxy's remote and HTTP client, a group's members, and reading every repository of the run
through one `/repositorySettings` call.

A provider class is one format and one type: `class DockerHostedProvider(DockerFormat,
HostedRepository)`. The type bases below hold what the REST bodies of hosted, proxy and group
repositories have in common (the `*ApiRepositoryRequest` schemas of the OpenAPI specs); a format
mixin (components/kinds/repositories/docker.py) adds its own blocks and fields. Each part's
`fields` (the spec from the defaulted config entry), `add_body` (the REST body) and
`fields_from` (the server's document in spec shape) call the next part's, so a format adds to
all three in one class.
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping, Optional
from urllib.parse import quote

from ...client import NexusClient, ServerInfo
from ...provider import NexusProvider, Spec, compact, find_by_name
from ...schema import Fragment
from .formats import config_definitions


def _schema() -> Fragment:
    """The hand-written fragment plus what the specs say of every format (formats.py)."""
    written = Fragment.beside(__file__, "repositories")
    root = {**written.root, "$defs": {**written.root["$defs"], **config_definitions()}}
    return Fragment(root, written.source)


SCHEMA = _schema()
LIST_PATH = "/v1/repositorySettings"  # every repository with all its settings, in one answer
CONNECTION_FIELDS = ("retries", "timeout", "userAgentSuffix", "enableCircularRedirects",
                     "enableCookies", "useTrustStore")


def repository_settings(client: NexusClient) -> list[dict[str, Any]]:
    """Every repository's full settings, read once per run."""
    return client.cached_list("repositories", LIST_PATH)


def repository_path(name: str) -> str:
    """Where a repository of any format is deleted."""
    return f"/v1/repositories/{quote(name, safe='')}"


class RepositoryProvider(NexusProvider):
    format: ClassVar[str] = ""  # as Nexus names it: docker, maven2, npm, ...
    format_path: ClassVar[str] = ""  # as the REST paths and the config name it: docker, maven, npm, ...
    repo_type: ClassVar[str] = ""  # hosted | proxy | group
    # A repository cannot move to another blob store: Nexus refuses, so it is re-created.
    replace_on = ("name", "blobStore")
    referenced = True  # groups, privileges, roles, tasks and webhooks name it

    # --- spec --------------------------------------------------------------------------------
    def normalize(self, spec: Spec) -> Spec:
        """The spec with the schema's defaults for this format and type (the resource's spec has
        neither: its resource type says them)."""
        entry = SCHEMA.with_defaults({**spec, "type": self.repo_type, "format": self.format_path})
        return compact({**self.fields(entry), "adopt": bool(entry.get("adopt"))})

    def fields(self, entry: Mapping[str, Any]) -> Spec:
        return {"name": entry["name"], "online": entry["online"], "blobStore": entry["blobStore"],
                "strictContentTypeValidation": entry["strictContentTypeValidation"]}

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return compact(self.fields_from(doc, previous))

    def fields_from(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        storage = doc.get("storage") or {}
        return {"name": previous["name"], "online": doc.get("online"), "blobStore": storage.get("blobStoreName"),
                "strictContentTypeValidation": storage.get("strictContentTypeValidation")}

    # --- REST body ---------------------------------------------------------------------------
    def body(self, spec: Spec, server: Optional[ServerInfo] = None) -> dict[str, Any]:
        """The request body as the server's OpenAPI spec has it (absent rather than null)."""
        return self.add_body({"name": spec["name"], "online": spec["online"],
                              "storage": {"blobStoreName": spec["blobStore"],
                                          "strictContentTypeValidation": spec["strictContentTypeValidation"]}},
                             spec, server)

    def add_body(self, body: dict[str, Any], spec: Spec, server: Optional[ServerInfo]) -> dict[str, Any]:
        return body

    # --- REST calls --------------------------------------------------------------------------
    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        doc = find_by_name(repository_settings(client), object_id)
        if doc is None or doc.get("format") != self.format or doc.get("type") != self.repo_type:
            return None
        return doc

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", f"/v1/repositories/{self.format_path}/{self.repo_type}", self.body(spec, client.server()),
                    invalidates=("repositories",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        client.send("PUT", f"/v1/repositories/{self.format_path}/{self.repo_type}/{quote(spec['name'], safe='')}",
                    self.body(spec, client.server()), invalidates=("repositories",))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", repository_path(spec["name"]), invalidates=("repositories",))


def cleanup_body(spec: Spec) -> dict[str, Any]:
    return {"policyNames": list(spec.get("cleanupPolicies", []))}


def cleanup_from(doc: Mapping[str, Any]) -> list[str]:
    return list((doc.get("cleanup") or {}).get("policyNames") or [])


class HostedRepository(RepositoryProvider):
    """Where components are uploaded. Protected by default (they hold data)."""

    repo_type = "hosted"

    def fields(self, entry: Mapping[str, Any]) -> Spec:
        return {**super().fields(entry), "writePolicy": entry["writePolicy"],
                "proprietaryComponents": entry["proprietaryComponents"],
                "cleanupPolicies": list(entry["cleanupPolicies"])}

    def add_body(self, body: dict[str, Any], spec: Spec, server: Optional[ServerInfo]) -> dict[str, Any]:
        # The specs up to 3.93 enumerate allow|allow_once|deny; 3.94's documents ALLOW_ONCE.
        modern = server is None or server.at_least("3.94.0")
        body["storage"]["writePolicy"] = spec["writePolicy"] if modern else spec["writePolicy"].lower()
        body["cleanup"] = cleanup_body(spec)
        body["component"] = {"proprietaryComponents": spec["proprietaryComponents"]}
        return super().add_body(body, spec, server)

    def fields_from(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        storage = doc.get("storage") or {}
        return {**super().fields_from(doc, previous),
                "writePolicy": str(storage.get("writePolicy", "")).upper() or None,
                "proprietaryComponents": bool((doc.get("component") or {}).get("proprietaryComponents", False)),
                "cleanupPolicies": cleanup_from(doc)}


class ProxyRepository(RepositoryProvider):
    """A cache of a remote repository; its password is write-only."""

    repo_type = "proxy"
    write_only = (("authentication", "password"),)

    def fields(self, entry: Mapping[str, Any]) -> Spec:
        negative = entry["negativeCache"]
        return {**super().fields(entry), "remoteUrl": entry["remoteUrl"], "contentMaxAge": entry["contentMaxAge"],
                "metadataMaxAge": entry["metadataMaxAge"],
                "negativeCache": {"enabled": negative["enabled"], "timeToLive": negative["timeToLive"]},
                "blocked": entry["blocked"], "autoBlock": entry["autoBlock"],
                "connection": compact(entry["connection"]) if entry.get("connection") else None,
                "authentication": compact(entry["authentication"]) if entry.get("authentication") else None,
                "routingRule": entry.get("routingRule"), "cleanupPolicies": list(entry["cleanupPolicies"])}

    def add_body(self, body: dict[str, Any], spec: Spec, server: Optional[ServerInfo]) -> dict[str, Any]:
        body.update({
            "cleanup": cleanup_body(spec),
            "proxy": {"remoteUrl": spec["remoteUrl"], "contentMaxAge": spec["contentMaxAge"],
                      "metadataMaxAge": spec["metadataMaxAge"]},
            "negativeCache": dict(spec["negativeCache"]),
            "httpClient": compact({"blocked": spec["blocked"], "autoBlock": spec["autoBlock"],
                                   "connection": spec.get("connection"),
                                   "authentication": spec.get("authentication")}),
        })
        if spec.get("routingRule"):
            # The 3.94 request names the field like GET answers it.
            key = "routingRuleName" if server is None or server.at_least("3.94.0") else "routingRule"
            body[key] = spec["routingRule"]
        return super().add_body(body, spec, server)

    def fields_from(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        proxy = doc.get("proxy") or {}
        negative = doc.get("negativeCache") or {}
        http = doc.get("httpClient") or {}
        # Nexus answers a full connection object with its defaults; only the keys the config
        # sets are managed (and compared).
        managed = previous.get("connection") or {}
        connection = compact({k: (http.get("connection") or {}).get(k) for k in CONNECTION_FIELDS if k in managed})
        auth = http.get("authentication") or {}
        return {
            **super().fields_from(doc, previous),
            "remoteUrl": proxy.get("remoteUrl"), "contentMaxAge": proxy.get("contentMaxAge"),
            "metadataMaxAge": proxy.get("metadataMaxAge"),
            "negativeCache": {"enabled": negative.get("enabled"), "timeToLive": negative.get("timeToLive")},
            "blocked": http.get("blocked", False), "autoBlock": http.get("autoBlock", False),
            "connection": connection or None,
            # The password is never answered; the base class carries the last applied one.
            "authentication": compact({k: auth.get(k) for k in ("type", "username", "ntlmHost", "ntlmDomain")})
                              if auth.get("type") else None,
            # POST/PUT take routingRule; GET answers routingRuleName.
            "routingRule": doc.get("routingRuleName") or doc.get("routingRule"),
            "cleanupPolicies": cleanup_from(doc),
        }


class GroupRepository(RepositoryProvider):
    """One endpoint over its members, in order."""

    repo_type = "group"

    def fields(self, entry: Mapping[str, Any]) -> Spec:
        return {**super().fields(entry), "members": list(entry["members"]),
                "writableMember": entry.get("writableMember")}

    def add_body(self, body: dict[str, Any], spec: Spec, server: Optional[ServerInfo]) -> dict[str, Any]:
        body["group"] = {"memberNames": list(spec["members"])}
        if spec.get("writableMember"):  # Pro only (GroupDeployAttributes): docker, npm, pypi, conan, oci
            body["group"]["writableMember"] = spec["writableMember"]
        return super().add_body(body, spec, server)

    def fields_from(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        group = doc.get("group") or {}
        return {**super().fields_from(doc, previous), "members": list(group.get("memberNames") or []),
                "writableMember": group.get("writableMember") or None}
