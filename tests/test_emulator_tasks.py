"""The emulator's task scheduler and capabilities behave like Nexus's REST API, per version."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest
import requests

from tests.emulator.quartz import CronExpression
from tests.emulator.testing import Emulators, Nexus

pytestmark = pytest.mark.emulator_only  # in-process emulators and their control API

OLD, MID, NEW = "3.68.1", "3.86.2", "3.94.0"


class Tasks(Nexus):
    """An emulator with the helpers the task tests share."""

    def url(self, path: str) -> str:
        return f"{self.rest}{path}"

    def add_repository(self, name: str, fmt: str = "docker") -> None:
        with self.state.lock:
            self.state.repositories[name.lower()] = {"name": name, "format": fmt,
                                                     "type": "hosted", "online": True}

    def add_blobstore(self, name: str) -> None:
        with self.state.lock:
            self.state.blobstores[name.lower()] = {"name": name, "type": "File", "path": name,
                                                   "softQuota": None}

    def task(self, task_id: str) -> dict[str, Any]:
        response = self.get(f"/v1/tasks/{task_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def create(self, body: dict[str, Any]) -> str:
        response = self.post("/v1/tasks", body)
        assert response.status_code == 201, response.text
        return response.json()["id"]


@pytest.fixture
def nexus(emulators: Emulators) -> Callable[[str], Tasks]:
    """A fresh Nexus of the given version (the module's emulator of it, reset)."""
    def start(version: str = NEW) -> Tasks:
        return Tasks(emulators.get(version).emulator)
    return start


def docker_gc(repository: str = "docker-hosted", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "repository.docker.gc", "name": "docker gc", "enabled": True,
        "notificationCondition": "FAILURE", "frequency": {"schedule": "manual"},
        "properties": {"repositoryName": repository, "deployOffset": "0"}}
    body.update(extra)
    return body


def compact(blobstore: str = "default", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "blobstore.compact", "name": "compact", "enabled": True,
        "notificationCondition": "SUCCESS_FAILURE", "frequency": {"schedule": "manual"},
        "properties": {"blobstoreName": blobstore}}
    body.update(extra)
    return body


def wait_for(check: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def errors(response: requests.Response) -> str:
    assert response.status_code == 400, (response.status_code, response.text)
    return " | ".join(f"{e['id']}: {e['message']}" for e in response.json())


# --- listing and the built-in tasks ---------------------------------------------------------------
@pytest.mark.parametrize("version", [OLD, MID, NEW])
def test_fresh_nexus_lists_the_cleanup_service_task(nexus, version):
    nx = nexus(version)
    page = nx.get("/v1/tasks").json()
    assert page["continuationToken"] is None
    cleanup = [t for t in page["items"] if t["type"] == "repository.cleanup"]
    assert len(cleanup) == 1 and cleanup[0]["name"] == "Cleanup service"
    assert cleanup[0]["currentState"] == "WAITING" and cleanup[0]["lastRun"] is None
    assert cleanup[0]["nextRun"].endswith("T01:00:00.000+00:00")
    if version == NEW:
        assert cleanup[0]["schedule"] == "advanced"
        assert cleanup[0]["cronExpression"] == "0 0 1 * * ?" and cleanup[0]["enabled"] is True
    else:
        assert set(cleanup[0]) == {"id", "name", "type", "message", "currentState",
                                   "lastRunResult", "nextRun", "lastRun"}
    assert nx.get("/v1/tasks", params={"type": "blobstore.compact"}).json()["items"] == []
    assert nx.get("/v1/tasks", params={"type": "repository.cleanup"}).json()["items"] == cleanup


def test_tasks_need_an_admin(nexus):
    nx = nexus(NEW)
    assert requests.get(nx.url("/v1/tasks")).status_code == 403
    assert requests.get(nx.url("/v1/tasks"), auth=("admin", "wrong")).status_code == 401


def test_datastore_versions_add_an_asset_blob_cleanup_task_per_format(nexus):
    nx = nexus(NEW)
    nx.add_repository("docker-hosted")
    nx.create(docker_gc())  # any change lets Nexus notice the new format
    blob_tasks = nx.get("/v1/tasks", params={"type": "assetBlob.cleanup"}).json()["items"]
    assert [t["name"] for t in blob_tasks if "docker" in t["name"]] == \
        ["Cleanup unused docker blobs from nexus"]
    docker_task = next(t for t in blob_tasks if "docker" in t["name"])
    assert docker_task["properties"] == {"contentStore": "nexus", "format": "docker"}
    assert docker_task["cronExpression"] == "0 */30 * * * ?"
    assert nx.get("/v1/tasks/templates/assetBlob.cleanup").status_code == 404
    old = nexus(OLD)
    old.add_repository("docker-hosted")
    old.control("POST", "task-duration", {"seconds": 0.2})
    assert old.get("/v1/tasks", params={"type": "assetBlob.cleanup"}).json()["items"] == []


# --- templates ------------------------------------------------------------------------------------
def test_templates_list_the_creatable_types_with_their_fields(nexus):
    nx = nexus(NEW)
    templates = {t["type"]: t for t in nx.get("/v1/tasks/templates").json()}
    assert templates["repository.docker.gc"]["name"] == \
        "Docker - Delete unused manifests and images"
    assert templates["repository.docker.gc"]["properties"] == {"repositoryName": "",
                                                               "deployOffset": "24"}
    assert templates["repository.docker.upload-purge"]["properties"] == {"age": "24"}
    assert set(templates["blobstore.compact"]["properties"]) == {"blobstoreName",
                                                                  "blobsOlderThan"}
    assert templates["blobstore.compact"]["frequency"]["schedule"] == "manual"
    assert templates["blobstore.compact"]["concurrentRun"] is True
    assert "repository.cleanup" not in templates and "assetBlob.cleanup" not in templates
    one = nx.get("/v1/tasks/templates/repository.docker.gc")
    assert one.status_code == 200 and one.json() == templates["repository.docker.gc"]
    assert nx.get("/v1/tasks/templates/repository.cleanup").status_code == 404
    assert nx.get("/v1/tasks/templates/no.such.type").status_code == 404
    assert "concurrentRun" not in nexus(MID).get("/v1/tasks/templates").json()[0]


def test_versions_without_the_task_creation_api(nexus):
    nx = nexus(OLD)
    created = nx.post("/v1/tasks", docker_gc())
    assert created.status_code == 405 and created.text == ""
    assert "GET" in created.headers["Allow"]
    task_id = nx.get("/v1/tasks").json()["items"][0]["id"]
    assert nx.put(f"/v1/tasks/{task_id}", docker_gc()).status_code == 405
    assert nx.delete(f"/v1/tasks/{task_id}").status_code == 405
    assert nx.get("/v1/tasks/templates").status_code == 404  # read as a task id
    assert nx.get("/v1/tasks/templates/blobstore.compact").status_code == 404
    assert nx.post(f"/v1/tasks/{task_id}/run").status_code == 204  # run works everywhere


# --- create, read, update, delete -----------------------------------------------------------------
def test_create_answers_the_id_before_3_89_and_the_task_after(nexus):
    mid = nexus(MID)
    mid.add_repository("docker-hosted")
    response = mid.post("/v1/tasks", docker_gc())
    assert response.status_code == 201 and set(response.json()) == {"id"}
    assert set(mid.task(response.json()["id"])) == {
        "id", "name", "type", "message", "currentState", "lastRunResult", "nextRun", "lastRun"}

    v389 = nexus("3.89.0")
    v389.add_repository("docker-hosted")
    task = v389.post("/v1/tasks", docker_gc()).json()
    assert task["schedule"] == "manual" and task["message"] == \
        "Docker - Delete unused manifests and images"
    assert "properties" not in task and task["currentState"] == "WAITING"


def test_from_3_94_a_task_reads_back_its_whole_definition(nexus):
    nx = nexus(NEW)
    nx.add_repository("docker-hosted")
    start = 1_900_000_000_000
    body = docker_gc(alertEmail="ops@example.org", frequency={
        "schedule": "weekly", "startDate": start, "timeZoneOffset": "+02:00",
        "recurringDays": [7, 1]})
    created = nx.post("/v1/tasks", body)
    assert created.status_code == 201
    task = nx.task(created.json()["id"])
    assert task == created.json()
    assert task["properties"] == {"repositoryName": "docker-hosted", "deployOffset": "0"}
    assert task["schedule"] == "weekly" and task["recurringDays"] == [1, 7]
    assert task["alertEmail"] == "ops@example.org" and task["notificationCondition"] == "FAILURE"
    assert task["startDate"] == "2030-03-17T17:46:40.000+00:00"  # Sunday
    assert task["nextRun"] == "2030-03-17T17:46:40.000+00:00"
    assert task["timeZoneOffset"] == "+02:00" and "cronExpression" not in task
    assert "typeName" not in task
    assert nexus("3.96.0").get("/v1/tasks").json()["items"][0]["typeName"] == \
        "Admin - Cleanup repositories using their associated policies"


def test_update_replaces_the_definition(nexus):
    nx = nexus(NEW)
    nx.add_repository("docker-hosted")
    nx.add_repository("docker-other")
    task_id = nx.create(docker_gc())
    update = docker_gc("docker-other", name="renamed", enabled=False,
                       frequency={"schedule": "cron", "cronExpression": "0 30 2 ? * SUN"})
    del update["type"]
    assert nx.put(f"/v1/tasks/{task_id}", update).status_code == 204
    task = nx.task(task_id)
    assert task["name"] == "renamed" and task["enabled"] is False and task["nextRun"] is None
    assert task["schedule"] == "advanced" and task["cronExpression"] == "0 30 2 ? * SUN"
    assert task["properties"]["repositoryName"] == "docker-other"
    without_properties = dict(update, enabled=True)
    del without_properties["properties"]
    assert nx.put(f"/v1/tasks/{task_id}", without_properties).status_code == 204
    assert nx.task(task_id)["properties"]["repositoryName"] == "docker-other"
    assert nx.task(task_id)["nextRun"].endswith("T02:30:00.000+00:00")
    assert "cannot change" in errors(nx.put(f"/v1/tasks/{task_id}",
                                            dict(update, type="blobstore.compact")))
    assert "must not be null" in errors(nx.put(f"/v1/tasks/{task_id}", {"name": "x"}))


def test_delete_removes_the_task(nexus):
    nx = nexus(NEW)
    task_id = nx.create(compact())
    assert nx.delete(f"/v1/tasks/{task_id}").status_code == 204
    assert nx.get(f"/v1/tasks/{task_id}").status_code == 404
    assert nx.delete(f"/v1/tasks/{task_id}").status_code == 404


@pytest.mark.parametrize("method, suffix", [("GET", ""), ("POST", "/run"), ("POST", "/stop"),
                                            ("DELETE", ""), ("PUT", "")])
def test_unknown_task_ids_are_a_bare_404(nexus, method, suffix):
    nx = nexus(NEW)
    response = nx.http.request(method, nx.url(f"/v1/tasks/nope{suffix}"),
                               json=compact() if method == "PUT" else None)
    assert response.status_code == 404 and response.text == ""


# --- validation -----------------------------------------------------------------------------------
def test_create_checks_the_body_shape(nexus):
    nx = nexus(NEW)
    missing = errors(nx.post("/v1/tasks", {"type": "blobstore.compact"}))
    for name in ("enabled", "frequency", "name", "notificationCondition"):
        assert f"PARAMETER {name}: must not be null" in missing
    assert "not one of the values accepted" in errors(
        nx.post("/v1/tasks", compact(notificationCondition="ALWAYS")))
    assert "PARAMETER alertEmail" in errors(nx.post("/v1/tasks", compact(alertEmail="nobody")))
    assert "PARAMETER name" in errors(nx.post("/v1/tasks", compact(name="  ")))
    # ResteasyViolationExceptionMapper keeps the leaf of the property path: frequency.schedule
    assert "PARAMETER schedule: must not be null" in errors(nx.post("/v1/tasks", compact(frequency={})))
    assert "enabled" in errors(nx.post("/v1/tasks", compact(enabled="yes")))


def test_create_refuses_types_that_cannot_be_created(nexus):
    nx = nexus(NEW)
    unknown = errors(nx.post("/v1/tasks", compact(type="no.such.task")))
    assert "is unknown" in unknown and "repository.docker.gc" in unknown
    internal = errors(nx.post("/v1/tasks", compact(type="repository.cleanup")))
    assert "cannot be created" in internal


def test_create_checks_properties_and_the_objects_they_name(nexus):
    nx = nexus(NEW)
    nx.add_repository("docker-hosted")
    nx.add_repository("maven-releases", "maven2")
    assert "'repositoryName' is required" in errors(
        nx.post("/v1/tasks", docker_gc(properties={})))
    assert "Repository 'ghost' does not exist" in errors(nx.post("/v1/tasks", docker_gc("ghost")))
    assert "needs docker" in errors(nx.post("/v1/tasks", docker_gc("maven-releases")))
    assert "Blob store 'ghost' does not exist" in errors(nx.post("/v1/tasks", compact("ghost")))
    assert "whole number" in errors(nx.post("/v1/tasks", docker_gc(
        properties={"repositoryName": "*", "deployOffset": "soon"})))
    assert nx.post("/v1/tasks", docker_gc("*")).status_code == 201
    assert nx.post("/v1/tasks", docker_gc("DOCKER-HOSTED")).status_code == 201
    upload_purge = {"type": "repository.docker.upload-purge", "name": "purge", "enabled": True,
                    "notificationCondition": "FAILURE", "frequency": {"schedule": "manual"},
                    "properties": {"age": 24}}  # numbers arrive as strings
    task_id = nx.create(upload_purge)
    assert nx.task(task_id)["properties"] == {"age": "24"}


@pytest.mark.parametrize("frequency, message", [
    ({"schedule": "fortnightly"}, "Unknown schedule"),
    ({"schedule": "daily"}, "startDate is required"),
    ({"schedule": "weekly", "startDate": 1}, "recurringDays is required"),
    ({"schedule": "weekly", "startDate": 1, "recurringDays": [0, 8]}, "1 to 7"),
    ({"schedule": "monthly", "startDate": 1, "recurringDays": [32]}, "1 to 31"),
    ({"schedule": "cron"}, "cronExpression is required"),
    ({"schedule": "cron", "cronExpression": "0 0 1 * *"}, "Invalid Cron expression"),
    ({"schedule": "cron", "cronExpression": "0 0 1 * * *"}, "both a day-of-week"),
    ({"schedule": "cron", "cronExpression": "0 0 1 ? * ?"}, "'?' can only be specified"),
    ({"schedule": "cron", "cronExpression": "0 61 1 * * ?"}, "between 0 and 59"),
    ({"schedule": "cron", "cronExpression": "0 0 1 * * ?", "timeZoneOffset": "UTC+1"},
     "time zone offset"),
])
def test_create_checks_the_frequency(nexus, frequency, message):
    nx = nexus(NEW)
    assert message in errors(nx.post("/v1/tasks", compact(frequency=frequency)))


def test_next_run_follows_the_schedule(nexus):
    nx = nexus(NEW)
    now = datetime.now(timezone.utc)
    past = int(datetime(2020, 1, 1, 6, 15, tzinfo=timezone.utc).timestamp() * 1000)
    daily = nx.task(nx.create(compact(frequency={"schedule": "daily", "startDate": past})))
    assert daily["nextRun"].endswith("T06:15:00.000+00:00")
    assert datetime.fromisoformat(daily["nextRun"]) > now
    once_gone = nx.task(nx.create(compact(frequency={"schedule": "once", "startDate": past})))
    assert once_gone["nextRun"] is None and once_gone["schedule"] == "once"
    monthly = nx.task(nx.create(compact(frequency={
        "schedule": "monthly", "startDate": past, "recurringDays": [999]})))
    fire = datetime.fromisoformat(monthly["nextRun"])
    assert (fire + timedelta(days=1)).day == 1 and (fire.hour, fire.minute) == (6, 15)
    manual = nx.task(nx.create(compact()))
    assert manual["nextRun"] is None and "startDate" not in manual


# --- running --------------------------------------------------------------------------------------
def test_a_run_goes_running_then_waiting_with_a_result(nexus):
    nx = nexus(NEW)
    assert nx.control("POST", "task-duration", {"seconds": 0.3}).status_code == 204
    task_id = nx.create(compact())
    assert nx.post(f"/v1/tasks/{task_id}/stop").status_code == 409
    assert nx.post(f"/v1/tasks/{task_id}/run").status_code == 204
    running = nx.task(task_id)
    assert running["currentState"] == "RUNNING" and running["lastRun"] is None
    again = nx.post(f"/v1/tasks/{task_id}/run")
    assert again.status_code == 500 and again.text.startswith("ERROR: (ID ")
    wait_for(lambda: nx.task(task_id)["currentState"] == "WAITING")
    done = nx.task(task_id)
    assert done["lastRunResult"] == "OK" and done["lastRun"].endswith("+00:00")
    assert done["message"] == "Admin - Compact blob store"


def test_stop_cancels_a_running_task(nexus):
    nx = nexus(NEW)
    nx.control("POST", "task-duration", {"seconds": 30})
    task_id = nx.create(compact())
    nx.post(f"/v1/tasks/{task_id}/run")
    assert nx.post(f"/v1/tasks/{task_id}/stop").status_code == 204
    task = nx.task(task_id)
    assert task["currentState"] == "WAITING" and task["lastRunResult"] == "CANCELED"
    assert nx.post(f"/v1/tasks/{task_id}/stop").status_code == 409


def test_a_disabled_task_cannot_run(nexus):
    nx = nexus(NEW)
    task_id = nx.create(compact(enabled=False))
    response = nx.post(f"/v1/tasks/{task_id}/run")
    assert response.status_code == 405 and response.text == ""


def test_a_run_fails_when_its_repository_or_blob_store_is_gone(nexus):
    nx = nexus(NEW)
    nx.control("POST", "task-duration", {"seconds": 0})
    nx.add_repository("docker-hosted")
    nx.add_blobstore("scratch")
    gc_id, compact_id = nx.create(docker_gc()), nx.create(compact("scratch"))
    with nx.state.lock:
        del nx.state.repositories["docker-hosted"]
        del nx.state.blobstores["scratch"]
    for task_id in (gc_id, compact_id):
        assert nx.post(f"/v1/tasks/{task_id}/run").status_code == 204
        assert nx.task(task_id)["lastRunResult"] == "FAILED"


def test_control_call_makes_the_next_run_fail(nexus):
    nx = nexus(MID)
    nx.control("POST", "task-duration", {"seconds": 0})
    task_id = nx.create(compact())
    assert nx.control("POST", "task-fail", {"id": task_id}).status_code == 204
    nx.post(f"/v1/tasks/{task_id}/run")
    assert nx.task(task_id)["lastRunResult"] == "FAILED"
    nx.post(f"/v1/tasks/{task_id}/run")
    assert nx.task(task_id)["lastRunResult"] == "OK"
    assert nx.control("POST", "task-fail", {"type": "blobstore.compact", "count": 2}).status_code == 204
    nx.post(f"/v1/tasks/{task_id}/run")
    assert nx.task(task_id)["lastRunResult"] == "FAILED"
    assert nx.control("POST", "task-fail", {"id": "nope"}).status_code == 404
    assert nx.control("POST", "task-duration", {"seconds": -1}).status_code == 400


def test_the_built_in_cleanup_task_runs_on_old_versions(nexus):
    nx = nexus(OLD)
    nx.control("POST", "task-duration", {"seconds": 0})
    task_id = nx.get("/v1/tasks").json()["items"][0]["id"]
    assert nx.post(f"/v1/tasks/{task_id}/run").status_code == 204
    assert nx.task(task_id)["lastRunResult"] == "OK"


# --- cron expressions -----------------------------------------------------------------------------
@pytest.mark.parametrize("expression, after, expected", [
    ("0 0 1 * * ?", "2026-03-14T12:30:05", "2026-03-15T01:00:00"),
    ("0 */30 * * * ?", "2026-03-14T12:30:00", "2026-03-14T13:00:00"),
    ("0 15 10 ? * MON-FRI", "2026-03-14T12:00:00", "2026-03-16T10:15:00"),
    ("0 0 12 L * ?", "2026-02-01T00:00:00", "2026-02-28T12:00:00"),
    ("0 0 12 15W * ?", "2026-03-01T00:00:00", "2026-03-16T12:00:00"),
    ("0 0 12 ? * 6L", "2026-03-01T00:00:00", "2026-03-27T12:00:00"),
    ("0 0 12 ? * 2#1", "2026-03-03T00:00:00", "2026-04-06T12:00:00"),
    ("0 0 22-2 * * ?", "2026-03-14T23:30:00", "2026-03-15T00:00:00"),
    ("0 0 0 29 2 ? 2028", "2026-01-01T00:00:00", "2028-02-29T00:00:00"),
])
def test_cron_next_fire_time(expression, after, expected):
    moment = datetime.fromisoformat(after).replace(tzinfo=timezone.utc)
    fire = CronExpression(expression).next_after(moment)
    assert fire == datetime.fromisoformat(expected).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("expression", [
    "", "* * * * *", "0 0 0 1 1 ? 2026 extra", "0 0 24 * * ?", "0 0 0 32 * ?", "0 0 0 ? 13 *",
    "0 0 0 ? * 8", "0 0 0 ? * FUN", "0 0/0 0 * * ?", "? 0 0 * * *", "0 0 0 L,1 * ?",
])
def test_cron_rejects(expression):
    with pytest.raises(ValueError):
        CronExpression(expression)


# --- capabilities ---------------------------------------------------------------------------------
def webhook(**extra: Any) -> dict[str, Any]:
    body = {"type": "webhook.global", "enabled": True, "notes": "audit feed",
            "properties": {"names": "repository,audit", "url": "https://hooks.example.org/nx",
                           "secret": "s3cret"}}
    body.update(extra)
    return body


def test_capabilities_api_appears_in_3_84(nexus):
    old = nexus(OLD)
    for method in ("GET", "POST"):
        assert old.http.request(method, old.url("/v1/capabilities"), json={}).status_code == 404
    assert old.put("/v1/capabilities/abc", webhook()).status_code == 404
    assert nexus("3.83.0").get("/v1/capabilities").status_code == 404
    mid = nexus(MID)
    assert mid.get("/v1/capabilities").json() == []
    assert mid.get("/v1/capabilities/types").status_code == 405  # read as /{capabilityId}
    types = {t["id"]: t for t in nexus(NEW).get("/v1/capabilities/types").json()}
    fields = {f["id"]: f for f in types["webhook.repository"]["formFields"]}
    assert fields["repository"]["required"] and not fields["secret"]["required"]
    assert fields["secret"]["type"] == "password"


def test_webhook_secret_is_masked_then_left_out(nexus):
    mid = nexus(MID)
    created = mid.post("/v1/capabilities", webhook())
    assert created.status_code == 200
    cap = created.json()
    assert cap["type"] == "webhook.global" and cap["notes"] == "audit feed" and cap["enabled"]
    assert cap["properties"] == {"names": "repository,audit", "url": "https://hooks.example.org/nx",
                                 "secret": "#~NXRM~PLACEHOLDER~PASSWORD~#"}
    assert mid.get("/v1/capabilities").json() == [cap]
    assert "secret" not in nexus("3.87.0").post("/v1/capabilities", webhook()).json()["properties"]


def test_capability_update_keeps_the_secret_unless_replaced(nexus):
    nx = nexus(MID)
    cap = nx.post("/v1/capabilities", webhook()).json()
    changed = dict(cap, enabled=False, notes="muted")  # placeholder sent back as read
    assert nx.put(f"/v1/capabilities/{cap['id']}", changed).status_code == 204
    with nx.state.lock:
        assert nx.state.capabilities[cap["id"]]["_properties"]["secret"] == "s3cret"
    reread = nx.get("/v1/capabilities").json()[0]
    assert reread["enabled"] is False and reread["notes"] == "muted"
    cleared = dict(changed, properties=dict(cap["properties"], secret=""))
    assert nx.put(f"/v1/capabilities/{cap['id']}", cleared).status_code == 204
    assert "secret" not in nx.get("/v1/capabilities").json()[0]["properties"]
    assert "cannot change" in errors(nx.put(f"/v1/capabilities/{cap['id']}",
                                            dict(cap, type="webhook.repository")))
    assert nx.delete(f"/v1/capabilities/{cap['id']}").status_code == 204
    assert nx.get("/v1/capabilities").json() == []
    missing = nx.delete(f"/v1/capabilities/{cap['id']}")
    assert missing.status_code == 404 and missing.json()["id"] == "*"
    assert nx.put("/v1/capabilities/nope", webhook()).status_code == 404


def test_webhook_validation(nexus):
    nx = nexus(NEW)
    nx.add_repository("docker-hosted")
    assert "url" in errors(nx.post("/v1/capabilities", webhook(
        properties={"names": "audit", "url": "ftp://example.org"})))
    assert "allowed: audit, repository" in errors(nx.post("/v1/capabilities", webhook(
        properties={"names": "audit,component", "url": "https://example.org"})))
    assert "not known" in errors(nx.post("/v1/capabilities", webhook(type="webhook.nope")))
    repo_hook = {"type": "webhook.repository", "enabled": True,
                 "properties": {"names": "component,asset", "url": "http://example.org/x"}}
    assert "Repository is required" in errors(nx.post("/v1/capabilities", repo_hook))
    repo_hook["properties"]["repository"] = "ghost"
    assert "does not exist" in errors(nx.post("/v1/capabilities", repo_hook))
    repo_hook["properties"]["repository"] = "docker-hosted"
    created = nx.post("/v1/capabilities", repo_hook)
    assert created.status_code == 200
    cap = created.json()
    assert cap["active"] is True and cap["typeName"] == "Webhook: Repository"
    with nx.state.lock:
        del nx.state.repositories["docker-hosted"]
    gone = nx.get("/v1/capabilities").json()[0]
    assert gone["active"] is False and "does not exist" in gone["stateDescription"]
