"""Every repository format and type through its provider, in process, against the emulator of
3.86.2 and 3.94.0 (check → create → read → diff → update → read → out-of-band delete → delete),
adopt's entry of each, and the program's copy of the request schemas. The engine run over a
stack of every format is tests/test_formats_engine.py.

The cases come from the program's copy of each release's spec (components/kinds/repositories/openapi/), which
test_program_copy_of_the_specs_is_up_to_date holds to the emulator's copy (tests/emulator/openapi/).
"""
from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

from components import client as nexus_client
from components.config import validate
from components.problems import ServerFacts
from components.stack_config import StackConfig
from components.standup.verification import plan
from components.kinds.repositories import KIND, RESOURCES
from components.kinds.repositories.formats import DOCKER, api_for, parse_version
from tests.emulator.testing import ADMIN_PASSWORD, Emulators, Nexus
from tests.samples import SIGNING_BLOCKS, every_format, format_entry

ROOT = Path(__file__).resolve().parent.parent
RELEASES = ("3.86.2", "3.94.0")


def cases() -> list[tuple[str, str, str]]:
    return [(release, fmt, repo_type) for release in RELEASES
            for key in sorted(api_for(parse_version(release)).requests)
            for fmt, repo_type in [key.split("/")] if fmt != DOCKER]


# A field each family changes in the update step (the others change `online`).
UPDATES: dict[tuple[str, str], tuple[str, str, Any]] = {
    ("maven", "hosted"): ("maven", "versionPolicy", "SNAPSHOT"),
    ("maven", "proxy"): ("maven", "layoutPolicy", "PERMISSIVE"),
    ("apt", "hosted"): ("apt", "distribution", "trixie"),
    ("apt", "proxy"): ("apt", "flat", True),
    ("yum", "hosted"): ("yum", "repodataDepth", 2),
    ("nuget", "proxy"): ("nugetProxy", "nugetVersion", "V2"),
    ("raw", "hosted"): ("raw", "contentDisposition", "INLINE"),
    ("raw", "proxy"): ("raw", "contentDisposition", "INLINE"),
    ("conan", "proxy"): ("conanProxy", "conanVersion", "V2"),
    ("terraform", "proxy"): ("terraform", "requireAuthentication", True),
    ("swift", "proxy"): ("swift", "requireAuthentication", True),
    ("oci", "hosted"): ("oci", "v1Enabled", True),
}


@pytest.fixture(scope="module")
def servers(emulators: Emulators) -> dict[str, Nexus]:
    return {release: emulators.get(release) for release in RELEASES}


@pytest.fixture
def nexus(request: pytest.FixtureRequest, servers: dict[str, Nexus]) -> Iterator[Nexus]:
    server = servers[request.node.callspec.params["release"]].reset()
    nexus_client.use_stack_config({"nexus-registry:nexus": json.dumps({"url": server.base_url}),
                                   "nexus-registry:adminPassword": ADMIN_PASSWORD})
    fresh()
    yield server


def fresh() -> None:
    """Forget the run's list of repositories (the test changes the server behind the providers)."""
    nexus_client.for_run().invalidate("repositories")


def server_doc(nexus: Nexus, name: str) -> dict[str, Any]:
    found = [r for r in nexus.get("/v1/repositorySettings").json() if r["name"] == name]
    return found[0] if found else {}


def changed(provider: Any, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    result = provider.diff(old.get("name", ""), old, new)
    return sorted({*result.replaces, *(k for k in set(old) | set(new) if old.get(k) != new.get(k))}) \
        if result.changes else []


def provider_inputs(provider: Any, entry: dict[str, Any]) -> dict[str, Any]:
    """What the program hands the provider: the entry without type, format and renamedFrom."""
    result = provider.check({}, {k: v for k, v in entry.items() if k not in ("type", "format")})
    assert result.failures == [], result.failures
    return result.inputs


@pytest.mark.parametrize("release,fmt,repo_type", cases())
def test_provider_lifecycle_of_every_format_and_type(nexus, release, fmt, repo_type):
    resource = RESOURCES[(fmt, repo_type)]
    provider = resource.provider_class()
    name = f"{fmt}-{repo_type}-x"
    members: tuple[str, ...] = ()
    if repo_type == "group":  # a member of the group's format, made the same way
        member_type = next(t for t in ("hosted", "proxy") if (fmt, t) in RESOURCES
                           and api_for(parse_version(release)).offers(fmt, t))
        member = provider_inputs(RESOURCES[(fmt, member_type)].provider_class(),
                                 format_entry(fmt, member_type, f"{fmt}-member"))
        RESOURCES[(fmt, member_type)].provider_class().create(member)
        members = (member["name"],)
    spec = provider_inputs(provider, format_entry(fmt, repo_type, name, members))

    provider.create(spec)
    doc = server_doc(nexus, name)
    assert (doc["format"], doc["type"]) == (provider.format, repo_type)
    assert resource.protected is (repo_type == "hosted")
    assert provider.resource_type.endswith(f"{repo_type.capitalize()}Repository")

    read = provider.read(name, spec)
    assert read.id == name and changed(provider, read.inputs, spec) == []  # a clean stack is clean
    for block in SIGNING_BLOCKS:  # never answered in full: carried from the last applied spec
        if block in spec:
            assert read.outs[block] == spec[block]

    block, field, value = UPDATES.get((fmt, repo_type), ("", "online", False))
    wanted = copy.deepcopy(spec)
    (wanted.setdefault(block, {}) if block else wanted)[field] = value
    wanted = provider.check(spec, wanted).inputs
    assert changed(provider, read.inputs, wanted) == [block or field]
    provider.update(name, read.inputs, wanted)
    answered = server_doc(nexus, name)
    assert (answered[block][field] if block else answered[field]) == value
    assert changed(provider, provider.read(name, wanted).inputs, wanted) == []

    assert nexus.delete(f"/v1/repositories/{name}").status_code == 204  # out of band
    fresh()
    assert provider.read(name, wanted).id == ""  # gone: the next up creates it again
    provider.create(wanted)
    provider.delete(name, wanted)
    assert server_doc(nexus, name) == {}


@pytest.mark.parametrize("release,fmt,repo_type", [c for c in cases() if c[0] == "3.94.0"])
def test_adopt_writes_an_entry_that_converges_to_the_same_repository(nexus, release, fmt, repo_type):
    """nexusctl adopt's entry of a repository made by hand is the config of that repository:
    it passes the schema and normalizes to what the server has (secrets aside: never answered)."""
    provider = RESOURCES[(fmt, repo_type)].provider_class()
    name = f"{fmt}-{repo_type}-hand"
    members: tuple[str, ...] = ()
    if repo_type == "group":
        member_type = next(t for t in ("hosted", "proxy") if api_for(parse_version(release)).offers(fmt, t))
        RESOURCES[(fmt, member_type)].provider_class().create(
            provider_inputs(RESOURCES[(fmt, member_type)].provider_class(),
                            format_entry(fmt, member_type, f"{fmt}-member")))
        members = (f"{fmt}-member",)
    spec = provider_inputs(provider, format_entry(fmt, repo_type, name, members))
    provider.create(spec)
    fresh()

    client = nexus_client.for_run()
    found = next(f for f in KIND.inventory(client, client.server()) if f.name == name)
    assert found.item is not None, found.reason
    entry = found.item
    assert entry["format"] == fmt and entry["type"] == repo_type
    secrets = {path for path, _ in found.secrets}
    for block in SIGNING_BLOCKS:
        if block in spec:
            assert f"{block}.keypair" in secrets
            entry = {**entry, block: spec[block]}  # what `pulumi config set --secret` adds
    adopted = provider_inputs(provider, entry)
    assert changed(provider, provider.read(name, adopted).inputs, adopted) == []  # converged as it is
    # The same settings; a block also spells out what the server answered for fields it defaulted.
    for key, value in spec.items():
        if key not in ("instance", "adopt"):
            got = adopted.get(key)
            assert ({f: got.get(f) for f in value} if isinstance(value, dict) and key not in ("negativeCache",)
                    and isinstance(got, dict) else got) == value, key


def test_program_copy_of_the_specs_is_up_to_date():
    """components/kinds/repositories/openapi/ is written from tests/emulator/openapi/ by scripts/openapi_subset.py --program."""
    loader = importlib.util.spec_from_file_location("openapi_subset", ROOT / "scripts" / "openapi_subset.py")
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    wanted = module.program_files()
    present = {p.name: p.read_text() for p in (ROOT / "components" / "kinds" / "repositories" / "openapi").glob("*.json")}
    stale = sorted(name for name in {*wanted, *present} if wanted.get(name) != present.get(name))
    assert stale == [], f"out of date: {stale}; run python scripts/openapi_subset.py --program"
    assert len(wanted) == 4  # three releases' requests and the history between them


# --- the config checks, before any write --------------------------------------------------------
def problems_of(repos: list[dict[str, Any]], version: Optional[tuple[int, int, int]] = None,
                **extra: Any) -> list[str]:
    cfg = StackConfig({"nexus": {"url": "http://127.0.0.1:8081"}, "adminPassword": "an-admin-password",
                       "repositories": repos, **extra}, frozenset({"adminPassword", "repositories"}))
    return [str(p) for p in validate(cfg, ServerFacts(version, False) if version else None)]


HOSTED_RAW = {"name": "files", "type": "hosted", "format": "raw"}
BAD_CONFIGS = [
    ("format the release lacks", [{"name": "s", "type": "hosted", "format": "swift"}], (3, 86, 2),
     "repositories[0].format: Nexus 3.86.2 has no swift repositories (swift hosted: they exist from Nexus 3.90.1)"),
    ("type a release between the known specs lacks", [{"name": "s", "type": "hosted", "format": "swift"}], (3, 90, 0),
     "repositories[0].type: Nexus 3.90.0 has no swift hosted repositories (they exist from Nexus 3.90.1; this "
     "release offers swift proxy)"),
    ("format a release removed", [{"name": "b", "type": "proxy", "format": "bower", "remoteUrl": "https://bower.io"}],
     (3, 86, 2), "repositories[0].format: Nexus 3.86.2 has no bower repositories (bower proxy: Nexus 3.71.0 removed "
     "them). Remove this entry"),
    ("type no release has", [{"name": "c", "type": "hosted", "format": "cocoapods"}], (3, 94, 0),
     "repositories[0].type: Nexus has no cocoapods hosted repositories in any release this program knows"),
    ("type the release lacks", [{"name": "c", "type": "hosted", "format": "conda"}], (3, 86, 2),
     "repositories[0].type: Nexus 3.86.2 has no conda hosted repositories (they exist from Nexus 3.92.0"),
    ("unknown block field", [{**HOSTED_RAW, "raw": {"disposition": "INLINE"}}], None,
     "repositories[0].raw: 'disposition' was unexpected (unknown field). Allowed here: contentDisposition, "),
    ("block field of a later release", [{**HOSTED_RAW, "raw": {"forwardQueryParameters": True}}], (3, 86, 2),
     "repositories[0].raw.forwardQueryParameters: Nexus 3.86.2 has no raw.forwardQueryParameters (the API of "
     "Nexus 3.94.0 has it)"),
    ("block a release dropped", [{"name": "n", "type": "proxy", "format": "npm", "remoteUrl": "https://registry.npmjs.org",
                                  "npm": {"removeQuarantined": True}}], (3, 94, 0),
     "repositories[0].npm: Nexus 3.94.0 has no npm settings for npm proxy repositories (Nexus 3.86.2 was the last"),
    ("wrong enum", [{"name": "m", "type": "hosted", "format": "maven", "maven": {"versionPolicy": "release"}}], None,
     "repositories[0].maven.versionPolicy: 'release' is not one of RELEASE, SNAPSHOT, MIXED"),
    ("out of range", [{"name": "y", "type": "hosted", "format": "yum", "yum": {"repodataDepth": 9}}], None,
     "repositories[0].yum.repodataDepth: 9 is greater than the maximum of 5"),
    ("required block", [{"name": "a", "type": "proxy", "format": "apt", "remoteUrl": "https://deb.debian.org/debian"}],
     (3, 94, 0), "repositories[0].apt: Nexus 3.94.0 needs apt settings for apt proxy repositories (with distribution"),
    ("required signing key", [{"name": "a", "type": "hosted", "format": "apt", "apt": {"distribution": "bookworm"}}],
     (3, 94, 0), "repositories[0].aptSigning.keypair: Nexus 3.94.0 needs aptSigning settings for apt hosted "
     "repositories (with keypair): pulumi config set --secret --path 'repositories[0].aptSigning.keypair'"),
    ("docker field on another format", [{**HOSTED_RAW, "httpPort": 8090}], None,
     "repositories[0]: 'httpPort' was unexpected (unknown field): httpPort is for docker repositories only"),
    ("member of another format", [HOSTED_RAW, {"name": "g", "type": "group", "format": "npm", "members": ["files"]}],
     None, "repositories[1].members[0]: 'files' is a raw repository; a npm group takes npm members only"),
    ("writableMember where the format has none", [HOSTED_RAW, {"name": "g", "type": "group", "format": "raw",
                                                               "members": ["files"], "writableMember": "files"}],
     (3, 94, 0), "repositories[1].writableMember: Nexus 3.94.0 has no writableMember for raw groups"),
    ("one port space for docker and oci", [{"name": "o", "type": "hosted", "format": "oci", "oci": {"httpPort": 8090}},
                                           {"name": "d", "type": "hosted", "httpPort": 8090}], (3, 94, 0),
     "repositories[1].httpPort: port 8090 is already used by repositories[0].oci.httpPort (o)"),
    ("cleanup policy of another format", [{**HOSTED_RAW, "cleanupPolicies": ["old-images"]}], None,
     "repositories[0].cleanupPolicies[0]: cleanup policy 'old-images' is for docker repositories and this is a raw one"),
    ("anonymous docker pull of a raw repository", [HOSTED_RAW], None,
     "security.anonymousPull[0]: 'files' is a raw repository; anonymousPull sets up docker's anonymous token pull"),
    ("docker GC of a raw repository", [HOSTED_RAW], None,
     "retention[0].repositories[0]: 'files' is a raw repository; the retention preset runs docker's GC task"),
    ("release from the container image without a server", [{"name": "s", "type": "proxy", "format": "swift",
                                                            "remoteUrl": "https://swift.example.org"}], None,
     "repositories[0].format: Nexus 3.86.2 (container.image) has no swift repositories"),
]
EXTRA = {"cleanup policy of another format": {"cleanupPolicies": [{"name": "old-images", "lastDownloadedDays": 9}]},
         "anonymous docker pull of a raw repository": {"security": {"anonymousPull": ["files"]}},
         "docker GC of a raw repository": {"retention": [{"repositories": ["files"], "lastDownloadedDays": 30}]},
         "release from the container image without a server": {"container": {}}}


@pytest.mark.parametrize("case,repos,version,expected", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_format_config_is_refused_with_its_path_and_fix(case, repos, version, expected):
    found = problems_of(repos, version, **EXTRA.get(case, {}))
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize("release", RELEASES)
def test_one_repository_of_every_format_and_type_is_valid_on_its_release(release):
    api = api_for(parse_version(release))
    repos = every_format({fmt: api.types_of(fmt) for fmt in api.formats()})
    assert problems_of(repos, parse_version(release)) == []


def test_a_release_between_the_known_specs_follows_the_spec_history():
    """Swift proxies exist from 3.89.0: on 3.90 they are checked against the 3.94.0 spec (the
    3.86.2 one has no swift), as the emulator of 3.90 serves them."""
    swift = {"name": "s", "type": "proxy", "format": "swift", "remoteUrl": "https://swift.example.org",
             "swift": {"requireAuthentication": True}}
    assert problems_of([swift], (3, 90, 0)) == []
    assert problems_of([swift], (3, 88, 0))[0].startswith("repositories[0].format: Nexus 3.88.0 has no swift")


def test_verify_plans_docker_connector_checks_only():
    """nexusctl verify checks the docker path: repositories of other formats have no connector."""
    repos = every_format({"docker": ["hosted"], "maven": ["hosted", "proxy", "group"], "raw": ["hosted"]})
    checks = plan({"nexus": {"url": "http://127.0.0.1:8081"}, "repositories": repos})
    assert len(checks) == 2  # Nexus's status and the docker hosted repository's connector
