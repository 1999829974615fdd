"""Request bodies follow the official OpenAPI schemas of each supported Nexus release.

Every body the providers send is validated against the request schema the spec declares for
that method and path (tests/emulator/openapi/ holds the subset of the 3.68.1, 3.86.2 and 3.94.0
specs), strictly: a property the spec does not know is an error, so a misspelled field cannot
slip through as "ignored by Jackson".
"""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from components.client import ServerInfo, parse_version
from components.kinds.blob_stores import FileBlobStoreProvider, S3BlobStoreProvider
from components.kinds.cleanup_policies import CleanupPolicyProvider
from components.kinds.content_selectors import ContentSelectorProvider
from components.kinds.ldap import LdapServerProvider
from components.kinds.privileges import PrivilegeProvider
from components.kinds.repositories.docker import DockerGroupProvider, DockerHostedProvider, DockerProxyProvider
from components.kinds.roles import RoleProvider
from components.kinds.routing_rules import RoutingRuleProvider
from components.kinds.users import UserProvider

SPECS = Path(__file__).resolve().parent / "emulator" / "openapi"
VERSIONS = ("3.68.1", "3.86.2", "3.94.0")


@lru_cache(maxsize=None)
def spec(version: str) -> dict[str, Any]:
    document = json.loads((SPECS / f"nexus-{version}.json").read_text())
    strict = copy.deepcopy(document)
    for schema in strict["components"]["schemas"].values():
        _close(schema)
    return strict


def _close(schema: Any) -> None:
    if isinstance(schema, dict):
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        if schema.get("maxLength") == 0 and schema.get("minLength") == 0:
            # 3.86's LDAP group fields say "Required if groupType is static" yet maxLength 0:
            # a generator artifact of the spec that no Nexus enforces.
            schema.pop("maxLength")
        if schema.get("nullable"):  # OpenAPI 3.0 nullable -> JSON Schema
            schema.pop("nullable")
            if "type" in schema:
                schema["type"] = [schema["type"], "null"]
        for value in schema.values():
            _close(value)
    elif isinstance(schema, list):
        for value in schema:
            _close(value)


def validate(version: str, method: str, path: str, body: Any) -> None:
    document = spec(version)
    operation = document["paths"].get(path, {}).get(method.lower())
    if operation is None:
        pytest.skip(f"{method} {path} is not in the {version} spec")
    media = operation["requestBody"]["content"]
    schema = next(iter(media.values()))["schema"]
    registry = Registry().with_resource("urn:nexus", Resource(contents=document, specification=DRAFT7))
    if "$ref" in schema:
        schema = {"$ref": "urn:nexus" + schema["$ref"]}
    errors = sorted(Draft7Validator(schema, registry=registry).iter_errors(json.loads(json.dumps(body))),
                    key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def body(provider: Any, spec_: dict[str, Any], version: str = "") -> dict[str, Any]:
    normalized = provider.normalize(spec_)
    if version and "server" in provider.body.__code__.co_varnames:
        return provider.body(normalized, ServerInfo(parse_version(version), "community", "header"))
    return provider.body(normalized)


HOSTED = {"name": "ybcard", "blobStore": "ybcard", "httpPort": 8086, "writePolicy": "ALLOW",
          "cleanupPolicies": ["p"], "v1Enabled": True}
PROXY = {"name": "docker-hub", "remoteUrl": "https://registry-1.docker.io", "indexType": "HUB", "httpPort": 8083,
         "routingRule": "r", "cleanupPolicies": ["p"], "connection": {"timeout": 60, "retries": 2},
         "authentication": {"type": "username", "username": "bot", "password": "x"},
         "foreignLayerUrlWhitelist": [".*"], "cacheForeignLayers": True}
GROUP = {"name": "hub-group", "httpPort": 8082, "members": ["docker-hub", "ybcard"]}


@pytest.mark.parametrize("version", VERSIONS)
def test_docker_repository_bodies(version):
    validate(version, "POST", "/v1/repositories/docker/hosted", body(DockerHostedProvider(), HOSTED, version))
    validate(version, "PUT", "/v1/repositories/docker/hosted/{repositoryName}",
             body(DockerHostedProvider(), {**HOSTED, "latestPolicy": True}, version))
    validate(version, "POST", "/v1/repositories/docker/proxy", body(DockerProxyProvider(), PROXY, version))
    validate(version, "POST", "/v1/repositories/docker/group", body(DockerGroupProvider(), GROUP, version))


@pytest.mark.parametrize("version", ("3.86.2", "3.94.0"))
def test_path_enabled_exists_from_3_83(version):
    validate(version, "POST", "/v1/repositories/docker/hosted",
             body(DockerHostedProvider(), {**HOSTED, "pathEnabled": True}, version))


def test_path_enabled_is_unknown_to_3_68():
    with pytest.raises(AssertionError, match="pathEnabled"):
        validate("3.68.1", "POST", "/v1/repositories/docker/hosted",
                 body(DockerHostedProvider(), {**HOSTED, "pathEnabled": True}, "3.68.1"))


@pytest.mark.parametrize("version", VERSIONS)
def test_blob_store_bodies(version):
    quota = {"type": "spaceUsedQuota", "limitMb": 100}
    validate(version, "POST", "/v1/blobstores/file", body(FileBlobStoreProvider(), {"name": "a", "softQuota": quota}))
    s3 = {"name": "s", "bucket": "images", "region": "eu-west-1", "accessKeyId": "AK", "secretAccessKey": "SK",
          "endpoint": "https://s3.example.com", "forcePathStyle": True, "softQuota": quota,
          "encryption": {"type": "kmsManagedEncryption", "kmsKeyId": "k"}}
    validate(version, "POST", "/v1/blobstores/s3", body(S3BlobStoreProvider(), s3, version))


@pytest.mark.parametrize("version,path", [("3.86.2", "/v1/cleanup-policies"), ("3.94.0", "/internal/cleanup-policies")])
def test_cleanup_policy_bodies(version, path):
    validate(version, "POST", path, body(CleanupPolicyProvider(), {"name": "p", "lastDownloadedDays": 30,
                                                                  "assetRegex": ".*"}))


@pytest.mark.parametrize("version", VERSIONS)
def test_security_bodies(version):
    validate(version, "POST", "/v1/routing-rules",
             body(RoutingRuleProvider(), {"name": "r", "mode": "ALLOW", "matchers": ["^/v2/library/.*"]}))
    validate(version, "POST", "/v1/security/roles",
             body(RoleProvider(), {"id": "ci", "privileges": ["p"], "roles": []}))
    validate(version, "POST", "/v1/security/privileges/repository-view",
             body(PrivilegeProvider(), {"name": "p", "type": "repository-view", "repository": "ybcard",
                                         "actions": ["READ", "BROWSE"]}))
    validate(version, "POST", "/v1/security/privileges/repository-content-selector",
             body(PrivilegeProvider(), {"name": "q", "type": "repository-content-selector", "repository": "*",
                                         "contentSelector": "c", "actions": ["READ"]}))
    validate(version, "POST", "/v1/security/content-selectors",
             {k: v for k, v in ContentSelectorProvider().normalize(
                 {"name": "c", "expression": 'format == "docker"'}).items() if k != "adopt"})
    user = UserProvider()
    validate(version, "POST", "/v1/security/users",
             user.create_body(user.normalize({"userId": "ci", "roles": ["r"], "password": "x"})))
    validate(version, "PUT", "/v1/security/users/{userId}", user.body(user.normalize({"userId": "ci", "password": "x"})))
    ldap = LdapServerProvider()
    validate(version, "POST", "/v1/security/ldap", body(ldap, version=version, spec_={
        "name": "corp", "host": "ldap.example.com", "searchBase": "dc=example", "authUsername": "cn=x",
        "authPassword": "x", "ldapGroupsAsRoles": True, "groupType": "static", "groupBaseDn": "ou=groups",
        "groupObjectClass": "groupOfNames", "groupIdAttribute": "cn", "groupMemberAttribute": "member",
        "groupMemberFormat": "${dn}"}))
    assert body(ldap, {"name": "x", "protocol": "ldaps", "authScheme": "CRAM_MD5", "host": "h", "searchBase": "b"},
                "3.94.0")["authScheme"] == "CRAM-MD5"
