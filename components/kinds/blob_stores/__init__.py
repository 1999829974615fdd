"""Blob stores: where repositories keep their bytes — a directory, an S3 bucket, an Azure
container, a Google Cloud bucket (providers.py, cloud.py), or a group of them.

Cloud and group stores are Pro (Google from 3.77): refused at preview on a server that lacks
them, naming the release and edition found. A group is declared after its members. Nexus
refuses, over REST, a member that repositories store in and taking a member out of a group; a
store cannot become a group in place either (Nexus's convert renames it): the checks below say
so, with what to do, before anything is written.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ...client import NexusClient, NexusError, ServerInfo
from ...kind import Context, Fact, Found, Kind, Resources, after, config_entry, list_fact
from ...problems import Problem, ServerFacts, Values, duplicate_name_problems
from ...settings import Availability
from .cloud import (AZURE, GOOGLE, GROUP, GROUP_TYPE, AzureBlobStore, AzureBlobStoreProvider, GoogleBlobStore,
                    GroupBlobStore)
from .providers import (DEFAULT_BLOB_STORE, FACT, LIST_PATH, MEGABYTE, SCHEMA, FileBlobStore, FileBlobStoreProvider,
                        S3BlobStore, S3BlobStoreProvider, known_blob_stores, quota_body, quota_spec,
                        quota_status_path, s3_expiration_problems, store_path)

__all__ = ["KIND", "SCHEMA", "LIST_PATH", "MEGABYTE", "DEFAULT_BLOB_STORE", "FileBlobStoreProvider",
           "S3BlobStoreProvider", "AzureBlobStoreProvider", "known_blob_stores", "quota_body", "quota_spec",
           "quota_status_path", "store_path"]
RESOURCES = {"file": FileBlobStore, "s3": S3BlobStore, "azure": AzureBlobStore, "google": GoogleBlobStore,
             "group": GroupBlobStore}
GATES: dict[str, Availability] = {"azure": AZURE, "google": GOOGLE, "group": GROUP}
TYPES_FACT = "blob_store_types"  # lower-cased name -> the list endpoint's type ("File", "Group", ...)
GROUPS_FACT = "blob_store_groups"  # lower-cased group name -> its members (lower-cased)
# The list endpoint's type names, by config type.
LISTED = {"file": "File", "s3": "S3", "azure": "Azure Cloud Storage", "google": "Google Cloud Storage",
          "group": GROUP_TYPE}
REMOVE_TASK = "Admin - Remove a member from a blob store group"


# --- the kind -----------------------------------------------------------------------------------
def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    stores = values.get("blobStores") or []
    found = [Problem(f"blobStores[{i}].secretAccessKey", "accessKeyId needs its secret key: pulumi config set "
                     f"--secret --path 'blobStores[{i}].secretAccessKey' <key>")
             for i, store in enumerate(stores)
             if store["type"] == "s3" and store.get("accessKeyId") and not store.get("secretAccessKey")]
    for i, store in enumerate(stores):
        if store["type"] in GATES:
            found += GATES[store["type"]].problems(f"blobStores[{i}]", server)
        if store["type"] == "azure" and store["authenticationMethod"] == "ACCOUNTKEY" and not store.get("accountKey"):
            found.append(Problem(f"blobStores[{i}].accountKey", "ACCOUNTKEY authentication needs the account key: "
                                 f"pulumi config set --secret --path 'blobStores[{i}].accountKey' <key>"))
        if store["type"] == "google" and SCHEMA.with_defaults(store)["authenticationMethod"] == "accountKey" \
                and not store.get("credentialsJson"):
            found.append(Problem(f"blobStores[{i}].credentialsJson", "accountKey authentication needs the "
                                 "service account's credentials JSON: pulumi config set --secret --path "
                                 f"'blobStores[{i}].credentialsJson' \"$(cat key.json)\""))
    return (found + s3_expiration_problems(stores, server.version if server else None)
            + duplicate_name_problems("blobStores", stores) + group_problems(values, server))


def group_problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    """What Nexus refuses of a group, before any write: unknown members, a group or another
    group's store as a member, a member repositories store in, a member taken out, and a store
    that would have to become a group in place."""
    stores = values.get("blobStores") or []
    groups = [(i, s) for i, s in enumerate(stores) if s["type"] == "group"]
    if not groups:
        return []
    declared = {s["name"].lower(): s for s in stores}
    known = known_blob_stores(stores, server)
    server_types = server.mapping(TYPES_FACT) if server is not None else {}
    server_groups = server.mapping(GROUPS_FACT) if server is not None else {}
    stored_in: dict[str, list[str]] = {}
    for repo in values.get("repositories") or []:
        # A repository without blobStore stores in the default store every Nexus has.
        stored_in.setdefault(str(repo.get("blobStore") or DEFAULT_BLOB_STORE).lower(), []).append(repo["name"])
    member_of: dict[str, str] = {}
    found = []
    for i, group in groups:
        at, name = f"blobStores[{i}]", group["name"]
        current = server_types.get(name.lower())
        if current is not None and current != GROUP_TYPE:
            found.append(Problem(f"{at}.type", f"'{name}' is a {current} blob store on the server; Nexus makes a "
                                 f"store a group only by converting it (POST {LIST_PATH}/group/convert/{name}/"
                                 f"<new name for the original>, or 'Convert to Group' in the UI), which renames the "
                                 "original and makes it the only member. Convert it by hand, then list the renamed "
                                 "store in members (its repositories keep their storage)"))
        for j, member in enumerate(group["members"]):
            where, key = f"{at}.members[{j}]", member.lower()
            other = member_of.setdefault(key, name)
            if key == name.lower():
                found.append(Problem(where, f"a group cannot contain itself ('{name}')"))
            elif not known(member):
                found.append(Problem(where, f"blob store '{member}' is not declared in blobStores (known: "
                                            f"{known.listing})"))
            elif (declared.get(key) or {}).get("type") == "group" or server_types.get(key) == GROUP_TYPE:
                found.append(Problem(where, f"'{member}' is a group; Nexus does not nest groups"))
            elif other.lower() != name.lower():
                found.append(Problem(where, f"'{member}' is already a member of group '{other}'; a store belongs "
                                            "to one group"))
            elif key in stored_in:
                found.append(Problem(where, f"repositories {', '.join(sorted(stored_in[key]))} store in '{member}', "
                                            "so Nexus refuses it as a group member. To group a store in use, "
                                            f"convert it by hand (POST {LIST_PATH}/group/convert/{member}/<new name "
                                            "for the original>, or 'Convert to Group' in the UI): its repositories "
                                            "keep their storage, and the config then declares the group"))
        dropped = [m for m in server_groups.get(name.lower(), ()) if m not in {x.lower() for x in group["members"]}]
        if dropped:
            found.append(Problem(f"{at}.members", f"{', '.join(dropped)} would leave group '{name}': Nexus refuses to "
                                 f"take a member out over REST. Run the task '{REMOVE_TASK}' for it (it moves the "
                                 "blobs to the other members first), then remove it here"))
    return found


def needs_server(values: Values) -> bool:
    stores = values.get("blobStores") or []
    # S3 lifecycle is gone from Nexus 3.79; cloud and group stores are Pro (Google 3.77+).
    return any("expirationDays" in s or s["type"] in GATES for s in stores)


def _types(client: NexusClient) -> dict[str, str]:
    return {str(s["name"]).lower(): str(s.get("type")) for s in client.get_json(LIST_PATH) or []}


def _groups(client: NexusClient) -> dict[str, tuple[str, ...]]:
    """Each group's current members (one read per group; only configs with groups ask)."""
    groups = {}
    for name, store_type in _types(client).items():
        if store_type == GROUP_TYPE:
            try:
                doc = client.get_json(f"{LIST_PATH}/group/{name}") or {}
            except NexusError:
                continue
            groups[name] = tuple(str(m).lower() for m in doc.get("members") or [])
    return groups


def declare(ctx: Context) -> Resources:
    """Every store, groups after their members."""
    out: Resources = {}
    items = list(enumerate(ctx.cfg.get("blobStores", [])))
    for i, item in sorted(items, key=lambda pair: pair[1]["type"] == "group"):
        spec = ctx.cfg.spec(("blobStores", i), {k: v for k, v in item.items() if k != "type"})
        members = [out.get(m.lower()) for m in item.get("members", [])]
        out[item["name"].lower()] = RESOURCES[item["type"]](item["name"], spec, protect=item.get("protect"),
                                                            opts=after(ctx.bootstrap, *members))
    return out


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    """Every store but the built-in default one."""
    found = []
    by_listed = {listed: kind for kind, listed in LISTED.items()}
    for summary in client.get_json(LIST_PATH) or []:
        name, kind = str(summary["name"]), by_listed.get(str(summary.get("type", "")))
        if name.lower() == DEFAULT_BLOB_STORE:
            continue  # every Nexus has it; the config knows it without declaring it
        resource = RESOURCES.get(kind or "")
        if resource is None:
            found.append(KIND.found(name, None, store_path(name), holds_data=True,
                                    reason=f"a {summary.get('type')} blob store; this project manages file, S3, "
                                           "Azure, Google Cloud and group ones"))
            continue
        provider = resource.provider_class()
        doc = client.get_json(provider.path(name)) or {}
        entry = {"name": name, "type": kind, **config_entry(provider, provider.to_spec(doc, {"name": name}),
                                                          _required(kind))}
        found.append(KIND.found(name, entry, store_path(name), _secrets(kind, doc), holds_data=True))
    return found


def _required(kind: str) -> tuple[str, ...]:
    return {"azure": ("name", "accountName", "containerName", "authenticationMethod"),
            "group": ("name", "members", "fillPolicy")}.get(kind, ("name",))


def _secrets(kind: Optional[str], doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    config = doc.get("bucketConfiguration") or {}
    if kind == "s3":
        security = config.get("bucketSecurity") or {}
        return ([("secretAccessKey", "S3 secret access key")] if security.get("accessKeyId") else []) + \
            ([("sessionToken", "S3 session token")] if security.get("sessionToken") else [])
    if kind == "azure" and (config.get("authentication") or {}).get("authenticationMethod") == "ACCOUNTKEY":
        return [("accountKey", "Azure storage account key")]
    if kind == "google" and (config.get("bucketSecurity") or {}).get("authenticationMethod") == "accountKey":
        return [("credentialsJson", "Google service account credentials JSON")]
    return []


KIND = Kind(
    name="blob store", slug="blobStore", config_path=("blobStores",), schema=SCHEMA,
    resource_types=(FileBlobStore, S3BlobStore, AzureBlobStore, GoogleBlobStore, GroupBlobStore), declare=declare,
    problems=problems, inventory=inventory, built_in=(DEFAULT_BLOB_STORE,),
    facts=(list_fact(FACT, LIST_PATH), Fact(TYPES_FACT, _types), Fact(GROUPS_FACT, _groups)), needs_server=needs_server)
