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

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional

from ..http import ApiError, Request, Response
from ..quartz import iso, next_run
from ..routing import Router
from ..state import NexusState
from .task_requests import (check_required, check_types, frequency_of, missing_targets,
                            system_definition, task_properties)
from .task_types import DATASTORE, TaskType, task_types, template

CREATE_API = "3.84.0"
CREATE_ANSWERS_TASK = "3.89.0"
SCHEDULE_FIELD = "3.89.0"
DEFINITION_FIELDS = "3.94.0"
TYPE_NAME_FIELD = "3.96.0"

DEFAULT_RUN_SECONDS = 0.2


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
        ttype = task_types(state).get(doc["type"])
        nxt = next_run(frequency, now) if definition["enabled"] else None
        view: dict[str, Any] = {"id": doc["id"], "name": doc["name"], "type": doc["type"]}
        if state.at_least(TYPE_NAME_FIELD):
            view["typeName"] = ttype.name if ttype else doc["type"]
        view.update({"message": doc["_message"], "currentState": doc["_state"],
                     "lastRunResult": doc["_lastRunResult"], "nextRun": iso(nxt),
                     "lastRun": iso(doc["_lastRun"])})
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
                "startDate": iso(start / 1000) if start is not None else None,
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
            ttype = task_types(state).get(doc["type"])
            failed = doc.pop("_runFails", False) or missing_targets(
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
                           system_definition("0 0 1 * * ?", now, {}), None, now)
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
                                   system_definition("0 */30 * * * ?", now,
                                                      {"contentStore": "nexus", "format": fmt}),
                                   None, now)
            self.formats_seen |= formats

    # -- templates ---------------------------------------------------------------------------------
    def list_templates(self, state: NexusState, req: Request) -> Response:
        if not state.at_least(CREATE_API):
            # Without the templates resource the path is read as GET /v1/tasks/{id}.
            req.params["id"] = "templates"
            return self.get_task(state, req)
        return Response.json([template(state, t) for t in task_types(state).values() if t.exposed])

    def get_template(self, state: NexusState, req: Request) -> Response:
        ttype = task_types(state).get(req.params["typeId"])
        if not state.at_least(CREATE_API) or ttype is None or not ttype.exposed:
            raise ApiError(404)
        return Response.json(template(state, ttype))

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
        body = check_types(req.json(), "TaskTemplateXO")
        check_required(body, ("enabled", "frequency", "name", "notificationCondition", "type"))
        with state.lock:
            types = task_types(state)
            ttype = types.get(body["type"])
            if ttype is None or not ttype.exposed:
                creatable = ", ".join(t.id for t in types.values() if t.exposed)
                reason = "cannot be created through the REST API" if ttype else "is unknown"
                raise ApiError.validation(
                    [("*", f"Task type '{body['type']}' {reason}; available types: {creatable}")])
            frequency = frequency_of(body["frequency"])
            props = task_properties(state, ttype, body.get("properties"), {})
            now = time.time()
            doc = self._new_task(state, ttype.id, body["name"], {
                "enabled": body["enabled"], "alertEmail": body.get("alertEmail") or None,
                "notificationCondition": body["notificationCondition"],
                "frequency": frequency, "properties": props}, ttype.name, now)
            if state.at_least(CREATE_ANSWERS_TASK):
                return Response.json(self._answer(doc), 201)
            return Response.json({"id": doc["id"]}, 201)

    def update_task(self, state: NexusState, req: Request) -> Response:
        body = check_types(req.json(), "UpdateTaskRequest")
        check_required(body, ("enabled", "frequency", "name", "notificationCondition"))
        with state.lock:
            now = time.time()
            doc = self._find(state, req.params["taskId"], now)
            if body.get("type") not in (None, doc["type"]):
                raise ApiError.validation(
                    [("*", f"The type of task '{doc['id']}' is {doc['type']} and cannot change")])
            ttype = task_types(state).get(doc["type"]) or TaskType(doc["type"], doc["type"])
            frequency = frequency_of(body["frequency"])
            props = task_properties(state, ttype, body.get("properties"), doc["_def"]["properties"])
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
