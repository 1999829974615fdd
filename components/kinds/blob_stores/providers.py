"""File and S3 blob stores, and what every blob store provider shares (typed paths, soft quotas).

Nexus's list endpoint does not carry a file store's path or an S3 store's bucket settings, so
each store is read with its own typed GET; a store of the other type at that name reads as
absent. Soft quotas are given in MB (`limitMb`) or bytes (`limitBytes`) in config and sent in
bytes: the REST API takes bytes even though its spec says MB (terraform-provider-nexus #41 / #93),
so a limit set in the UI or by another tool need not be a whole number of MB. Read answers in the
unit the config uses whenever that is exact, so neither spelling shows drift that is not there.

S3 bucket lifecycle (`expirationDays`, Nexus's `bucket.expiration`) exists up to Nexus 3.78 only:
there the field is required (a body without it is refused) and GET answers it; from 3.79 Nexus
neither takes nor answers it, and the bucket's own lifecycle rules do that job. So the field is
sent (3 when the config leaves it out, the UI's default) and read only where it exists, and a
config that sets it for a 3.79+ server is refused at preview (`s3_expiration_problems`).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional
from urllib.parse import quote

from ...client import NexusClient, ServerInfo
from ...problems import KnownNames, Problem, ServerFacts
from ...provider import NexusProvider, Spec, compact
from ...resource import NexusResource
from ...schema import Fragment

SCHEMA = Fragment.beside(__file__, "blob_stores")
LIST_PATH = "/v1/blobstores"
DEFAULT_BLOB_STORE = "default"  # every Nexus has it from first start
FACT = "blob_stores"  # lower-cased names of the server's blob stores
MEGABYTE = 1_000_000  # the Nexus UI's MB
S3_EXPIRATION_REMOVED = (3, 79, 0)  # the first release without S3 bucket lifecycle settings
DEFAULT_EXPIRATION_DAYS = 3  # what Nexus's UI proposes; sent before 3.79 when config is silent


def store_path(name: str) -> str:
    """The type-independent path of one store (delete, quota status)."""
    return f"{LIST_PATH}/{quote(name, safe='')}"


def quota_status_path(name: str) -> str:
    return f"{store_path(name)}/quota-status"


def known_blob_stores(declared: list[Mapping[str, Any]], server: Optional[ServerFacts]) -> KnownNames:
    """Blob store names a reference may use: declared, the default one, or on the server."""
    return KnownNames([b["name"] for b in declared] + [DEFAULT_BLOB_STORE], server, FACT)


def manages_s3_expiration(version: tuple[int, int, int]) -> bool:
    return tuple(version) < S3_EXPIRATION_REMOVED


def s3_expiration_problems(stores: list[Mapping[str, Any]],
                           version: Optional[tuple[int, int, int]]) -> list[Problem]:
    """`expirationDays` on a server that no longer has the setting (checked only when the
    server's version is known)."""
    if version is None or manages_s3_expiration(version):
        return []
    release = ".".join(map(str, version))
    return [Problem(f"blobStores[{i}].expirationDays",
                    f"Nexus {release} no longer manages S3 bucket lifecycle rules (the setting was "
                    "removed in 3.79, so it would be silently ignored); remove expirationDays and set "
                    "an expiration rule on the bucket itself (objects tagged deleted=true, after that "
                    "many days)")
            for i, store in enumerate(stores)
            if store.get("type") == "s3" and store.get("expirationDays") is not None]


def quota_body(spec: Mapping[str, Any]) -> Optional[dict[str, Any]]:
    quota = spec.get("softQuota")
    if not quota:
        return None
    limit = int(quota["limitBytes"]) if "limitBytes" in quota else int(quota["limitMb"]) * MEGABYTE
    return {"type": quota["type"], "limit": limit}


def quota_spec(doc: Mapping[str, Any], previous: Optional[Mapping[str, Any]] = None) -> Optional[dict[str, Any]]:
    """The server's quota in config shape: in MB when the previous spec (or, with none, the
    value) says so and the bytes are a whole number of MB, else in bytes, exactly."""
    quota = doc.get("softQuota")
    if not quota or not quota.get("type"):
        return None
    limit = int(quota.get("limit") or 0)
    in_bytes = "limitBytes" in (previous or {}) or limit % MEGABYTE != 0
    return {"type": quota["type"], **({"limitBytes": limit} if in_bytes else {"limitMb": limit // MEGABYTE})}


# --- providers ----------------------------------------------------------------------------------
class BlobStoreProvider(NexusProvider):
    store_type = ""  # path segment and config type: file | s3 | azure | google | group
    FIELDS: tuple[str, ...] = ()  # its fields besides the name, in config shape

    def with_defaults(self, spec: Spec) -> Spec:
        """The schema's defaults for a store of this type (the resource's spec has no `type`)."""
        return SCHEMA.with_defaults({**spec, "type": self.store_type})

    def normalize(self, spec: Spec) -> Spec:
        spec = self.with_defaults(spec)
        return compact({"name": spec["name"], **{k: spec.get(k) for k in self.FIELDS},
                        "adopt": bool(spec.get("adopt"))})

    def path(self, name: str) -> str:
        return f"{LIST_PATH}/{self.store_type}/{quote(name, safe='')}"

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return client.get_json(self.path(object_id), missing_ok=True)

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", f"{LIST_PATH}/{self.store_type}", self.body(spec, client.server()),
                    invalidates=("blobstores",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        client.send("PUT", self.path(spec["name"]), self.body(spec, client.server()), invalidates=("blobstores",))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", store_path(spec["name"]), invalidates=("blobstores",))

    def body(self, spec: Spec, server: Optional[ServerInfo] = None) -> dict[str, Any]:
        raise NotImplementedError


class FileBlobStoreProvider(BlobStoreProvider):
    kind = "file blob store"
    resource_type = "nexus:FileBlobStore"
    store_type = "file"
    FIELDS = ("path", "softQuota")

    def body(self, spec: Spec, server: Optional[ServerInfo] = None) -> dict[str, Any]:
        return {"name": spec["name"], "path": spec["path"], "softQuota": quota_body(spec)}

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return compact({"name": previous["name"], "path": doc.get("path"),
                        "softQuota": quota_spec(doc, previous.get("softQuota"))})


class S3BlobStoreProvider(BlobStoreProvider):
    kind = "S3 blob store"
    resource_type = "nexus:S3BlobStore"
    store_type = "s3"
    write_only = (("secretAccessKey",), ("sessionToken",))

    FIELDS = ("bucket", "region", "prefix", "expirationDays", "accessKeyId", "secretAccessKey",
              "role", "sessionToken", "endpoint", "forcePathStyle", "signerType",
              "maxConnectionPoolSize", "encryption", "softQuota")

    def body(self, spec: Spec, server: Optional[ServerInfo] = None) -> dict[str, Any]:
        """S3 bucket lifecycle (`expiration`) is a required part of the body up to 3.78 only."""
        bucket = {"region": spec["region"], "name": spec["bucket"], "prefix": spec["prefix"]}
        if server is not None and manages_s3_expiration(server.version):
            bucket["expiration"] = spec.get("expirationDays", DEFAULT_EXPIRATION_DAYS)
        security = compact({"accessKeyId": spec.get("accessKeyId"),
                            "secretAccessKey": spec.get("secretAccessKey"),
                            "role": spec.get("role"), "sessionToken": spec.get("sessionToken")})
        advanced = compact({"endpoint": spec.get("endpoint"), "signerType": spec.get("signerType"),
                            "forcePathStyle": spec.get("forcePathStyle"),
                            "maxConnectionPoolSize": spec.get("maxConnectionPoolSize")})
        encryption = spec.get("encryption")
        return {
            "name": spec["name"],
            "softQuota": quota_body(spec),
            "bucketConfiguration": compact({
                "bucket": bucket,
                "bucketSecurity": security or None,
                "advancedBucketConnection": advanced or None,
                "encryption": None if not encryption else compact({
                    "encryptionType": encryption["type"], "encryptionKey": encryption.get("kmsKeyId")}),
            }),
        }

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        config = doc.get("bucketConfiguration") or {}
        bucket = config.get("bucket") or {}
        security = config.get("bucketSecurity") or {}
        advanced = config.get("advancedBucketConnection") or {}
        encryption = config.get("encryption") or {}
        return compact({
            "name": previous["name"], "bucket": bucket.get("name"),
            "region": bucket.get("region"), "prefix": bucket.get("prefix") or "",
            "expirationDays": self._expiration(bucket, previous),
            "accessKeyId": security.get("accessKeyId") or None, "role": security.get("role") or None,
            "endpoint": advanced.get("endpoint") or None, "signerType": advanced.get("signerType") or None,
            "forcePathStyle": bool(advanced.get("forcePathStyle", False)),
            "maxConnectionPoolSize": advanced.get("maxConnectionPoolSize"),
            "encryption": None if not encryption.get("encryptionType") else compact({
                "type": encryption["encryptionType"], "kmsKeyId": encryption.get("encryptionKey") or None}),
            "softQuota": quota_spec(doc, previous.get("softQuota")),
        })

    @staticmethod
    def _expiration(bucket: Mapping[str, Any], previous: Mapping[str, Any]) -> Optional[int]:
        """The server's value where it has one (the default counts as "not set" when the config
        does not set it); a server without the setting cannot tell, so the last applied value
        stays (config validation refuses setting it there)."""
        if "expiration" not in bucket:
            return previous.get("expirationDays")
        days = bucket.get("expiration")
        if "expirationDays" not in previous and days == DEFAULT_EXPIRATION_DAYS:
            return None
        return days


class FileBlobStore(NexusResource, provider=FileBlobStoreProvider):
    """A file blob store. Protected by default: it holds the repositories' bytes."""

    protected = True


class S3BlobStore(NexusResource, provider=S3BlobStoreProvider):
    """An S3 blob store; access keys stay Pulumi secrets. Protected by default."""

    protected = True


