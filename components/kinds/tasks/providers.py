"""Scheduled tasks (`/v1/tasks`) as resources: a task of the config, and Nexus's own "Cleanup
service".

Nexus identifies a task by a generated id but config names it, so a task is found by name for
adopt and by the id kept in state afterwards. How much of a task can be read back depends on the
version: before 3.89 only name, type and run status; 3.89 adds the schedule kind; 3.94 the whole
definition. `read` reports what the server answers and carries the rest from the last applied
value (like a write-only field), so drift shows where Nexus lets us see it and nowhere else.

The built-in "Cleanup service" (`repository.cleanup`) cannot be created over REST: Nexus makes
it at start. `CleanupService` takes it over (always, no adopt needed), manages its schedule and
settings, and on delete puts Nexus's default back (daily at 01:00, cron `0 0 1 * * ?`).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional
from urllib.parse import quote

import pulumi
from pulumi.dynamic import CreateResult

from ... import client as nexus
from ...client import NexusClient, NexusError
from ...provider import AlreadyExists, NexusProvider, Spec, compact, strip_provider
from ...resource import NexusResource
from .schedules import SCHEMA, describe_schedule, frequency_body, normalize_schedule, schedule_from, schedule_problems

LIST_PATH = "/v1/tasks"
TEMPLATES_PATH = "/v1/tasks/templates"
CLEANUP_TYPE = "repository.cleanup"
CLEANUP_NAME = "Cleanup service"
CLEANUP_DEFAULT_CRON = "0 0 1 * * ?"  # what Nexus schedules at first start
CREATE_API_VERSION = "3.84"
# Task properties that name another object, checked against the stack and the server.
REPOSITORY_FIELD = "repositoryName"
BLOB_STORE_FIELD = "blobstoreName"
# For the manual steps shown when this Nexus cannot create tasks over REST (no templates to ask).
TYPE_NAMES = {
    CLEANUP_TYPE: "Admin - Cleanup repositories using their associated policies",
    "repository.docker.gc": "Docker - Delete unused manifests and images",
    "repository.docker.upload-purge": "Docker - Delete incomplete uploads",
    "blobstore.compact": "Admin - Compact blob store",
}
FIELD_LABELS = {REPOSITORY_FIELD: "Repository", BLOB_STORE_FIELD: "Blob store",
                "deployOffset": "Deploy offset in hours", "age": "Age in hours",
                "blobsOlderThan": "Blobs older than (days)"}


def task_path(task_id: str) -> str:
    return f"{LIST_PATH}/{quote(task_id, safe='')}"


def run_path(task_id: str) -> str:
    return f"{task_path(task_id)}/run"


def property_text(value: Any) -> str:
    """Nexus keeps task properties as strings (Pulumi hands numbers over as floats)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def normalize_task(spec: Mapping[str, Any]) -> Spec:
    spec = SCHEMA.with_defaults(spec)
    properties = {str(k): property_text(v) for k, v in (spec.get("properties") or {}).items()
                  if v is not None}
    return compact({
        "name": spec["name"], "type": spec["type"],
        "enabled": bool(spec["enabled"]),
        "notificationCondition": spec["notificationCondition"],
        "alertEmail": spec.get("alertEmail") or None,
        "properties": properties or None,
        "schedule": normalize_schedule(spec["schedule"]),
        "adopt": bool(spec.get("adopt")),
    })


def task_body(spec: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateTaskRequest (and, with `type`, TaskTemplateXO)."""
    return compact({"name": spec["name"], "enabled": spec["enabled"],
                    "alertEmail": spec.get("alertEmail"),
                    "notificationCondition": spec["notificationCondition"],
                    "frequency": frequency_body(spec["schedule"]),
                    "properties": dict(spec.get("properties") or {})})


def list_tasks(client: NexusClient) -> list[dict[str, Any]]:
    """Every task, read once per run (one call unless Nexus pages the list)."""
    def load() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token: Optional[str] = None
        while True:
            page = client.get_json(LIST_PATH + (f"?continuationToken={quote(token)}"
                                                  if token else "")) or {}
            items += page.get("items") or []
            token = page.get("continuationToken")
            if not token:
                return items
    return client.cached("tasks", load)


class TaskLookupError(Exception):
    """The server's task list does not let us tell which task the config means."""


def find_task(client: NexusClient, name: str) -> Optional[dict[str, Any]]:
    """The one task of this name (case-insensitive); several are an error Nexus allows."""
    found = [t for t in list_tasks(client) if str(t.get("name", "")).lower() == name.lower()]
    if len(found) > 1:
        raise TaskLookupError(f"{len(found)} tasks are named '{name}' on the server (ids "
                              f"{', '.join(t['id'] for t in found)}); tasks are found by name, so "
                              "delete or rename the extra ones in the UI")
    return found[0] if found else None


class TaskProvider(NexusProvider):
    kind = "task"
    resource_type = "nexus:Task"
    replace_on = ("type",)  # Nexus cannot change a task's type; a rename is an update
    keyed_by_name = False  # the resource id is the server's task id

    def normalize(self, spec: Spec) -> Spec:
        return normalize_task(spec)

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        return [(f"schedule.{path}", reason) for path, reason in schedule_problems(spec["schedule"])]

    def matches(self, doc: Mapping[str, Any], spec: Spec) -> bool:
        """Before 3.94 the task list answers no schedule or properties: nothing to compare, so
        a task found by name is never taken for this stack's own."""
        return "enabled" in doc and super().matches(doc, spec)

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return next((dict(t) for t in list_tasks(client) if t.get("id") == object_id), None)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        out = dict(previous)  # what this version does not answer stays as last applied
        out.update({"name": doc.get("name"), "type": doc.get("type"),
                    "schedule": schedule_from(doc, previous.get("schedule") or {})})
        if "enabled" in doc:  # 3.94+: the whole definition
            managed = previous.get("properties") or {}
            server_properties = doc.get("properties") or {}
            out.update({
                "enabled": doc.get("enabled"),
                "notificationCondition": doc.get("notificationCondition"),
                "alertEmail": doc.get("alertEmail") or None,
                # Only the properties the config sets: Nexus may add its own defaults.
                "properties": compact({k: server_properties.get(k) for k in managed}) or None})
        return compact(out)

    # --- writes -----------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = strip_provider(props)
        client = nexus.for_run()
        existing = self.existing(client, spec)
        try:
            if existing is not None:
                if self.matches(existing, spec):  # e.g. made by an interrupted run of this stack
                    pulumi.log.info(f"{self.kind} '{spec['name']}' already exists and matches the config: "
                                    "taken over without a write")
                    return CreateResult(existing["id"], spec)
                pulumi.log.info(f"adopting existing {self.kind} '{spec['name']}' ({existing['id']})")
                if "enabled" in existing:  # 3.94+ answers the whole definition: write only a difference
                    self._update(client, spec, self._with_carried(self.to_spec(existing, spec), spec),
                                 existing["id"])
                else:  # nothing to compare with: make it what the config says
                    self.update_remote_at(client, existing["id"], spec)
                return CreateResult(existing["id"], spec)
            created = client.send("POST", LIST_PATH, {"type": spec["type"], **task_body(spec)},
                                  ok=(200, 201), invalidates=("tasks",))
        except NexusError as err:
            raise self._explain(err, spec, "create") from None
        assert created is not None
        return CreateResult(str(created.json()["id"]), spec)

    def existing(self, client: NexusClient, spec: Spec) -> Optional[dict[str, Any]]:
        """A task of this name already on the server, when the config may take it over."""
        found = find_task(client, spec["name"])
        if found is None:
            return None
        if found.get("type") != spec["type"]:
            raise AlreadyExists(f"a task named '{spec['name']}' of type {found.get('type')} already "
                                f"exists; choose another name for this {spec['type']} task")
        if not spec.get("adopt") and not self.matches(found, spec):
            raise AlreadyExists(
                f"task '{spec['name']}' already exists on the server (id {found['id']}) and this "
                "stack does not manage it. To take it over (its settings will be updated to the "
                "config), set `adopt: true` on it or `nexus.adopt: true`; or choose another name.")
        return found

    def update_remote_at(self, client: NexusClient, task_id: str, spec: Spec,
                         previous: Optional[Spec] = None) -> None:
        client.send("PUT", task_path(task_id), task_body(spec),
                    invalidates=("tasks",))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            client = nexus.for_run()
            client.send("DELETE", task_path(id_), invalidates=("tasks",))
        except NexusError as err:
            if err.status != 404:  # already gone is what we wanted
                raise self._explain(err, strip_provider(props), "delete") from None

    def _explain(self, err: NexusError, spec: Mapping[str, Any], action: str) -> NexusError:
        hint = (f" (this Nexus cannot {action} tasks over REST: that needs {CREATE_API_VERSION} or "
                f"later; {describe_manual(spec)})" if err.status == 405 else "")
        err.args = (f"could not {action} {self.kind} '{spec.get('name')}': {err}{hint}",)
        return err


class CleanupServiceProvider(TaskProvider):
    """The built-in repository cleanup task: taken over on create, its default put back on
    delete (Nexus refuses to create or delete this type over REST)."""

    kind = "cleanup service task"
    resource_type = "nexus:CleanupService"

    def existing(self, client: NexusClient, spec: Spec) -> Optional[dict[str, Any]]:
        found = next((t for t in list_tasks(client) if t.get("type") == CLEANUP_TYPE), None)
        if found is None:
            raise TaskLookupError(f"Nexus has no {CLEANUP_TYPE} task ('{CLEANUP_NAME}'); Nexus "
                                  "creates it at start, so restart Nexus and run again")
        return found

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        default = normalize_task({"name": CLEANUP_NAME, "type": CLEANUP_TYPE,
                                  "schedule": {"type": "cron", "cron": CLEANUP_DEFAULT_CRON}})
        try:
            self.update_remote_at(nexus.for_run(), id_, default)
        except NexusError as err:
            if err.status != 404:
                raise self._explain(err, strip_provider(props), "restore the default of") from None


class Task(NexusResource, provider=TaskProvider):
    """A scheduled task (docker GC, upload purge, blob store compact, ...)."""


class CleanupService(NexusResource, provider=CleanupServiceProvider):
    """The settings of Nexus's own "Cleanup service" task (the one that applies cleanup
    policies); removing it from the stack restores Nexus's default schedule."""


def describe_manual(task: Mapping[str, Any]) -> str:
    """One task as the UI steps that make it (for a Nexus whose REST API cannot)."""
    spec = normalize_task(task)
    schedule = describe_schedule(spec["schedule"])
    if spec["type"] == CLEANUP_TYPE:
        return f"open the existing task '{CLEANUP_NAME}' and set {schedule}"
    settings = [f"{FIELD_LABELS.get(k, k)}: {v}" for k, v in (spec.get("properties") or {}).items()]
    settings.append(schedule)
    if spec.get("alertEmail"):
        settings.append(f"Notification email: {spec['alertEmail']}")
    type_name = TYPE_NAMES.get(spec["type"], spec["type"])
    return f"create '{type_name}' named '{spec['name']}' with {'; '.join(settings)}"
