"""How a validated create/update body becomes the document GET answers for a repository of any
format: the sections nexus-public's SimpleApiRepositoryAdapter builds for every format (storage,
cleanup, component, proxy, negative cache, HTTP client, routing rule, group), then the
format-specific blocks with their defaults (tests/emulator/formats.py says which format and type
exist where and which field rules apply). Keys starting with `_` are private bookkeeping that GET
never shows (validation.public strips them)."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from .formats import ALWAYS, GROUP, HOSTED, PROXY, TYPES, Format, enum_value
from .state import NexusState
from .validation import find


# --- format blocks ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """A format-specific section of the body that GET answers: each field echoes what was sent,
    or its default. `later` adds fields (or changes a default) from a release on."""
    name: str
    types: tuple[str, ...]
    fields: Mapping[str, Any]
    since: str = ALWAYS
    until: Optional[str] = None
    later: Mapping[str, tuple[str, Any]] = field(default_factory=dict)


RAW_3_94 = {"forwardQueryParameters": ("3.94.0", False), "excludedQueryParameters": ("3.94.0", [])}
BLOCKS: dict[str, tuple[Block, ...]] = {
    "apt": (Block("apt", (HOSTED,), {"distribution": None}),
            Block("apt", (PROXY,), {"distribution": None, "flat": None},
                  later={"enforceDistribution": ("3.94.0", False)})),
    "bower": (Block("bower", (PROXY,), {"rewritePackageUrls": True}),),
    # NEXUS-48088: before 3.88 GET answered requireAuthentication false whatever was set
    # (terraform-provider-sonatyperepo repository_common_proxy_test.go).
    "cargo": (Block("cargo", (PROXY, GROUP), {"requireAuthentication": False}),),
    # "Prior to NXRM 3.86 - conanProxy was not returned by API" (same test file).
    "conan": (Block("conanProxy", (PROXY,), {"conanVersion": "V1"}, since="3.86.0"),),
    # contentDisposition left out reads back null, ATTACHMENT from 3.92
    # (terraform-provider-sonatyperepo#402).
    "maven": (Block("maven", (HOSTED, PROXY),
                    {"versionPolicy": None, "layoutPolicy": None, "contentDisposition": None},
                    later={"contentDisposition": ("3.92.0", "ATTACHMENT")}),),
    # 3.94 dropped the npm block and pypi's removeQuarantined from the API (sonatyperepo's
    # repository_management_service.go: "confirmed removed, not renamed").
    "npm": (Block("npm", (PROXY,), {"removeQuarantined": False}, until="3.94.0"),),
    "nuget": (Block("nugetProxy", (PROXY,), {"queryCacheItemMaxAge": 3600, "nugetVersion": "V3"},
                    later={"allowAnonymousSymbolAccess": ("3.94.0", False),
                           "symbolServerUrl": ("3.94.0", None)}),),
    "oci": (Block("cosign", TYPES, {"enforcement": "NONE", "identityRegex": None, "issuerRegex": None}),
            Block("ociProxy", (PROXY,), {"indexType": None, "indexUrl": None,
                                         "cacheForeignLayers": False, "foreignLayerUrlWhitelist": []})),
    # The community-corrected spec of 3.81.1 (nexus-repo-api-client-go v3.81.25/v3.81.30) is the
    # first to answer a pypi block and a raw group's raw block; RawRepositoryAdapter of 3.77
    # answered raw only for hosted and proxy repositories.
    "pypi": (Block("pypi", (PROXY,), {"removeQuarantined": False}, since="3.81.1", until="3.94.0"),
             Block("pypi", (PROXY,), {"indexPath": None}, since="3.94.0")),
    "raw": (Block("raw", (HOSTED, PROXY), {"contentDisposition": "ATTACHMENT"}, later=RAW_3_94),
            Block("raw", (GROUP,), {"contentDisposition": "ATTACHMENT"}, since="3.81.1",
                  later=RAW_3_94)),
    "swift": (Block("swift", (PROXY,), {"requireAuthentication": False}),),
    "terraform": (Block("terraform", (PROXY, GROUP), {"requireAuthentication": False}),),
    "yum": (Block("yum", (HOSTED,), {"repodataDepth": None, "deployPolicy": "STRICT"}),),
}
# Signing keys are taken and never read back, except apt's (below). "alpineSigning is never
# returned by API" (terraform-provider-sonatyperepo#290 and its proxy test).
SIGNING_BLOCKS = ("aptSigning", "yumSigning", "alpineSigning", "terraformSigning")


def blocks(state: NexusState, fmt: Format, repo_type: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The format-specific blocks of a GET answer, from a validated request body."""
    answer: dict[str, Any] = {}
    for block in BLOCKS.get(fmt.path, ()):
        if repo_type not in block.types or not state.at_least(block.since) \
                or (block.until and state.at_least(block.until)):
            continue
        sent = body.get(block.name) or {}
        fields = dict(block.fields)
        fields.update({k: default for k, (since, default) in block.later.items() if state.at_least(since)})
        values = {k: copy.deepcopy(sent[k] if sent.get(k) is not None else default)
                  for k, default in fields.items()}
        answer[block.name] = {k: enum_value(f"{block.name}.{k}", v) for k, v in values.items()}
    if fmt.path == "cargo" and "cargo" in answer and not state.at_least("3.88.0"):
        answer["cargo"]["requireAuthentication"] = False
    if fmt.path == "apt" and repo_type == HOSTED:
        answer["aptSigning"] = apt_signing(body.get("aptSigning") or {})
    return answer


def apt_signing(sent: Mapping[str, Any]) -> Optional[dict[str, Any]]:
    """AptApiRepositoryAdapter.createAptSigningRepositoriesAttributes: null unless a passphrase is
    set, then the keypair with a null passphrase."""
    if not str(sent.get("passphrase") or "").strip():
        return None
    return {"keypair": sent.get("keypair"), "passphrase": None}


def connector_attributes(state: NexusState, sent: Mapping[str, Any]) -> dict[str, Any]:
    """The docker/oci block: a new repository forces basic auth when forceBasicAuth is left out;
    pathEnabled exists from 3.83 (before, it is ignored)."""
    force = sent.get("forceBasicAuth")
    attributes = {"v1Enabled": bool(sent.get("v1Enabled", False)),
                  "forceBasicAuth": True if force is None else bool(force),
                  "httpPort": _int(sent.get("httpPort")), "httpsPort": _int(sent.get("httpsPort")),
                  "subdomain": sent.get("subdomain") or None}
    if state.at_least("3.83.0"):
        attributes["pathEnabled"] = bool(sent.get("pathEnabled", False))
    return attributes


def docker_proxy(sent: Mapping[str, Any]) -> dict[str, Any]:
    """DockerProxyAttributes as GET answers them (indexType as sent, matched ignoring case)."""
    return {"indexType": enum_value("dockerProxy.indexType", sent.get("indexType")),
            "indexUrl": sent.get("indexUrl"),
            "cacheForeignLayers": bool(sent.get("cacheForeignLayers", False)),
            "foreignLayerUrlWhitelist": list(sent.get("foreignLayerUrlWhitelist") or [])}


def firewall_answered(state: NexusState, fmt: Format) -> bool:
    """3.94's proxy GET carries `firewall` (the inline Repository Firewall mode), except raw's
    and pypi's, whose 3.94 GET schemas have none (terraform-provider-sonatyperepo#461 for raw)."""
    return state.at_least("3.94.0") and fmt.path not in ("raw", "pypi")


# --- the whole document ----------------------------------------------------------------------
def document(state: NexusState, fmt: Format, repo_type: str, body: dict[str, Any],
             connector: Optional[dict[str, Any]], policies: Optional[list[str]]) -> dict[str, Any]:
    """The GET answer: SimpleApiRepositoryAdapter's sections, then the format's blocks."""
    storage = body["storage"]
    doc: dict[str, Any] = {
        "name": body["name"], "format": fmt.name, "url": "", "online": bool(body["online"]),
        "storage": {"blobStoreName": storage["blobStoreName"],
                    "strictContentTypeValidation": bool(storage["strictContentTypeValidation"])}}
    if repo_type == HOSTED:
        doc["storage"]["writePolicy"] = str(storage["writePolicy"]).upper()
        if connector is not None:
            doc["_latestPolicy"] = storage.get("latestPolicy")  # stored, never answered
    elif repo_type == PROXY and fmt.proxy_write_policy:
        doc["storage"]["writePolicy"] = "ALLOW"
    if repo_type != GROUP:
        doc["cleanup"] = None if policies is None else {"policyNames": policies}
    if repo_type == HOSTED:
        component = body.get("component") or {}
        doc["component"] = {"proprietaryComponents": bool(component.get("proprietaryComponents", False))}
    if repo_type == PROXY:
        doc.update(proxy_parts(state, body))
        if firewall_answered(state, fmt):
            doc["firewall"] = {"mode": "DISABLED"}
    if repo_type == GROUP:
        # GroupDeployAttributes.writableMember is @JsonInclude(NON_NULL): absent unless set.
        group = body["group"]
        doc["group"] = {"memberNames": list(group.get("memberNames") or [])}
        if group.get("writableMember"):
            doc["group"]["writableMember"] = group["writableMember"]
    if connector is not None and fmt.connector:
        doc[fmt.connector] = connector
    if fmt.path == "docker" and repo_type == PROXY:
        doc["dockerProxy"] = docker_proxy(body.get("dockerProxy") or {})
    doc.update(blocks(state, fmt, repo_type, body))
    signing = {k: copy.deepcopy(body[k]) for k in SIGNING_BLOCKS if body.get(k)}
    if signing:
        doc["_signing"] = signing
    doc["type"] = repo_type
    return doc


def proxy_parts(state: NexusState, body: dict[str, Any]) -> dict[str, Any]:
    """The proxy-only sections. A routing rule is looked up by name and silently dropped when
    unknown (ProxyRepositoryApiRequestToConfigurationConverter); requests may name it
    `routingRule` (3.6x-3.9x) or `routingRuleName` (the 3.94 spec). 3.94 adds
    `proxy.preserveEncodedCharacters`."""
    proxy, negative, client = body["proxy"], body["negativeCache"], body["httpClient"]
    connection = client.get("connection") or {}
    authentication = client.get("authentication")
    rule = find(state.routing_rules, body.get("routingRule") or body.get("routingRuleName"))
    parts: dict[str, Any] = {
        "proxy": {"remoteUrl": proxy["remoteUrl"], "contentMaxAge": int(proxy["contentMaxAge"]),
                  "metadataMaxAge": int(proxy["metadataMaxAge"])},
        "negativeCache": {"enabled": bool(negative["enabled"]),
                          "timeToLive": int(negative["timeToLive"])},
        "httpClient": {
            "blocked": bool(client.get("blocked", False)),
            "autoBlock": bool(client.get("autoBlock", False)),
            "connection": {"retries": _int(connection.get("retries")),
                           "userAgentSuffix": connection.get("userAgentSuffix"),
                           "timeout": _int(connection.get("timeout")),
                           "enableCircularRedirects": bool(connection.get("enableCircularRedirects",
                                                                          False)),
                           "enableCookies": bool(connection.get("enableCookies", False)),
                           "useTrustStore": bool(connection.get("useTrustStore", False))},
            "authentication": None},
        "routingRuleName": rule["name"] if rule else None,
    }
    if state.at_least("3.94.0"):
        parts["proxy"]["preserveEncodedCharacters"] = bool(proxy.get("preserveEncodedCharacters", False))
    if authentication:
        parts["httpClient"]["authentication"] = {
            "type": authentication.get("type"), "username": authentication.get("username"),
            "ntlmHost": authentication.get("ntlmHost"), "ntlmDomain": authentication.get("ntlmDomain"),
            "preemptive": bool(authentication.get("preemptive", False))}
        parts["_secrets"] = {k: authentication[k] for k in ("password", "bearerToken")
                             if authentication.get(k)}
    return parts


def _int(value: Any) -> Optional[int]:
    return None if value is None else int(value)
