"""Scheduled tasks: the Quartz validator and schedule shapes (unit), and tasks through the real
engine against the emulator (create, read-back per version, drift, adopt, refusals)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from components.quartz import CronError, parse_cron
from components.kinds.tasks.schedules import frequency_body, normalize_schedule, schedule_from
from tests.conftest import configure
from tests.harness import changed_inputs, changed_steps
from tests.samples import seed_registry

NEW = "3.94.0"


def tasks_config() -> dict[str, Any]:
    values = seed_registry()
    values["tasks"] = [
        {"name": "purge uploads", "type": "repository.docker.upload-purge", "properties": {"age": 48},
         "schedule": {"type": "daily", "time": "04:30", "timeZoneOffset": "+02:00"},
         "alertEmail": "ops@example.org", "notificationCondition": "SUCCESS_FAILURE"},
        {"name": "gc ybcard", "type": "repository.docker.gc",
         "properties": {"repositoryName": "ybcard", "deployOffset": 12},
         "schedule": {"type": "weekly", "days": ["SUN", "WED"], "time": "05:00"}},
    ]
    return values


def server_task(nexus: Any, name: str) -> dict[str, Any]:
    found = [t for t in nexus.rest("GET", "/v1/tasks", nexus.password).json()["items"] if t["name"] == name]
    assert len(found) == 1, f"expected one task named {name}, found {found}"
    return found[0]


def definition(nexus: Any, task_id: str) -> dict[str, Any]:
    """What the emulator stored (older versions do not answer it over REST)."""
    return nexus.state()["tasks"][task_id]["_def"]


# --- Quartz cron (unit) -------------------------------------------------------------------------
@pytest.mark.parametrize("expression", [
    "0 0 1 * * ?", "0 0/30 * * * ?", "0 15 10 ? * MON-FRI", "0 0 12 L * ?", "0 0 12 L-3 * ?",
    "0 0 12 LW * ?", "0 0 12 15W * ?", "0 0 12 ? * 6L", "0 0 12 ? * FRI#2", "0 0 22-2 * * ?",
    "0 0 0 29 2 ? 2028", "*/10 * * ? JAN,JUL SUN,SAT", "0 30 1 ? * sun", "0 0 1 1-15/2 * ?",
])
def test_quartz_accepts(expression):
    assert str(parse_cron(expression)) == " ".join(expression.upper().split())


@pytest.mark.parametrize("expression, reason", [
    ("", "6 or 7 fields"), ("0 0 1 * *", "6 or 7 fields"), ("0 0 1 * * ? 2030 x", "8 fields"),
    ("0 0 1 * * *", "exactly one of day-of-month and day-of-week"),
    ("0 0 1 ? * ?", "exactly one of day-of-month and day-of-week"),
    ("? 0 1 * * *", "'?' is only allowed"), ("0 60 1 * * ?", "between 0 and 59"),
    ("0 0 24 * * ?", "between 0 and 23"), ("0 0 0 32 * ?", "between 1 and 31"),
    ("0 0 0 ? 13 *", "between 1 and 12"), ("0 0 0 ? * 8", "between 1 and 7"),
    ("0 0 0 ? * FUN", "not a valid day-of-week"), ("0 0/0 0 * * ?", "increment"),
    ("0 0/61 0 * * ?", "increment"), ("0 0 0 L,1 * ?", "'L' and 'W' cannot be combined"),
    ("0 0 0 ? * 2#6", "from 1 to 5"), ("0 0 0 ? * 1L,2", "'L' cannot be combined"),
    ("0 0 0 1,,2 * ?", "empty value"), ("0 0 0 ? * MON-", "not a valid day-of-week"),
])
def test_quartz_rejects_with_the_reason(expression, reason):
    with pytest.raises(CronError, match=reason):
        parse_cron(expression)


# --- schedules (unit) ---------------------------------------------------------------------------
@pytest.mark.parametrize("raw", [
    "manual", "daily", {"type": "hourly", "minute": 15},
    {"type": "daily", "time": "04:30", "timeZoneOffset": "+02:00"},
    {"type": "weekly", "days": ["WED", 1], "time": "23:45", "timeZoneOffset": "-05:00"},
    {"type": "monthly", "days": [15, "last", 1], "time": "06:00"},
    {"type": "once", "start": "2031-02-03T04:05"},
    {"type": "cron", "cron": "0  0 2 * * ?"},
    {"type": "cron", "cron": "0 0 2 * * ?", "timeZoneOffset": "Z"},
])
def test_a_schedule_written_then_read_back_from_3_94_is_unchanged(raw):
    """normalize -> FrequencyXO -> what 3.94 answers (startDate as ISO UTC) -> the same spec."""
    spec = normalize_schedule(raw)
    wire = frequency_body(spec, now=datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc))
    answer = {"enabled": True, "schedule": "advanced" if wire["schedule"] == "cron" else wire["schedule"],
              **{k: v for k, v in wire.items() if k not in ("schedule", "startDate")}}
    if "startDate" in wire:
        start = datetime.fromtimestamp(wire["startDate"] / 1000, timezone.utc)
        assert start > datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc) or spec["type"] == "once"
        answer["startDate"] = start.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")
    assert schedule_from(answer, spec) == spec


def test_schedule_wire_shapes():
    weekly = frequency_body(normalize_schedule({"type": "weekly", "days": ["SAT", "SUN"], "time": "01:00"}),
                            now=datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc))
    assert weekly["recurringDays"] == [1, 7] and weekly["timeZoneOffset"] == "+00:00"
    assert weekly["startDate"] == int(datetime(2030, 6, 2, 1, 0, tzinfo=timezone.utc).timestamp() * 1000)
    monthly = frequency_body(normalize_schedule({"type": "monthly", "days": ["last"], "time": "00:00"}))
    assert monthly["recurringDays"] == [999]
    assert frequency_body(normalize_schedule({"type": "cron", "cron": "0 0 2 * * ?"})) == \
        {"schedule": "cron", "cronExpression": "0 0 2 * * ?"}
    # 3.89-3.93 answer only the kind: the same kind keeps the last applied details; another is drift.
    daily = normalize_schedule({"type": "daily", "time": "03:00"})
    assert schedule_from({"schedule": "daily"}, daily) == daily
    assert schedule_from({"schedule": "advanced"}, daily) == {"type": "cron"}
    assert schedule_from({}, daily) == daily  # before 3.89: nothing


# --- through the engine -------------------------------------------------------------------------

@pytest.mark.engine
@pytest.mark.nexus(version=NEW)
def test_tasks_converge_and_3_94_drift_shows_field_by_field(workspace, nexus):
    values = tasks_config()
    configure(workspace, nexus, values)
    preview = workspace.preview()
    assert "task-purge uploads" in preview.output and "task-gc ybcard" in preview.output
    workspace.up()

    purge = server_task(nexus, "purge uploads")
    assert purge["type"] == "repository.docker.upload-purge" and purge["schedule"] == "daily"
    assert purge["startDate"].endswith("T02:30:00.000+00:00") and purge["timeZoneOffset"] == "+02:00"
    assert purge["properties"] == {"age": "48"} and purge["alertEmail"] == "ops@example.org"
    assert purge["notificationCondition"] == "SUCCESS_FAILURE"
    gc = server_task(nexus, "gc ybcard")
    assert gc["recurringDays"] == [1, 4] and gc["properties"] == {"repositoryName": "ybcard", "deployOffset": "12"}
    assert changed_steps(workspace.preview_json()) == []
    assert workspace.refresh_check().code == 0

    tampered = {"name": "purge uploads", "enabled": False, "notificationCondition": "FAILURE",
                "frequency": {"schedule": "cron", "cronExpression": "0 0 9 * * ?"}, "properties": {"age": "1"}}
    assert nexus.rest("PUT", f"/v1/tasks/{purge['id']}", nexus.password, tampered).status_code == 204
    drift = workspace.refresh_check()
    assert drift.code != 0
    for shown in ("task-purge uploads", "enabled", "0 0 9 * * ?", "age", "notificationCondition"):
        assert shown in drift.output, f"drift output does not show {shown}"
    workspace.up("--refresh")
    restored = server_task(nexus, "purge uploads")
    assert restored["enabled"] is True and restored["schedule"] == "daily" and restored["properties"] == {"age": "48"}
    assert workspace.refresh_check().code == 0


@pytest.mark.engine
def test_schedule_change_updates_only_that_task_and_a_deleted_task_comes_back(workspace, nexus):
    """3.86 answers no schedule at all: changes are sent from the config, deletes are seen."""
    values = tasks_config()
    configure(workspace, nexus, values)
    workspace.up()
    gc_id = server_task(nexus, "gc ybcard")["id"]
    assert set(server_task(nexus, "gc ybcard")) >= {"id", "name", "type", "currentState"}
    assert "schedule" not in server_task(nexus, "gc ybcard")

    values["tasks"][1]["schedule"] = {"type": "cron", "cron": "0 15 3 ? * SAT"}
    configure(workspace, nexus, values)
    steps = changed_steps(workspace.preview_json())
    assert [(s["op"], s["urn"].split("::")[-1]) for s in steps] == [("update", "task-gc ybcard")]
    assert changed_inputs(steps[0]) == ["schedule"]
    nexus.clear_log()
    workspace.up()
    writes = [(w["method"], w["path"]) for w in nexus.writes()]
    assert writes == [("PUT", f"/service/rest/v1/tasks/{gc_id}")]
    assert definition(nexus, gc_id)["frequency"]["cronExpression"] == "0 15 3 ? * SAT"
    assert changed_steps(workspace.preview_json()) == []

    assert nexus.rest("DELETE", f"/v1/tasks/{gc_id}", nexus.password).status_code == 204
    drift = workspace.refresh_check()
    assert drift.code != 0 and "task-gc ybcard" in drift.output
    workspace.up("--refresh")
    again = server_task(nexus, "gc ybcard")
    assert again["id"] != gc_id
    assert definition(nexus, again["id"])["properties"] == {"repositoryName": "ybcard", "deployOffset": "12"}
    assert workspace.refresh_check().code == 0


@pytest.mark.engine
def test_an_existing_task_is_refused_without_adopt_and_taken_over_with_it(workspace, nexus):
    by_hand = {"type": "blobstore.compact", "name": "compact default", "enabled": True,
               "notificationCondition": "FAILURE", "frequency": {"schedule": "manual"},
               "properties": {"blobstoreName": "default"}}
    made = nexus.rest("POST", "/v1/tasks", nexus.password, by_hand)
    assert made.status_code == 201
    values = {"tasks": [{"name": "compact default", "type": "blobstore.compact",
                         "properties": {"blobstoreName": "default"}, "schedule": "daily"}]}
    configure(workspace, nexus, values)
    refused = workspace.up(check=False)
    assert refused.code != 0 and "already exists" in refused.output and "adopt" in refused.output

    values["tasks"][0]["adopt"] = True
    configure(workspace, nexus, values)
    nexus.clear_log()
    workspace.up()
    task_id = made.json()["id"]
    assert [(w["method"], w["path"]) for w in nexus.writes()] == [("PUT", f"/service/rest/v1/tasks/{task_id}")]
    assert definition(nexus, task_id)["frequency"]["schedule"] == "daily"
    assert changed_steps(workspace.preview_json()) == []


@pytest.mark.engine
def test_unknown_type_bad_cron_and_missing_blob_store_are_refused_before_any_write(workspace, nexus):
    values = seed_registry()
    values["tasks"] = [
        {"name": "typo", "type": "repository.docker.gcc", "properties": {"repositoryName": "ybcard"}},
        {"name": "bad cron", "type": "repository.docker.upload-purge",
         "schedule": {"type": "cron", "cron": "0 0 2 * * *"}},
        {"name": "compact ghost", "type": "blobstore.compact", "properties": {"blobstoreName": "ghost"}},
        {"name": "wrong field", "type": "blobstore.compact",
         "properties": {"blobstoreName": "ybcard", "repositoryName": "ybcard"}},
    ]
    configure(workspace, nexus, values)
    for result in (workspace.preview(), workspace.up(check=False)):
        assert result.code != 0
        out = result.output
        assert "tasks[0].type: unknown task type 'repository.docker.gcc'" in out
        assert "repository.docker.gc, repository.docker.upload-purge" in out  # the known types
        assert "tasks[1].schedule.cron" in out and "exactly one of day-of-month" in out
        assert "tasks[2].properties.blobstoreName: blob store 'ghost'" in out
        assert "tasks[3].properties.repositoryName: blobstore.compact has no property" in out
    assert nexus.writes() == []


@pytest.mark.engine
@pytest.mark.nexus(version="3.68.1")
def test_a_nexus_without_the_task_api_gets_manual_steps_and_no_writes(workspace, nexus):
    values = seed_registry()
    values["retention"] = [{"repositories": ["docker-hub"], "lastDownloadedDays": 30}]
    values["tasks"] = [{"name": "purge uploads", "type": "repository.docker.upload-purge",
                        "properties": {"age": 24}, "schedule": {"type": "daily", "time": "02:30"}}]
    configure(workspace, nexus, values)
    result = workspace.preview()
    assert result.code != 0
    assert "this Nexus (3.68.1) cannot create or change tasks" in result.output and "3.84" in result.output
    for step in ("create 'Docker - Delete incomplete uploads' named 'purge uploads' with Age in hours: 24; "
                 "Task frequency: Daily, at 02:30",
                 "open the existing task 'Cleanup service' and set Task frequency: Advanced "
                 "(provide a CRON expression): 0 0 1 * * ?",
                 "create 'Docker - Delete unused manifests and images' named 'retention-gc-docker-hub'",
                 "create 'Admin - Compact blob store' named 'retention-compact-docker-hub' with Blob store: docker-hub"):
        assert step in result.output, f"manual steps lack: {step}"
    assert workspace.up(check=False).code != 0
    assert nexus.writes() == []
