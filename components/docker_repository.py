"""What hosted, proxy and group docker repositories share: storage, connector settings, the
REST paths, and reading every repository of the run through one `/repositorySettings` call."""
from __future__ import annotations

import re
from typing import Any, ClassVar, Mapping, Optional
from urllib.parse import quote

from .client import NexusClient, NexusError, ServerInfo
from .provider import NexusProvider, Spec, compact, find_by_name

# Nexus's answer when a connector port is taken: "Port 8083 is already in use by repository x".
PORT_HELD = re.compile(r"[Pp]ort (\d+) is already in use by repository ([^\s\"'.,]+)")
DOCKER_FIELDS = ("v1Enabled", "forceBasicAuth", "httpPort", "httpsPort", "subdomain", "pathEnabled")


def repository_settings(client: NexusClient) -> list[dict[str, Any]]:
    """Every repository's full settings, read once per run."""
    return client.cached_list("repositories", "/v1/repositorySettings")


class DockerRepositoryProvider(NexusProvider):
    repo_type: ClassVar[str] = ""  # hosted | proxy | group
    # A repository cannot move to another blob store: Nexus refuses, so it is re-created.
    replace_on = ("name", "blobStore")
    referenced = True  # groups, privileges, roles, tasks and webhooks name it

    # --- spec ------------------------------------------------------------------------------
    def normalize(self, spec: Spec) -> Spec:
        common = {
            "name": spec["name"],
            "online": spec.get("online", True),
            "blobStore": spec.get("blobStore", "default"),
            "strictContentTypeValidation": spec.get("strictContentTypeValidation", True),
            "v1Enabled": spec.get("v1Enabled", False),
            "forceBasicAuth": spec.get("forceBasicAuth", True),
            "httpPort": spec.get("httpPort"),
            "httpsPort": spec.get("httpsPort"),
            "subdomain": spec.get("subdomain"),
            "pathEnabled": spec.get("pathEnabled"),
            "adopt": bool(spec.get("adopt", False)),
        }
        return compact({**common, **self.normalize_specific(spec)})

    def normalize_specific(self, spec: Spec) -> Spec:
        raise NotImplementedError

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        storage = doc.get("storage") or {}
        docker = doc.get("docker") or {}
        common = {
            "name": previous["name"],
            "online": doc.get("online"),
            "blobStore": storage.get("blobStoreName"),
            "strictContentTypeValidation": storage.get("strictContentTypeValidation"),
            "v1Enabled": docker.get("v1Enabled"),
            "forceBasicAuth": docker.get("forceBasicAuth"),
            "httpPort": docker.get("httpPort"),
            "httpsPort": docker.get("httpsPort"),
            # Managed only when the config sets them: older servers do not know them at all.
            "subdomain": docker.get("subdomain") if "subdomain" in previous else None,
            "pathEnabled": docker.get("pathEnabled") if "pathEnabled" in previous else None,
        }
        return compact({**common, **self.specific_from(doc, previous)})

    def specific_from(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        raise NotImplementedError

    # --- REST body --------------------------------------------------------------------------
    def body(self, spec: Spec, server: Optional[ServerInfo] = None) -> dict[str, Any]:
        """The request body as the server's OpenAPI spec has it (absent rather than null)."""
        docker = compact({k: spec.get(k) for k in DOCKER_FIELDS})
        body = {"name": spec["name"], "online": spec["online"],
                "storage": {"blobStoreName": spec["blobStore"],
                            "strictContentTypeValidation": spec["strictContentTypeValidation"]},
                "docker": docker}
        return self.add_specific(body, spec, server)

    def add_specific(self, body: dict[str, Any], spec: Spec, server: Optional[ServerInfo]) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def cleanup_body(spec: Spec) -> dict[str, Any]:
        return {"policyNames": list(spec.get("cleanupPolicies", []))}

    @staticmethod
    def cleanup_from(doc: Mapping[str, Any]) -> list[str]:
        return list((doc.get("cleanup") or {}).get("policyNames") or [])

    # --- REST calls -------------------------------------------------------------------------
    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        doc = find_by_name(repository_settings(client), object_id)
        if doc is None or doc.get("format") != "docker" or doc.get("type") != self.repo_type:
            return None
        return doc

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", f"/v1/repositories/docker/{self.repo_type}", self.body(spec, client.server()),
                    invalidates=("repositories",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        client.send("PUT", f"/v1/repositories/docker/{self.repo_type}/{quote(spec['name'], safe='')}",
                    self.body(spec, client.server()), invalidates=("repositories",))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", f"/v1/repositories/{quote(spec['name'], safe='')}",
                    invalidates=("repositories",))

    def _explain(self, err: NexusError, spec: Mapping[str, Any], action: str,
                 next_run: str = "") -> NexusError:
        """A port held by another repository is most often a rename the config did not say."""
        held = PORT_HELD.search(err.message)
        if held and held.group(2).lower() != str(spec["name"]).lower():
            next_run = (f"if '{spec['name']}' is '{held.group(2)}' renamed, add `renamedFrom: {held.group(2)}` "
                        "to its entry in repositories (the old one is then deleted first); otherwise give it "
                        "another port")
        return super()._explain(err, spec, action, next_run)
