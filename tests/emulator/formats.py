"""Repository formats as each emulated release offers them: which format and type has REST
endpoints from which release, the request schema of each (read from the project's copy of the
official specs), the field rules the specs publish wrongly, and the format-specific blocks a GET
answers with their defaults. The HTTP flow that uses this lives in handlers/repositories.py.

Where each fact comes from:
* Availability: the published spec of every release from 3.67 to 3.94
  (sonatype-nexus-community/nexus-repo-api-client-go, api/openapi.yaml at each tag): a format and
  type is offered from the first release whose spec lists its endpoints. Bower needs OrientDB
  (help.sonatype.com/en/bower-repositories.html: "not compatible with H2 or PostgreSQL"), which
  3.71.0 removed; the 3.74 spec no longer lists it.
* Field rules: the request classes' bean annotations in sonatype/nexus-public (StorageAttributes,
  ProxyAttributes, GroupAttributes, HttpClientConnectionAuthenticationAttributes: `@NotEmpty`;
  MavenAttributes: `@Pattern` strings; Apt*Attributes) and Nexus's REST ObjectMapper
  (nexus-rest-jackson2 ObjectMapperProvider: ACCEPT_CASE_INSENSITIVE_ENUMS, unknown properties
  ignored — so a `docker` block sent to a maven endpoint is silently dropped).
* GET blocks: nexus-public's SimpleApiRepositoryAdapter and the Maven/Apt/Raw/Npm adapters; for
  formats whose source is not public, the GET schema of the specs (from 3.94 the request schema
  plus format/type/url, i.e. every block sent is answered back). Defaults not documented anywhere
  are the emulator's choice and listed as such in docs/nexus-behaviour.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, Optional

from .state import NexusState
from .validation import (SPEC_VERSIONS, Errors, parameter, request_schema, schema, spec_version,
                         unreadable)

HOSTED, PROXY, GROUP = "hosted", "proxy", "group"
TYPES = (HOSTED, PROXY, GROUP)
ALWAYS = "3.0.0"


@dataclass(frozen=True)
class Format:
    path: str  # the URL segment: /v1/repositories/<path>/<type>
    name: str  # the format GET and the list answer (maven's is maven2: FormatAndType)
    since: Mapping[str, str]  # type -> first release with its endpoints
    until: Optional[str] = None  # first release without the format
    # The format's adapter builds a proxy's storage with getHostedStorageAttributes, so its proxy
    # GET carries `writePolicy` (ALLOW, the configuration default): Maven/Apt/Raw/Npm adapters.
    proxy_write_policy: bool = False
    connector: Optional[str] = None  # the block with Jetty connector ports (docker, oci)


def _all(since: str = ALWAYS) -> dict[str, str]:
    return {t: since for t in TYPES}


FORMATS: dict[str, Format] = {f.path: f for f in (
    Format("alpine", "alpine", _all("3.93.0")),
    Format("ansiblegalaxy", "ansiblegalaxy", _all("3.93.0")),
    Format("apt", "apt", {HOSTED: ALWAYS, PROXY: ALWAYS}, proxy_write_policy=True),
    Format("bower", "bower", _all(), until="3.71.0"),
    Format("cargo", "cargo", _all("3.74.0")),
    Format("cocoapods", "cocoapods", {PROXY: ALWAYS}),
    Format("composer", "composer", {PROXY: "3.81.1"}),
    Format("conan", "conan", {PROXY: ALWAYS, HOSTED: "3.74.0", GROUP: "3.81.1"}),
    Format("conda", "conda", {PROXY: ALWAYS, HOSTED: "3.92.0", GROUP: "3.92.0"}),
    Format("docker", "docker", _all(), connector="docker"),
    Format("gitlfs", "gitlfs", {HOSTED: ALWAYS}),
    Format("go", "go", {PROXY: ALWAYS, GROUP: ALWAYS, HOSTED: "3.93.0"}),
    Format("helm", "helm", {HOSTED: ALWAYS, PROXY: ALWAYS, GROUP: "3.92.0"}),
    Format("huggingface", "huggingface", {PROXY: "3.81.1"}),
    Format("maven", "maven2", _all(), proxy_write_policy=True),
    Format("npm", "npm", _all(), proxy_write_policy=True),
    Format("nuget", "nuget", _all()),
    Format("oci", "oci", _all("3.94.0"), connector="oci"),
    Format("p2", "p2", {PROXY: ALWAYS}),
    Format("pub", "pub", _all("3.92.0")),
    Format("pypi", "pypi", _all()),
    Format("r", "r", _all()),
    Format("raw", "raw", _all(), proxy_write_policy=True),
    Format("rubygems", "rubygems", _all()),
    Format("swift", "swift", {PROXY: "3.89.0", HOSTED: "3.90.1", GROUP: "3.91.0"}),
    Format("terraform", "terraform", {PROXY: "3.88.0", HOSTED: "3.89.0", GROUP: "3.90.1"}),
    Format("yum", "yum", _all()),
)}
BY_NAME: dict[str, Format] = {f.name: f for f in FORMATS.values()}


def offered(state: NexusState, fmt: Format, repo_type: str) -> bool:
    """Whether the emulated release has the REST endpoints of this format and type."""
    since = fmt.since.get(repo_type)
    return (since is not None and state.at_least(since)
            and (fmt.until is None or not state.at_least(fmt.until)))


def request_spec(state: NexusState, fmt: Format, repo_type: str) -> tuple[str, str]:
    """(spec release, request schema) for a create/update body. An endpoint newer than the spec
    nearest to the emulated release (swift on 3.90 is nearest 3.86.2) is read from the first
    later spec that has it."""
    path = f"/v1/repositories/{fmt.path}/{repo_type}"
    nearest = SPEC_VERSIONS.index(spec_version(state))
    for version in SPEC_VERSIONS[nearest:] + SPEC_VERSIONS[:nearest][::-1]:
        name = request_schema(version, path)
        if name:
            return version, name
    raise LookupError(f"no spec describes {path}")


@lru_cache(maxsize=None)
def has_field(version: str, schema_name: str, dotted: str) -> bool:
    """Whether a request schema has a (nested) property, e.g. `group.writableMember`."""
    node = schema(version, schema_name)
    for part in dotted.split("."):
        node = node.get("properties", {}).get(part)
        if node is None:
            return False
        if "$ref" in node:
            node = schema(version, node["$ref"].rsplit("/", 1)[-1])
    return True


# --- field rules the specs publish wrongly ----------------------------------------------------
# `@NotEmpty` in the request classes: null, "" and [] are all refused with this message.
NOT_EMPTY = ("storage.blobStoreName", "proxy.remoteUrl", "group.memberNames",
             "httpClient.authentication.type", "maven.versionPolicy", "maven.layoutPolicy",
             "apt.distribution", "aptSigning.keypair")
# MavenAttributes: strings with `@Pattern`, so a wrong value is a bean-validation error (400 list)
# although the 3.68/3.86 specs publish them as enums.
PATTERNS: dict[str, tuple[tuple[str, ...], str]] = {
    "maven.versionPolicy": (("RELEASE", "SNAPSHOT", "MIXED"), "must be one of RELEASE, SNAPSHOT, MIXED"),
    "maven.layoutPolicy": (("STRICT", "PERMISSIVE"), "must be one of STRICT, PERMISSIVE"),
    "maven.contentDisposition": (("INLINE", "ATTACHMENT"), "must be one of INLINE, ATTACHMENT"),
}
# Java enums (RawAttributes' ContentDisposition, ...): Jackson matches them ignoring case and
# refuses anything else before validation (plain-text 400); GET answers the constant's name.
# 3.94's spec publishes ociProxy.indexType as the single value "HUB,REGISTRY,CUSTOM".
JAVA_ENUMS: dict[str, tuple[str, ...]] = {
    "raw.contentDisposition": ("INLINE", "ATTACHMENT"),
    "nugetProxy.nugetVersion": ("V2", "V3"),
    "conanProxy.conanVersion": ("V1", "V2"),
    "yum.deployPolicy": ("PERMISSIVE", "STRICT"),
    "firewall.mode": ("DISABLED", "AUDIT", "QUARANTINE", "PCCS"),
    "cosign.enforcement": ("NONE", "KEYLESS"),
    "dockerProxy.indexType": ("HUB", "REGISTRY", "CUSTOM"),
    "ociProxy.indexType": ("HUB", "REGISTRY", "CUSTOM"),
}


def _lookup(body: Mapping[str, Any], dotted: str) -> tuple[bool, Any]:
    """(parent present, value) of a dotted path in a request body."""
    *parents, leaf = dotted.split(".")
    node: Any = body
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return False, None
    return True, node.get(leaf)


@lru_cache(maxsize=None)
def rule_paths(version: str, schema_name: str) -> tuple[frozenset[str], frozenset[str]]:
    """(paths whose `required` the rules below check, string paths whose enum/pattern they check)
    for one request schema, to hand to validation.check_body."""
    present = [p for p in (*NOT_EMPTY, *PATTERNS, *JAVA_ENUMS) if has_field(version, schema_name, p)]
    required = frozenset(p for p in present if p in NOT_EMPTY)
    custom = frozenset(p for p in present if p in PATTERNS or p in JAVA_ENUMS or p in NOT_EMPTY)
    return required, custom


def field_errors(body: Mapping[str, Any], required: frozenset[str], custom: frozenset[str]) -> Errors:
    """Bean-validation errors of the rules above (Jackson's enum refusal is raised at once)."""
    errors: Errors = []
    for path in sorted(custom):
        parent, value = _lookup(body, path)
        if not parent:
            continue
        if path in required and (value is None or value == "" or value == []):
            errors.append((parameter(path), "must not be empty"))
            continue
        if value is None:
            continue
        if path in JAVA_ENUMS and str(value).upper() not in JAVA_ENUMS[path]:
            raise unreadable(f"Cannot deserialize value of type enum from String {value!r}: not one "
                             f"of the values accepted for Enum class: {list(JAVA_ENUMS[path])}")
        if path in PATTERNS and value not in PATTERNS[path][0]:
            errors.append((parameter(path), PATTERNS[path][1]))
    return errors


def enum_value(path: str, value: Any) -> Any:
    """A Java-enum field as GET answers it (the constant's name)."""
    return str(value).upper() if path in JAVA_ENUMS and isinstance(value, str) else value
