"""Task schedules as a person writes them (`daily at 02:00`), as Nexus's FrequencyXO wants them
(the start date is computed at write time as the next occurrence of that time, so the spec stays
stable while Nexus gets the epoch milliseconds it wants), and back from what a release answers.
Cron expressions are checked with a Quartz validator before anything is written.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Optional

from ...provider import compact
from ...quartz import WEEKDAYS, WEEKDAY_NUMBERS, CronError, parse_cron
from ...schema import Fragment

SCHEMA = Fragment.beside(__file__, "tasks")
LAST_DAY = "last"
LAST_DAY_WIRE = 999
UTC_OFFSET = "+00:00"


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
    raw = SCHEMA.with_defaults_of("schedule", raw)
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
        out["minute"] = int(raw["minute"])
    else:
        out["time"] = _hhmm(raw["time"])
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
