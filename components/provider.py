"""What every Nexus dynamic provider shares: check, diff, adopt-on-create, drift-aware read.

A resource's inputs are the normalized config of one Nexus object ("spec"); its outputs are
the same spec, so `read` can answer the server's state in the very same shape, as outputs and
as inputs. That is what makes `pulumi preview --refresh` show field-level drift and a no-op
refresh report nothing. Subclasses supply the object-specific parts (the hooks below).
"""
from __future__ import annotations

import copy
import uuid
import threading
from collections import OrderedDict
from typing import Any, ClassVar, Mapping, Optional, Sequence

import pulumi
from pulumi.dynamic import (CheckFailure, CheckResult, ConfigureRequest, CreateResult,
                            DiffResult, ReadResult, UpdateResult)

from . import client as nexus
from . import interrupted, lifeline
from .client import NexusClient, NexusError, NexusUnreachable
from .resource import StableProvider

PROVIDER_KEY = "__provider"
Spec = dict[str, Any]
Path = tuple[str, ...]

# --- instance tokens --------------------------------------------------------------------------
# Nexus cleans up after a deleted object: a deleted repository leaves every group and takes its
# own privileges out of every role. When the program re-creates an object (a replacement), what
# refers to it must be written again in the same run. So every created object gets a fresh
# opaque token in its outputs (INSTANCE), and dependents take the tokens of what they refer to
# as a control input (REFERENCES): a new token is a changed input, the engine plans an update of
# the dependent, and that update re-applies it. Neither is a Nexus field: never sent, never
# drift (read carries both from the last applied state). The token is made by check, as an input,
# so a preview knows it: an object updated in place keeps its token, one that is created or
# replaced (a change of a `replace_on` field) gets a new one, and only that moves its dependents.
INSTANCE = "instance"
REFERENCES = "references"


def new_instance() -> str:
    return uuid.uuid4().hex


class AlreadyExists(Exception):
    """Create found the object on the server and was not told to adopt it."""


def strip_provider(props: Mapping[str, Any]) -> Spec:
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


def compact(spec: Mapping[str, Any]) -> Spec:
    """Drop None-valued keys: Pulumi does not keep them, so specs never carry them."""
    return {k: v for k, v in spec.items() if v is not None}


def find_by_name(items: Sequence[Mapping[str, Any]], name: str,
                 key: str = "name") -> Optional[dict[str, Any]]:
    """Nexus names are unique case-insensitively, so lookups are too."""
    return find_by(items, key, name, ignore_case=True)


_INDEXES: "OrderedDict[tuple[int, str, bool], tuple[Sequence[Any], dict[str, Mapping[str, Any]]]]" = OrderedDict()
_INDEX_LOCK = threading.Lock()


def find_by(items: Sequence[Mapping[str, Any]], key: str, value: str,
            ignore_case: bool = False) -> Optional[dict[str, Any]]:
    """The item whose `key` is `value`, from an index built once per list: a refresh reads N
    objects from one cached list, and a scan per object would make it quadratic."""
    wanted = str(value).lower() if ignore_case else str(value)
    with _INDEX_LOCK:
        found = _INDEXES.get((id(items), key, ignore_case))
        if found is None or found[0] is not items:
            index: dict[str, Mapping[str, Any]] = {}
            for item in items:
                name = str(item.get(key, ""))
                index.setdefault(name.lower() if ignore_case else name, item)
            found = _INDEXES[(id(items), key, ignore_case)] = (items, index)
            while len(_INDEXES) > 32:  # the lists of the current run; older ones were reloaded
                _INDEXES.popitem(last=False)
    item = found[1].get(wanted)
    return None if item is None else dict(item)


def get_path(spec: Mapping[str, Any], path: Path) -> Any:
    node: Any = spec
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def set_path(spec: Spec, path: Path, value: Any) -> None:
    node = spec
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            return  # the server dropped the parent: nothing to carry the secret in
        node = node[part]
    node[path[-1]] = value


class TakeoverLists:
    """The client as `fetch` sees it during creation: list reads come from copies loaded once
    per run and kept across this run's creates (a POST only adds the object it names, which
    no later create of the run looks for) and dropped by its deletes (a replaced object must
    not be found again). Everything else goes to the client itself."""

    def __init__(self, client: NexusClient) -> None:
        self._client = client
        self.used: set[str] = set()

    def cached(self, name: str, load: Any) -> Any:
        self.used.add(name)
        return self._client.cached(nexus.TAKEOVER_PREFIX + name, load)

    def cached_list(self, name: str, path: str) -> list[dict[str, Any]]:
        return self.cached(name, lambda: self._client.get_json(path) or [])

    def forget(self) -> None:
        """Read the lists used so far again on next use (a name missing from them may have
        been created since they were loaded)."""
        for name in self.used:
            self._client.invalidate(nexus.TAKEOVER_PREFIX + name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class NexusProvider(StableProvider):
    """Base for providers of named Nexus objects. Instances hold no state: they are pickled
    into the Pulumi state, so everything per-run lives in `components.client`."""

    kind: ClassVar[str] = "object"
    # Input fields whose change re-creates the object (Nexus cannot change them in place).
    replace_on: ClassVar[tuple[str, ...]] = ("name",)
    # Paths of write-only secrets: never answered by Nexus, so diffed against the last applied
    # value and carried over by read.
    write_only: ClassVar[tuple[Path, ...]] = ()
    # Inputs that steer the provider but are not Nexus fields.
    control: ClassVar[tuple[str, ...]] = ("adopt",)
    # Settings that always exist on a Nexus (realms, anonymous access): create compares first.
    singleton: ClassVar[bool] = False
    # Found by name, so a re-apply that finds it gone can create it again (not: tasks and
    # webhooks, whose server-generated id is the resource id).
    keyed_by_name: ClassVar[bool] = True
    # Other objects refer to it: it carries an instance token (see INSTANCE).
    referenced: ClassVar[bool] = False

    @property
    def engine_fields(self) -> tuple[str, ...]:
        """Inputs that are not Nexus fields: control fields and the instance/reference tokens."""
        return (*self.control, INSTANCE, REFERENCES)

    # --- hooks ------------------------------------------------------------------------------
    def normalize(self, spec: Spec) -> Spec:
        """The spec with server defaults filled in, so diffs compare like with like."""
        return compact(spec)

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        """(input path, reason) for anything Nexus would refuse; checked before any write."""
        return []

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        """The server's document for this object, or None when it does not exist."""
        raise NotImplementedError

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        """The server document in spec shape (control fields and write-only secrets are added
        by the base class)."""
        raise NotImplementedError

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        raise NotImplementedError

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        raise NotImplementedError

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        raise NotImplementedError

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return str(spec["name"])

    # --- Pulumi plumbing --------------------------------------------------------------------
    def configure(self, req: ConfigureRequest) -> None:
        lifeline.hold()  # exit with the engine: a killed `pulumi` must not leave us running
        nexus.use_stack_config(getattr(req.config, "_props", {}))

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        spec = self.normalize(strip_provider(news))
        failures = [CheckFailure(path, reason) for path, reason in self.problems(spec)]
        if news.get(REFERENCES):
            spec[REFERENCES] = news[REFERENCES]
        if self.referenced:
            old = strip_provider(olds or {})
            stays = old.get(INSTANCE) and all(old.get(k) == spec.get(k) for k in self.replace_on)
            spec[INSTANCE] = old[INSTANCE] if stays else new_instance()
        return CheckResult(spec, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = strip_provider(olds), strip_provider(news)
        old.pop(INSTANCE, None)  # the engine's business, never a change of the object
        new.pop(INSTANCE, None)
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        replaces = [k for k in changed if k in self.replace_on]
        # Names and ports are unique on the server: the old object must go first.
        return DiffResult(changes=bool(changed), replaces=replaces,
                          stables=[k for k in self.replace_on if k not in replaces],
                          delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = strip_provider(props)
        client = nexus.for_run()
        if spec.get("adopt") or self.singleton:
            # Taking over: compare first, write only what differs (an identical object costs
            # no write at all, from the run's cached list).
            existing = self.fetch(TakeoverLists(client), self.object_id(spec))
            if existing is not None:
                if spec.get("adopt"):
                    pulumi.log.info(f"adopting existing {self.kind} '{self.object_id(spec)}'")
                self._update(client, spec, self._with_carried(self.to_spec(existing, spec), spec))
                return CreateResult(self.object_id(spec), spec)
        try:
            self.create_remote(client, spec)
        except NexusUnreachable as err:
            # No answer: Nexus may have created it anyway (a slow answer, a dropped connection).
            # POSTs are never repeated; one look tells whether it is there now.
            try:
                existing = self.find_existing(client, spec, fresh=True)
            except NexusError:
                existing = None  # still unreachable: say so, with what the next run will do
            if existing is None:
                raise self._explain(err, spec, "create", next_run=(
                    "Nexus may still create it: the next `pulumi up` finds it and takes it over "
                    "when it matches the config, without creating it twice")) from None
            self.take_over(client, spec, existing, cause="its create got no answer in time")
        except NexusError as err:
            existing = self.find_existing(client, spec) if err.may_mean_exists else None
            if existing is None:
                raise self._explain(err, spec, "create", next_run=(
                    "nothing was created; the next `pulumi up` tries again" if err.status < 500 else
                    "the next `pulumi up` tries again, and takes the object over if Nexus created "
                    "it anyway and it matches the config")) from None
            self.take_over(client, spec, existing, cause="Nexus said it already exists")
        return CreateResult(self.object_id(spec), spec)

    # --- crash- and timeout-safe creation -----------------------------------------------------
    def find_existing(self, client: NexusClient, spec: Spec, fresh: bool = False) -> Optional[dict[str, Any]]:
        """The server's object of this name, read from lists loaded once for every create of
        the run (a recovery after a kill takes over thousands of objects with one list read per
        kind, not one per object); a name missing from a list loaded earlier is read again."""
        lists = TakeoverLists(client)
        if fresh:
            lists.forget()
        found = self.fetch(lists, self.object_id(spec))
        if found is None and not fresh and lists.used:
            lists.forget()
            found = self.fetch(lists, self.object_id(spec))
        return found

    def take_over(self, client: NexusClient, spec: Spec, existing: Mapping[str, Any], cause: str) -> None:
        """An object of this name is on the server although this stack has no record of it.

        Identical to the config: it is this stack's own object from an interrupted run (a
        killed `up`, a create whose answer came too late) — or one that is exactly what the
        config asks for — so it is taken over without a write. Different: it is taken over only
        when the config says `adopt`, or when the stack's own record (the create an interrupted
        run of this stack left pending in the state, see components.interrupted) shows that
        this stack created it; otherwise the run stops and says how to take it over."""
        name = self.object_id(spec)
        current = self._with_carried(self.to_spec(existing, spec), spec)
        differences = self.differences(current, spec)
        if not differences:
            unverified = self.write_only_unverified(client, spec)
            if unverified:
                # Secrets Nexus never answers: send them again rather than trust them blindly.
                self._update(client, spec, self._without_write_only(current))
            pulumi.log.info(f"{self.kind} '{name}' already exists and matches the config ({cause}): "
                            f"taken over {'and its secrets set again' if unverified else 'without a write'}")
            return
        recorded = interrupted.created_by_this_stack(self, existing, spec)
        if not spec.get("adopt") and not recorded:
            listed = ", ".join(differences)
            raise AlreadyExists(
                f"{self.kind} '{name}' already exists on the server and this stack does not manage "
                f"it (it differs from the config in: {listed}). To take it over (its settings will "
                f"be updated to the config), set `adopt: true` on it or `nexus.adopt: true` for "
                f"the stack; or choose another name.") from None
        why = "adopting" if spec.get("adopt") else "an interrupted run of this stack created"
        pulumi.log.info(f"{why} existing {self.kind} '{name}': updating {', '.join(differences)}")
        self._update(client, spec, current)

    def matches(self, doc: Mapping[str, Any], spec: Spec) -> bool:
        """Whether the server's document is what the config asks for (write-only secrets aside)."""
        return not self.differences(self._with_carried(self.to_spec(doc, spec), spec), spec)

    def differences(self, current: Spec, spec: Spec) -> list[str]:
        """Nexus fields in which the server's object differs from the config."""
        return sorted(k for k in set(current) | set(spec)
                      if k not in self.engine_fields and current.get(k) != spec.get(k))

    def write_only_unverified(self, client: NexusClient, spec: Spec) -> bool:
        """Whether the config holds write-only secrets that the server cannot confirm; kinds
        that can check one (a user's password, by logging in) override this."""
        return any(get_path(spec, path) is not None for path in self.write_only)

    def _without_write_only(self, current: Spec) -> Spec:
        stripped = copy.deepcopy(current)
        for path in self.write_only:
            parent = get_path(stripped, path[:-1]) if len(path) > 1 else stripped
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
        return stripped

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        previous = strip_provider(props)
        doc = self.fetch(nexus.for_run(), id_)
        if doc is None:
            # Deleted behind our back: an empty id drops it from state, the next up re-creates it.
            return ReadResult("", {})
        current = self._with_carried(self.to_spec(doc, previous), previous)
        return ReadResult(id_, current, copy.deepcopy(current))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec, previous = strip_provider(news), strip_provider(olds)
        self._update(nexus.for_run(), spec, previous, id_)
        return UpdateResult(spec)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        spec = strip_provider(props)
        try:
            self.delete_remote(nexus.for_run(), spec)
        except NexusError as err:
            if err.status != 404:  # already gone is what we wanted
                raise self._explain(err, spec, "delete") from None

    # --- helpers ----------------------------------------------------------------------------
    def update_remote_at(self, client: NexusClient, object_id: str, spec: Spec, previous: Spec) -> None:
        """Update the object the state knows by `object_id`; objects whose id the server
        generates (tasks, capabilities) override this instead of update_remote."""
        self.update_remote(client, spec, previous)

    def _update(self, client: NexusClient, spec: Spec, previous: Spec, object_id: Optional[str] = None) -> None:
        server_fields = [k for k in set(spec) | set(previous)
                         if k not in self.engine_fields and spec.get(k) != previous.get(k)]
        # Something it refers to was re-created: Nexus may have dropped this object's references
        # to it (or the object itself), so it is written again even when its config is the same.
        reapply = spec.get(REFERENCES) != previous.get(REFERENCES)
        if not server_fields and not reapply:
            return  # only control fields changed (e.g. adopt): nothing to send
        try:
            self.update_remote_at(client, object_id or self.object_id(spec), spec, previous)
        except NexusError as err:
            if not (reapply and err.status == 404 and self.keyed_by_name):
                raise self._explain(err, spec, "update") from None
            pulumi.log.info(f"{self.kind} '{self.object_id(spec)}' was gone: creating it again")
            try:
                self.create_remote(client, spec)
            except NexusError as create_err:
                raise self._explain(create_err, spec, "create") from None

    def _with_carried(self, current: Spec, previous: Mapping[str, Any]) -> Spec:
        """Adds what the server cannot tell: control fields, instance tokens and write-only
        secrets."""
        for key in self.engine_fields:
            if key in previous:
                current[key] = previous[key]
        for path in self.write_only:
            value = get_path(previous, path)
            if value is not None and get_path(current, path[:-1]) is not None:
                set_path(current, path, value)
        return compact(current)

    def _explain(self, err: NexusError, spec: Mapping[str, Any], action: str,
                 next_run: str = "") -> NexusError:
        err.args = (f"could not {action} {self.kind} '{self.object_id(spec)}': {err}"
                    + (f". {next_run[:1].upper()}{next_run[1:]}." if next_run else ""),)
        return err
