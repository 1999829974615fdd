"""A kind of Nexus object as one row of the table (components/kinds/__init__.py `KINDS`).

A kind's module holds, side by side, everything about it: its schema fragment (the one place its
defaults live), its config checks, its provider and resource classes, its list endpoint (facts
for the checks, drift reads, adopt and unmanaged), its adopt mapping and what it declares. The
row below is what the rest of the project reads of it: the program declares every kind in table
order, the config asks each for its problems, the preflight reads its facts, and nexusctl adopt,
unmanaged and drift read its inventory and labels. None of them knows a REST path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import pulumi
from jsonschema import Draft202012Validator

from .client import NexusClient, ServerInfo
from .problems import Problem, ServerFacts, Values
from .provider import INSTANCE, REFERENCES, NexusProvider
from .schema import Fragment, document_problems
from .stack_config import StackConfig

Resources = dict[str, pulumi.Resource]  # the kind's own key of an object (mostly its lower-cased name) -> resource


# --- declaring ----------------------------------------------------------------------------------
@dataclass
class Context:
    """Everything declared so far, for kinds that refer to it (privileges to repositories, tasks
    to blob stores and repositories, the deployment check to all of it)."""

    cfg: StackConfig
    bootstrap: pulumi.Resource
    declared: dict[str, Resources] = field(default_factory=dict)  # kind name -> its resources
    stack_ca_pem: Optional[pulumi.Input[str]] = None  # the stack's CA (its TLS material), when it has one

    def of(self, kind: str) -> Resources:
        return self.declared.get(kind, {})

    def all(self) -> list[pulumi.Resource]:
        return [self.bootstrap, *(r for resources in self.declared.values() for r in resources.values())]


def after(*resources: Optional[pulumi.Resource]) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(depends_on=[r for r in resources if r is not None])


def referring(spec: dict[str, Any], targets: Mapping[str, Optional[pulumi.Resource]]) -> dict[str, Any]:
    """The spec with the instance tokens of the stack's objects it refers to (see
    provider.INSTANCE): when one of them is re-created, this object is written again."""
    tokens = {label: getattr(res, INSTANCE) for label, res in sorted(targets.items())
              if res is not None and hasattr(res, INSTANCE)}
    return {**spec, REFERENCES: tokens} if tokens else spec


def nested_first(items: Sequence[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], str],
                 children: Callable[[Mapping[str, Any]], Sequence[str]]) -> list[tuple[int, Mapping[str, Any]]]:
    """(index, item) ordered so each item comes after the declared items it contains (nested
    roles, nested groups). The config checks refused cycles, so every round places at least one."""
    declared = {key(item) for item in items}
    ordered: list[tuple[int, Mapping[str, Any]]] = []
    done: set[str] = set()
    pending = list(enumerate(items))
    while pending:
        ready = [(i, it) for i, it in pending if all(c in done or c not in declared or c == key(it)
                                                     for c in children(it))]
        if not ready:
            raise RuntimeError(f"cycle among {', '.join(key(it) for _, it in pending)} passed validation")
        ordered += ready
        done.update(key(it) for _, it in ready)
        pending = [p for p in pending if p not in ready]
    return ordered


# --- reading a live Nexus as config (nexusctl adopt and unmanaged) -------------------------------
@dataclass
class Found:
    """One object on the server, as a stack config entry when this project can manage it."""

    kind: str  # the kind's name: "blob store", "repository", "role", ...
    name: str  # Nexus name (user id, role id)
    section: tuple[str, ...]  # where its entry goes, e.g. ("security", "roles")
    item: Optional[Any]  # the config entry (a singleton's whole value); None when not manageable here
    reason: str = ""  # why it is not manageable (item is None)
    delete_path: str = ""  # REST path that deletes it ("": built in, cannot be deleted)
    secrets: tuple[tuple[str, str], ...] = ()  # (path inside the entry, what it is): never answered
    group: bool = False  # a group repository (deleted before its members)
    holds_data: bool = False  # artifacts nobody can download again: never deleted unless named
    format: Optional[str] = None  # repositories and cleanup policies: as Nexus names it
    type: Optional[str] = None  # repositories: hosted | proxy | group

    @property
    def key(self) -> tuple[tuple[str, ...], str]:
        """Names are unique case-insensitively in Nexus, per kind."""
        return self.section, self.name.lower()


def config_entry(provider: NexusProvider, spec: Mapping[str, Any], required: Sequence[str] = ("name",)) -> dict[str, Any]:
    """The shortest config entry the provider normalizes to the same inputs as `spec`: a field
    is left out when its default gives the same value."""
    target = provider.normalize({**spec, "adopt": True})
    entry = dict(spec)
    for key in list(entry):
        if key in required:
            continue
        trial = {k: v for k, v in entry.items() if k != key}
        try:
            same = provider.normalize({**trial, "adopt": True}) == target
        except (KeyError, TypeError):
            same = False
        if same:
            entry = trial
    return entry


def nest(section: Sequence[str], value: Any, into: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """`value` at `section` (e.g. ("security", "roles")) of a config dict."""
    out = into if into is not None else {}
    node = out
    for part in section[:-1]:
        node = node.setdefault(part, {})
    node[section[-1]] = value
    return out


# --- the table row --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fact:
    """One list the config checks may need from the server, read once: `read(client)`."""

    name: str
    read: Callable[[NexusClient], Any]


def list_fact(name: str, path: str, id_key: str = "name", ignore_case: bool = True) -> Fact:
    """The ids of a list endpoint's items; lower-cased where Nexus compares them case-insensitively
    (object names), as they are otherwise (realm ids)."""
    def read(client: NexusClient) -> frozenset[str]:
        ids = {str(item.get(id_key, "")) for item in client.get_json(path) or []}
        return frozenset({i.lower() for i in ids} if ignore_case else ids)
    return Fact(name, read)


def _nothing(*_args: Any) -> list[Any]:
    return []


def _never(_values: Values) -> bool:
    return False


@dataclass(frozen=True)
class Kind:
    """One kind of Nexus object (see the module docstring)."""

    name: str  # "blob store": in messages, reports and Found.kind
    config_path: tuple[str, ...]  # ("blobStores",) or ("security", "users")
    schema: Fragment  # the JSON Schema of the value at config_path
    resource_types: tuple[type, ...]  # its resource classes (type names in previews, drift)
    declare: Callable[[Context], Resources]  # registers its resources (in KINDS order)
    problems: Callable[[Values, Optional[ServerFacts]], list[Problem]]  # of the expanded config
    inventory: Callable[[NexusClient, ServerInfo], list[Found]]  # the server's objects as config entries
    id_key: str = "name"  # the field that names an entry
    slug: str = ""  # its spelling in unmanaged.ignore and `--delete KIND:NAME` ("": not listed by unmanaged)
    built_in: tuple[str, ...] = ()  # names every Nexus has: never reported as unmanaged
    facts: tuple[Fact, ...] = ()  # lists the checks may read from the server
    needs_server: Callable[[Values], bool] = _never  # whether its checks need the server's facts
    raw_problems: Callable[[Values], list[Problem]] = _nothing  # checks of the config as written (before presets)
    references: Callable[[Values], Iterable[tuple[tuple[str, ...], str, str]]] = _nothing
    # ^ (section, name, who) of every object its entries name: unmanaged keeps those
    singleton: bool = False  # one object per Nexus (realms, anonymous access): its section is the entry
    automation: bool = False  # read by adopt only (tasks, webhooks: server-generated ids)
    depends_on: tuple[str, ...] = ()  # kinds its entries refer to (KINDS lists them first)

    def entries(self, values: Values) -> list[Mapping[str, Any]]:
        """Its entries in a config (a singleton's value as one entry)."""
        node: Any = values
        for part in self.config_path:
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is None:
            return []
        return [node] if self.singleton else list(node)

    def found(self, name: str, entry: Optional[Any], delete_path: str, secrets: Sequence[tuple[str, str]] = (),
              reason: str = "", **facets: Any) -> Found:
        """A Found whose entry passed this kind's schema (else it carries the schema's complaint)."""
        if entry is not None:
            checker = _checker(self.schema)
            problems = list(document_problems(self.config_path[-1], checker, entry if self.singleton else [entry]))
            if problems:
                entry, reason = None, "the config schema cannot express it: " + "; ".join(p.message for p in problems)
        return Found(self.name, name, self.config_path, entry, reason, delete_path,
                     tuple(secrets) if entry is not None else (), **facets)


_CHECKERS: dict[int, tuple[Fragment, Draft202012Validator]] = {}


def _checker(fragment: Fragment) -> Draft202012Validator:
    found = _CHECKERS.get(id(fragment))
    if found is None or found[0] is not fragment:
        found = _CHECKERS[id(fragment)] = (fragment, Draft202012Validator(fragment.root))
    return found[1]
