"""Docker proxy repositories: a cache of a remote registry (Docker Hub, GCR, a mirror)."""
from __future__ import annotations

from typing import Any, Mapping, Optional

import pulumi
import pulumi.dynamic

from .client import ServerInfo
from .docker_repository import DockerRepositoryProvider
from .provider import Spec, compact, resource_options

CONNECTION_FIELDS = ("retries", "timeout", "userAgentSuffix", "enableCircularRedirects",
                     "enableCookies", "useTrustStore")


class DockerProxyProvider(DockerRepositoryProvider):
    kind = "docker proxy repository"
    repo_type = "proxy"
    write_only = (("authentication", "password"),)

    def normalize_specific(self, spec: Spec) -> Spec:
        negative = spec.get("negativeCache") or {}
        return {
            "remoteUrl": spec["remoteUrl"],
            "indexType": spec.get("indexType", "REGISTRY"),
            "indexUrl": spec.get("indexUrl"),
            "contentMaxAge": spec.get("contentMaxAge", 1440),
            "metadataMaxAge": spec.get("metadataMaxAge", 1440),
            "negativeCache": {"enabled": negative.get("enabled", True),
                              "timeToLive": negative.get("timeToLive", 1440)},
            "blocked": spec.get("blocked", False),
            "autoBlock": spec.get("autoBlock", True),
            "connection": compact(spec["connection"]) if spec.get("connection") else None,
            "authentication": compact(spec["authentication"]) if spec.get("authentication") else None,
            "cacheForeignLayers": spec.get("cacheForeignLayers", False),
            "foreignLayerUrlWhitelist": list(spec.get("foreignLayerUrlWhitelist", [])),
            "routingRule": spec.get("routingRule"),
            "cleanupPolicies": list(spec.get("cleanupPolicies", [])),
        }

    def add_specific(self, body: dict[str, Any], spec: Spec, server: Optional[ServerInfo]) -> dict[str, Any]:
        body.update({
            "cleanup": self.cleanup_body(spec),
            "proxy": {"remoteUrl": spec["remoteUrl"], "contentMaxAge": spec["contentMaxAge"],
                      "metadataMaxAge": spec["metadataMaxAge"]},
            "negativeCache": dict(spec["negativeCache"]),
            "httpClient": compact({"blocked": spec["blocked"], "autoBlock": spec["autoBlock"],
                                   "connection": spec.get("connection"),
                                   "authentication": spec.get("authentication")}),
            "dockerProxy": compact({"indexType": spec["indexType"], "indexUrl": spec.get("indexUrl"),
                                    "cacheForeignLayers": spec["cacheForeignLayers"],
                                    "foreignLayerUrlWhitelist": spec["foreignLayerUrlWhitelist"]}),
        })
        if spec.get("routingRule"):
            # The 3.94 request names the field like GET answers it.
            key = "routingRuleName" if server is None or server.at_least("3.94.0") else "routingRule"
            body[key] = spec["routingRule"]
        return body

    def specific_from(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        proxy = doc.get("proxy") or {}
        negative = doc.get("negativeCache") or {}
        http = doc.get("httpClient") or {}
        docker_proxy = doc.get("dockerProxy") or {}
        # Nexus answers a full connection object with its defaults; only the keys the config
        # sets are managed (and compared).
        managed = previous.get("connection") or {}
        connection = compact({k: (http.get("connection") or {}).get(k) for k in CONNECTION_FIELDS
                              if k in managed})
        auth = http.get("authentication") or {}
        return {
            "remoteUrl": proxy.get("remoteUrl"),
            "indexType": docker_proxy.get("indexType"),
            "indexUrl": docker_proxy.get("indexUrl") if docker_proxy.get("indexType") == "CUSTOM" else None,
            "contentMaxAge": proxy.get("contentMaxAge"),
            "metadataMaxAge": proxy.get("metadataMaxAge"),
            "negativeCache": {"enabled": negative.get("enabled"), "timeToLive": negative.get("timeToLive")},
            "blocked": http.get("blocked", False),
            "autoBlock": http.get("autoBlock", False),
            "connection": connection or None,
            # The password is never answered; the base class carries the last applied one.
            "authentication": compact({k: auth.get(k) for k in ("type", "username", "ntlmHost", "ntlmDomain")})
                              if auth.get("type") else None,
            "cacheForeignLayers": bool(docker_proxy.get("cacheForeignLayers", False)),
            "foreignLayerUrlWhitelist": list(docker_proxy.get("foreignLayerUrlWhitelist") or []),
            # POST/PUT take routingRule; GET answers routingRuleName.
            "routingRule": doc.get("routingRuleName") or doc.get("routingRule"),
            "cleanupPolicies": self.cleanup_from(doc),
        }


class DockerProxyRepository(pulumi.dynamic.Resource, module="nexus", name="DockerProxyRepository"):
    """A docker proxy repository (pull-through cache)."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any], protect: bool = False,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(DockerProxyProvider(), resource_name, dict(spec),
                         resource_options(opts, protect=protect))
