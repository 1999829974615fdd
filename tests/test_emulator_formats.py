"""Every repository format and type of 3.68.1, 3.86.2 and 3.94.0 on the emulator, straight over
HTTP (no Pulumi): create, the documented GET defaults, update, refusals, delete, and what a release
without the format answers. The cases come from the project's copy of each release's official
spec (tests/emulator/openapi/), not from the emulator's own table, so a format the emulator forgot
fails here. The contract this pins down is the formats table in docs/nexus-behaviour.md.

Evidence for each rule is cited in the test that checks it; the emulator modules
(tests/emulator/formats.py, repository_documents.py) cite the same sources line by line.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import requests

from tests.emulator.formats import FORMATS, offered
from tests.emulator.state import NexusState, Options, parse_version
from tests.emulator.testing import Emulators, Nexus

RELEASES = ("3.68.1", "3.86.2", "3.94.0")
SPECS = Path(__file__).resolve().parent / "emulator" / "openapi"
ENDPOINT = re.compile(r"^/v1/repositories/([a-z0-9]+)/(hosted|proxy|group)$")
FORMAT_NAMES = {"maven": "maven2"}  # FormatAndType: the URL says maven, the format is maven2


@lru_cache(maxsize=None)
def spec_endpoints(release: str) -> list[tuple[str, str]]:
    """(format path, type) of every repository endpoint the release's spec publishes."""
    paths = json.loads((SPECS / f"nexus-{release}.json").read_text())["paths"]
    return sorted(m.groups() for m in map(ENDPOINT.match, paths) if m)  # type: ignore[misc]


CASES = [(r, f, t) for r in RELEASES for f, t in spec_endpoints(r)]


class Repositories:
    """The repository endpoints of one emulator, paths relative to /service/rest/v1."""

    def __init__(self, nexus: Nexus) -> None:
        self.api = nexus.under("/v1")
        self.rest = self.api.base

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self.api.request(method, path, body)

    def create(self, path: str, repo_type: str, body: dict[str, Any]) -> requests.Response:
        return self.call("POST", f"/repositories/{path}/{repo_type}", body)

    def read(self, path: str, repo_type: str, name: str) -> requests.Response:
        return self.call("GET", f"/repositories/{path}/{repo_type}/{name}")


@pytest.fixture
def nexus_at(emulators: Emulators) -> Callable[..., Repositories]:
    """The module's emulator of a release and edition, reset, without default repositories."""
    def start(release: str, edition: str = "community") -> Repositories:
        return Repositories(emulators.get(release, edition, skip_default_repositories=True))
    return start


def at(release: str, version: str) -> bool:
    return parse_version(release) >= parse_version(version)


# --- minimal bodies ---------------------------------------------------------------------------
SIGNING = {"keypair": "-----BEGIN PGP PRIVATE KEY BLOCK-----"}
CONNECTOR = {"v1Enabled": False, "forceBasicAuth": True}
# The blocks each request class requires (the specs' `required`, plus MavenAttributes'
# @NotEmpty versionPolicy/layoutPolicy and Apt*Attributes' @NotEmpty distribution).
REQUIRED: dict[tuple[str, str], dict[str, Any]] = {
    ("alpine", "proxy"): {"alpineSigning": SIGNING}, ("alpine", "group"): {"alpineSigning": SIGNING},
    ("apt", "hosted"): {"apt": {"distribution": "bionic"}, "aptSigning": SIGNING},
    ("apt", "proxy"): {"apt": {"distribution": "bionic", "flat": False}},
    ("docker", "hosted"): {"docker": CONNECTOR}, ("docker", "group"): {"docker": CONNECTOR},
    ("docker", "proxy"): {"docker": CONNECTOR, "dockerProxy": {"indexType": "HUB"}},
    ("maven", "hosted"): {"maven": {"versionPolicy": "RELEASE", "layoutPolicy": "STRICT"}},
    ("maven", "proxy"): {"maven": {"versionPolicy": "RELEASE", "layoutPolicy": "STRICT"}},
    ("nuget", "proxy"): {"nugetProxy": {}},
    ("oci", "hosted"): {"oci": CONNECTOR}, ("oci", "proxy"): {"oci": CONNECTOR},
    ("oci", "group"): {"oci": CONNECTOR},
    ("terraform", "hosted"): {"terraformSigning": SIGNING},
    ("yum", "hosted"): {"yum": {"repodataDepth": 1, "deployPolicy": "STRICT"}},
}


def body(path: str, repo_type: str, name: str, members: Optional[list[str]] = None,
         **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": name, "online": True,
                           "storage": {"blobStoreName": "default", "strictContentTypeValidation": True}}
    if repo_type == "hosted":
        doc["storage"]["writePolicy"] = "ALLOW_ONCE"
    if repo_type == "proxy":
        doc.update(proxy={"remoteUrl": "https://repo.example.org/", "contentMaxAge": 1440,
                          "metadataMaxAge": 1440},
                   negativeCache={"enabled": True, "timeToLive": 1440},
                   httpClient={"blocked": False, "autoBlock": True})
    if repo_type == "group":
        doc["group"] = {"memberNames": list(members or [])}
    doc.update(json.loads(json.dumps(REQUIRED.get((path, repo_type), {}))))
    doc.update(overrides)
    return doc


def member_of(nx: Repositories, release: str, path: str) -> str:
    """Creates a hosted (else proxy) repository of the format for a group to list."""
    spec = set(spec_endpoints(release))
    repo_type = "hosted" if (path, "hosted") in spec else "proxy"
    name = f"{path}-member"
    assert nx.create(path, repo_type, body(path, repo_type, name)).status_code == 201
    return name


# --- what GET answers -------------------------------------------------------------------------
def expected_blocks(release: str, path: str, repo_type: str) -> dict[str, Any]:
    """The format blocks GET answers for the minimal bodies above (sources: formats.py and
    repository_documents.py docstrings; the emulator-chosen defaults are marked in the docs)."""
    v394, connector = at(release, "3.94.0"), dict(CONNECTOR, httpPort=None, httpsPort=None, subdomain=None)
    if at(release, "3.83.0"):
        connector["pathEnabled"] = False
    raw = {"contentDisposition": "ATTACHMENT"}
    if v394:
        raw.update(forwardQueryParameters=False, excludedQueryParameters=[])
    maven = {"versionPolicy": "RELEASE", "layoutPolicy": "STRICT",
             "contentDisposition": "ATTACHMENT" if at(release, "3.92.0") else None}
    nuget = {"queryCacheItemMaxAge": 3600, "nugetVersion": "V3"}
    if v394:
        nuget.update(allowAnonymousSymbolAccess=False, symbolServerUrl=None)
    pypi = {"indexPath": None} if v394 else {"removeQuarantined": False}
    cosign = {"enforcement": "NONE", "identityRegex": None, "issuerRegex": None}
    blocks: dict[tuple[str, str], dict[str, Any]] = {
        ("apt", "hosted"): {"apt": {"distribution": "bionic"}, "aptSigning": None},
        ("apt", "proxy"): {"apt": dict({"distribution": "bionic", "flat": False},
                                       **({"enforceDistribution": False} if v394 else {}))},
        ("bower", "proxy"): {"bower": {"rewritePackageUrls": True}},
        ("cargo", "proxy"): {"cargo": {"requireAuthentication": False}},
        ("cargo", "group"): {"cargo": {"requireAuthentication": False}},
        ("conan", "proxy"): {"conanProxy": {"conanVersion": "V1"}} if at(release, "3.86.0") else {},
        ("docker", "hosted"): {"docker": connector}, ("docker", "group"): {"docker": connector},
        ("docker", "proxy"): {"docker": connector, "dockerProxy": {
            "indexType": "HUB", "indexUrl": None, "cacheForeignLayers": False,
            "foreignLayerUrlWhitelist": []}},
        ("maven", "hosted"): {"maven": maven}, ("maven", "proxy"): {"maven": maven},
        ("npm", "proxy"): {} if v394 else {"npm": {"removeQuarantined": False}},
        ("nuget", "proxy"): {"nugetProxy": nuget},
        ("oci", "hosted"): {"oci": connector, "cosign": cosign},
        ("oci", "group"): {"oci": connector, "cosign": cosign},
        ("oci", "proxy"): {"oci": connector, "cosign": cosign, "ociProxy": {
            "indexType": None, "indexUrl": None, "cacheForeignLayers": False,
            "foreignLayerUrlWhitelist": []}},
        ("pypi", "proxy"): {"pypi": pypi} if at(release, "3.81.1") else {},
        ("raw", "hosted"): {"raw": raw}, ("raw", "proxy"): {"raw": raw},
        ("raw", "group"): {"raw": raw} if at(release, "3.81.1") else {},
        ("swift", "proxy"): {"swift": {"requireAuthentication": False}},
        ("terraform", "proxy"): {"terraform": {"requireAuthentication": False}},
        ("terraform", "group"): {"terraform": {"requireAuthentication": False}},
        ("yum", "hosted"): {"yum": {"repodataDepth": 1, "deployPolicy": "STRICT"}},
    }
    return blocks.get((path, repo_type), {})


def expected(release: str, path: str, repo_type: str, name: str, url: str,
             members: list[str]) -> dict[str, Any]:
    """SimpleApiRepositoryAdapter's sections (nexus-public) for the minimal bodies."""
    doc: dict[str, Any] = {"name": name, "format": FORMAT_NAMES.get(path, path), "type": repo_type,
                           "url": url, "online": True,
                           "storage": {"blobStoreName": "default", "strictContentTypeValidation": True}}
    if repo_type == "hosted":
        doc["storage"]["writePolicy"] = "ALLOW_ONCE"
        doc.update(cleanup=None, component={"proprietaryComponents": False})
    if repo_type == "proxy":
        if path in ("maven", "apt", "raw", "npm"):  # their adapters read a proxy's hosted storage
            doc["storage"]["writePolicy"] = "ALLOW"
        doc.update(cleanup=None, routingRuleName=None,
                   proxy={"remoteUrl": "https://repo.example.org/", "contentMaxAge": 1440,
                          "metadataMaxAge": 1440},
                   negativeCache={"enabled": True, "timeToLive": 1440},
                   httpClient={"blocked": False, "autoBlock": True, "authentication": None,
                               "connection": {"retries": None, "userAgentSuffix": None,
                                              "timeout": None, "enableCircularRedirects": False,
                                              "enableCookies": False, "useTrustStore": False}})
        if at(release, "3.94.0"):
            doc["proxy"]["preserveEncodedCharacters"] = False
            if path not in ("raw", "pypi"):
                doc["firewall"] = {"mode": "DISABLED"}
    if repo_type == "group":
        doc["group"] = {"memberNames": members}
    doc.update(expected_blocks(release, path, repo_type))
    return doc


# --- tests ------------------------------------------------------------------------------------
@pytest.mark.parametrize("release", RELEASES)
def test_the_format_table_offers_what_each_spec_publishes(release: str) -> None:
    """formats.py's availability table against the release's official spec: every published
    repository endpoint is offered and nothing else."""
    state = NexusState(Options(version=release))
    table = sorted((f.path, t) for f in FORMATS.values() for t in f.since if offered(state, f, t))
    assert table == spec_endpoints(release)


@pytest.mark.parametrize("release,path,repo_type", CASES, ids=[f"{r}-{f}-{t}" for r, f, t in CASES])
def test_each_format_and_type_round_trips(nexus_at: Callable[..., Repositories], release: str, path: str,
                                          repo_type: str) -> None:
    """POST a minimal body -> 201; the typed GET, `/v1/repositorySettings` and the list answer
    the documented defaults; PUT changes a field -> 204; another type's path -> 404 "Repository
    not found" (FormatAndType); DELETE -> 204 and gone."""
    nx = nexus_at(release)
    members = [member_of(nx, release, path)] if repo_type == "group" else []
    name = f"{path}-{repo_type}-x"
    created = nx.create(path, repo_type, body(path, repo_type, name, members))
    assert created.status_code == 201, created.text
    url = f"{nx.api.base_url}/repository/{name}"
    doc = nx.read(path, repo_type, name).json()
    assert doc == expected(release, path, repo_type, name, url, members)
    settings = {r["name"]: r for r in nx.call("GET", "/repositorySettings").json()}
    assert settings[name] == doc
    summary = {r["name"]: r for r in nx.call("GET", "/repositories").json()}[name]
    assert (summary["format"], summary["type"], summary["url"]) == (doc["format"], repo_type, url)
    assert summary["attributes"] == ({"proxy": {"remoteUrl": "https://repo.example.org/"}}
                                     if repo_type == "proxy" else {})

    changed = nx.call("PUT", f"/repositories/{path}/{repo_type}/{name}",
                      body(path, repo_type, name, members, online=False))
    assert changed.status_code == 204, changed.text
    assert nx.read(path, repo_type, name).json() == dict(doc, online=False)
    for other in {"hosted", "proxy", "group"} - {repo_type}:
        missing = nx.read(path, other, name)
        assert missing.status_code == 404
        if (path, other) in spec_endpoints(release):
            assert missing.json() == {"id": "*", "message": '"Repository not found"'}
        else:  # the format has no such type at all: an unknown path
            assert missing.content == b""
    assert nx.call("DELETE", f"/repositories/{name}").status_code == 204
    assert nx.read(path, repo_type, name).status_code == 404


@pytest.mark.parametrize("release,path,repo_type,absent", [
    ("3.68.1", "cargo", "hosted", "cargo arrived in 3.74"),
    ("3.68.1", "huggingface", "proxy", "first published in the 3.81.1 spec"),
    ("3.86.2", "bower", "proxy", "bower needs OrientDB, which 3.71 removed"),
    ("3.86.2", "swift", "proxy", "swift arrived in 3.89"),
    ("3.86.2", "go", "hosted", "go hosted arrived in 3.93"),
    ("3.86.2", "helm", "group", "helm groups arrived in 3.92"),
    ("3.94.0", "bower", "hosted", "gone since 3.71"),
    ("3.94.0", "cocoapods", "hosted", "cocoapods is proxy-only"),
])
def test_a_format_or_type_the_release_lacks_is_an_unknown_path(
        nexus_at: Callable[..., Repositories], release: str, path: str, repo_type: str, absent: str) -> None:
    """No resource serves the path, so JAX-RS answers 404 with an empty body before any
    authentication (routing.py's `available`), for create, read and update alike."""
    nx = nexus_at(release)
    for method, url in (("POST", f"/repositories/{path}/{repo_type}"),
                        ("GET", f"/repositories/{path}/{repo_type}/x"),
                        ("PUT", f"/repositories/{path}/{repo_type}/x")):
        answer = requests.request(method, nx.rest + url, json=body(path, repo_type, "x"))
        assert (answer.status_code, answer.content) == (404, b""), (absent, method)


def test_releases_between_the_specs_follow_the_spec_history(nexus_at: Callable[..., Repositories]) -> None:
    """3.89.0's spec (nexus-repo-api-client-go v3.89.0) adds swift proxy and terraform hosted;
    swift hosted comes with 3.90.1, helm groups with 3.92.0. Bower is still there on 3.70."""
    nx = nexus_at("3.89.0")
    assert nx.create("swift", "proxy", body("swift", "proxy", "swift-proxy")).status_code == 201
    assert nx.create("terraform", "hosted", body("terraform", "hosted", "tf")).status_code == 201
    assert nx.create("swift", "hosted", body("swift", "hosted", "swift-hosted")).status_code == 404
    assert nx.create("helm", "group", body("helm", "group", "helm-group")).status_code == 404
    assert nexus_at("3.70.0").create("bower", "hosted", body("bower", "hosted", "b")).status_code == 201


@pytest.mark.parametrize("release", RELEASES)
def test_maven_policies_are_pattern_strings(nexus_at: Callable[..., Repositories], release: str) -> None:
    """MavenAttributes (nexus-public): versionPolicy and layoutPolicy are `@NotEmpty` strings
    with `@Pattern` ("must be one of ..."), contentDisposition a `@Pattern` string: a wrong value
    or case is a bean-validation 400 list, although the 3.68/3.86 specs publish them as enums."""
    nx = nexus_at(release)
    wrong = body("maven", "hosted", "m", maven={"versionPolicy": "WEEKLY", "layoutPolicy": "strict",
                                                "contentDisposition": "SIDEWAYS"})
    answer = nx.create("maven", "hosted", wrong)
    assert answer.status_code == 400
    assert sorted(map(tuple, (e.values() for e in answer.json()))) == [
        ("PARAMETER contentDisposition", "must be one of INLINE, ATTACHMENT"),
        ("PARAMETER layoutPolicy", "must be one of STRICT, PERMISSIVE"),
        ("PARAMETER versionPolicy", "must be one of RELEASE, SNAPSHOT, MIXED")]
    assert nx.create("maven", "hosted", body("maven", "hosted", "m", maven={"layoutPolicy": "STRICT"})).json() \
        == [{"id": "PARAMETER versionPolicy", "message": "must not be empty"}]
    no_block = body("maven", "proxy", "m")
    del no_block["maven"]
    assert nx.create("maven", "proxy", no_block).json() == [{"id": "PARAMETER maven", "message": "must not be null"}]
    assert nx.create("maven", "hosted", body("maven", "hosted", "m")).status_code == 201
    snapshots = {"versionPolicy": "SNAPSHOT", "layoutPolicy": "PERMISSIVE", "contentDisposition": "INLINE"}
    assert nx.call("PUT", "/repositories/maven/hosted/m", body("maven", "hosted", "m", maven=snapshots)).status_code == 204
    assert nx.read("maven", "hosted", "m").json()["maven"] == snapshots


@pytest.mark.parametrize("release", RELEASES)
def test_java_enums_match_ignoring_case_and_refuse_the_rest_before_validation(
        nexus_at: Callable[..., Repositories], release: str) -> None:
    """Nexus's REST ObjectMapper (nexus-rest-jackson2 ObjectMapperProvider) enables
    ACCEPT_CASE_INSENSITIVE_ENUMS: raw's ContentDisposition and nuget's version are Java enums, so
    `inline` is taken and read back `INLINE`, while an unknown constant fails Jackson (plain-text
    400, nothing validated or written)."""
    nx = nexus_at(release)
    assert nx.create("raw", "hosted", body("raw", "hosted", "r", raw={"contentDisposition": "inline"})).status_code == 201
    assert nx.read("raw", "hosted", "r").json()["raw"]["contentDisposition"] == "INLINE"
    for path, repo_type, block in (("raw", "proxy", {"raw": {"contentDisposition": "sideways"}}),
                                   ("nuget", "proxy", {"nugetProxy": {"nugetVersion": "V4"}})):
        answer = nx.create(path, repo_type, body(path, repo_type, "bad", **block))
        assert answer.status_code == 400 and answer.headers["Content-Type"].startswith("text/plain")
    assert nx.read("raw", "proxy", "bad").status_code == 404


@pytest.mark.parametrize("release", RELEASES)
def test_required_fields_of_the_format_blocks(nexus_at: Callable[..., Repositories], release: str) -> None:
    """Apt: distribution `@NotEmpty` (hosted and proxy), aptSigning `@NotNull` on hosted,
    keypair `@NotEmpty` (nexus-public Apt*Attributes); ProxyAttributes.remoteUrl and
    GroupAttributes.memberNames `@NotEmpty`; nugetProxy and yum blocks required, repodataDepth
    0..5 (every spec); deployPolicy required from 3.94 (its spec), STRICT when left out before."""
    nx = nexus_at(release)

    def errors(path: str, repo_type: str, **changes: Any) -> list[tuple[str, str]]:
        doc = body(path, repo_type, "r")
        for key, value in changes.items():
            if value is None:
                doc.pop(key, None)
            else:
                doc[key] = value
        answer = nx.create(path, repo_type, doc)
        assert answer.status_code == 400, answer.text
        return sorted((e["id"], e["message"]) for e in answer.json())

    assert errors("apt", "hosted", apt={"distribution": ""}, aptSigning={}) == [
        ("PARAMETER distribution", "must not be empty"),
        ("PARAMETER keypair", "must not be empty")]
    assert errors("apt", "hosted", aptSigning=None) == [("PARAMETER aptSigning", "must not be null")]
    assert errors("apt", "proxy", apt={"flat": True}) == [("PARAMETER distribution", "must not be empty")]
    assert errors("raw", "proxy", proxy={"contentMaxAge": 1, "metadataMaxAge": 1}) == [
        ("PARAMETER remoteUrl", "must not be empty")]
    assert errors("npm", "group", group={"memberNames": []}) == [
        ("PARAMETER memberNames", "must not be empty")]
    assert errors("nuget", "proxy", nugetProxy=None) == [("PARAMETER nugetProxy", "must not be null")]
    assert errors("yum", "hosted", yum={"repodataDepth": 6, "deployPolicy": "STRICT"}) == [
        ("PARAMETER repodataDepth", "must be less than or equal to 5")]
    assert errors("yum", "hosted", yum={"deployPolicy": "STRICT"}) == [
        ("PARAMETER repodataDepth", "must not be null")]
    lenient = nx.create("yum", "hosted", body("yum", "hosted", "y", yum={"repodataDepth": 0}))
    if at(release, "3.94.0"):
        assert lenient.json() == [{"id": "PARAMETER deployPolicy", "message": "must not be null"}]
    else:
        assert lenient.status_code == 201
        assert nx.read("yum", "hosted", "y").json()["yum"] == {"repodataDepth": 0, "deployPolicy": "STRICT"}


@pytest.mark.parametrize("release", RELEASES)
def test_group_members_share_the_group_format_and_leave_it_when_deleted(
        nexus_at: Callable[..., Repositories], release: str) -> None:
    """A member of another format, an unknown member or the group itself -> 400 with one quoted
    message; deleting a member takes it out of the group (as for docker)."""
    nx = nexus_at(release)
    assert nx.create("npm", "hosted", body("npm", "hosted", "npm-hosted")).status_code == 201
    assert nx.create("raw", "hosted", body("raw", "hosted", "raw-hosted")).status_code == 201
    mixed = nx.create("npm", "group", body("npm", "group", "npm-group", ["npm-hosted", "raw-hosted"]))
    assert mixed.status_code == 400
    assert mixed.json() == {"id": "*", "message": '"Member repository raw-hosted has incompatible format raw"'}
    for bad in ("ghost", "npm-group"):
        answer = nx.create("npm", "group", body("npm", "group", "npm-group", [bad]))
        assert answer.json()["message"] == f'"Group refers to nonexistent member repository {bad}"'
    assert nx.create("npm", "group", body("npm", "group", "npm-group", ["npm-hosted"])).status_code == 201
    assert nx.call("DELETE", "/repositories/npm-hosted").status_code == 204
    assert nx.read("npm", "group", "npm-group").json()["group"] == {"memberNames": []}


def test_writable_member_only_where_the_request_class_has_it(nexus_at: Callable[..., Repositories]) -> None:
    """GroupDeployAttributes (npm, docker, conan, pypi from 3.86, oci) carry the Pro-only
    writableMember, answered only when set (`@JsonInclude(NON_NULL)`); a request class with plain
    GroupAttributes (maven) never reads it — Jackson ignores unknown properties."""
    community = nexus_at("3.86.2")
    community.create("npm", "hosted", body("npm", "hosted", "npm-hosted"))
    deploy = body("npm", "group", "g", ["npm-hosted"], group={"memberNames": ["npm-hosted"],
                                                             "writableMember": "npm-hosted"})
    assert "Pro" in community.create("npm", "group", deploy).json()["message"]
    pro = nexus_at("3.86.2", "pro")
    pro.create("npm", "hosted", body("npm", "hosted", "npm-hosted"))
    pro.create("maven", "hosted", body("maven", "hosted", "maven-hosted"))
    assert pro.create("npm", "group", deploy).status_code == 201
    assert pro.read("npm", "group", "g").json()["group"] == {"memberNames": ["npm-hosted"],
                                                            "writableMember": "npm-hosted"}
    plain = body("maven", "group", "mg", group={"memberNames": ["maven-hosted"], "writableMember": "maven-hosted"})
    assert pro.create("maven", "group", plain).status_code == 201
    assert pro.read("maven", "group", "mg").json()["group"] == {"memberNames": ["maven-hosted"]}


def test_connector_ports_belong_to_docker_and_oci(nexus_at: Callable[..., Repositories]) -> None:
    """Only docker (and, from 3.94, oci) request classes have the connector block: a `docker`
    block sent to a maven endpoint is dropped by Jackson, while docker and oci share one port
    space (both open Jetty connectors; OciAttributes of the 3.94 spec)."""
    nx = nexus_at("3.94.0")
    port = {"v1Enabled": False, "forceBasicAuth": True, "httpPort": 18555}
    assert nx.create("maven", "hosted", body("maven", "hosted", "m", docker=port)).status_code == 201
    assert "docker" not in nx.read("maven", "hosted", "m").json()
    assert nx.create("docker", "hosted", body("docker", "hosted", "d", docker=port)).status_code == 201
    clash = nx.create("oci", "hosted", body("oci", "hosted", "o", oci=port))
    assert clash.status_code == 400 and "18555" in clash.json()["message"]
    assert nx.create("oci", "hosted", body("oci", "hosted", "o", oci=dict(port, httpPort=18556))).status_code == 201
    assert nx.read("oci", "hosted", "o").json()["oci"]["httpPort"] == 18556


def test_apt_signing_reads_back_only_with_a_passphrase(nexus_at: Callable[..., Repositories]) -> None:
    """AptApiRepositoryAdapter.createAptSigningRepositoriesAttributes (nexus-public): null unless
    a passphrase is set, then the keypair with a null passphrase — which is why imports of apt
    hosted repositories lose the key (terraform-provider-sonatyperepo#290). Other signing blocks
    (yum, alpine, terraform) are never read back."""
    nx = nexus_at("3.86.2")
    assert nx.create("apt", "hosted", body("apt", "hosted", "a")).status_code == 201
    assert nx.read("apt", "hosted", "a").json()["aptSigning"] is None
    signed = body("apt", "hosted", "b", aptSigning=dict(SIGNING, passphrase="s3cret"))
    assert nx.create("apt", "hosted", signed).status_code == 201
    assert nx.read("apt", "hosted", "b").json()["aptSigning"] == dict(SIGNING, passphrase=None)
    assert "s3cret" not in nx.call("GET", "/repositorySettings").text
    yum = body("yum", "proxy", "y", yumSigning=dict(SIGNING, passphrase="s3cret"))
    assert nx.create("yum", "proxy", yum).status_code == 201
    assert "yumSigning" not in nx.read("yum", "proxy", "y").json()


def test_release_quirks_of_the_format_blocks(nexus_at: Callable[..., Repositories]) -> None:
    """NEXUS-48088: cargo's requireAuthentication read back false before 3.88; conanProxy is
    answered from 3.86; maven's contentDisposition left out reads back null, ATTACHMENT from 3.92
    (terraform-provider-sonatyperepo#402 and repository_common_proxy_test.go); 3.94 drops the
    npm block."""
    for release, answered in (("3.86.2", False), ("3.94.0", True)):
        nx = nexus_at(release)
        cargo = body("cargo", "proxy", "c", cargo={"requireAuthentication": True})
        assert nx.create("cargo", "proxy", cargo).status_code == 201
        assert nx.read("cargo", "proxy", "c").json()["cargo"] == {"requireAuthentication": answered}
    old = nexus_at("3.68.1")
    assert old.create("conan", "proxy", body("conan", "proxy", "c", conanProxy={"conanVersion": "V2"})).status_code == 201
    assert "conanProxy" not in old.read("conan", "proxy", "c").json()
    new = nexus_at("3.86.2")
    assert new.create("conan", "proxy", body("conan", "proxy", "c", conanProxy={"conanVersion": "v2"})).status_code == 201
    assert new.read("conan", "proxy", "c").json()["conanProxy"] == {"conanVersion": "V2"}
    latest = nexus_at("3.94.0")
    assert latest.create("npm", "proxy", body("npm", "proxy", "n", npm={"removeQuarantined": True})).status_code == 201
    assert "npm" not in latest.read("npm", "proxy", "n").json()


def test_firewall_modes_need_an_iq_server_from_394(nexus_at: Callable[..., Repositories]) -> None:
    """3.94's proxy requests carry an inline Repository Firewall mode; without a Sonatype IQ
    connection anything but DISABLED is refused ("Unable to configure Repository Firewall as not
    connected to Sonatype IQ", terraform-provider-sonatyperepo repository_common_proxy_test.go).
    Before 3.94 the field does not exist and is ignored."""
    audit = body("npm", "proxy", "n", firewall={"mode": "audit"})
    refused = nexus_at("3.94.0").create("npm", "proxy", audit)
    assert refused.status_code == 400
    assert refused.json() == {"id": "*", "message": '"Unable to configure Repository Firewall as not connected to Sonatype IQ"'}
    nx = nexus_at("3.94.0")
    assert nx.create("npm", "proxy", body("npm", "proxy", "n", firewall={"mode": "DISABLED"})).status_code == 201
    assert nx.read("npm", "proxy", "n").json()["firewall"] == {"mode": "DISABLED"}
    assert nexus_at("3.86.2").create("npm", "proxy", audit).status_code == 201
