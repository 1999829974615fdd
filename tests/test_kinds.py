"""The kinds table (components/kinds `KINDS`): adding a kind is one module plus one row, and the
row is all the rest of the project reads (docs/DESIGN.md, "Adding a kind").

- every module under components/kinds/ is a row of the table, every row is complete and comes
  after the kinds it refers to;
- one default per field: a provider normalizes an entry of only the required fields to exactly
  what the kind's schema fragment gives (no second literal default in a provider);
- schemas/*.schema.json are what the fragments compose (scripts/schemas.py);
- providers pickle by their resource type and the pickles states written before the table hold
  (tests/fixtures/legacy-pickles.json: the exact pickles the earlier layout wrote for each of its
  provider classes) unpickle to the classes that do that job now.
"""
from __future__ import annotations

import base64
import json
import pickle
import sys
from pathlib import Path
from typing import Any, Mapping

import dill
import pytest
from jsonschema import Draft202012Validator

from components import config_schema, legacy
from components.kind import Kind
from components.kinds import KINDS, STAND_UP_RESOURCES, kind_of, provider_class, provider_for, resource_classes
from components.kinds.tasks.schedules import normalize_schedule
from components.provider import NexusProvider
from components.resource import StableProvider
from components.schema import Fragment, applicable

ROOT = Path(__file__).resolve().parent.parent
KINDS_DIR = ROOT / "components" / "kinds"
LEGACY_PICKLES: dict[str, str] = json.loads((Path(__file__).parent / "fixtures" / "legacy-pickles.json").read_text())


# --- the table ------------------------------------------------------------------------------------
def kind_modules() -> list[str]:
    """The kind modules: each .py of components/kinds (but the table) and each package in it."""
    modules = [p.stem for p in KINDS_DIR.glob("*.py") if p.name != "__init__.py"]
    packages = [p.name for p in KINDS_DIR.iterdir() if (p / "__init__.py").exists()]
    return sorted(modules + packages)


def test_every_kind_module_is_a_row_of_the_table():
    rows = {k.declare.__module__.split(".")[2] for k in KINDS}
    missing = [m for m in kind_modules() if m not in rows]
    assert not missing, f"modules of components/kinds/ not in KINDS (add their KIND to the table): {missing}"
    assert len(kind_modules()) >= 13


@pytest.mark.parametrize("module", kind_modules())
def test_a_kind_module_holds_its_schema_fragment_and_row(module):
    """A kind is one place: its KIND row, and its schema fragment beside it."""
    path = KINDS_DIR / module if (KINDS_DIR / module).is_dir() else KINDS_DIR / f"{module}.py"
    fragment = path / f"{module}.schema.json" if path.is_dir() else path.with_suffix(".schema.json")
    assert fragment.exists(), f"components/kinds/{module}: no schema fragment {fragment.name} beside it"
    row = next(k for k in KINDS if k.declare.__module__.split(".")[2] == module)
    assert Path(row.schema.source).resolve() == fragment.resolve()
    for part in (path.glob("*.py") if path.is_dir() else [path]):
        assert len(part.read_text().splitlines()) <= 420, f"{part} is over 400 lines: split it"


@pytest.mark.parametrize("row", KINDS, ids=lambda k: k.name)
def test_every_row_is_complete(row: Kind):
    module = row.declare.__module__
    assert row.name and row.config_path and row.id_key
    Draft202012Validator.check_schema(row.schema.root)
    assert row.resource_types, f"{row.name}: no resource classes"
    for resource in row.resource_types:
        provider = resource.provider_class
        assert issubclass(provider, NexusProvider) and issubclass(provider, StableProvider)
        assert provider.resource_type.startswith("nexus:") and provider.kind, provider
    # Its own functions, not the row's do-nothing defaults: what it declares, checks and adopts.
    for part in (row.declare, row.problems, row.inventory):
        assert part.__module__.startswith(module.rsplit(".", 1)[0] if module.endswith("__init__") else module), part
    assert row.slug or row.singleton or row.automation, f"{row.name}: unmanaged cannot name it (no slug)"


def test_names_slugs_and_type_names_are_unique_and_dependencies_come_first():
    names = [k.name for k in KINDS]
    assert len(set(names)) == len(names)
    slugs = [k.slug for k in KINDS if k.slug]
    assert len(set(slugs)) == len(slugs)
    types = [r.provider_class.resource_type for k in KINDS for r in k.resource_types]
    types += [r.provider_class.resource_type for r in STAND_UP_RESOURCES]
    assert len(set(types)) == len(types)
    for position, row in enumerate(KINDS):
        for needed in row.depends_on:
            assert needed in names[:position], f"{row.name} depends on '{needed}', which KINDS must list first"


def test_the_table_finds_providers_by_type_name():
    assert set(resource_classes()) == {r.provider_class.resource_type for k in KINDS for r in k.resource_types} \
        | {r.provider_class.resource_type for r in STAND_UP_RESOURCES}
    assert kind_of("nexus:DockerHostedRepository").name == "repository"
    assert kind_of("nexus:Bootstrap") is None  # a stand-up resource, not a kind of Nexus object
    with pytest.raises(LookupError, match="no provider for the resource type 'nexus:Nothing'"):
        provider_class("nexus:Nothing")


def test_schemas_are_composed_from_the_fragments():
    stale = config_schema.stale()
    assert not stale, f"out of date: {stale}; run python scripts/schemas.py and commit schemas/"


# --- one default per field -------------------------------------------------------------------------
# Per resource type: a config entry of only its required fields, the fields of it that select the
# resource rather than go to it (a repository's and a blob store's type, protect), and inputs the
# program adds from elsewhere in the config (a user's password from security.passwords).
REQUIRED_ONLY: dict[str, tuple[Any, tuple[str, ...], Mapping[str, Any]]] = {
    "nexus:FileBlobStore": ({"name": "store", "type": "file"}, ("type", "protect"), {}),
    "nexus:S3BlobStore": ({"name": "store", "type": "s3", "bucket": "a-bucket"}, ("type", "protect"), {}),
    "nexus:CleanupPolicy": ({"name": "old", "lastDownloadedDays": 30}, (), {}),
    "nexus:RoutingRule": ({"name": "library", "mode": "ALLOW", "matchers": ["^/v2/library/"]}, (), {}),
    "nexus:DockerHostedRepository": ({"name": "hosted", "type": "hosted"}, ("type", "protect"), {}),
    "nexus:DockerProxyRepository": ({"name": "hub", "type": "proxy", "remoteUrl": "https://registry-1.docker.io"},
                                    ("type", "protect"), {}),
    "nexus:DockerGroupRepository": ({"name": "group", "type": "group", "members": ["hosted"]}, ("type", "protect"), {}),
    "nexus:Realms": (["NexusAuthenticatingRealm"], (), {}),
    "nexus:AnonymousAccess": ({}, (), {}),
    "nexus:ContentSelector": ({"name": "library", "expression": 'format == "docker"'}, (), {}),
    "nexus:Privilege": ({"name": "hub-read", "type": "repository-view", "repository": "hub", "actions": ["READ"]},
                        (), {}),
    "nexus:Role": ({"id": "readers"}, (), {}),
    "nexus:User": ({"userId": "ci"}, (), {"password": "a-password"}),
    "nexus:LdapServer": ({"name": "corp", "host": "ldap.example", "searchBase": "dc=example,dc=org",
                          "authScheme": "NONE"}, (), {}),
    "nexus:Task": ({"name": "compact", "type": "blobstore.compact"}, (), {}),
    "nexus:CleanupService": ({"name": "Cleanup service", "type": "repository.cleanup"}, (), {}),
    "nexus:Webhook": ({"name": "audit", "url": "https://hooks.example/nexus", "events": ["audit"]}, (), {}),
}
# Resources that are no config entry of their own.
NO_ENTRY = {"nexus:LdapOrder": "the order of the security.ldap entries, not an entry"}
# Fields a provider computes from the others (not defaults): what it must compute for the rows above.
COMPUTED: dict[str, Mapping[str, Any]] = {
    "nexus:Webhook": {"type": "global"},  # no repository: a global webhook (the capability type)
}


def _kind_and_provider(resource_type: str) -> tuple[Kind, NexusProvider]:
    row = kind_of(resource_type)
    assert row is not None
    return row, provider_class(resource_type)()


def _entry_problems(row: Kind, entry: Any) -> list[str]:
    return [e.message for e in Draft202012Validator(row.schema.root).iter_errors(entry if row.singleton else [entry])]


def _spec(resource_type: str) -> dict[str, Any]:
    entry, selectors, added = REQUIRED_ONLY[resource_type]
    if not isinstance(entry, Mapping):  # the active realms: a list
        return {"active": list(entry)}
    return {**{k: v for k, v in entry.items() if k not in selectors}, **added}


def test_every_resource_type_has_a_required_only_row():
    types = {r.provider_class.resource_type for k in KINDS for r in k.resource_types}
    assert types == set(REQUIRED_ONLY) | set(NO_ENTRY)


@pytest.mark.parametrize("resource_type", sorted(REQUIRED_ONLY))
def test_the_row_holds_only_required_fields(resource_type):
    """Each field of the entry is needed: without it the schema or the provider's own checks refuse
    the entry (so the defaults test below really starts from nothing but what is required)."""
    row, provider = _kind_and_provider(resource_type)
    entry, selectors, added = REQUIRED_ONLY[resource_type]
    assert _entry_problems(row, entry) == []
    assert provider.problems(provider.normalize(_spec(resource_type))) == []
    if not isinstance(entry, Mapping):
        return
    for field in entry:
        without = {k: v for k, v in entry.items() if k != field}
        refused = bool(_entry_problems(row, without))
        if not refused and field not in selectors:
            spec = {**{k: v for k, v in without.items() if k not in selectors}, **added}
            try:
                refused = bool(provider.problems(provider.normalize(spec)))
            except (KeyError, TypeError):
                refused = True
        assert refused, f"{resource_type}: '{field}' is not required; leave it out of the row"


@pytest.mark.parametrize("resource_type", sorted(REQUIRED_ONLY))
def test_normalize_of_the_required_fields_is_the_schema_defaults(resource_type):
    """One default per field: everything normalize adds to the required fields comes from the
    kind's schema fragment (and `adopt` is off), never from a literal in the provider."""
    row, provider = _kind_and_provider(resource_type)
    entry, selectors, added = REQUIRED_ONLY[resource_type]
    spec = _spec(resource_type)
    if isinstance(entry, Mapping):
        defaults = row.schema.with_defaults(entry)
        expected = {**{k: v for k, v in defaults.items() if k not in selectors}, **added, "adopt": False}
        if "schedule" in expected:  # tasks: the schedule's one spelling (a word is its type)
            expected["schedule"] = normalize_schedule(expected["schedule"])
        if row.singleton:  # a singleton has no adopt: it always exists
            expected.pop("adopt")
    else:
        expected = spec  # the realms list has no defaults, and the provider must add none
    expected.update(COMPUTED.get(resource_type, {}))
    assert provider.normalize(spec) == expected


def _changed_default(prop: Mapping[str, Any], value: Any, root: Mapping[str, Any]) -> Any:
    """Another valid-looking default for this property: another member of its enum, the other
    boolean, one more, a longer string or list."""
    enum = next((sub["enum"] for sub in applicable(prop, value, root) if "enum" in sub), None)
    if enum:
        return next(member for member in enum if member != value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, list):
        return [*value, "changed"]
    return value  # an object default ({}): its own fields' defaults are changed instead


def _with_changed_defaults(node: Any, root: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_with_changed_defaults(item, root) for item in node]
    if not isinstance(node, Mapping):
        return node
    out = {k: _with_changed_defaults(v, root) for k, v in node.items()}
    if "default" in node:
        out["default"] = _changed_default(node, node["default"], root)
    if "defaultTemplate" in node:
        out["defaultTemplate"] = node["defaultTemplate"] + "-changed"
    return out


@pytest.mark.parametrize("resource_type", sorted(REQUIRED_ONLY))
def test_normalize_follows_the_schema_when_its_defaults_change(resource_type, monkeypatch):
    """The schema is the only place a default is written: change every default of the fragment and
    the provider's normalize follows (a provider that wrote its own default would not)."""
    row, provider = _kind_and_provider(resource_type)
    entry, selectors, added = REQUIRED_ONLY[resource_type]
    if not isinstance(entry, Mapping):
        pytest.skip("the realms list has no defaults")
    before = provider.normalize(_spec(resource_type))
    changed = Fragment(_with_changed_defaults(row.schema.root, row.schema.root))
    monkeypatch.setattr(row.schema, "root", changed.root)
    monkeypatch.setattr(row.schema, "entry", changed.entry)
    after = provider.normalize(_spec(resource_type))
    defaults = row.schema.with_defaults(entry)
    expected = {**{k: v for k, v in defaults.items() if k not in selectors}, **added, "adopt": False}
    if "schedule" in expected:
        expected["schedule"] = normalize_schedule(expected["schedule"])
    if row.singleton:
        expected.pop("adopt")
    expected.update(COMPUTED.get(resource_type, {}))
    assert after == expected
    assert after != before or before == {**_spec(resource_type), "adopt": False}  # there were defaults to change


def test_a_second_literal_default_would_be_found():
    """Guards the test above: a provider with its own default differs from the schema's."""
    class Shadowed(provider_class("nexus:Role")):  # type: ignore[misc, valid-type]
        def normalize(self, spec: dict[str, Any]) -> dict[str, Any]:
            return {**super().normalize(spec), "description": "(managed)"}

    row = kind_of("nexus:Role")
    entry = REQUIRED_ONLY["nexus:Role"][0]
    assert Shadowed().normalize(dict(entry)) != {**row.schema.with_defaults(entry), "adopt": False}


# --- stable pickles ----------------------------------------------------------------------------------
@pytest.mark.parametrize("resource_type", sorted(resource_classes()))
def test_providers_pickle_as_their_type_name_through_the_table(resource_type):
    provider = provider_class(resource_type)()
    data = dill.dumps(provider, protocol=pickle.DEFAULT_PROTOCOL, recurse=True)
    assert resource_type.encode() in data and b"provider_for" in data
    assert type(provider).__name__.encode() not in data  # the class can move: the state never names it
    assert type(dill.loads(data)) is type(provider)
    assert type(provider_for(resource_type)) is type(provider)


def _legacy_target(path: str) -> type:
    module, _, name = path.rpartition(".")
    old = legacy.LEGACY_PROVIDERS.get(module.removeprefix("components."), {}).get(name)
    if old == legacy.REPOSITORY_BASE:
        from components.kinds.repositories.providers import RepositoryProvider
        return RepositoryProvider
    if old is None:  # a module path that still exists (components.provider.NexusProvider)
        return NexusProvider
    return provider_class(old)


def test_the_fixture_holds_every_legacy_class():
    listed = {f"components.{module}.{name}" for module, names in legacy.LEGACY_PROVIDERS.items() for name in names}
    assert listed <= set(LEGACY_PICKLES)
    assert len(LEGACY_PICKLES) == 23


@pytest.mark.parametrize("path", sorted(LEGACY_PICKLES))
def test_a_pickle_of_the_earlier_layout_unpickles_to_the_class_doing_its_job_now(path):
    data = base64.b64decode(LEGACY_PICKLES[path])
    assert path.rpartition(".")[0].encode() in data  # the old module path, as the state holds it
    provider = dill.loads(data)
    assert type(provider) is _legacy_target(path)
    if getattr(provider, "resource_type", ""):
        # It works as today's provider: it pickles to the stable form from now on.
        assert b"provider_for" in dill.dumps(provider, protocol=pickle.DEFAULT_PROTOCOL, recurse=True)


@pytest.mark.parametrize("path", ["components.docker_hosted.DockerHostedProvider", "components.role.RoleProvider",
                                  "components.task.TaskProvider", "components.blob_store.S3BlobStoreProvider"])
def test_a_legacy_provider_normalizes_as_today(path):
    """An unpickled old provider is today's provider, not a stand-in: same checks, same shapes."""
    provider = dill.loads(base64.b64decode(LEGACY_PICKLES[path]))
    resource_type = provider.resource_type
    assert provider.normalize(_spec(resource_type)) == provider_for(resource_type).normalize(_spec(resource_type))


def test_an_unknown_old_class_is_a_clear_error():
    with pytest.raises(AttributeError, match="'RoleProvidex' on <module 'components.role'"):
        dill.loads(base64.b64decode(LEGACY_PICKLES["components.role.RoleProvider"]).replace(
            b"RoleProvider", b"RoleProvidex"))
    with pytest.raises(AttributeError, match="components.role has no RoleProvidex"):
        getattr(sys.modules["components.role"], "RoleProvidex")
