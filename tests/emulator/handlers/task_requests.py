"""What a task create or update is checked against, in Nexus's order: Jackson's type checks
(JsonMappingExceptionMapper's messages), bean validation of the XO, the schedule (FrequencyXO and
Quartz cron), then the type's properties and the repositories and blob stores they name."""
from __future__ import annotations

import re
from typing import Any, Optional

from ..http import ApiError
from ..quartz import LAST_DAY_OF_MONTH, CronExpression
from ..state import NexusState
from .task_types import TaskType

NOTIFICATION_CONDITIONS = ("FAILURE", "SUCCESS_FAILURE")
SCHEDULES = ("manual", "once", "hourly", "daily", "weekly", "monthly", "cron")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
TIME_ZONE_OFFSET = re.compile(r"^(Z|[+-](0\d|1[0-8]):[0-5]\d)$")


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


def check_types(body: Any, model: str) -> dict[str, Any]:
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


def check_required(body: dict[str, Any], names: tuple[str, ...]) -> None:
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


def frequency_of(raw: dict[str, Any]) -> dict[str, Any]:
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


def task_properties(state: NexusState, ttype: TaskType, raw: Optional[dict[str, Any]],
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


def missing_targets(state: NexusState, ttype: Optional[TaskType], props: dict[str, str]) -> bool:
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


def system_definition(cron: str, now: float, properties: dict[str, str]) -> dict[str, Any]:
    """Tasks Nexus schedules itself: cron in UTC from first start, no notification settings."""
    return {"enabled": True, "alertEmail": None, "notificationCondition": None,
            "properties": properties,
            "frequency": {"schedule": "cron", "cronExpression": cron,
                          "startDate": int(now * 1000), "timeZoneOffset": "Z"}}
