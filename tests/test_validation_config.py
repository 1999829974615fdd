"""Issue 15 A1-A4, A6 and D2 in-process: every bad config of the table is refused by
`config.validate` with its path and a fix (the engine tests in test_validation_chain.py show the
same refusals reach the user through the real chain with zero writes)."""
from __future__ import annotations

import copy
import json
from typing import Any, Callable

import pytest

from components.config import validate
from components.config_schema import KEYS, SCHEMA_DIR
from components.problems import ServerFacts
from components.stack_config import StackConfig
from tests.samples import seed_registry

INT32_MAX = 2**31 - 1
LONG_MAX = 2**63 - 1


def problems(values: dict[str, Any], server: ServerFacts | None = None) -> list[str]:
    values = {"nexus": {"url": "http://nexus:8081"}, "adminPassword": "x" * 10, **values}
    return [str(p) for p in validate(StackConfig(values, frozenset({"adminPassword"})), server)]


def seed(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    values = seed_registry()
    change(values)
    return values


def repo(values: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in values["repositories"] if r["name"] == name)


def roles(*pairs: tuple[str, list[str]]) -> dict[str, Any]:
    return {"security": {"roles": [{"id": role, "roles": children} for role, children in pairs]}}


def groups(*pairs: tuple[str, list[str]]) -> dict[str, Any]:
    return {"repositories": [{"name": "h", "type": "hosted", "protect": False}]
            + [{"name": name, "type": "group", "members": members} for name, members in pairs]}


# (case, config sections, expected problem: its path and words of the message that name the fix)
BAD_CONFIGS: list[tuple[str, dict[str, Any], str, tuple[str, ...]]] = [
    # A1: cycles Nexus refuses (RoleNotContainSelf; GroupFacetImpl.validateGroupDoesNotContainItself)
    ("role 2-cycle", roles(("ra", ["rb"]), ("rb", ["ra"])), "security.roles[1].roles[0]",
     ("roles form a cycle: ra → rb → ra", "Remove 'ra' from the roles of 'rb'")),
    ("role 3-cycle", roles(("ra", ["rb"]), ("rb", ["rc"]), ("rc", ["ra"]), ("rd", ["ra"])),
     "security.roles[2].roles[0]", ("roles form a cycle: ra → rb → rc → ra", "from the roles of 'rc'")),
    ("group 3-cycle", groups(("ga", ["gb", "h"]), ("gb", ["gc"]), ("gc", ["GA"])),
     "repositories[3].members[0]", ("groups form a cycle: ga → gb → gc → ga", "from the members of 'gc'")),
    # A2: what Nexus's REST check (Lucene RegExp) or Java refuses
    ("asset regex unclosed", {"cleanupPolicies": [{"name": "p", "assetRegex": "([a-z"}]},
     "cleanupPolicies[0].assetRegex", ("expected ']' at position 5",)),
    ("asset regex Lucene quote", {"cleanupPolicies": [{"name": "p", "assetRegex": '.*"latest'}]},
     "cleanupPolicies[0].assetRegex", ("Lucene's RegExp", "escape them with \\")),
    ("asset regex Java only", {"cleanupPolicies": [{"name": "p", "assetRegex": "*latest"}]},
     "cleanupPolicies[0].assetRegex", ("Java refuses it", "every cleanup run")),
    ("routing matcher brace", {"routingRules": [{"name": "r", "mode": "ALLOW", "matchers": ["^/v2/{name}/.*"]}]},
     "routingRules[0].matchers[0]", ("Illegal repetition", "write \\{ for a literal brace")),
    ("foreign layer regex", seed(lambda v: repo(v, "docker-hub").update(foreignLayerUrlWhitelist=["(https://"])),
     "repositories[0].foreignLayerUrlWhitelist[0]", ("not a valid (Java) regular expression",)),
    # A3: every number fits what Nexus stores
    ("soft quota beyond a long", seed(lambda v: v["blobStores"][0]["softQuota"].update(limitMb=10**13)),
     "blobStores[0].softQuota.limitMb", ("maximum of 9223372036854", "signed 64-bit long")),
    ("port 0", seed(lambda v: repo(v, "ybcard").update(httpPort=0)), "repositories[3].httpPort",
     ("less than the minimum of 1",)),
    ("port 65536", seed(lambda v: repo(v, "ybcard").update(httpsPort=65536)), "repositories[3].httpsPort",
     ("greater than the maximum of 65535",)),
    ("int32 max age", seed(lambda v: repo(v, "google-hub").update(contentMaxAge=INT32_MAX + 1)),
     "repositories[1].contentMaxAge", ("maximum of 2147483647",)),
    ("int32 negative cache", seed(lambda v: repo(v, "google-hub").update(negativeCache={"timeToLive": 2**40})),
     "repositories[1].negativeCache.timeToLive", ("maximum of 2147483647",)),
    ("int32 s3 pool", {"blobStores": [{"name": "s", "type": "s3", "bucket": "bkt", "maxConnectionPoolSize": 2**31}]},
     "blobStores[0].maxConnectionPoolSize", ("maximum of 2147483647",)),
    ("int32 ldap incidents", {"security": {"ldap": [{"name": "l", "host": "h", "searchBase": "dc=x",
                                                      "maxIncidentsCount": 2**31}]}},
     "security.ldap[0].maxIncidentsCount", ("maximum of 2147483647",)),
    ("int32 task property", {"tasks": [{"name": "t", "type": "repository.docker.gc",
                                        "properties": {"deployOffset": 2**31}}]},
     "tasks[0].properties.deployOffset", ("maximum of 2147483647",)),
    # A6: a type error is the only line (no false "Unevaluated properties ... Allowed here")
    ("type error inside a blob store", {"blobStores": [{"name": "b", "type": "file", "softQuota": "big"}]},
     "blobStores[0].softQuota", ("must be an object (fields: limitBytes, limitMb, type), not 'big'",)),
    # D2: renamedFrom
    ("hosted rename keeps protection", seed(lambda v: repo(v, "ybcard").update(name="ybcard2", renamedFrom="ybcard")),
     "repositories[3].renamedFrom", ("deletes it with every image", "set protect: false on this entry")),
    ("old name still declared", seed(lambda v: repo(v, "google-hub").update(renamedFrom="docker-hub")),
     "repositories[1].renamedFrom", ("'docker-hub' is still declared (repositories[0])",)),
    ("old name referenced", seed(lambda v: repo(v, "google-hub").update(name="gcr-hub", renamedFrom="google-hub")),
     "repositories[4].members[2]", ("'google-hub' is renamed to 'gcr-hub'", "refer to 'gcr-hub'")),
    ("two renames of one name", seed(lambda v: (repo(v, "google-hub").update(name="g1", renamedFrom="old"),
                                                repo(v, "aliyun-hub").update(name="g2", renamedFrom="old"))),
     "repositories[2].renamedFrom", ("repositories[1] is already renamed from 'old'",)),
]


@pytest.mark.parametrize("case,values,path,words", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_is_refused_with_its_path_and_fix(case, values, path, words):
    found = [p for p in problems(copy.deepcopy(values)) if p.startswith(f"{path}: ")]
    assert found, f"{case}: nothing at {path} in {problems(copy.deepcopy(values))}"
    assert all(word in found[0] for word in words), found[0]


def test_type_error_is_the_only_line():
    """The issue's A6 case verbatim: jsonschema also reported 'Unevaluated properties are not
    allowed ('name', 'softQuota', 'type' were unexpected). Allowed here: adopt, name, ...'."""
    found = problems({"blobStores": [{"name": "docker-hub", "type": "file", "softQuota": 512}]})
    assert found == ["blobStores[0].softQuota: must be an object (fields: limitBytes, limitMb, type), not 512"]
    # An unknown field next to a type error is still named, alone.
    found = problems({"blobStores": [{"name": "b", "type": "file", "softQuota": 512, "colour": "red"}]})
    assert sorted(found) == ["blobStores[0].softQuota: must be an object (fields: limitBytes, limitMb, type), not 512",
                             "blobStores[0]: 'colour' was unexpected (unknown field). Allowed here: adopt, name, "
                             "path, protect, softQuota, type."]


def test_valid_values_at_the_bounds_pass():
    values = seed_registry()
    values["blobStores"][0]["softQuota"]["limitMb"] = 9223372036854
    repo(values, "google-hub").update(contentMaxAge=INT32_MAX, metadataMaxAge=-1, httpPort=65535)
    values["cleanupPolicies"][0]["assetRegex"] = r".*/manifests/(latest|v\d+\.\d+)"
    assert problems(values) == []


def test_soft_quota_maximum_is_the_largest_that_fits_a_long_in_bytes():
    """The blob-store provider sends limitMb * 1,000,000 bytes; the spec's limit is int64."""
    schema = json.loads((SCHEMA_DIR / "blobStores.schema.json").read_text())
    maximum = schema["$defs"]["common"]["properties"]["softQuota"]["properties"]["limitMb"]["maximum"]
    from components.kinds.blob_stores import MEGABYTE
    assert maximum * MEGABYTE <= LONG_MAX < (maximum + 1) * MEGABYTE


def _numbers(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        types = node.get("type") if isinstance(node.get("type"), list) else [node.get("type")]
        if "integer" in types or "number" in types:
            found.append((path, node))
        for key, child in node.items():
            found += _numbers(child, f"{path}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += _numbers(child, f"{path}/{i}")
    return found


# Schema fields Nexus keeps as int32 (format int32 in the 3.68.1/3.86.2/3.94.0 OpenAPI specs,
# or a task property Nexus parses as an int); the rest are bounded tighter by their meaning.
INT32_FIELDS = {
    "blobStores.schema.json": ["/$defs/s3/properties/expirationDays", "/$defs/s3/properties/maxConnectionPoolSize"],
    "cleanupPolicies.schema.json": ["/items/properties/retain"],
    "repositories.schema.json": ["/$defs/proxy/properties/contentMaxAge", "/$defs/proxy/properties/metadataMaxAge",
                                 "/$defs/proxy/properties/negativeCache/properties/timeToLive"],
    "security.schema.json": ["/properties/ldap/items/properties/connectionRetryDelaySeconds",
                             "/properties/ldap/items/properties/maxIncidentsCount"],
    "retention.schema.json": ["/items/properties/deployOffsetHours"],
    "tasks.schema.json": ["/items/properties/properties/additionalProperties"],
}


@pytest.mark.parametrize("file", sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json")))
def test_every_number_in_the_schema_has_a_maximum_that_nexus_can_store(file):
    schema = json.loads((SCHEMA_DIR / file).read_text())
    numbers = dict(_numbers(schema))
    unbounded = [path for path, node in numbers.items() if "maximum" not in node]
    assert unbounded == [], f"{file}: numbers without a maximum: {unbounded}"
    assert all(node["maximum"] <= INT32_MAX for path, node in numbers.items()
               if "limitMb" not in path and "limitBytes" not in path), f"{file}: a maximum beyond int32"
    for path in INT32_FIELDS.get(file, []):
        assert numbers[path]["maximum"] == INT32_MAX, f"{file}{path}"


# Values of the wrong shape at every level: validation reports them, it never raises.
BAD_SHAPES = ["text", 7, 1.5, True, ["a", 1], {"junk": {"x": 1}}, [{"name": 3}], [None], {}]


@pytest.mark.parametrize("key", KEYS)
def test_wrong_shapes_are_problems_never_exceptions(key):
    for bad in BAD_SHAPES:
        values = {"nexus": {"url": "http://nexus:8081"}, "adminPassword": "x" * 10, key: bad}
        found = validate(StackConfig(values, frozenset({"adminPassword"})))
        assert isinstance(found, list)


@pytest.mark.parametrize("values,expected", [
    ({}, ["nexus: missing: set at least nexus.url (pulumi config set --path nexus.url http://host:8081)",
          "adminPassword: missing: the desired admin password is required (pulumi config set --secret "
          "adminPassword <password>)"]),
    ({"nexus": "http://nexus:8081", "adminPassword": "x" * 10},
     ["nexus: must be an object with url, not a string: write `nexus: {url: http://nexus:8081}` "
      "(pulumi config set --path nexus.url http://nexus:8081)"]),
    ({"nexus": {"adopt": True}, "adminPassword": "x" * 10},
     ["nexus: 'url' is a required property (Base URL of Nexus (web UI / REST port), without /service/rest, "
      "e.g. http://127.0.0.1:8081.)"]),
    ({"nexus": None, "adminPassword": None, "repositories": []},
     ["nexus: missing: set at least nexus.url (pulumi config set --path nexus.url http://host:8081)",
      "adminPassword: missing: the desired admin password is required (pulumi config set --secret "
      "adminPassword <password>)"]),
], ids=["empty", "nexus string", "nexus without url", "null keys"])
def test_missing_and_misshapen_connection_settings(values, expected):
    found = validate(StackConfig(values, frozenset({"adminPassword"})))
    assert [str(p) for p in found] == expected
    assert found[0].schema  # so the program asks no server about this config


def test_a_port_held_by_an_undeclared_server_repository_asks_for_renamed_from():
    """Nexus: "Port N is already in use by repository X"; Pulumi creates before it deletes, so
    a repository renamed without renamedFrom could never be created."""
    values = seed_registry()
    repo(values, "google-hub")["name"] = "gcr-hub"
    repo(values, "hub-group")["members"][2] = "gcr-hub"
    port = repo(values, "gcr-hub")["httpPort"]
    server = ServerFacts((3, 86, 0), pro=False, repository_ports={port: "google-hub"},
                         repositories={"google-hub": ("docker", "proxy")})
    found = problems(values, server)
    assert found == [f"repositories[1].httpPort: port {port} is held on the server by repository 'google-hub', "
                     "which this config does not declare. If 'gcr-hub' is 'google-hub' renamed, add "
                     "`renamedFrom: google-hub` to this entry (the old repository is then deleted first); "
                     "otherwise pick another port or remove 'google-hub' from Nexus first"]
    repo(values, "gcr-hub")["renamedFrom"] = "google-hub"
    assert problems(values, server) == []
    # The old name must be the same kind of repository.
    repo(values, "gcr-hub")["renamedFrom"] = "google-hub"
    other = ServerFacts((3, 86, 0), pro=False, repository_ports={port: "google-hub"},
                        repositories={"google-hub": ("docker", "hosted")})
    assert problems(values, other) == ["repositories[1].renamedFrom: 'google-hub' is a docker hosted repository "
                                       "on the server; a rename keeps the kind, and this entry is a docker proxy"]


def test_hosted_rename_with_protect_false_and_case_only_rename_are_accepted():
    values = seed_registry()
    repo(values, "ybcard").update(name="ybcard-v2", renamedFrom="ybcard", protect=False)
    repo(values, "hub-group")["members"][3] = "ybcard-v2"
    assert problems(values) == []
    values = seed_registry()  # Nexus 3.89+ wants lower-case docker names: 'Aliyun-Hub' becomes 'aliyun-hub'
    repo(values, "aliyun-hub")["renamedFrom"] = "Aliyun-Hub"
    assert problems(values) == []
    repo(values, "aliyun-hub")["renamedFrom"] = "aliyun-hub"
    assert problems(values) == ["repositories[2].renamedFrom: is this repository's own name; remove renamedFrom"]
