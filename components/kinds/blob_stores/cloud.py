"""Azure, Google Cloud and group blob stores (Nexus Pro; Google from 3.77).

Azure's account key and Google's credentials JSON are never answered: write-only, diffed
against the last applied value, Pulumi secrets; a PUT that leaves them out keeps the stored one.
A group spreads writes over its members by its fill policy. Nexus refuses to take a member out of
a group over REST (it has to be drained first, by the "Admin - Remove a member from a blob store
group" task) and refuses a member that repositories store in; the config checks say so before
any write (components/kinds/blob_stores).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ...client import NexusClient, ServerInfo
from ...provider import Spec, compact
from ...resource import NexusResource
from ...settings import Availability
from .providers import LIST_PATH, BlobStoreProvider, quota_body, quota_spec

AZURE = Availability("Azure blob stores", f"{LIST_PATH}/azure", pro=True)
GOOGLE = Availability("Google Cloud blob stores", f"{LIST_PATH}/google", since="3.77.0", pro=True)
GROUP = Availability("Group blob stores", f"{LIST_PATH}/group", pro=True)
GROUP_TYPE = "Group"  # the list endpoint's type of a group


class AzureBlobStoreProvider(BlobStoreProvider):
    kind = "Azure blob store"
    resource_type = "nexus:AzureBlobStore"
    store_type = "azure"
    write_only = (("accountKey",),)
    FIELDS = ("accountName", "containerName", "authenticationMethod", "accountKey", "softQuota")

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        if spec["authenticationMethod"] == "ACCOUNTKEY" and not spec.get("accountKey"):
            return [("accountKey", "ACCOUNTKEY authentication needs the account key")]
        return []

    def body(self, spec: Spec, server: Optional[ServerInfo] = None) -> dict[str, Any]:
        return {"name": spec["name"], "softQuota": quota_body(spec), "bucketConfiguration": {
            "accountName": spec["accountName"], "containerName": spec["containerName"],
            "authentication": compact({"authenticationMethod": spec["authenticationMethod"],
                                       "accountKey": spec.get("accountKey")})}}

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        config = doc.get("bucketConfiguration") or {}
        return compact({"name": previous["name"], "accountName": config.get("accountName"),
                        "containerName": config.get("containerName"),
                        "authenticationMethod": (config.get("authentication") or {}).get("authenticationMethod"),
                        "softQuota": quota_spec(doc, previous.get("softQuota"))})


class GoogleBlobStoreProvider(BlobStoreProvider):
    kind = "Google Cloud blob store"
    resource_type = "nexus:GoogleBlobStore"
    store_type = "google"
    write_only = (("credentialsJson",),)
    FIELDS = ("bucket", "prefix", "region", "projectId", "authenticationMethod", "credentialsJson", "encryption",
              "softQuota")

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        if spec["authenticationMethod"] == "accountKey" and not spec.get("credentialsJson"):
            return [("credentialsJson", "accountKey authentication needs the credentials JSON")]
        return []

    def body(self, spec: Spec, server: Optional[ServerInfo] = None) -> dict[str, Any]:
        encryption = spec.get("encryption")
        return {"name": spec["name"], "softQuota": quota_body(spec), "bucketConfiguration": compact({
            "bucket": compact({"name": spec["bucket"], "prefix": spec.get("prefix"), "region": spec.get("region"),
                               "projectId": spec.get("projectId")}),
            "bucketSecurity": compact({"authenticationMethod": spec["authenticationMethod"],
                                       "accountKey": spec.get("credentialsJson")}),
            "encryption": None if not encryption else compact({"encryptionType": encryption["type"],
                                                               "encryptionKey": encryption.get("kmsKeyId")})})}

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        config = doc.get("bucketConfiguration") or {}
        bucket, encryption = config.get("bucket") or {}, config.get("encryption") or {}
        return compact({
            "name": previous["name"], "bucket": bucket.get("name"), "prefix": bucket.get("prefix") or "",
            "region": bucket.get("region"), "projectId": bucket.get("projectId"),
            "authenticationMethod": (config.get("bucketSecurity") or {}).get("authenticationMethod"),
            "encryption": None if not encryption.get("encryptionType") else compact(
                {"type": encryption["encryptionType"], "kmsKeyId": encryption.get("encryptionKey")}),
            "softQuota": quota_spec(doc, previous.get("softQuota")),
        })


class GroupBlobStoreProvider(BlobStoreProvider):
    kind = "group blob store"
    resource_type = "nexus:GroupBlobStore"
    store_type = "group"
    FIELDS = ("members", "fillPolicy", "softQuota")

    def body(self, spec: Spec, server: Optional[ServerInfo] = None) -> dict[str, Any]:
        return {"name": spec["name"], "members": spec["members"], "fillPolicy": spec["fillPolicy"],
                "softQuota": quota_body(spec)}

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        """Members as the config spells them when they are the same stores (names are
        case-insensitive; Nexus answers its own spelling)."""
        spelled = {str(m).lower(): m for m in previous.get("members") or []}
        return compact({"name": previous["name"],
                        "members": [spelled.get(str(m).lower(), m) for m in doc.get("members") or []],
                        "fillPolicy": doc.get("fillPolicy"), "softQuota": quota_spec(doc, previous.get("softQuota"))})

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        client.send("PUT", self.path(spec["name"]), {k: v for k, v in self.body(spec).items() if k != "name"},
                    invalidates=("blobstores",))


class AzureBlobStore(NexusResource, provider=AzureBlobStoreProvider):
    """An Azure blob store (Pro); the account key stays a Pulumi secret. Protected by default."""

    protected = True


class GoogleBlobStore(NexusResource, provider=GoogleBlobStoreProvider):
    """A Google Cloud blob store (Pro, 3.77+); the credentials stay a Pulumi secret. Protected by default."""

    protected = True


class GroupBlobStore(NexusResource, provider=GroupBlobStoreProvider):
    """A group of blob stores (Pro). Protected by default: its members hold repositories' bytes."""

    protected = True
