"""Scheduled tasks: /v1/tasks, the task templates, and runs that take a little while.

What differs by version:
* every version lists, reads, runs and stops tasks;
* 3.84+ creates (POST /v1/tasks), updates, deletes and serves /v1/tasks/templates. Before that,
  POST /v1/tasks is 405 (GET exists on the path), PUT/DELETE /v1/tasks/{id} are 405, and
  /v1/tasks/templates is read as a task id (404);
* POST /v1/tasks answers {"id"} before 3.89 and the task itself from 3.89 on;
* a task read back (TaskXO) gains "schedule" in 3.89, the whole definition (enabled, alertEmail,
  notificationCondition, frequency fields, properties) in 3.94 and "typeName" in 3.96. Before
  3.94 the definition cannot be read back at all.

Runs are evaluated lazily: POST …/run records when the run ends, and every later access settles
it. No thread ever sleeps, so nothing holds `state.lock` while waiting.
"""
from __future__ import annotations

import calendar
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Optional

from ..http import ApiError, Request, Response
from ..routing import Router
from ..state import NexusState

CREATE_API = "3.84.0"
CREATE_ANSWERS_TASK = "3.89.0"
SCHEDULE_FIELD = "3.89.0"
DEFINITION_FIELDS = "3.94.0"
TYPE_NAME_FIELD = "3.96.0"
TEMPLATE_CONCURRENT_RUN = "3.94.0"
DATASTORE = "3.71.0"  # H2/PostgreSQL only: per-format "Cleanup unused … blobs" system tasks

DEFAULT_RUN_SECONDS = 0.2
NOTIFICATION_CONDITIONS = ("FAILURE", "SUCCESS_FAILURE")
SCHEDULES = ("manual", "once", "hourly", "daily", "weekly", "monthly", "cron")
LAST_DAY_OF_MONTH = 999
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
TIME_ZONE_OFFSET = re.compile(r"^(Z|[+-](0\d|1[0-8]):[0-5]\d)$")


# --- task types -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """One property of a task type, as its template lists it (id -> initial value)."""
    id: str
    kind: str  # "repository" | "blobstore" | "number" | "boolean" | "string"
    required: bool = True
    initial: str = ""
    formats: tuple[str, ...] = ()  # repository formats the task works on; () = any
    minimum: Optional[int] = None
    multiple: bool = False  # a comma-separated list of repositories


@dataclass(frozen=True)
class TaskType:
    id: str
    name: str
    fields: tuple[Field, ...] = ()
    exposed: bool = True  # offered as a template, i.e. creatable through the REST API
    since: str = "3.0.0"
    until: Optional[str] = None  # first version without it
    concurrent_run: bool = True


def _repo(formats: tuple[str, ...] = (), multiple: bool = False) -> Field:
    return Field("repositoryName", "repository", formats=formats, multiple=multiple)


MAVEN = ("maven2",)
TASK_TYPES: tuple[TaskType, ...] = (
    TaskType("repository.docker.gc", "Docker - Delete unused manifests and images",
             (_repo(("docker",)), Field("deployOffset", "number", False, "24", minimum=0))),
    TaskType("repository.docker.upload-purge", "Docker - Delete incomplete uploads",
             (Field("age", "number", True, "24", minimum=0),)),
    TaskType("blobstore.compact", "Admin - Compact blob store",
             (Field("blobstoreName", "blobstore"),
              Field("blobsOlderThan", "number", False, minimum=0))),
    TaskType("blobstore.delete-temp-files", "Admin - Delete blob store temporary files",
             (Field("blobstoreName", "blobstore"),
              Field("olderThanDays", "number", False, minimum=0))),
    TaskType("repository.purge-unused", "Repository - Delete unused components",
             (_repo(), Field("lastUsed", "number", minimum=1))),
    TaskType("repository.rebuild-index", "Repair - Rebuild repository search", (_repo(),)),
    TaskType("create.browse.nodes", "Repair - Rebuild repository browse",
             (_repo(multiple=True),)),
    TaskType("repository.trim-browse-tree", "Repair - Repository trim browse tree", (_repo(),),
             since="3.88.0"),
    TaskType("repository.maven.remove-snapshots", "Maven - Delete SNAPSHOT",
             (_repo(MAVEN), Field("minimumRetained", "number", True, "1", minimum=0),
              Field("snapshotRetentionDays", "number", True, "30", minimum=0),
              Field("removeIfReleased", "boolean", False, "false"),
              Field("gracePeriodInDays", "number", False, minimum=0))),
    TaskType("repository.maven.purge-unused-snapshots", "Maven - Delete unused SNAPSHOT",
             (_repo(MAVEN), Field("lastUsed", "number", minimum=1))),
    TaskType("repository.maven.rebuild-metadata",
             "Repair - Rebuild Maven repository metadata (maven-metadata.xml)",
             (_repo(MAVEN), Field("groupId", "string", False), Field("artifactId", "string", False),
              Field("baseVersion", "string", False),
              Field("rebuildChecksums", "boolean", False, "false"))),
    TaskType("repository.maven.publish-dotindex", "Maven - Publish Maven Indexer files",
             (_repo(MAVEN),)),
    TaskType("repository.maven.unpublish-dotindex", "Maven - Unpublish Maven Indexer files",
             (_repo(MAVEN),)),
    TaskType("repository.npm.reindex", "Repair - Reconcile npm /-/v1/search metadata",
             (_repo(("npm",)),)),
    TaskType("repository.yum.rebuild.metadata",
             "Repair - Rebuild Yum repository metadata (repodata)",
             (_repo(("yum",)), Field("yumMetadataCaching", "boolean", False, "false"))),
    TaskType("security.purge-api-keys", "Admin - Delete orphaned API keys"),
    TaskType("db.backup", "Admin - Export databases for backup",
             (Field("location", "string"),), until=DATASTORE),
    TaskType("h2.backup.task", "Admin - Backup H2 Database", (Field("location", "string"),),
             since=DATASTORE),
    # Visible in the task list but not exposed: Nexus creates them itself; no template, no POST.
    TaskType("repository.cleanup", "Admin - Cleanup repositories using their associated policies",
             exposed=False),
    TaskType("assetBlob.cleanup", "Admin - Cleanup unused asset blobs",
             (Field("contentStore", "string"), Field("format", "string")), exposed=False,
             since=DATASTORE),
)


def _types(state: NexusState) -> dict[str, TaskType]:
    return {t.id: t for t in TASK_TYPES
            if state.at_least(t.since) and (t.until is None or not state.at_least(t.until))}


def _template(state: NexusState, ttype: TaskType) -> dict[str, Any]:
    """TaskTemplateXO: the body a client fills in; properties map field id -> initial value."""
    doc: dict[str, Any] = {
        "type": ttype.id, "name": ttype.name, "enabled": True, "alertEmail": None,
        "notificationCondition": "FAILURE",
        "frequency": {"schedule": "manual", "startDate": None, "timeZoneOffset": None,
                      "recurringDays": None, "cronExpression": None},
        "properties": {f.id: f.initial for f in ttype.fields}}
    if state.at_least(TEMPLATE_CONCURRENT_RUN):
        doc["concurrentRun"] = ttype.concurrent_run
    return doc


# --- Quartz cron expressions ----------------------------------------------------------------------
_MONTH_NAMES = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_DAY_NAMES = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}


def _cron_number(text: str, low: int, high: int, names: dict[str, int], what: str) -> int:
    value = names.get(text.upper()) if names else None
    if value is None:
        if not text.isdigit():
            raise ValueError(f"Illegal characters for {what}: {text}")
        value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{what} values must be between {low} and {high}")
    return value


def _cron_values(text: str, low: int, high: int, what: str,
                 names: Optional[dict[str, int]] = None) -> frozenset[int]:
    """One numeric field: lists, ranges (wrapping like Quartz), `*` and `/` increments."""
    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or not 0 < int(step_text) <= high:
                raise ValueError(f"Increment for {what} must be between 1 and {high}: {item}")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base[1:]:
            left, _, right = base.partition("-")
            start = _cron_number(left, low, high, names or {}, what)
            end = _cron_number(right, low, high, names or {}, what)
        else:
            start = _cron_number(base, low, high, names or {}, what)
            end = high if slash else start
        span = list(range(start, end + 1)) if start <= end else (
            list(range(start, high + 1)) + list(range(low, end + 1)))
        values.update(span[::step])
    return frozenset(values)


def _quartz_day(day: date) -> int:
    """Quartz numbers week days 1 (Sunday) to 7 (Saturday)."""
    return (day.weekday() + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, target: int) -> int:
    """Quartz `nW`: the weekday nearest to day n, without leaving the month."""
    last = calendar.monthrange(year, month)[1]
    target = min(target, last)
    weekday = date(year, month, target).weekday()
    if weekday == 5:
        return target - 1 if target > 1 else target + 2
    if weekday == 6:
        return target + 1 if target < last else target - 2
    return target


class CronExpression:
    """A Quartz cron expression: `sec min hour day-of-month month day-of-week [year]`, with exactly
    one of the two day fields `?`. Invalid text raises ValueError with Quartz-like messages."""

    def __init__(self, text: str) -> None:
        parts = text.split()
        if len(parts) not in (6, 7):
            raise ValueError("Unexpected end of expression." if len(parts) < 6
                             else "Too many fields in expression.")
        for index, part in enumerate(parts):
            if "?" in part and (index not in (3, 5) or part != "?"):
                raise ValueError("'?' can only be specified for Day-of-Month or Day-of-Week.")
        self.seconds = sorted(_cron_values(parts[0], 0, 59, "Second"))
        self.minutes = sorted(_cron_values(parts[1], 0, 59, "Minute"))
        self.hours = sorted(_cron_values(parts[2], 0, 23, "Hour"))
        self.months = _cron_values(parts[4], 1, 12, "Month", _MONTH_NAMES)
        self.years = _cron_values(parts[6], 1970, 2099, "Year") if len(parts) == 7 else None
        day_of_month, day_of_week = parts[3].upper(), parts[5].upper()
        if day_of_month == "?" and day_of_week == "?":
            raise ValueError("'?' can only be specified for Day-of-Month -OR- Day-of-Week.")
        if day_of_month != "?" and day_of_week != "?":
            raise ValueError("Support for specifying both a day-of-week AND a day-of-month "
                             "parameter is not implemented.")
        self._day_test: Callable[[date], bool] = (
            self._day_of_month(day_of_month) if day_of_week == "?"
            else self._day_of_week(day_of_week))

    @staticmethod
    def _day_of_month(text: str) -> Callable[[date], bool]:
        def last(day: date) -> int:
            return calendar.monthrange(day.year, day.month)[1]
        if ("L" in text or "W" in text) and "," in text:
            raise ValueError("Support for specifying 'L' and 'LW' with other days of the month "
                             "is not implemented")
        if text == "L":
            return lambda day: day.day == last(day)
        if text.startswith("L-"):
            offset = _cron_number(text[2:], 0, 30, {}, "Offset from last day")
            return lambda day: day.day == last(day) - offset
        if text == "LW":
            def last_weekday(day: date) -> bool:
                candidate = date(day.year, day.month, last(day))
                while candidate.weekday() > 4:
                    candidate -= timedelta(days=1)
                return day == candidate
            return last_weekday
        if text.endswith("W"):
            target = _cron_number(text[:-1], 1, 31, {}, "Day of month")
            return lambda day: day.day == _nearest_weekday(day.year, day.month, target)
        days = _cron_values(text, 1, 31, "Day of month")
        return lambda day: day.day in days

    @staticmethod
    def _day_of_week(text: str) -> Callable[[date], bool]:
        if ("L" in text[1:] or "#" in text) and "," in text:
            raise ValueError("Support for specifying 'L' or '#' with other days of the week is "
                             "not implemented")
        if text == "L":
            return lambda day: _quartz_day(day) == 7
        if text.endswith("L"):
            weekday = _cron_number(text[:-1], 1, 7, _DAY_NAMES, "Day-of-Week")

            def last_of_month(day: date) -> bool:
                return (_quartz_day(day) == weekday
                        and day.day + 7 > calendar.monthrange(day.year, day.month)[1])
            return last_of_month
        if "#" in text:
            left, _, right = text.partition("#")
            weekday = _cron_number(left, 1, 7, _DAY_NAMES, "Day-of-Week")
            nth = _cron_number(right, 1, 5, {}, "A numeric value between 1 and 5 after '#'")
            return lambda day: _quartz_day(day) == weekday and (day.day - 1) // 7 + 1 == nth
        days = _cron_values(text, 1, 7, "Day-of-Week", _DAY_NAMES)
        return lambda day: _quartz_day(day) in days

    def next_after(self, moment: datetime) -> Optional[datetime]:
        """The first fire time strictly after `moment` (UTC), or None if there is none."""
        start = moment.replace(microsecond=0) + timedelta(seconds=1)
        floor = (start.hour, start.minute, start.second)
        day = start.date()
        for _ in range(366 * 9):  # a year field may skip up to 8 years (29 February)
            if self.years is not None and day.year > max(self.years):
                return None
            if ((self.years is None or day.year in self.years) and day.month in self.months
                    and self._day_test(day)):
                hit = self._first_time(floor)
                if hit is not None:
                    return datetime(day.year, day.month, day.day, *hit, tzinfo=timezone.utc)
            day += timedelta(days=1)
            floor = (0, 0, 0)
        return None

    def _first_time(self, floor: tuple[int, int, int]) -> Optional[tuple[int, int, int]]:
        for hour in self.hours:
            if hour < floor[0]:
                continue
            for minute in self.minutes:
                if (hour, minute) < floor[:2]:
                    continue
                for second in self.seconds:
                    if (hour, minute, second) >= floor:
                        return hour, minute, second
        return None


# --- schedules ------------------------------------------------------------------------------------
def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def _iso(epoch: Optional[float]) -> Optional[str]:
    """Nexus's Jackson date format, e.g. 2026-09-26T16:15:25.622+00:00."""
    if epoch is None:
        return None
    moment = _utc(epoch)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"


def _next_run(frequency: dict[str, Any], now: float) -> Optional[float]:
    """When a schedule fires next (UTC, as the container's clock); None for manual/past once."""
    schedule = frequency["schedule"]
    if schedule == "manual":
        return None
    start = frequency["startDate"] / 1000 if frequency.get("startDate") is not None else now
    if schedule == "once":
        return start if start > now else None
    if schedule in ("hourly", "daily"):
        period = 3600 if schedule == "hourly" else 86400
        if start >= now:
            return start
        return start + -(-(now - start) // period) * period
    if schedule == "cron":
        fire = CronExpression(frequency["cronExpression"]).next_after(_utc(max(start, now) - 1))
        return fire.timestamp() if fire else None
    first = _utc(max(start, now))
    at = _utc(start).timetz()
    days = set(frequency["recurringDays"])
    day = first.date()
    for _ in range(400):
        candidate = datetime.combine(day, at)
        if candidate >= first:
            if schedule == "weekly" and _quartz_day(day) in days:
                return candidate.timestamp()
            last = calendar.monthrange(day.year, day.month)[1]
            if schedule == "monthly" and (day.day in days
                                          or (LAST_DAY_OF_MONTH in days and day.day == last)):
                return candidate.timestamp()
        day += timedelta(days=1)
    return None


# --- request validation ---------------------------------------------------------------------------
def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean value"
    if isinstance(value, (int, float)):
        return "Number value"
    if isinstance(value, str):
        return f'String "{value}"'
    return "Array value" if isinstance(value, list) else "Object value"


def _mapping_error(field_id: str, java_type: str, value: Any) -> ApiError:
    """What Nexus's JsonMappingExceptionMapper answers when a value has the wrong JSON type."""
    return ApiError.validation(
        [(field_id, f"Cannot deserialize value of type `{java_type}` from {_json_kind(value)}")])


def _check_types(body: Any, model: str) -> dict[str, Any]:
    """JSON-level checks done by Jackson before any validation runs."""
    if not isinstance(body, dict):
        raise _mapping_error("*", model, body)
    for key, java in (("name", "java.lang.String"), ("type", "java.lang.String"),
                      ("alertEmail", "java.lang.String")):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise _mapping_error(key, java, body[key])
    if body.get("enabled") is not None and not isinstance(body["enabled"], bool):
        raise _mapping_error("enabled", "boolean", body["enabled"])
    condition = body.get("notificationCondition")
    if condition is not None and condition not in NOTIFICATION_CONDITIONS:
        raise ApiError.validation([(
            "notificationCondition",
            f"Cannot deserialize value of type `TaskNotificationCondition` from "
            f"{_json_kind(condition)}: not one of the values accepted for Enum class: "
            f"[{', '.join(NOTIFICATION_CONDITIONS)}]")])
    frequency = body.get("frequency")
    if frequency is not None:
        if not isinstance(frequency, dict):
            raise _mapping_error("frequency", "FrequencyXO", frequency)
        for key, java, ok in (
                ("schedule", "java.lang.String", lambda v: isinstance(v, str)),
                ("cronExpression", "java.lang.String", lambda v: isinstance(v, str)),
                ("timeZoneOffset", "java.lang.String", lambda v: isinstance(v, str)),
                ("startDate", "java.lang.Long",
                 lambda v: isinstance(v, int) and not isinstance(v, bool)),
                ("recurringDays", "java.util.List<java.lang.Integer>",
                 lambda v: isinstance(v, list) and all(
                     isinstance(d, int) and not isinstance(d, bool) for d in v))):
            if frequency.get(key) is not None and not ok(frequency[key]):
                raise _mapping_error(key, java, frequency[key])
    properties = body.get("properties")
    if properties is not None:
        if not isinstance(properties, dict):
            raise _mapping_error("properties", "java.util.Map<java.lang.String,java.lang.String>",
                                 properties)
        for key, value in properties.items():
            if isinstance(value, (dict, list)):
                raise _mapping_error(key, "java.lang.String", value)
    return body


def _required(body: dict[str, Any], names: tuple[str, ...]) -> None:
    """Bean validation of the XO: 400 list with one entry per missing field."""
    errors = [(f"PARAMETER {name}", "must not be null") for name in names if body.get(name) is None]
    frequency = body.get("frequency")
    if isinstance(frequency, dict) and frequency.get("schedule") is None:
        errors.append(("PARAMETER schedule", "must not be null"))
    if isinstance(body.get("name"), str) and not body["name"].strip():
        errors.append(("PARAMETER name", "must not be blank"))
    email = body.get("alertEmail")
    if email and not EMAIL.match(email):
        errors.append(("PARAMETER alertEmail", "must be a well-formed email address"))
    if errors:
        raise ApiError.validation(errors)


def _frequency(raw: dict[str, Any]) -> dict[str, Any]:
    """Checks a FrequencyXO against its schedule and keeps only the fields that schedule uses."""
    schedule = raw["schedule"]
    if schedule not in SCHEDULES:
        raise ApiError.validation([("*", f"Unknown schedule '{schedule}'; expected one of "
                                         f"{', '.join(SCHEDULES)}")])
    normalized: dict[str, Any] = {"schedule": schedule}
    if schedule == "manual":
        return normalized
    offset = raw.get("timeZoneOffset")
    if offset is not None and not TIME_ZONE_OFFSET.match(offset):
        raise ApiError.validation([("*", f"Invalid time zone offset: {offset}")])
    normalized["timeZoneOffset"] = offset
    start = raw.get("startDate")
    if start is None and schedule != "cron":
        raise ApiError.validation([("*", f"startDate is required for a '{schedule}' schedule")])
    normalized["startDate"] = start
    if schedule in ("weekly", "monthly"):
        days = raw.get("recurringDays")
        if not days:
            raise ApiError.validation(
                [("*", f"recurringDays is required for a '{schedule}' schedule")])
        allowed = range(1, 8) if schedule == "weekly" else range(1, 32)
        wrong = [d for d in days if d not in allowed
                 and not (schedule == "monthly" and d == LAST_DAY_OF_MONTH)]
        if wrong:
            limits = "1 to 7" if schedule == "weekly" else f"1 to 31 or {LAST_DAY_OF_MONTH}"
            raise ApiError.validation(
                [("*", f"Invalid recurringDays {wrong} for a '{schedule}' schedule: {limits}")])
        normalized["recurringDays"] = sorted(set(days))
    if schedule == "cron":
        expression = raw.get("cronExpression")
        if not expression:
            raise ApiError.validation([("*", "cronExpression is required for a 'cron' schedule")])
        try:
            CronExpression(expression)
        except ValueError as exc:
            raise ApiError.validation([("*", f"Invalid Cron expression: {expression}: {exc}")])
        normalized["cronExpression"] = expression
    return normalized


def _as_text(value: Any) -> Optional[str]:
    """Jackson coerces scalars into the String values of the properties map."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _properties(state: NexusState, ttype: TaskType, raw: Optional[dict[str, Any]],
                current: dict[str, str]) -> dict[str, str]:
    """Merged properties, checked against the type's fields and the objects they name."""
    if raw is None:
        props = dict(current)
    else:
        props = {k: v for k, v in ((k, _as_text(v)) for k, v in raw.items()) if v is not None}
    errors: list[tuple[str, str]] = []
    for spec in ttype.fields:
        value = props.get(spec.id, "").strip()
        if not value:
            if spec.required:
                errors.append(("*", f"Property '{spec.id}' is required for task type "
                                    f"'{ttype.id}'"))
            continue
        if spec.kind == "number":
            if not re.fullmatch(r"-?\d+", value):
                errors.append(("*", f"Property '{spec.id}' must be a whole number: {value}"))
            elif spec.minimum is not None and int(value) < spec.minimum:
                errors.append(("*", f"Property '{spec.id}' must be at least {spec.minimum}"))
        elif spec.kind == "boolean" and value.lower() not in ("true", "false"):
            errors.append(("*", f"Property '{spec.id}' must be true or false: {value}"))
        elif spec.kind == "blobstore" and value.lower() not in state.blobstores:
            errors.append(("*", f"Blob store '{value}' does not exist"))
        elif spec.kind == "repository" and value != "*":
            names = [n.strip() for n in value.split(",")] if spec.multiple else [value]
            for name in names:
                repository = state.repositories.get(name.lower())
                if repository is None:
                    errors.append(("*", f"Repository '{name}' does not exist"))
                elif spec.formats and repository.get("format") not in spec.formats:
                    errors.append(("*", f"Repository '{name}' is a {repository.get('format')} "
                                        f"repository; task type '{ttype.id}' needs "
                                        f"{' or '.join(spec.formats)}"))
    if errors:
        raise ApiError.validation(errors)
    return props


def _missing_targets(state: NexusState, ttype: Optional[TaskType], props: dict[str, str]) -> bool:
    """A run fails when a repository or blob store the task names has gone since."""
    for spec in ttype.fields if ttype else ():
        value = props.get(spec.id, "").strip()
        if not value or value == "*":
            continue
        if spec.kind == "blobstore" and value.lower() not in state.blobstores:
            return True
        if spec.kind == "repository":
            names = value.split(",") if spec.multiple else [value]
            if any(n.strip().lower() not in state.repositories for n in names):
                return True
    return False


def _system_definition(cron: str, now: float, properties: dict[str, str]) -> dict[str, Any]:
    """Tasks Nexus schedules itself: cron in UTC from first start, no notification settings."""
    return {"enabled": True, "alertEmail": None, "notificationCondition": None,
            "properties": properties,
            "frequency": {"schedule": "cron", "cronExpression": cron,
                          "startDate": int(now * 1000), "timeZoneOffset": "Z"}}


# --- the scheduler --------------------------------------------------------------------------------
@dataclass
class Scheduler:
    """Per-emulator task runtime: run length and pending forced failures (control API)."""
    run_seconds: float = DEFAULT_RUN_SECONDS
    fail_ids: dict[str, int] = field(default_factory=dict)
    fail_types: dict[str, int] = field(default_factory=dict)
    formats_seen: set[str] = field(default_factory=set)

    # -- documents ---------------------------------------------------------------------------------
    def _new_task(self, state: NexusState, type_id: str, name: str, definition: dict[str, Any],
                  message: Optional[str], now: float) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": str(uuid.uuid4()), "name": name, "type": type_id,
            "_def": definition, "_message": message, "_state": "WAITING",
            "_lastRunResult": None, "_lastRun": None, "_runStart": None, "_runEnd": None}
        self._publish(state, doc, now)
        state.tasks[doc["id"]] = doc
        return doc

    def _publish(self, state: NexusState, doc: dict[str, Any], now: float) -> None:
        """Rewrites the public keys of `doc` as this version's GET answers them."""
        definition = doc["_def"]
        frequency = definition["frequency"]
        ttype = _types(state).get(doc["type"])
        nxt = _next_run(frequency, now) if definition["enabled"] else None
        view: dict[str, Any] = {"id": doc["id"], "name": doc["name"], "type": doc["type"]}
        if state.at_least(TYPE_NAME_FIELD):
            view["typeName"] = ttype.name if ttype else doc["type"]
        view.update({"message": doc["_message"], "currentState": doc["_state"],
                     "lastRunResult": doc["_lastRunResult"], "nextRun": _iso(nxt),
                     "lastRun": _iso(doc["_lastRun"])})
        if state.at_least(SCHEDULE_FIELD):
            view["schedule"] = "advanced" if frequency["schedule"] == "cron" \
                else frequency["schedule"]
        if state.at_least(DEFINITION_FIELDS):
            start = frequency.get("startDate")
            view.update({
                "enabled": definition["enabled"], "alertEmail": definition["alertEmail"],
                "notificationCondition": definition["notificationCondition"],
                "cronExpression": frequency.get("cronExpression"),
                "recurringDays": frequency.get("recurringDays"),
                "timeZoneOffset": frequency.get("timeZoneOffset"),
                "startDate": _iso(start / 1000) if start is not None else None,
                "properties": definition["properties"] or None})
            # 3.9x leaves unset optional fields out of the answer instead of sending nulls
            for key in ("message", "alertEmail", "notificationCondition", "cronExpression",
                        "recurringDays", "timeZoneOffset", "startDate", "properties"):
                if view[key] is None:
                    del view[key]
        private = {k: v for k, v in doc.items() if k.startswith("_")}
        doc.clear()
        doc.update(view)
        doc.update(private)

    def _settle(self, state: NexusState, doc: dict[str, Any], now: float) -> None:
        """Finishes a run whose time is up, then refreshes the answer (nextRun moves with time)."""
        if doc["_state"] == "RUNNING" and now >= doc["_runEnd"]:
            ttype = _types(state).get(doc["type"])
            failed = doc.pop("_runFails", False) or _missing_targets(
                state, ttype, doc["_def"]["properties"])
            doc.update({"_state": "WAITING", "_lastRunResult": "FAILED" if failed else "OK",
                        "_lastRun": doc["_runStart"], "_runStart": None, "_runEnd": None})
        self._publish(state, doc, now)

    def _find(self, state: NexusState, task_id: str, now: float) -> dict[str, Any]:
        """The task, settled; unknown ids are a bare 404 (JAX-RS NotFoundException)."""
        doc = state.tasks.get(task_id)
        if doc is None:
            raise ApiError(404)
        self._settle(state, doc, now)
        return doc

    @staticmethod
    def _answer(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if not k.startswith("_")}

    # -- first start and system tasks --------------------------------------------------------------
    def seed(self, state: NexusState) -> None:
        """Nexus creates 'Cleanup service' (daily at 01:00) at every start, and on H2/PostgreSQL
        one 'Cleanup unused <format> blobs from nexus' task per repository format in use."""
        with state.lock:
            now = time.time()
            self.run_seconds = DEFAULT_RUN_SECONDS
            self.fail_ids.clear()
            self.fail_types.clear()
            self.formats_seen.clear()
            self._new_task(state, "repository.cleanup", "Cleanup service",
                           _system_definition("0 0 1 * * ?", now, {}), None, now)
            self.sync_system_tasks(state)

    def sync_system_tasks(self, state: NexusState) -> None:
        """Listener: a repository of a new format brings its asset-blob cleanup task."""
        if not state.at_least(DATASTORE):
            return
        with state.lock:
            formats = {r.get("format") for r in state.repositories.values() if r.get("format")}
            now = time.time()
            for fmt in sorted(formats - self.formats_seen):
                exists = any(t["type"] == "assetBlob.cleanup"
                             and t["_def"]["properties"].get("format") == fmt
                             for t in state.tasks.values())
                if not exists:
                    self._new_task(state, "assetBlob.cleanup",
                                   f"Cleanup unused {fmt} blobs from nexus",
                                   _system_definition("0 */30 * * * ?", now,
                                                      {"contentStore": "nexus", "format": fmt}),
                                   None, now)
            self.formats_seen |= formats

    # -- templates ---------------------------------------------------------------------------------
    def list_templates(self, state: NexusState, req: Request) -> Response:
        if not state.at_least(CREATE_API):
            # Without the templates resource the path is read as GET /v1/tasks/{id}.
            req.params["id"] = "templates"
            return self.get_task(state, req)
        return Response.json([_template(state, t) for t in _types(state).values() if t.exposed])

    def get_template(self, state: NexusState, req: Request) -> Response:
        ttype = _types(state).get(req.params["typeId"])
        if not state.at_least(CREATE_API) or ttype is None or not ttype.exposed:
            raise ApiError(404)
        return Response.json(_template(state, ttype))

    # -- tasks -------------------------------------------------------------------------------------
    def list_tasks(self, state: NexusState, req: Request) -> Response:
        wanted = req.arg("type") or None
        with state.lock:
            now = time.time()
            items = []
            for doc in state.tasks.values():
                if wanted is None or doc["type"] == wanted:
                    self._settle(state, doc, now)
                    items.append(self._answer(doc))
        return Response.json({"items": items, "continuationToken": None})

    def get_task(self, state: NexusState, req: Request) -> Response:
        with state.lock:
            return Response.json(self._answer(self._find(state, req.params["id"], time.time())))

    def create_task(self, state: NexusState, req: Request) -> Response:
        body = _check_types(req.json(), "TaskTemplateXO")
        _required(body, ("enabled", "frequency", "name", "notificationCondition", "type"))
        with state.lock:
            types = _types(state)
            ttype = types.get(body["type"])
            if ttype is None or not ttype.exposed:
                creatable = ", ".join(t.id for t in types.values() if t.exposed)
                reason = "cannot be created through the REST API" if ttype else "is unknown"
                raise ApiError.validation(
                    [("*", f"Task type '{body['type']}' {reason}; available types: {creatable}")])
            frequency = _frequency(body["frequency"])
            props = _properties(state, ttype, body.get("properties"), {})
            now = time.time()
            doc = self._new_task(state, ttype.id, body["name"], {
                "enabled": body["enabled"], "alertEmail": body.get("alertEmail") or None,
                "notificationCondition": body["notificationCondition"],
                "frequency": frequency, "properties": props}, ttype.name, now)
            if state.at_least(CREATE_ANSWERS_TASK):
                return Response.json(self._answer(doc), 201)
            return Response.json({"id": doc["id"]}, 201)

    def update_task(self, state: NexusState, req: Request) -> Response:
        body = _check_types(req.json(), "UpdateTaskRequest")
        _required(body, ("enabled", "frequency", "name", "notificationCondition"))
        with state.lock:
            now = time.time()
            doc = self._find(state, req.params["taskId"], now)
            if body.get("type") not in (None, doc["type"]):
                raise ApiError.validation(
                    [("*", f"The type of task '{doc['id']}' is {doc['type']} and cannot change")])
            ttype = _types(state).get(doc["type"]) or TaskType(doc["type"], doc["type"])
            frequency = _frequency(body["frequency"])
            props = _properties(state, ttype, body.get("properties"), doc["_def"]["properties"])
            doc["name"] = body["name"]
            doc["_def"] = {"enabled": body["enabled"], "alertEmail": body.get("alertEmail") or None,
                           "notificationCondition": body["notificationCondition"],
                           "frequency": frequency, "properties": props}
            self._publish(state, doc, now)
        return Response.empty(204)

    def delete_task(self, state: NexusState, req: Request) -> Response:
        with state.lock:
            if state.tasks.pop(req.params["id"], None) is None:
                raise ApiError(404)
            self.fail_ids.pop(req.params["id"], None)
        return Response.empty(204)

    def run_task(self, state: NexusState, req: Request) -> Response:
        """204 and RUNNING for `run_seconds`; disabled -> 405; already running -> 500."""
        with state.lock:
            now = time.time()
            doc = self._find(state, req.params["id"], now)
            if not doc["_def"]["enabled"]:
                raise ApiError(405)
            if doc["_state"] == "RUNNING":
                raise ApiError.server_error()
            doc.update({"_state": "RUNNING", "_runStart": now, "_runEnd": now + self.run_seconds,
                        "_runFails": self._take_failure(doc)})
            self._publish(state, doc, now)
        return Response.empty(204)

    def stop_task(self, state: NexusState, req: Request) -> Response:
        """Cancels a running task (result CANCELED); 409 when it is not running."""
        with state.lock:
            now = time.time()
            doc = self._find(state, req.params["id"], now)
            if doc["_state"] != "RUNNING":
                raise ApiError(409)
            doc.pop("_runFails", None)
            doc.update({"_state": "WAITING", "_lastRunResult": "CANCELED",
                        "_lastRun": doc["_runStart"], "_runStart": None, "_runEnd": None})
            self._publish(state, doc, now)
        return Response.empty(204)

    def _take_failure(self, doc: dict[str, Any]) -> bool:
        for pending, key in ((self.fail_ids, doc["id"]), (self.fail_types, doc["type"])):
            if pending.get(key, 0) > 0:
                pending[key] -= 1
                if not pending[key]:
                    del pending[key]
                return True
        return False

    # -- control API -------------------------------------------------------------------------------
    def set_run_seconds(self, state: NexusState, req: Request) -> Response:
        """POST /__emulator/task-duration {"seconds": x}: how long each later run takes."""
        body = req.json()
        seconds = body.get("seconds") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ApiError.bad_request("expected {\"seconds\": <number >= 0>}")
        with state.lock:
            self.run_seconds = float(seconds)
        return Response.empty(204)

    def fail_next_runs(self, state: NexusState, req: Request) -> Response:
        """POST /__emulator/task-fail {"id": …} or {"type": …}, optional "count" (default 1):
        the next runs of that task (or of any task of that type) end FAILED."""
        body = req.json()
        if not isinstance(body, dict) or bool(body.get("id")) == bool(body.get("type")):
            raise ApiError.bad_request("expected {\"id\": …} or {\"type\": …}, optional count")
        count = body.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ApiError.bad_request("count must be a positive integer")
        with state.lock:
            if body.get("id"):
                if body["id"] not in state.tasks:
                    raise ApiError.not_found(f"Task {body['id']} not found")
                self.fail_ids[body["id"]] = self.fail_ids.get(body["id"], 0) + count
            else:
                self.fail_types[body["type"]] = self.fail_types.get(body["type"], 0) + count
        return Response.empty(204)


def _can_create(state: NexusState) -> bool:
    return state.at_least(CREATE_API)


def register(router: Router, state: NexusState) -> None:
    scheduler = Scheduler()
    # templates first: /v1/tasks/templates would otherwise match /v1/tasks/{id}
    # TasksApiResource: nexus:tasks:read/start/stop; the 3.84+ create/update/delete endpoints
    # (closed source) are taken to need the create/update/delete actions of the same domain.
    router.add("GET", "/v1/tasks/templates", scheduler.list_templates, auth="nexus:tasks:read")
    router.add("GET", "/v1/tasks/templates/{typeId}", scheduler.get_template,
               auth="nexus:tasks:read")
    router.add("GET", "/v1/tasks", scheduler.list_tasks, auth="nexus:tasks:read")
    # Before the task-creation API these paths only take GET (405, Allow: HEAD,GET,OPTIONS).
    router.add("POST", "/v1/tasks", scheduler.create_task, available=_can_create,
               auth="nexus:tasks:create")
    router.add("GET", "/v1/tasks/{id}", scheduler.get_task, auth="nexus:tasks:read")
    router.add("PUT", "/v1/tasks/{taskId}", scheduler.update_task, available=_can_create,
               auth="nexus:tasks:update")
    router.add("DELETE", "/v1/tasks/{id}", scheduler.delete_task, available=_can_create,
               auth="nexus:tasks:delete")
    router.add("POST", "/v1/tasks/{id}/run", scheduler.run_task, auth="nexus:tasks:start")
    router.add("POST", "/v1/tasks/{id}/stop", scheduler.stop_task, auth="nexus:tasks:stop")
    state.seeders.append(scheduler.seed)
    state.listeners.append(scheduler.sync_system_tasks)
    state.control_handlers[("POST", "task-duration")] = scheduler.set_run_seconds
    state.control_handlers[("POST", "task-fail")] = scheduler.fail_next_runs
