"""Scheduled tasks (`/v1/tasks`): what actually frees disk after cleanup policies mark components.

Nexus identifies a task by a generated id but config names it, so a task is found by name for
adopt and by the id kept in state afterwards. How much of a task can be read back depends on the
version: before 3.89 only name, type and run status; 3.89 adds the schedule kind; 3.94 the whole
definition. `read` reports what the server answers and carries the rest from the last applied
value (like a write-only field), so drift shows where Nexus lets us see it and nowhere else.

Schedules are written the way a person thinks of them (`daily at 02:00`) and sent as Nexus's
FrequencyXO: the start date is computed at write time as the next occurrence of that time, so
the spec stays stable while Nexus gets the epoch milliseconds it wants. Cron expressions are
checked here with a Quartz validator before anything is written.

The built-in "Cleanup service" (`repository.cleanup`) cannot be created over REST: Nexus makes
it at start. `CleanupService` takes it over (always, no adopt needed), manages its schedule and
settings, and on delete puts Nexus's default back (daily at 01:00, cron `0 0 1 * * ?`).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence
from urllib.parse import quote

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CreateResult

from . import client as nexus
from .quartz import WEEKDAYS, WEEKDAY_NUMBERS, CronError, parse_cron
from .client import NexusClient, NexusError
from .config import DEFAULT_BLOB_STORE, Problem, ServerFacts
from .provider import (AlreadyExists, NexusProvider, Spec, compact, resource_options,
                       strip_provider)
from .stack import Context, after, referring

CLEANUP_TYPE = "repository.cleanup"
CLEANUP_NAME = "Cleanup service"
CLEANUP_DEFAULT_CRON = "0 0 1 * * ?"  # what Nexus schedules at first start
CREATE_API_VERSION = "3.84"
LAST_DAY = "last"
LAST_DAY_WIRE = 999
UTC_OFFSET = "+00:00"
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


# --- schedules --------------------------------------------------------------------------------
def normalize_offset(text: Optional[str]) -> str:
    return UTC_OFFSET if text in (None, "", "Z") else str(text)


def _zone(offset: str) -> timezone:
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = offset.lstrip("+-").split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def _hhmm(text: Any) -> str:
    hours, minutes = str(text).split(":")[:2]
    return f"{int(hours):02d}:{int(minutes):02d}"


def normalize_schedule(raw: Any) -> dict[str, Any]:
    """The schedule in one canonical shape: `{type, ...fields that type uses}`."""
    if raw is None:
        return {"type": "manual"}
    if isinstance(raw, str):
        raw = {"type": raw}
    kind = raw["type"]
    out: dict[str, Any] = {"type": kind}
    if kind == "manual":
        return out
    if kind == "cron":
        out["cron"] = " ".join(str(raw.get("cron", "")).split())
        if raw.get("timeZoneOffset"):  # managed only when configured: else the server's zone
            out["timeZoneOffset"] = normalize_offset(raw["timeZoneOffset"])
        return out
    out["timeZoneOffset"] = normalize_offset(raw.get("timeZoneOffset"))
    if kind == "once":
        out["start"] = str(raw.get("start", ""))[:16]
    elif kind == "hourly":
        out["minute"] = int(raw.get("minute", 0))
    else:
        out["time"] = _hhmm(raw.get("time", "00:00"))
    if kind == "weekly":
        out["days"] = _weekdays(raw.get("days") or [])
    elif kind == "monthly":
        out["days"] = _month_days(raw.get("days") or [])
    return out


def _weekdays(days: Iterable[Any]) -> list[str]:
    numbers = {int(d) if not isinstance(d, str) else WEEKDAY_NUMBERS.get(d.upper(), 0)
               for d in days}
    return [WEEKDAYS[n - 1] for n in sorted(numbers) if 1 <= n <= 7]


def _month_days(days: Iterable[Any]) -> list[Any]:
    numbers = sorted({int(d) for d in days if not isinstance(d, str)})
    return numbers + ([LAST_DAY] if any(isinstance(d, str) for d in days) else [])


def schedule_problems(raw: Any) -> list[tuple[str, str]]:
    """(sub-path, reason) for a schedule Nexus would refuse or a field its type ignores."""
    if raw is None or isinstance(raw, str):
        return []
    kind = raw.get("type")
    uses = {"manual": set(), "once": {"start", "timeZoneOffset"},
            "hourly": {"minute", "timeZoneOffset"}, "daily": {"time", "timeZoneOffset"},
            "weekly": {"time", "days", "timeZoneOffset"},
            "monthly": {"time", "days", "timeZoneOffset"},
            "cron": {"cron", "timeZoneOffset"}}.get(kind, set())
    problems = [(key, f"is not used by a '{kind}' schedule (it uses: "
                      f"{', '.join(sorted(uses)) or 'nothing else'}); remove it")
                for key in raw if key != "type" and key not in uses]
    if kind == "cron":
        try:
            parse_cron(raw.get("cron", ""))
        except CronError as err:
            problems.append(("cron", f"'{raw.get('cron', '')}' is not a valid Quartz cron "
                                     f"expression: {err}"))
    if kind == "once":
        try:
            datetime.fromisoformat(str(raw.get("start", "")))
        except ValueError:
            problems.append(("start", f"'{raw.get('start')}' is not a date and time "
                                      "(YYYY-MM-DDTHH:MM)"))
    if kind == "weekly":
        wrong = [d for d in raw.get("days", []) if not (isinstance(d, str) and d.upper() in
                                                        WEEKDAY_NUMBERS or d in range(1, 8))]
        if wrong:
            problems.append(("days", f"{wrong} are not week days (SUN..SAT or 1..7, 1 = Sunday)"))
    if kind == "monthly":
        wrong = [d for d in raw.get("days", []) if not (d == LAST_DAY or d in range(1, 32))]
        if wrong:
            problems.append(("days", f"{wrong} are not days of the month (1..31 or \"last\")"))
    return problems


def next_occurrence(schedule: Mapping[str, Any], now: datetime) -> datetime:
    """When a time-based schedule first fires from now: its start date on the wire."""
    zone = _zone(schedule["timeZoneOffset"])
    local = now.astimezone(zone).replace(second=0, microsecond=0)
    if schedule["type"] == "once":
        return datetime.fromisoformat(schedule["start"]).replace(tzinfo=zone)
    if schedule["type"] == "hourly":
        candidate = local.replace(minute=schedule["minute"])
        return candidate if candidate > now else candidate + timedelta(hours=1)
    hours, minutes = (int(p) for p in schedule["time"].split(":"))
    candidate = local.replace(hour=hours, minute=minutes)
    return candidate if candidate > now else candidate + timedelta(days=1)


def frequency_body(schedule: Mapping[str, Any], now: Optional[datetime] = None) -> dict[str, Any]:
    """FrequencyXO for a normalized schedule."""
    kind = schedule["type"]
    if kind == "manual":
        return {"schedule": "manual"}
    if kind == "cron":
        return compact({"schedule": "cron", "cronExpression": schedule["cron"],
                        "timeZoneOffset": schedule.get("timeZoneOffset")})
    start = next_occurrence(schedule, now or datetime.now(timezone.utc))
    body: dict[str, Any] = {"schedule": kind, "startDate": int(start.timestamp() * 1000),
                            "timeZoneOffset": schedule["timeZoneOffset"]}
    if kind == "weekly":
        body["recurringDays"] = [WEEKDAY_NUMBERS[d] for d in schedule["days"]]
    elif kind == "monthly":
        body["recurringDays"] = [LAST_DAY_WIRE if d == LAST_DAY else d for d in schedule["days"]]
    return body


def schedule_from(doc: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """The schedule as far as this server's TaskXO tells it; the rest from the last applied."""
    kind = doc.get("schedule")
    if kind is None:  # before 3.89: nothing about the schedule is answered
        return dict(previous)
    kind = "cron" if kind == "advanced" else kind
    if "enabled" not in doc:  # 3.89-3.93 answer only the kind: a different kind is drift
        return dict(previous) if kind == previous.get("type") else {"type": kind}
    out: dict[str, Any] = {"type": kind}
    if kind == "manual":
        return out
    if kind == "cron":
        out["cron"] = doc.get("cronExpression")
        if "timeZoneOffset" in previous:
            out["timeZoneOffset"] = normalize_offset(doc.get("timeZoneOffset"))
        return compact(out)
    offset = normalize_offset(doc.get("timeZoneOffset") or previous.get("timeZoneOffset"))
    out["timeZoneOffset"] = offset
    start = doc.get("startDate")
    if start:
        local = datetime.fromisoformat(start).astimezone(_zone(offset))
        if kind == "once":
            out["start"] = local.strftime("%Y-%m-%dT%H:%M")
        elif kind == "hourly":
            out["minute"] = local.minute
        else:
            out["time"] = local.strftime("%H:%M")
    else:
        out.update({k: previous[k] for k in ("start", "minute", "time") if k in previous})
    days = doc.get("recurringDays")
    if kind == "weekly":
        out["days"] = _weekdays(days or [])
    elif kind == "monthly":
        out["days"] = _month_days([LAST_DAY if d == LAST_DAY_WIRE else d for d in days or []])
    return out


def describe_schedule(schedule: Mapping[str, Any]) -> str:
    """How to set this schedule in the UI's task form (for the manual steps)."""
    kind = schedule["type"]
    zone = f" (UTC{schedule['timeZoneOffset']})" if schedule.get("timeZoneOffset") else ""
    if kind == "manual":
        return "Task frequency: Manual"
    if kind == "cron":
        return f"Task frequency: Advanced (provide a CRON expression): {schedule['cron']}{zone}"
    if kind == "once":
        return f"Task frequency: Once, at {schedule['start'].replace('T', ' ')}{zone}"
    if kind == "hourly":
        return f"Task frequency: Hourly, at minute {schedule['minute']}{zone}"
    days = f" on {', '.join(map(str, schedule['days']))}" if schedule.get("days") else ""
    return f"Task frequency: {kind.capitalize()}{days}, at {schedule['time']}{zone}"


# --- spec -------------------------------------------------------------------------------------
def property_text(value: Any) -> str:
    """Nexus keeps task properties as strings (Pulumi hands numbers over as floats)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def normalize_task(spec: Mapping[str, Any]) -> Spec:
    properties = {str(k): property_text(v) for k, v in (spec.get("properties") or {}).items()
                  if v is not None}
    return compact({
        "name": spec["name"], "type": spec["type"],
        "enabled": bool(spec.get("enabled", True)),
        "notificationCondition": spec.get("notificationCondition", "FAILURE"),
        "alertEmail": spec.get("alertEmail") or None,
        "properties": properties or None,
        "schedule": normalize_schedule(spec.get("schedule")),
        "adopt": bool(spec.get("adopt", False)),
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
            page = client.get_json("/v1/tasks" + (f"?continuationToken={quote(token)}"
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
            created = client.send("POST", "/v1/tasks", {"type": spec["type"], **task_body(spec)},
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
        client.send("PUT", f"/v1/tasks/{quote(task_id, safe='')}", task_body(spec),
                    invalidates=("tasks",))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            client = nexus.for_run()
            client.send("DELETE", f"/v1/tasks/{quote(id_, safe='')}", invalidates=("tasks",))
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


class Task(pulumi.dynamic.Resource, module="nexus", name="Task"):
    """A scheduled task (docker GC, upload purge, blob store compact, ...)."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(TaskProvider(), resource_name, dict(spec), resource_options(opts))


class CleanupService(pulumi.dynamic.Resource, module="nexus", name="CleanupService"):
    """The settings of Nexus's own "Cleanup service" task (the one that applies cleanup
    policies); removing it from the stack restores Nexus's default schedule."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(CleanupServiceProvider(), resource_name, dict(spec), resource_options(opts))


# --- config checks ----------------------------------------------------------------------------
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


def task_templates(server: Optional[ServerFacts]) -> Optional[dict[str, dict[str, Any]]]:
    """type id -> TaskTemplateXO from the server, or None when this Nexus has no task creation
    API (before 3.84 GET /v1/tasks/templates is read as a task id: 404). Raises NexusError when
    the server cannot be asked."""
    client: Optional[NexusClient] = getattr(server, "client", None)
    if client is None:
        raise NexusError("-", "-", 0, "no connection to ask for task templates")

    def load() -> Optional[dict[str, dict[str, Any]]]:
        try:
            found = client.get_json("/v1/tasks/templates")
        except NexusError as err:
            if err.status in (404, 405):
                return None
            raise
        return {str(t["type"]): t for t in found or []}
    return client.cached("task-templates", load)


def config_problems(values: Mapping[str, Any], server: Optional[ServerFacts] = None) -> list[Problem]:
    """Tasks (including the retention preset's) checked before any write: schedule, references,
    and with a server, its task API and templates."""
    tasks = values.get("tasks") or []
    if not tasks:
        return []

    def at(i: int) -> str:
        """Where the entry came from: its own index, or the preset that made it."""
        return tasks[i].get("origin") or f"tasks[{i}]"
    problems = []
    seen: dict[str, int] = {}
    for i, task in enumerate(tasks):
        first = seen.setdefault(task["name"].lower(), i)
        if first != i:
            problems.append(Problem(f"{at(i)}.name", f"'{task['name']}' is also the name of "
                                    f"{at(first)}; tasks are found by name, so names must be "
                                    "unique (regardless of case)"))
    builtin = [i for i, t in enumerate(tasks) if t["type"] == CLEANUP_TYPE]
    for i in builtin[1:]:
        problems.append(Problem(f"{at(i)}.type", f"Nexus has one {CLEANUP_TYPE} task "
                                f"('{CLEANUP_NAME}'), already managed by {at(builtin[0])}"))
    repositories = {r["name"].lower(): r for r in values.get("repositories") or []}
    stores = {b["name"].lower() for b in values.get("blobStores") or []} | {DEFAULT_BLOB_STORE}
    for i, task in enumerate(tasks):
        problems += [Problem(f"{at(i)}.schedule.{sub}", reason)
                     for sub, reason in schedule_problems(task.get("schedule"))]
        problems += _reference_problems(at(i), task, repositories, stores, server)
    if server is not None:
        problems += _server_problems(tasks, at, server)
    return problems


def _reference_problems(at: str, task: Mapping[str, Any], repositories: Mapping[str, Any],
                        stores: set[str], server: Optional[ServerFacts]) -> list[Problem]:
    problems = []
    properties = task.get("properties") or {}
    store = properties.get(BLOB_STORE_FIELD)
    if store is not None and str(store).lower() not in stores and (
            server is None or str(store).lower() not in server.blob_stores):
        problems.append(Problem(f"{at}.properties.{BLOB_STORE_FIELD}", f"blob store '{store}' is "
                                f"not declared in blobStores{'' if server is None else ' and does not exist on the server'} "
                                f"(known: {', '.join(sorted(stores))}); add it or fix the name"))
    repository = properties.get(REPOSITORY_FIELD)
    for name in ([] if repository in (None, "*") else str(repository).split(",")):
        name = name.strip()
        declared = repositories.get(name.lower())
        on_server = server.repositories.get(name.lower()) if server and not declared else None
        if declared is None and on_server is None:
            problems.append(Problem(f"{at}.properties.{REPOSITORY_FIELD}", f"repository '{name}' "
                                    f"is not declared in repositories{'' if server is None else ' and does not exist on the server'} "
                                    "(use * for all repositories)"))
        elif declared is not None and declared.get("type") == "group" and \
                task["type"].startswith("repository.docker."):
            problems.append(Problem(f"{at}.properties.{REPOSITORY_FIELD}", f"'{name}' is a group: "
                                    "it stores nothing; name its hosted or proxy members instead"))
        elif on_server is not None and task["type"].startswith("repository.docker.") and \
                on_server[0] != "docker":
            problems.append(Problem(f"{at}.properties.{REPOSITORY_FIELD}", f"'{name}' is a "
                                    f"{on_server[0]} repository; {task['type']} works on docker "
                                    "repositories"))
    return problems


def _server_problems(tasks: Sequence[Mapping[str, Any]], at: Callable[[int], str],
                     server: ServerFacts) -> list[Problem]:
    try:
        templates = task_templates(server)
    except NexusError as err:
        pulumi.log.warn(f"cannot read task templates from Nexus ({err.message}); task types "
                        "are checked when the tasks are created")
        return []
    version = ".".join(map(str, server.version))
    if templates is None:
        steps = "\n".join(f"      - {describe_manual(t)}" for t in tasks)
        origins = {at(i).split("[")[0] for i in range(len(tasks))}
        return [Problem(at(0) if len(tasks) == 1 else "/".join(sorted(origins)),
                        f"this Nexus ({version}) cannot create or change tasks through its REST "
                        f"API (that needs {CREATE_API_VERSION} or later: POST /v1/tasks answers "
                        "405 here). Upgrade Nexus, or make them by hand in the UI (Administration "
                        "→ System → Tasks) and remove them (and any retention preset) from the "
                        f"config:\n{steps}")]
    problems = []
    for i, task in enumerate(tasks):
        if task["type"] == CLEANUP_TYPE:
            continue
        template = templates.get(task["type"])
        if template is None:
            problems.append(Problem(f"{at(i)}.type", f"unknown task type '{task['type']}' on this "
                                    f"Nexus ({version}); known types: {', '.join(sorted(templates))}"
                                    f" (and {CLEANUP_TYPE} for the built-in '{CLEANUP_NAME}')"))
            continue
        fields = template.get("properties") or {}
        for key in task.get("properties") or {}:
            if key not in fields:
                problems.append(Problem(f"{at(i)}.properties.{key}", f"{task['type']} has no "
                                        f"property '{key}'; its properties: "
                                        f"{', '.join(sorted(fields)) or 'none'}"))
        for key in (REPOSITORY_FIELD, BLOB_STORE_FIELD):
            if key in fields and not fields[key] and key not in (task.get("properties") or {}):
                problems.append(Problem(f"{at(i)}.properties", f"{task['type']} needs "
                                        f"properties.{key}"))
    return problems


# --- declaration ------------------------------------------------------------------------------
def declare(ctx: Context) -> dict[str, pulumi.Resource]:
    """One resource per task (the retention preset's included), after what it names."""
    out: dict[str, pulumi.Resource] = {}
    for i, item in enumerate(ctx.cfg.get("tasks", [])):
        properties = item.get("properties") or {}
        deps = [ctx.bootstrap, ctx.blob_stores.get(str(properties.get(BLOB_STORE_FIELD, "")).lower())]
        repositories = {f"repository:{n.strip()}": ctx.repositories.get(n.strip().lower())
                        for n in str(properties.get(REPOSITORY_FIELD, "")).split(",")}
        deps += list(repositories.values())
        spec = referring(ctx.cfg.spec(("tasks", i), {k: v for k, v in item.items() if k != "origin"}),
                         repositories)
        if item["type"] == CLEANUP_TYPE:  # it applies the policies: after they are attached
            deps += [*ctx.cleanup_policies.values(), *ctx.repositories.values()]
            out[item["name"].lower()] = CleanupService("cleanup-service", spec, opts=after(*deps))
        else:
            out[item["name"].lower()] = Task(f"task-{item['name']}", spec, opts=after(*deps))
    return out
