"""One-line access presets, expanded into the explicit objects they stand for.

`security.anonymousPull: [hub-group]` is the seed post's missing registry-mirror fix: it needs
four settings in agreement — the DockerToken realm, anonymous access on, forceBasicAuth off on
the repository, and the anonymous user allowed to read it. `security.pushers: {ci: [ybcard]}`
gives a CI robot push (and pull) on those hosted repositories only. The expansion produces
ordinary config entries, so preview shows every underlying object and the usual validation
applies to them.
"""
from __future__ import annotations

import copy
from typing import Any, Mapping

from .kinds.anonymous import SCHEMA as ANONYMOUS_ACCESS
from .problems import Problem

DOCKER_TOKEN = "DockerToken"
DEFAULT_REALMS = ["NexusAuthenticatingRealm", DOCKER_TOKEN]
ANONYMOUS_ROLE = "anonymous-docker-pull"
ANONYMOUS_USER = {"userId": "anonymous", "firstName": "Anonymous", "lastName": "User",
                  "emailAddress": "anonymous@example.org", "status": "active"}
PULL_ACTIONS = ["BROWSE", "READ"]
PUSH_ACTIONS = ["ADD", "BROWSE", "EDIT", "READ"]


def pull_privilege(repository: str) -> str:
    return f"anonymous-pull-{repository}"


def push_privilege(repository: str) -> str:
    return f"docker-push-{repository}"


def pusher_role(user: str) -> str:
    return f"docker-pushers-{user}"


def expand(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The config with presets replaced by explicit realms, anonymous settings, privileges,
    roles and users; plus problems where a preset contradicts explicit config."""
    out = copy.deepcopy(dict(values))
    security = out.setdefault("security", {}) if values.get("security") else {}
    problems: list[Problem] = []
    if not security:
        return out, problems
    repos = {r["name"].lower(): r for r in out.get("repositories", [])}
    privileges = security.setdefault("privileges", [])
    roles = security.setdefault("roles", [])
    users = security.setdefault("users", [])

    pull = security.get("anonymousPull") or []
    if pull:
        problems += _anonymous_pull(security, pull, repos, privileges, roles, users)

    for user, targets in (security.get("pushers") or {}).items():
        for j, name in enumerate(targets):
            repo = repos.get(name.lower())
            if repo is None or repo["type"] != "hosted":
                problems.append(Problem(f"security.pushers.{user}[{j}]", f"'{name}' must be a hosted docker "
                                        "repository declared in repositories (pushes go to hosted; a group "
                                        "cannot take pushes on Community Edition)"))
            elif not any(p["name"] == push_privilege(name) for p in privileges):
                privileges.append({"name": push_privilege(name), "type": "repository-view",
                                   "format": "docker", "repository": name, "actions": PUSH_ACTIONS,
                                   "description": f"push and pull {name} (preset pushers)"})
        roles.append({"id": pusher_role(user), "name": pusher_role(user),
                      "description": f"push to {', '.join(targets)} (preset pushers)",
                      "privileges": [push_privilege(n) for n in targets], "roles": []})
        existing = next((u for u in users if u["userId"] == user), None)
        if existing is None:
            users.append({"userId": user, "lastName": "(CI pusher)", "roles": [pusher_role(user)]})
        elif pusher_role(user) not in existing.setdefault("roles", []):
            existing["roles"].append(pusher_role(user))
    return out, problems


def _anonymous_pull(security: dict[str, Any], pull: list[str], repos: Mapping[str, dict[str, Any]],
                    privileges: list[dict[str, Any]], roles: list[dict[str, Any]],
                    users: list[dict[str, Any]]) -> list[Problem]:
    problems = []
    realms = security.get("realms")
    if realms is None:
        security["realms"] = list(DEFAULT_REALMS)
    elif DOCKER_TOKEN not in realms:
        security["realms"] = [*realms, DOCKER_TOKEN]
    anonymous = security.get("anonymous") or {}
    if anonymous.get("enabled") is False:
        problems.append(Problem("security.anonymous.enabled", "anonymousPull needs anonymous access on; "
                                "remove `enabled: false` or the anonymousPull preset"))
    if ANONYMOUS_ACCESS.with_defaults(anonymous)["userId"] != ANONYMOUS_USER["userId"]:
        problems.append(Problem("security.anonymous.userId", "Docker's anonymous token works only with the "
                                "built-in anonymous user; remove userId or the anonymousPull preset"))
    security["anonymous"] = {**anonymous, "enabled": True}
    for j, name in enumerate(pull):
        repo = repos.get(name.lower())
        if repo is None:
            problems.append(Problem(f"security.anonymousPull[{j}]", f"'{name}' is not declared in repositories"))
            continue
        if repo.get("forceBasicAuth") is True:
            problems.append(Problem(f"security.anonymousPull[{j}]", f"'{name}' sets forceBasicAuth: true, which "
                                    "makes every client log in; remove it (the preset turns it off)"))
        repo["forceBasicAuth"] = False
        privileges.append({"name": pull_privilege(name), "type": "repository-view", "format": "docker",
                           "repository": name, "actions": PULL_ACTIONS,
                           "description": f"anonymous pull from {name} (preset anonymousPull)"})
    roles.append({"id": ANONYMOUS_ROLE, "name": ANONYMOUS_ROLE,
                  "description": "anonymous docker pull (preset anonymousPull)",
                  "privileges": [pull_privilege(n) for n in pull if n.lower() in repos], "roles": []})
    anonymous_user = next((u for u in users if u["userId"] == "anonymous"), None)
    if anonymous_user is None:
        users.append({**ANONYMOUS_USER, "roles": ["nx-anonymous", ANONYMOUS_ROLE]})
    elif ANONYMOUS_ROLE not in anonymous_user.setdefault("roles", []):
        anonymous_user["roles"].append(ANONYMOUS_ROLE)
    return problems
