"""Quartz schedules as Nexus's scheduler reads them: cron expressions (`sec min hour day-of-month
month day-of-week [year]`, Quartz's own syntax and messages) and when a task's schedule (manual,
once, hourly, daily, weekly, monthly, cron) fires next. Times are UTC, the container's clock."""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Optional

LAST_DAY_OF_MONTH = 999  # monthly schedules: the month's last day, whatever its number


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


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def iso(epoch: Optional[float]) -> Optional[str]:
    """Nexus's Jackson date format, e.g. 2026-09-26T16:15:25.622+00:00."""
    if epoch is None:
        return None
    moment = _utc(epoch)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"


def next_run(frequency: dict[str, Any], now: float) -> Optional[float]:
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
