"""The docker format: connectors (a port per repository, or a path on 3.83+), the V1 API, the
Docker Hub index of proxies and the `latest` tag policy of hosted repositories.

On Community Edition a group cannot take pushes (writableMember is Pro only), which is why the
reverse proxy sends writes to the hosted repository's connector.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional

from ...client import NexusError, ServerInfo
from ...provider import Spec, compact
from ...resource import NexusResource
from .providers import GroupRepository, HostedRepository, ProxyRepository, RepositoryProvider

FORMAT = "docker"
# Nexus's answer when a connector port is taken: "Port 8083 is already in use by repository x".
PORT_HELD = re.compile(r"[Pp]ort (\d+) is already in use by repository ([^\s\"'.,]+)")
CONNECTOR_FIELDS = ("v1Enabled", "forceBasicAuth", "httpPort", "httpsPort", "subdomain", "pathEnabled")
PORT_FIELDS = ("httpPort", "httpsPort")
# Fields of one repository type only, and the block of the REST body they go in.
PROXY_FIELDS = ("indexType", "indexUrl", "cacheForeignLayers", "foreignLayerUrlWhitelist")


class DockerFormat(RepositoryProvider):
    """The docker block of every type, and each type's docker-only fields."""

    format = FORMAT
    format_path = FORMAT

    def fields(self, entry: Mapping[str, Any]) -> Spec:
        out = {**super().fields(entry), **{k: entry.get(k) for k in CONNECTOR_FIELDS}}
        if self.repo_type == "hosted":
            out["latestPolicy"] = entry.get("latestPolicy")
        elif self.repo_type == "proxy":
            out.update({k: entry.get(k) for k in PROXY_FIELDS})
            out["foreignLayerUrlWhitelist"] = list(entry["foreignLayerUrlWhitelist"])
        return out

    def add_body(self, body: dict[str, Any], spec: Spec, server: Optional[ServerInfo]) -> dict[str, Any]:
        body = super().add_body(body, spec, server)
        body["docker"] = compact({k: spec.get(k) for k in CONNECTOR_FIELDS})
        if self.repo_type == "hosted" and "latestPolicy" in spec:
            body["storage"]["latestPolicy"] = spec["latestPolicy"]
        elif self.repo_type == "proxy":
            body["dockerProxy"] = compact({"indexType": spec["indexType"], "indexUrl": spec.get("indexUrl"),
                                           "cacheForeignLayers": spec["cacheForeignLayers"],
                                           "foreignLayerUrlWhitelist": spec["foreignLayerUrlWhitelist"]})
        return body

    def fields_from(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        docker = doc.get("docker") or {}
        out = {**super().fields_from(doc, previous),
               "v1Enabled": docker.get("v1Enabled"), "forceBasicAuth": docker.get("forceBasicAuth"),
               "httpPort": docker.get("httpPort"), "httpsPort": docker.get("httpsPort"),
               # Managed only when the config sets them: older servers do not know them at all.
               "subdomain": docker.get("subdomain") if "subdomain" in previous else None,
               "pathEnabled": docker.get("pathEnabled") if "pathEnabled" in previous else None}
        if self.repo_type == "hosted":
            latest = (doc.get("storage") or {}).get("latestPolicy")
            # Some versions omit latestPolicy in GET: absent means "server default", not drift.
            out["latestPolicy"] = latest if latest is not None else previous.get("latestPolicy")
        elif self.repo_type == "proxy":
            proxy = doc.get("dockerProxy") or {}
            out.update({"indexType": proxy.get("indexType"),
                        "indexUrl": proxy.get("indexUrl") if proxy.get("indexType") == "CUSTOM" else None,
                        "cacheForeignLayers": bool(proxy.get("cacheForeignLayers", False)),
                        "foreignLayerUrlWhitelist": list(proxy.get("foreignLayerUrlWhitelist") or [])})
        return out

    def _explain(self, err: NexusError, spec: Mapping[str, Any], action: str,
                 next_run: str = "") -> NexusError:
        """A port held by another repository is most often a rename the config did not say."""
        held = PORT_HELD.search(err.message)
        if held and held.group(2).lower() != str(spec["name"]).lower():
            next_run = (f"if '{spec['name']}' is '{held.group(2)}' renamed, add `renamedFrom: {held.group(2)}` "
                        "to its entry in repositories (the old one is then deleted first); otherwise give it "
                        "another port")
        return super()._explain(err, spec, action, next_run)


class DockerHostedProvider(DockerFormat, HostedRepository):
    kind = "docker hosted repository"
    resource_type = "nexus:DockerHostedRepository"


class DockerProxyProvider(DockerFormat, ProxyRepository):
    kind = "docker proxy repository"
    resource_type = "nexus:DockerProxyRepository"


class DockerGroupProvider(DockerFormat, GroupRepository):
    kind = "docker group repository"
    resource_type = "nexus:DockerGroupRepository"


class DockerHostedRepository(NexusResource, provider=DockerHostedProvider):
    """A docker hosted repository (push target). Protected by default: it holds the images."""

    protected = True


class DockerProxyRepository(NexusResource, provider=DockerProxyProvider):
    """A docker proxy repository (pull-through cache)."""


class DockerGroupRepository(NexusResource, provider=DockerGroupProvider):
    """A docker group repository (one place to pull from)."""


RESOURCES: dict[str, type[NexusResource]] = {"hosted": DockerHostedRepository, "proxy": DockerProxyRepository,
                                             "group": DockerGroupRepository}
