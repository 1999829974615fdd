"""Quartz cron expressions as Nexus (Quartz) reads them, checked before anything is sent.

6 or 7 fields (seconds first), exactly one `?` in day-of-month or day-of-week, names, ranges,
steps, and the L / W / # specials. Nexus refuses a bad expression only after earlier resources
were written; checking here keeps a stack from being half-applied.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # Quartz: 1 = Sunday


class CronError(ValueError):
    """A cron expression Quartz (and so Nexus) would refuse."""


_CRON_FIELDS = (("seconds", 0, 59), ("minutes", 0, 59), ("hours", 0, 23),
                ("day-of-month", 1, 31), ("month", 1, 12), ("day-of-week", 1, 7),
                ("year", 1970, 2099))
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG",
                                       "SEP", "OCT", "NOV", "DEC"), 1)}
WEEKDAY_NUMBERS = {d: i for i, d in enumerate(WEEKDAYS, 1)}
CRON_HELP = ("Quartz cron has 6 or 7 fields: seconds minutes hours day-of-month month day-of-week "
             "[year], with exactly one of the two day fields '?', e.g. '0 0 2 * * ?' (daily at "
             "02:00) or '0 30 1 ? * SUN' (Sundays at 01:30)")


@dataclass(frozen=True)
class Cron:
    """A valid Quartz cron expression, split into its upper-cased fields."""

    fields: tuple[str, ...]

    def __str__(self) -> str:
        return " ".join(self.fields)


def parse_cron(text: str) -> Cron:
    """Checks `text` the way Quartz's CronExpression does; raises CronError saying what is wrong."""
    parts = str(text).upper().split()
    if len(parts) < 6:
        raise CronError(f"has {len(parts)} field{'s' if len(parts) != 1 else ''}; {CRON_HELP}")
    if len(parts) > 7:
        raise CronError(f"has {len(parts)} fields; {CRON_HELP}")
    for index, part in enumerate(parts):
        _check_cron_field(index, part)
    if (parts[3] == "?") == (parts[5] == "?"):
        raise CronError("exactly one of day-of-month and day-of-week must be '?' (Quartz does not "
                        "support both or neither), e.g. '0 0 1 * * ?' or '0 0 1 ? * MON'")
    return Cron(tuple(parts))


def _check_cron_field(index: int, text: str) -> None:
    name, low, high = _CRON_FIELDS[index]
    if "?" in text:
        if index not in (3, 5):
            raise CronError(f"'?' is only allowed in day-of-month or day-of-week, not in {name}")
        if text != "?":
            raise CronError(f"'?' must stand alone in {name}: '{text}'")
        return
    if index == 3 and _day_of_month_special(text):
        return
    if index == 5 and _day_of_week_special(text):
        return
    names = _MONTHS if index == 4 else WEEKDAY_NUMBERS if index == 5 else {}
    for item in text.split(","):
        base, slash, step = item.partition("/")
        if slash:
            if not step.isdigit() or not 0 < int(step) <= high:
                raise CronError(f"the increment in {name} '{item}' must be a number from 1 to {high}")
        if base == "*":
            continue
        if not base:
            raise CronError(f"empty value in {name}: '{text}'")
        low_text, dash, high_text = base.partition("-")
        _cron_value(low_text, name, low, high, names)
        if dash:
            _cron_value(high_text, name, low, high, names)


def _cron_value(token: str, name: str, low: int, high: int, names: Mapping[str, int]) -> int:
    if token.isdigit():
        value = int(token)
    elif token in names:
        value = names[token]
    else:
        spelled = f" or {next(iter(names))}..{list(names)[-1]}" if names else ""
        raise CronError(f"'{token}' is not a valid {name} value (numbers {low}-{high}{spelled})")
    if not low <= value <= high:
        raise CronError(f"{name} values must be between {low} and {high}: {token}")
    return value


def _day_of_month_special(text: str) -> bool:
    """L (last day), L-n (n days before it), LW (last weekday), nW (weekday nearest day n)."""
    if "L" not in text and "W" not in text:
        return False
    if "," in text or "/" in text:
        raise CronError(f"'L' and 'W' cannot be combined with lists or increments in "
                        f"day-of-month: '{text}'")
    if text in ("L", "LW"):
        return True
    if text.startswith("L-"):
        _cron_value(text[2:], "offset from the last day", 0, 30, {})
        return True
    if text.endswith("W") and text[:-1].isdigit():
        _cron_value(text[:-1], "day-of-month", 1, 31, {})
        return True
    raise CronError(f"'{text}' is not a valid day-of-month (use L, L-3, LW, 15W, numbers, "
                    "ranges or lists)")


def _day_of_week_special(text: str) -> bool:
    """L (Saturday), nL (last weekday n of the month), n#k (k-th weekday n of the month)."""
    if "#" in text:
        if "," in text or "/" in text or "-" in text:
            raise CronError(f"'#' cannot be combined with lists, ranges or increments: '{text}'")
        day, _, nth = text.partition("#")
        _cron_value(day, "day-of-week", 1, 7, WEEKDAY_NUMBERS)
        if not nth.isdigit() or not 1 <= int(nth) <= 5:
            raise CronError(f"a number from 1 to 5 must follow '#' in day-of-week: '{text}'")
        return True
    if "L" not in text:  # no week-day name contains an L
        return False
    if text == "L":
        return True
    if text.endswith("L") and not any(c in text for c in ",-/"):
        _cron_value(text[:-1], "day-of-week", 1, 7, WEEKDAY_NUMBERS)
        return True
    raise CronError(f"'L' cannot be combined with lists, ranges or increments in day-of-week: "
                    f"'{text}'")
