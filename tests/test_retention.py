"""The retention preset: its expansion (unit), then the whole chain through the real engine,
and `nexusctl retention run` against the emulator."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from components.config import expanded_values, validate
from components.stack_config import StackConfig
from components.retention import chain, expand
from tests.conftest import configure
from tests.harness import changed_inputs, changed_steps, install_cli, nexusctl
from tests.samples import repository, seed_registry

NEW = "3.94.0"
CHAIN = ["Cleanup service", "retention-gc-docker-hub", "retention-gc-google-hub",
         "retention-compact-docker-hub", "retention-compact-google-hub"]


def with_retention(**settings: Any) -> dict[str, Any]:
    values = seed_registry()
    values["retention"] = [{"repositories": ["docker-hub", "google-hub"], "lastDownloadedDays": 30, **settings}]
    return values


def crons(values: dict[str, Any]) -> dict[str, str]:
    return {t["name"]: t["schedule"]["cron"] for t in chain(values)}


# --- expansion (unit) ---------------------------------------------------------------------------
def test_one_line_expands_into_policy_attachment_and_ordered_tasks():
    expanded, problems = expand(with_retention())
    assert problems == []
    policy = next(p for p in expanded["cleanupPolicies"] if p["name"] == "retention-idle-30d")
    assert policy == {"name": "retention-idle-30d", "format": "docker", "lastDownloadedDays": 30,
                      "notes": "retention preset: not downloaded for 30 days"}
    assert repository(expanded, "docker-hub")["cleanupPolicies"] == ["docker-unused-30d", "retention-idle-30d"]
    assert repository(expanded, "google-hub")["cleanupPolicies"] == ["docker-unused-30d", "retention-idle-30d"]
    assert "cleanupPolicies" not in repository(expanded, "aliyun-hub")
    assert [t["name"] for t in chain(expanded)] == CHAIN
    assert crons(expanded) == {"Cleanup service": "0 0 1 * * ?",  # Nexus's own default
                               "retention-gc-docker-hub": "0 0 2 * * ?", "retention-gc-google-hub": "0 0 2 * * ?",
                               "retention-compact-docker-hub": "0 0 3 * * ?",
                               "retention-compact-google-hub": "0 0 3 * * ?"}
    gc = next(t for t in expanded["tasks"] if t["name"] == "retention-gc-docker-hub")
    assert gc["type"] == "repository.docker.gc" and gc["properties"] == {"repositoryName": "docker-hub"}
    compact = next(t for t in expanded["tasks"] if t["name"] == "retention-compact-google-hub")
    assert compact["type"] == "blobstore.compact" and compact["properties"] == {"blobstoreName": "google-hub"}
    assert expanded["tasks"][0]["type"] == "repository.cleanup"


def test_entries_share_the_timetable_policies_and_blob_stores():
    values = with_retention(time="22:45", gcAfterMinutes=30, compactAfterMinutes=90, deployOffsetHours=6,
                            alertEmail="ops@example.org")
    values["retention"].append({"repositories": ["ybcard", "aliyun-hub"], "lastBlobUpdatedDays": 90})
    repository(values, "aliyun-hub")["blobStore"] = "docker-hub"
    expanded, problems = expand(values)
    assert problems == []
    assert {p["name"] for p in expanded["cleanupPolicies"]} >= {"retention-idle-30d", "retention-age-90d"}
    assert repository(expanded, "ybcard")["cleanupPolicies"] == ["retention-age-90d"]
    assert crons(expanded)["Cleanup service"] == "0 45 22 * * ?"
    assert crons(expanded)["retention-gc-ybcard"] == "0 15 23 * * ?"
    assert crons(expanded)["retention-compact-ybcard"] == "0 15 0 * * ?"  # after midnight, every day
    compacts = [t["name"] for t in chain(expanded) if t["type"] == "blobstore.compact"]
    assert compacts == ["retention-compact-docker-hub", "retention-compact-google-hub", "retention-compact-ybcard"]
    gc = {t["name"]: t for t in chain(expanded)}
    assert gc["retention-gc-docker-hub"]["properties"]["deployOffset"] == 6
    assert "deployOffset" not in gc["retention-gc-ybcard"]["properties"]
    assert all(t["alertEmail"] == "ops@example.org" for t in chain(expanded))


def test_weekly_and_cron_timetables_move_the_day_after_midnight():
    weekly, _ = expand(with_retention(schedule="weekly", days=["SAT", "SUN"], time="23:30"))
    assert [crons(weekly)[n] for n in ("Cleanup service", "retention-gc-docker-hub",
                                       "retention-compact-docker-hub")] == \
        ["0 30 23 ? * SAT,SUN", "0 30 0 ? * SUN,MON", "0 30 1 ? * SUN,MON"]
    cron, _ = expand(with_retention(cron="0 30 22 ? * MON-FRI", compactAfterMinutes=150,
                                    timeZoneOffset="+01:00"))
    assert crons(cron)["retention-compact-docker-hub"] == "0 0 1 ? * TUE-SAT"
    assert chain(cron)[0]["schedule"] == {"type": "cron", "cron": "0 30 22 ? * MON-FRI",
                                          "timeZoneOffset": "+01:00"}


@pytest.mark.parametrize("settings, extra, path, message", [
    ({"cron": "0 0/5 1 * * ?"}, None, "retention[0].cron", "several times of day"),
    ({"cron": "0 0 23 1 * ?"}, None, "retention[0].cron", "crosses midnight"),
    ({"cron": "0 0 1 * * *"}, None, "retention[0].cron", "not a valid Quartz cron"),
    ({"cron": "0 0 1 * * ?", "time": "02:00"}, None, "retention[0].time", "cron replaces"),
    ({"schedule": "weekly"}, None, "retention[0].days", "needs days"),
    ({"compactAfterMinutes": 60}, None, "retention[0].compactAfterMinutes", "after the docker GC"),
    ({}, {"repositories": ["ybcard"], "lastDownloadedDays": 7, "time": "03:00"}, "retention[1].time",
     "share one timetable"),
    ({}, {"repositories": ["docker-hub"], "lastDownloadedDays": 7}, "retention[1].repositories[0]",
     "already in retention[0]"),
    ({}, {"repositories": ["hub-group"], "lastDownloadedDays": 7}, "retention[1].repositories[0]",
     "is a group"),
    ({}, {"repositories": ["nowhere"], "lastDownloadedDays": 7}, "retention[1].repositories[0]",
     "not declared in repositories"),
    ({"policy": "docker-unused-30d"}, None, "retention[0].policy", "already declared"),
    ({}, {"repositories": ["ybcard"], "lastDownloadedDays": 7, "policy": "retention-idle-30d"},
     "retention[1].policy", "other criteria"),
])
def test_contradictions_are_problems_naming_the_path(settings, extra, path, message):
    values = with_retention(**settings)
    if extra:
        values["retention"].append(extra)
    _, problems = expand(values)
    assert any(p.path == path and message in p.message for p in problems), problems


def test_expansion_runs_with_the_other_presets_and_is_validated():
    values = with_retention()
    values["nexus"] = {"url": "http://nexus:8081"}
    values["tasks"] = [{"name": "Cleanup service", "type": "repository.cleanup", "schedule": "daily"}]
    cfg = StackConfig(values, frozenset({"adminPassword"}))
    expanded, _ = expanded_values(cfg)
    assert [t["name"] for t in expanded["tasks"]][:2] == ["Cleanup service", "Cleanup service"]
    found = {str(p) for p in validate(cfg)}
    assert any(p.startswith("retention[0].name: 'Cleanup service' is also the name of tasks[0]") for p in found)
    assert any(p.startswith("retention[0].type: Nexus has one repository.cleanup task") for p in found)


# --- through the engine -------------------------------------------------------------------------
def server_tasks(nexus: Any) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in nexus.rest("GET", "/v1/tasks", nexus.password).json()["items"]}


def policies_of(nexus: Any, name: str) -> list[str]:
    repo = next(r for r in nexus.rest("GET", "/v1/repositorySettings", nexus.password).json() if r["name"] == name)
    return repo["cleanup"]["policyNames"] if repo.get("cleanup") else []


@pytest.mark.engine
@pytest.mark.nexus(version=NEW)
def test_retention_preset_converges_then_a_no_op_refresh_is_clean_and_cheap(workspace, nexus):
    values = with_retention(time="02:30")
    configure(workspace, nexus, values)
    preview = workspace.preview()
    for shown in ("retention-idle-30d", "cleanup-service", "task-retention-gc-docker-hub",
                  "task-retention-gc-google-hub", "task-retention-compact-docker-hub",
                  "task-retention-compact-google-hub"):
        assert shown in preview.output, f"preview does not show {shown}"
    workspace.up()

    tasks = server_tasks(nexus)
    assert tasks["Cleanup service"]["cronExpression"] == "0 30 2 * * ?"
    assert tasks["retention-gc-docker-hub"]["cronExpression"] == "0 30 3 * * ?"
    assert tasks["retention-gc-docker-hub"]["properties"] == {"repositoryName": "docker-hub"}
    assert tasks["retention-compact-google-hub"]["cronExpression"] == "0 30 4 * * ?"
    assert tasks["retention-compact-google-hub"]["properties"] == {"blobstoreName": "google-hub"}
    assert "retention-idle-30d" in policies_of(nexus, "docker-hub")
    assert "retention-idle-30d" in policies_of(nexus, "google-hub")
    assert changed_steps(workspace.preview_json()) == []

    nexus.clear_log()
    assert workspace.refresh_check().code == 0
    calls = [(r["method"], r["path"].replace("/service/rest", "")) for r in nexus.requests()]
    assert all(method == "GET" for method, _ in calls)
    # The whole preset reads three lists: tasks, policies (and the repositories they attach to).
    assert calls.count(("GET", "/v1/tasks")) == 1
    assert calls.count(("GET", "/v1/repositorySettings")) == 1
    assert not [c for c in calls if c[1].startswith("/v1/tasks/")]


@pytest.mark.engine
def test_a_new_time_updates_only_the_tasks_and_removing_the_preset_restores_nexus_defaults(workspace, nexus):
    values = with_retention()
    configure(workspace, nexus, values)
    workspace.up()
    cleanup_id = server_tasks(nexus)["Cleanup service"]["id"]

    values["retention"][0]["time"] = "03:15"
    configure(workspace, nexus, values)
    steps = changed_steps(workspace.preview_json())
    assert sorted(s["urn"].split("::")[-1] for s in steps) == sorted(
        ["cleanup-service", "task-retention-gc-docker-hub", "task-retention-gc-google-hub",
         "task-retention-compact-docker-hub", "task-retention-compact-google-hub"])
    assert {s["op"] for s in steps} == {"update"}
    assert all(changed_inputs(s) == ["schedule"] for s in steps)
    workspace.up()
    stored = nexus.state()["tasks"]
    assert stored[cleanup_id]["_def"]["frequency"]["cronExpression"] == "0 15 3 * * ?"
    assert workspace.refresh_check().code == 0

    del values["retention"]
    configure(workspace, nexus, values)
    workspace.up()
    stored = nexus.state()["tasks"]
    names = [t["name"] for t in stored.values()]
    assert "Cleanup service" in names and not [n for n in names if n.startswith("retention-")]
    assert stored[cleanup_id]["_def"]["frequency"]["cronExpression"] == "0 0 1 * * ?"
    assert policies_of(nexus, "docker-hub") == ["docker-unused-30d"]
    names = {p["name"] for p in nexus.rest("GET", "/internal/cleanup-policies", nexus.password).json()}
    assert "retention-idle-30d" not in names


@pytest.mark.engine
def test_run_now_runs_the_chain_in_order_and_stops_at_a_failure(workspace, nexus, tmp_path):
    values = with_retention()
    configure(workspace, nexus, values)
    workspace.up()
    install_cli(workspace)
    nexus.control("POST", "task-duration", {"seconds": 0.3})
    ids = {name: t["id"] for name, t in server_tasks(nexus).items()}
    nexus.clear_log()

    done = nexusctl(workspace, "retention", "run", "test", "--poll", "0.05", "--json", str(tmp_path / "run.json"))
    assert done.code == 0, done.output
    runs = [r["path"] for r in nexus.requests() if r["method"] == "POST" and r["path"].endswith("/run")]
    assert runs == [f"/service/rest/v1/tasks/{ids[name]}/run" for name in CHAIN]
    for name in CHAIN:
        assert f"{name} (" in done.stdout and "OK in" in done.stdout
    stored = nexus.state()["tasks"]
    starts = [stored[ids[name]]["_lastRun"] for name in CHAIN]
    assert all(later - earlier >= 0.3 for earlier, later in zip(starts, starts[1:]))  # one after another
    report = (tmp_path / "run.json").read_text()
    assert '"ok": true' in report and nexus.password not in done.output + report

    nexus.control("POST", "task-fail", {"type": "repository.docker.gc"})
    failed = nexusctl(workspace, "retention", "run", "test", "--poll", "0.05", "--format", "json")
    assert failed.code == 3, failed.output
    assert json.loads(failed.stdout)["status"] == "failed"  # the JSON alone on stdout, the lines on stderr
    assert "retention-gc-docker-hub (repository.docker.gc) ... FAILED" in failed.stderr
    assert "skipped (they depend on the failed step): retention-gc-google-hub, retention-compact-docker-hub, " \
           "retention-compact-google-hub" in failed.stderr

    plain = copy.deepcopy(values)
    del plain["retention"]
    configure(workspace, nexus, plain)
    missing = nexusctl(workspace, "retention", "run", "test")
    assert missing.code == 1 and "has no retention preset" in missing.stderr
