"""Retention presets: one line per intent, expanded into everything that really frees disk.

`retention: [{repositories: [docker-hub, google-hub], lastDownloadedDays: 30}]` stands for:
1. a cleanup policy (`retention-idle-30d`) that marks what nobody pulled for 30 days;
2. that policy attached to the repositories (their `cleanupPolicies`);
3. the schedule of Nexus's built-in "Cleanup service" task, which applies the policies (Nexus
   has exactly one and it cannot be created over REST, so it is taken over; removing the preset
   puts Nexus's default back: daily at 01:00, `0 0 1 * * ?`);
4. a "Docker - Delete unused manifests and images" task (`repository.docker.gc`) per repository,
   which deletes the layers the cleanup left unreferenced;
5. an "Admin - Compact blob store" task (`blobstore.compact`) per blob store involved, which
   finally gives the space back to the file system.
They run in that order: cleanup at `time` (default 01:00), GC `gcAfterMinutes` later (60),
compact `compactAfterMinutes` after the cleanup (120). Every task is a cron schedule derived
from the cleanup's, so weekly schedules and offsets that cross midnight move the day too.

Nexus has one cleanup task, so all entries share one timetable: entries after the first may
leave the timetable out, and when they set it, it must match. The expansion produces ordinary
config entries (cleanupPolicies, repositories[].cleanupPolicies, tasks), so preview shows every
underlying object and the usual validation applies to them.
"""
from __future__ import annotations

import copy
from typing import Any, Mapping, Optional

from .kinds.repositories import blob_store_of
from .kinds.tasks import BLOB_STORE_FIELD, CLEANUP_NAME, CLEANUP_TYPE, REPOSITORY_FIELD
from .problems import Problem
from .quartz import WEEKDAYS, Cron, CronError, parse_cron
from .schema import Fragment

GC_TYPE = "repository.docker.gc"
COMPACT_TYPE = "blobstore.compact"
SCHEMA = Fragment.section("retention")  # the defaults: cleanup at 01:00 (when Nexus runs its own), GC 60 and
# compact 120 minutes later
# One cleanup task per Nexus: these settings are shared by every retention entry.
SHARED = ("schedule", "time", "days", "cron", "timeZoneOffset", "gcAfterMinutes",
          "compactAfterMinutes", "alertEmail", "notificationCondition")
MINUTES_PER_DAY = 24 * 60


def policy_name(entry: Mapping[str, Any]) -> str:
    """The policy's name says what it does, so equal criteria share one policy."""
    if entry.get("policy"):
        return str(entry["policy"])
    parts = ["retention"]
    if entry.get("lastDownloadedDays"):
        parts.append(f"idle-{entry['lastDownloadedDays']}d")
    if entry.get("lastBlobUpdatedDays"):
        parts.append(f"age-{entry['lastBlobUpdatedDays']}d")
    return "-".join(parts)


def gc_task_name(repository: str) -> str:
    return f"retention-gc-{repository}"


def compact_task_name(blob_store: str) -> str:
    return f"retention-compact-{blob_store}"


# --- expansion --------------------------------------------------------------------------------
def expand(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The config with `retention` replaced by policies, attachments and tasks."""
    out = copy.deepcopy(dict(values))
    entries = out.get("retention") or []
    if not entries:
        return out, []
    shared, problems = _shared_settings(entries)
    crons: Optional[tuple[Cron, Cron, Cron]] = None
    if not problems:
        crons, problems = _timetable(shared)
    policies = out.setdefault("cleanupPolicies", [])
    declared_policies = {p["name"].lower() for p in policies}
    made_policies: dict[str, tuple[int, dict[str, Any]]] = {}
    repositories = {r["name"].lower(): r for r in out.get("repositories") or []}
    claimed: dict[str, str] = {}
    gc_targets: list[tuple[int, str]] = []
    stores: dict[str, tuple[int, str]] = {}

    for i, entry in enumerate(entries):
        name = policy_name(entry)
        criteria = {k: entry[k] for k in ("lastDownloadedDays", "lastBlobUpdatedDays") if k in entry}
        if name.lower() in declared_policies:
            problems.append(Problem(f"retention[{i}].policy", f"a cleanup policy '{name}' is already "
                                    "declared in cleanupPolicies; the preset makes its own, so set "
                                    "retention policy to another name"))
        elif name.lower() in made_policies and made_policies[name.lower()][1] != criteria:
            problems.append(Problem(f"retention[{i}].policy", f"'{name}' is also the policy of "
                                    f"retention[{made_policies[name.lower()][0]}] with other "
                                    "criteria; give this entry another policy name"))
        elif name.lower() not in made_policies:
            made_policies[name.lower()] = (i, criteria)
            policies.append({"name": name, "format": "docker",
                             "notes": f"retention preset: {_describe(criteria)}", **criteria})
        for j, repo_name in enumerate(entry["repositories"]):
            at = f"retention[{i}].repositories[{j}]"
            repo = repositories.get(repo_name.lower())
            if repo is None:
                problems.append(Problem(at, f"'{repo_name}' is not declared in repositories (the "
                                        "preset attaches its cleanup policy to the repository's "
                                        "config)"))
            elif repo.get("format", "docker") != "docker":
                problems.append(Problem(at, f"'{repo_name}' is a {repo['format']} repository; the retention "
                                        "preset runs docker's GC task. For other formats declare a "
                                        "cleanup policy of that format and attach it in cleanupPolicies"))
            elif repo["type"] == "group":
                problems.append(Problem(at, f"'{repo_name}' is a group: it stores nothing; list "
                                        f"its members ({', '.join(repo.get('members', []))}) instead"))
            elif repo_name.lower() in claimed:
                problems.append(Problem(at, f"'{repo_name}' is already in {claimed[repo_name.lower()]}"))
            else:
                claimed[repo_name.lower()] = f"retention[{i}]"
                attached = repo.setdefault("cleanupPolicies", [])
                if name.lower() not in {p.lower() for p in attached}:
                    attached.append(name)
                gc_targets.append((i, repo["name"]))
                store = blob_store_of(repo)
                stores.setdefault(store.lower(), (i, store))

    if crons is not None and not problems:
        out.setdefault("tasks", []).extend(_tasks(entries, shared, crons, gc_targets, stores))
    return out, problems


def chain(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The preset's tasks of an expanded config, in the order they must run."""
    return [t for t in values.get("tasks") or [] if str(t.get("origin", "")).startswith("retention")]


def _describe(criteria: Mapping[str, Any]) -> str:
    parts = []
    if "lastDownloadedDays" in criteria:
        parts.append(f"not downloaded for {criteria['lastDownloadedDays']} days")
    if "lastBlobUpdatedDays" in criteria:
        parts.append(f"published more than {criteria['lastBlobUpdatedDays']} days ago")
    return " and ".join(parts)


def _shared_settings(entries: list[dict[str, Any]]) -> tuple[dict[str, Any], list[Problem]]:
    """retention[0]'s timetable (with defaults); later entries may only repeat it."""
    first = entries[0]
    schema_defaults = SCHEMA.defaults({})
    defaulted = ("gcAfterMinutes", "compactAfterMinutes") + (() if "cron" in first else ("schedule", "time"))
    defaults = {k: schema_defaults[k] for k in defaulted}
    shared = {**defaults, **{k: first[k] for k in SHARED if k in first}}
    problems = []
    for i, entry in enumerate(entries[1:], 1):
        for key in SHARED:
            if key in entry and _same(entry[key]) != _same(shared.get(key)):
                problems.append(Problem(f"retention[{i}].{key}", f"all retention entries share one "
                                        f"timetable (Nexus has one '{CLEANUP_NAME}' task); set "
                                        f"{key} as retention[0] does ({shared.get(key)!r}) or "
                                        "leave it out"))
    return shared, problems


def _same(value: Any) -> Any:
    return sorted(str(v).upper() for v in value) if isinstance(value, list) else value


def _timetable(shared: Mapping[str, Any]) -> tuple[Optional[tuple[Cron, Cron, Cron]], list[Problem]]:
    """Cleanup, GC and compact cron expressions, each after the one it depends on."""
    gc_after, compact_after = shared["gcAfterMinutes"], shared["compactAfterMinutes"]
    if compact_after <= gc_after:
        return None, [Problem("retention[0].compactAfterMinutes", f"compact must run after the "
                              f"docker GC ({gc_after} minutes after the cleanup): set it above "
                              f"{gc_after}")]
    if "cron" in shared:
        mixed = [k for k in ("schedule", "time", "days") if k in shared]
        if mixed:
            return None, [Problem(f"retention[0].{mixed[0]}", "cron replaces schedule, time and "
                                  "days; remove them or the cron")]
        try:
            base = parse_cron(shared["cron"])
        except CronError as err:
            return None, [Problem("retention[0].cron", f"'{shared['cron']}' is not a valid Quartz "
                                  f"cron expression: {err}")]
    else:
        hours, minutes = (int(p) for p in str(shared["time"]).split(":"))
        days = shared.get("days")
        if shared["schedule"] == "weekly" and not days:
            return None, [Problem("retention[0].days", "a weekly schedule needs days, e.g. [SUN]")]
        if shared["schedule"] == "daily" and days:
            return None, [Problem("retention[0].days", "days are for schedule: weekly; remove them "
                                  "or set schedule: weekly")]
        day_of_week = ",".join(str(d).upper() for d in days) if days else "?"
        base = Cron(("0", str(minutes), str(hours), "*" if not days else "?", "*", day_of_week))
    try:
        return (base, shifted(base, gc_after), shifted(base, compact_after)), []
    except CronError as err:
        return None, [Problem("retention[0].cron", str(err))]


def shifted(cron: Cron, minutes: int) -> Cron:
    """The same schedule `minutes` later; crossing midnight moves listed week days along."""
    second, minute, hour, day_of_month, month, day_of_week, *year = cron.fields
    if not (second.isdigit() and minute.isdigit() and hour.isdigit()):
        raise CronError(f"'{cron}' fires at several times of day; GC and compact are placed "
                        f"{minutes} minutes after the cleanup, which needs one time (seconds, "
                        "minutes and hours as plain numbers, e.g. '0 30 1 ? * SUN')")
    days, rest = divmod(int(hour) * 60 + int(minute) + minutes, MINUTES_PER_DAY)
    if days and day_of_week not in ("?", "*"):
        day_of_week = _later_weekdays(cron, day_of_week, days)
    elif days and day_of_month not in ("?", "*"):
        raise CronError(f"'{cron}' runs on given days of the month and the {minutes}-minute offset "
                        "crosses midnight; choose an earlier time or smaller offsets")
    return Cron((second, str(rest % 60), str(rest // 60), day_of_month, month, day_of_week, *year))


def _later_weekdays(cron: Cron, field: str, days: int) -> str:
    def later(token: str) -> str:
        number = int(token) if token.isdigit() else WEEKDAYS.index(token) + 1
        return WEEKDAYS[(number - 1 + days) % 7]
    items = []
    for item in field.split(","):
        if any(c in item for c in "/L#"):
            raise CronError(f"'{cron}': GC and compact run after midnight, and week days like "
                            f"'{item}' cannot be moved to the next day; choose an earlier time")
        low, dash, high = item.partition("-")
        items.append(f"{later(low)}-{later(high)}" if dash else later(low))
    return ",".join(items)


def _tasks(entries: list[dict[str, Any]], shared: Mapping[str, Any],
           crons: tuple[Cron, Cron, Cron], gc_targets: list[tuple[int, str]],
           stores: Mapping[str, tuple[int, str]]) -> list[dict[str, Any]]:
    """Cleanup, then GC per repository, then compact per blob store: the run order."""
    cleanup, gc, compact = crons
    notify = {k: shared[k] for k in ("alertEmail", "notificationCondition") if k in shared}

    def schedule(cron: Cron) -> dict[str, Any]:
        zone = {"timeZoneOffset": shared["timeZoneOffset"]} if "timeZoneOffset" in shared else {}
        return {"type": "cron", "cron": str(cron), **zone}

    tasks = [{"name": CLEANUP_NAME, "type": CLEANUP_TYPE, "schedule": schedule(cleanup),
              "origin": "retention[0]", **notify}]
    for i, repository in gc_targets:
        properties: dict[str, Any] = {REPOSITORY_FIELD: repository}
        if "deployOffsetHours" in entries[i]:
            properties["deployOffset"] = entries[i]["deployOffsetHours"]
        tasks.append({"name": gc_task_name(repository), "type": GC_TYPE, "properties": properties,
                      "schedule": schedule(gc), "origin": f"retention[{i}]", **notify})
    for i, store in stores.values():
        tasks.append({"name": compact_task_name(store), "type": COMPACT_TYPE,
                      "properties": {BLOB_STORE_FIELD: store}, "schedule": schedule(compact),
                      "origin": f"retention[{i}]", **notify})
    return tasks
