"""Scheduled tasks: what actually frees disk after cleanup policies mark components (docker GC,
blob store compact, ...), and Nexus's own "Cleanup service" that applies the policies.

Tasks are checked before any write: schedules, the repository and blob store they name, and,
with a server, its task API (3.84+) and templates (types and their properties). A Nexus that
cannot create tasks over REST gets the UI steps instead. The retention preset adds its tasks
here (components/retention.py), each with the `origin` it came from for messages.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Sequence

import pulumi

from ...client import NexusClient, NexusError, ServerInfo
from ...kind import Context, Found, Kind, Resources, after, config_entry, referring
from ...problems import Problem, ServerFacts, Values
from ..blob_stores import FACT as BLOB_STORES_FACT, known_blob_stores
from ..repositories import server_repositories
from .providers import (BLOB_STORE_FIELD, CLEANUP_DEFAULT_CRON, CLEANUP_NAME, CLEANUP_TYPE, CREATE_API_VERSION,
                        REPOSITORY_FIELD, TEMPLATES_PATH, CleanupService, Task, TaskProvider, describe_manual,
                        list_tasks, normalize_task, run_path, task_path)
from .schedules import SCHEMA, schedule_problems

__all__ = ["KIND", "BLOB_STORE_FIELD", "CLEANUP_NAME", "CLEANUP_TYPE", "REPOSITORY_FIELD", "list_tasks",
           "run_path", "task_path"]
TASK_DEFINITION_VERSION = "3.94.0"  # GET /v1/tasks answers schedule and properties from here on
# Task types Nexus makes itself, for a Nexus without templates to tell them (before 3.84).
NEXUS_OWN_TASK_TYPES = (CLEANUP_TYPE, "assetBlob.cleanup")


def task_templates(server: Optional[ServerFacts]) -> Optional[dict[str, dict[str, Any]]]:
    """type id -> TaskTemplateXO from the server, or None when this Nexus has no task creation
    API (before 3.84 GET /v1/tasks/templates is read as a task id: 404). Raises NexusError when
    the server cannot be asked."""
    client: Optional[NexusClient] = getattr(server, "client", None)
    if client is None:
        raise NexusError("-", "-", 0, "no connection to ask for task templates")

    def load() -> Optional[dict[str, dict[str, Any]]]:
        try:
            found = client.get_json(TEMPLATES_PATH)
        except NexusError as err:
            if err.status in (404, 405):
                return None
            raise
        return {str(t["type"]): t for t in found or []}
    return client.cached("task-templates", load)


def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    """Tasks (including the retention preset's) checked before any write: schedule, references,
    and with a server, its task API and templates."""
    tasks = values.get("tasks") or []
    if not tasks:
        return []

    def at(i: int) -> str:
        """Where the entry came from: its own index, or the preset that made it."""
        return tasks[i].get("origin") or f"tasks[{i}]"
    problems = []
    seen: dict[str, int] = {}
    for i, task in enumerate(tasks):
        first = seen.setdefault(task["name"].lower(), i)
        if first != i:
            problems.append(Problem(f"{at(i)}.name", f"'{task['name']}' is also the name of "
                                    f"{at(first)}; tasks are found by name, so names must be "
                                    "unique (regardless of case)"))
    builtin = [i for i, t in enumerate(tasks) if t["type"] == CLEANUP_TYPE]
    for i in builtin[1:]:
        problems.append(Problem(f"{at(i)}.type", f"Nexus has one {CLEANUP_TYPE} task "
                                f"('{CLEANUP_NAME}'), already managed by {at(builtin[0])}"))
    repositories = {r["name"].lower(): r for r in values.get("repositories") or []}
    stores = known_blob_stores(values.get("blobStores") or [], None).declared
    for i, task in enumerate(tasks):
        problems += [Problem(f"{at(i)}.schedule.{sub}", reason)
                     for sub, reason in schedule_problems(task.get("schedule"))]
        problems += _reference_problems(at(i), task, repositories, stores, server)
    if server is not None:
        problems += _server_problems(tasks, at, server)
    return problems


def _reference_problems(at: str, task: Mapping[str, Any], repositories: Mapping[str, Any],
                        stores: set[str], server: Optional[ServerFacts]) -> list[Problem]:
    problems = []
    properties = task.get("properties") or {}
    store = properties.get(BLOB_STORE_FIELD)
    if store is not None and str(store).lower() not in stores and (
            server is None or str(store).lower() not in server.names(BLOB_STORES_FACT)):
        problems.append(Problem(f"{at}.properties.{BLOB_STORE_FIELD}", f"blob store '{store}' is "
                                f"not declared in blobStores{'' if server is None else ' and does not exist on the server'} "
                                f"(known: {', '.join(sorted(stores))}); add it or fix the name"))
    repository = properties.get(REPOSITORY_FIELD)
    for name in ([] if repository in (None, "*") else str(repository).split(",")):
        name = name.strip()
        declared = repositories.get(name.lower())
        on_server = server_repositories(server).get(name.lower()) if not declared else None
        if declared is None and on_server is None:
            problems.append(Problem(f"{at}.properties.{REPOSITORY_FIELD}", f"repository '{name}' "
                                    f"is not declared in repositories{'' if server is None else ' and does not exist on the server'} "
                                    "(use * for all repositories)"))
        elif declared is not None and declared.get("type") == "group" and \
                task["type"].startswith("repository.docker."):
            problems.append(Problem(f"{at}.properties.{REPOSITORY_FIELD}", f"'{name}' is a group: "
                                    "it stores nothing; name its hosted or proxy members instead"))
        elif on_server is not None and task["type"].startswith("repository.docker.") and \
                on_server[0] != "docker":
            problems.append(Problem(f"{at}.properties.{REPOSITORY_FIELD}", f"'{name}' is a "
                                    f"{on_server[0]} repository; {task['type']} works on docker "
                                    "repositories"))
    return problems


def _server_problems(tasks: Sequence[Mapping[str, Any]], at: Callable[[int], str],
                     server: ServerFacts) -> list[Problem]:
    try:
        templates = task_templates(server)
    except NexusError as err:
        pulumi.log.warn(f"cannot read task templates from Nexus ({err.message}); task types "
                        "are checked when the tasks are created")
        return []
    version = ".".join(map(str, server.version))
    if templates is None:
        steps = "\n".join(f"      - {describe_manual(t)}" for t in tasks)
        origins = {at(i).split("[")[0] for i in range(len(tasks))}
        return [Problem(at(0) if len(tasks) == 1 else "/".join(sorted(origins)),
                        f"this Nexus ({version}) cannot create or change tasks through its REST "
                        f"API (that needs {CREATE_API_VERSION} or later: POST /v1/tasks answers "
                        "405 here). Upgrade Nexus, or make them by hand in the UI (Administration "
                        "→ System → Tasks) and remove them (and any retention preset) from the "
                        f"config:\n{steps}")]
    problems = []
    for i, task in enumerate(tasks):
        if task["type"] == CLEANUP_TYPE:
            continue
        template = templates.get(task["type"])
        if template is None:
            problems.append(Problem(f"{at(i)}.type", f"unknown task type '{task['type']}' on this "
                                    f"Nexus ({version}); known types: {', '.join(sorted(templates))}"
                                    f" (and {CLEANUP_TYPE} for the built-in '{CLEANUP_NAME}')"))
            continue
        fields = template.get("properties") or {}
        for key in task.get("properties") or {}:
            if key not in fields:
                problems.append(Problem(f"{at(i)}.properties.{key}", f"{task['type']} has no "
                                        f"property '{key}'; its properties: "
                                        f"{', '.join(sorted(fields)) or 'none'}"))
        for key in (REPOSITORY_FIELD, BLOB_STORE_FIELD):
            if key in fields and not fields[key] and key not in (task.get("properties") or {}):
                problems.append(Problem(f"{at(i)}.properties", f"{task['type']} needs "
                                        f"properties.{key}"))
    return problems


def declare(ctx: Context) -> Resources:
    """One resource per task (the retention preset's included), after what it names."""
    out: Resources = {}
    stores, repositories = ctx.of("blob store"), ctx.of("repository")
    for i, item in enumerate(ctx.cfg.get("tasks", [])):
        properties = item.get("properties") or {}
        deps = [ctx.bootstrap, stores.get(str(properties.get(BLOB_STORE_FIELD, "")).lower())]
        named = {f"repository:{n.strip()}": repositories.get(n.strip().lower())
                 for n in str(properties.get(REPOSITORY_FIELD, "")).split(",")}
        deps += list(named.values())
        spec = referring(ctx.cfg.spec(("tasks", i), {k: v for k, v in item.items() if k != "origin"}), named)
        if item["type"] == CLEANUP_TYPE:  # it applies the policies: after they are attached
            deps += [*ctx.of("cleanup policy").values(), *repositories.values()]
            out[item["name"].lower()] = CleanupService("cleanup-service", spec, opts=after(*deps))
        else:
            out[item["name"].lower()] = Task(f"task-{item['name']}", spec, opts=after(*deps))
    return out


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    """Tasks, by name. Those Nexus makes itself (types without a creation template) are left
    alone, except its "Cleanup service" once someone changed its schedule."""
    version = ".".join(map(str, info.version))
    if not info.at_least(CREATE_API_VERSION):
        why = f"this Nexus ({version}) cannot create or change tasks over REST (that needs {CREATE_API_VERSION}+)"
        creatable: Optional[set[str]] = None
    else:
        creatable = {str(t["type"]) for t in client.get_json(TEMPLATES_PATH) or []}
        why = (f"this Nexus ({version}) does not answer a task's schedule and settings over REST "
               f"({TASK_DEFINITION_VERSION}+ does); declare it by hand with adopt: true (schemas/tasks.schema.json)")
    items = list_tasks(client)
    provider = TaskProvider()
    found = []
    for doc in items:
        name, kind = str(doc.get("name", "")), str(doc.get("type", ""))
        if kind != CLEANUP_TYPE and (kind in NEXUS_OWN_TASK_TYPES if creatable is None else kind not in creatable):
            continue  # made and run by Nexus itself
        delete = "" if kind == CLEANUP_TYPE else task_path(str(doc["id"]))
        if "enabled" not in doc:  # the definition cannot be read: adopting would overwrite it blind
            if kind != CLEANUP_TYPE:
                found.append(KIND.found(name, None, delete, reason=why))
            continue
        spec = provider.to_spec(doc, {"name": name, "properties": dict(doc.get("properties") or {})})
        if kind == CLEANUP_TYPE and _is_cleanup_default(spec):
            continue
        twins = [t for t in items if str(t.get("name", "")).lower() == name.lower()]
        if len(twins) > 1:
            found.append(KIND.found(name, None, delete,
                                    reason=f"{len(twins)} tasks share this name; tasks are found by name, so rename them"))
            continue
        found.append(KIND.found(name, config_entry(provider, spec, ("name", "type")), delete))
    return found


def _is_cleanup_default(spec: Mapping[str, Any]) -> bool:
    """Nexus's own "Cleanup service" as it comes: daily at 01:00 by cron, enabled, no e-mail."""
    default = normalize_task({"name": spec["name"], "type": CLEANUP_TYPE,
                              "schedule": {"type": "cron", "cron": CLEANUP_DEFAULT_CRON}})
    return all(normalize_task(spec).get(key) == default.get(key) for key in ("schedule", "enabled", "alertEmail"))


KIND = Kind(
    name="task", config_path=("tasks",), schema=SCHEMA, resource_types=(Task, CleanupService),
    declare=declare, problems=problems, inventory=inventory, automation=True,
    # Templates and the task API are asked of the server; names may refer to its objects.
    needs_server=lambda values: bool(values.get("tasks")), depends_on=("blob store", "cleanup policy", "repository"))
