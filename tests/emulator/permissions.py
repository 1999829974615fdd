"""Who may do what: the privileges Nexus holds (built-in, per repository, user-created) and
Shiro's permission checks over them, for the REST layer (access.py), the repository handlers and
the docker/OCI connectors.

Built-in privileges and the automatic per-repository ones are computed at read time, so they
appear and vanish with repositories exactly as Nexus's dynamic security contributors make them
(RepositoryFormatSecurityContributor, RepositoryAdminSecurityContributor).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from .csel import CselError, evaluate_csel
from .formats import FORMATS as REPOSITORY_FORMATS, offered
from .http import ApiError, Request
from .state import NexusState, Options


def privilege_formats(state: NexusState) -> tuple[str, ...]:
    """The repository formats the release has (formats.py's table): each brings format-wide
    view privileges (RepositoryFormatSecurityContributor), and privileges may name one of them
    or "*"."""
    return _formats_of_release(state.options.version)


@lru_cache(maxsize=None)
def _formats_of_release(version: str) -> tuple[str, ...]:
    release = NexusState(Options(version=version))
    return tuple(sorted({fmt.name for fmt in REPOSITORY_FORMATS.values()
                         if any(offered(release, fmt, kind) for kind in fmt.since)}))


# How each action is spelled in a permission string (ApiPrivilegeWithActionsRequest).
BREAD_WORD = {"BROWSE": "browse", "READ": "read", "EDIT": "edit", "ADD": "add",
              "DELETE": "delete", "RUN": "run", "ALL": "*"}
CRUD_WORD = {"READ": "read", "EDIT": "update", "ADD": "create", "DELETE": "delete", "ALL": "*",
             "START": "start", "STOP": "stop", "ASSOCIATE": "associate",
             "DISASSOCIATE": "disassociate"}


def _humanize_name(repository: str, fmt: str) -> str:
    if repository == "*":
        return "all" if fmt == "*" else f"all '{fmt}'-format"
    return repository


def _humanize_actions(words: list[str]) -> str:
    text = ", ".join("All" if w == "*" else w.capitalize() for w in words)
    return text + (" privileges" if len(words) > 1 or words == ["*"] else " privilege")


def _repository_privilege(kind: str, fmt: str, repository: str, word: str) -> dict:
    """One built-in repository-view/admin privilege, named and described like Nexus does."""
    action = "ALL" if word == "*" else word.upper()
    what = "repository views" if kind == "view" else "repository administration"
    return {"type": f"repository-{kind}", "name": f"nx-repository-{kind}-{fmt}-{repository}-{word}",
            "description": (f"{_humanize_actions([word])} for "
                            f"{_humanize_name(repository, fmt)} {what}"),
            "readOnly": True, "format": fmt, "repository": repository, "actions": [action]}


REPOSITORY_WORDS = ("browse", "read", "edit", "add", "delete", "*")

# Built-in application privileges: (domain, label, CRUD words).
_APPLICATION = (
    ("analytics", "Analytics", ("*",)), ("apikey", "APIKey", ("*",)),
    ("atlas", "Atlas", ("*", "create", "read", "update")),
    ("blobstores", "Blobstores", ("*", "create", "read", "update", "delete")),
    ("capabilities", "Capabilities", ("*", "create", "read", "update", "delete")),
    ("datastores", "Datastores", ("*", "create", "read", "update", "delete")),
    ("healthcheck", "Healthcheck", ("*", "read")),
    ("ldap", "LDAP", ("*", "create", "read", "update", "delete")),
    ("licensing", "Licensing", ("*", "create", "read", "uninstall")),
    ("logging", "Logging", ("*", "read", "update")),
    ("metrics", "Metrics", ("*",)),
    ("privileges", "Privileges", ("*", "create", "read", "update", "delete")),
    ("roles", "Roles", ("*", "create", "read", "update", "delete")),
    ("search", "Search", ("read",)),
    ("selectors", "Selectors", ("*", "create", "read", "update", "delete")),
    ("settings", "Settings", ("*", "read", "update")),
    ("ssl-truststore", "SSL Truststore", ("*", "create", "read", "update", "delete")),
    ("tasks", "Tasks", ("*", "create", "read", "update", "delete", "start", "stop")),
    ("users", "Users", ("*", "create", "read", "update", "delete")),
)
_CRUD_ACTION = {"*": "ALL", "create": "ADD", "read": "READ", "update": "EDIT", "delete": "DELETE",
                "start": "START", "stop": "STOP"}


@lru_cache(maxsize=None)
def _static_privileges(formats: tuple[str, ...]) -> tuple[dict, ...]:
    docs: list[dict] = [{"type": "wildcard", "name": "nx-all", "description": "All permissions",
                         "readOnly": True, "pattern": "nexus:*"}]
    for domain, label, words in _APPLICATION:
        for word in words:
            suffix = "all" if word == "*" else word
            what = "All permissions" if word == "*" else f"{word.capitalize()} permission"
            docs.append({"type": "application", "name": f"nx-{domain}-{suffix}",
                         "description": f"{what} for {label}", "readOnly": True,
                         "domain": domain,
                         # an action PrivilegeAction does not know (uninstall) is left out
                         "actions": [_CRUD_ACTION[word]] if word in _CRUD_ACTION else []})
    docs.append({"type": "application", "name": "nx-component-upload",
                 "description": "Upload component permission", "readOnly": True,
                 "domain": "component", "actions": ["ADD"]})
    docs.append({"type": "application", "name": "nx-userschangepw",
                 "description": "Change password permission", "readOnly": True,
                 "domain": "userschangepw", "actions": ["ADD", "READ"]})
    # RepositoryAdminSecurityContributor.initial: admin privileges on all repositories only;
    # RepositoryFormatSecurityContributor.initial: view privileges on all repositories of a format.
    for word in REPOSITORY_WORDS:
        docs.append(_repository_privilege("admin", "*", "*", word))
    for fmt in ("*",) + formats:
        for word in REPOSITORY_WORDS:
            docs.append(_repository_privilege("view", fmt, "*", word))
    return tuple(docs)


# RepositoryAdminSecurityContributor.add: "no per-repo repository-admin ADD action".
ADMIN_WORDS = tuple(w for w in REPOSITORY_WORDS if w != "add")


def repository_privilege_names(repository: dict) -> list[str]:
    """The privileges Nexus adds for one repository when it is created (six view, five admin:
    RepositoryFormatSecurityContributor.add / RepositoryAdminSecurityContributor.add) and removes,
    from the model and from every role holding them, when it is deleted (their remove(), which
    calls SecurityConfigurationCleaner.privilegeRemoved)."""
    fmt, name = repository["format"], repository["name"]
    return ([f"nx-repository-view-{fmt}-{name}-{w}" for w in REPOSITORY_WORDS]
            + [f"nx-repository-admin-{fmt}-{name}-{w}" for w in ADMIN_WORDS])


def builtin_privileges(state: NexusState) -> dict[str, dict]:
    """Read-only privileges: the static set plus the per-repository ones of every repository."""
    found = dict(_static_by_name(privilege_formats(state)))
    for repo in state.repositories.values():
        for kind, words in (("view", REPOSITORY_WORDS), ("admin", ADMIN_WORDS)):
            for word in words:
                doc = _repository_privilege(kind, repo["format"], repo["name"], word)
                found[doc["name"].lower()] = doc
    return found


def forget_repository_privileges(state: NexusState, repository: dict) -> None:
    """A deleted repository's own privileges leave every role that held them (call with the
    lock held). Privileges people created that name the repository stay, and so do the roles'
    ids of them: nothing in Nexus removes those (they refer to it by name and work again when a
    repository of that name comes back)."""
    gone = {name.lower() for name in repository_privilege_names(repository)}
    for role in state.roles.values():
        kept = [p for p in role["privileges"] if p.lower() not in gone]
        if len(kept) != len(role["privileges"]):
            role["privileges"] = kept


def all_privileges(state: NexusState) -> dict[str, dict]:
    """Every privilege keyed by lower-cased name (call with state.lock held)."""
    found = builtin_privileges(state)
    found.update(state.privileges)
    return found


_REPOSITORY_PRIVILEGE = re.compile(r"^nx-repository-(view|admin)-([^-]+)-(.+)-(browse|read|edit|add|delete|\*)$",
                                   re.IGNORECASE)


@lru_cache(maxsize=None)
def _static_by_name(formats: tuple[str, ...]) -> dict[str, dict]:
    return {doc["name"].lower(): doc for doc in _static_privileges(formats)}


def find_privilege(state: NexusState, name: str) -> Optional[dict]:
    """One privilege by name without listing them all (permission checks run per request and
    per repository; call with state.lock held)."""
    key = name.lower()
    found = state.privileges.get(key) or _static_by_name(privilege_formats(state)).get(key)
    if found is not None:
        return found
    parts = _REPOSITORY_PRIVILEGE.match(name)
    repository = state.repositories.get(parts.group(3).lower()) if parts else None
    if parts is None or repository is None:
        return None
    kind, word = parts.group(1).lower(), parts.group(4).lower()
    if kind == "admin" and word not in ADMIN_WORDS:
        return None
    doc = _repository_privilege(kind, repository["format"], repository["name"], word)
    return doc if doc["name"].lower() == key else None


# --- permissions (Shiro wildcard semantics) -----------------------------------------------------
def _implies(pattern: str, target: str) -> bool:
    """Shiro WildcardPermission.implies: ':'-separated parts, ','-separated alternatives,
    '*' matches anything, a shorter pattern implies everything below it; case-insensitive."""
    have = [set(p.strip().lower().split(",")) for p in pattern.split(":")]
    want = [set(p.strip().lower().split(",")) for p in target.split(":")]
    for index, wanted in enumerate(want):
        if index >= len(have):
            return True
        if "*" not in have[index] and not wanted <= have[index]:
            return False
    return all("*" in part for part in have[len(want):])


def _permission(doc: dict) -> Optional[str]:
    """The permission string a privilege grants (content-selector privileges are path-bound and
    handled apart)."""
    kind = doc.get("type")
    if kind == "wildcard":
        return doc.get("pattern")
    actions = doc.get("actions") or []
    if kind == "application":
        return f"nexus:{doc['domain']}:{','.join(CRUD_WORD[a] for a in actions if a in CRUD_WORD)}"
    words = ",".join(BREAD_WORD[a] for a in actions if a in BREAD_WORD)
    if kind in ("repository-view", "repository-admin"):
        return f"nexus:{kind}:{doc['format']}:{doc['repository']}:{words}"
    if kind == "script":
        return f"nexus:script:{doc['scriptName']}:{words}"
    return None


def permitted(state: NexusState, user_id: Optional[str], permission: str) -> bool:
    """Shiro's isPermitted for a subject: any privilege of the user's roles implies the
    permission (call with state.lock held)."""
    if user_id is None:
        return False
    for name in state.effective_privileges(user_id):
        doc = find_privilege(state, name)
        pattern = _permission(doc) if doc is not None else None
        if pattern and _implies(pattern, permission):
            return True
    return False


def require(state: NexusState, req: Request, permission: str) -> None:
    """A permission a handler checks itself (e.g. repository-admin on the repository named in
    the body): without it, AuthorizationExceptionMapper's bare 403."""
    with state.lock:
        if not permitted(state, req.user, permission):
            raise ApiError.forbidden()


def repository_permitted(state: NexusState, user_id: Optional[str], repository: dict,
                         action: str, path: Optional[str] = None) -> bool:
    """Whether a user may perform a BREAD action ("read", "add", ...) on a repository's content.

    `path` is the content path being accessed; None asks "on any path", which is how a
    content-selector privilege counts when no path is involved yet (e.g. the token endpoint).
    Call with state.lock held."""
    if user_id is None:
        return False
    target = f"nexus:repository-view:{repository['format']}:{repository['name']}:{action}"
    for name in state.effective_privileges(user_id):
        doc = find_privilege(state, name)
        if doc is None:
            continue
        if doc["type"] == "repository-content-selector":
            if _selector_grants(state, doc, repository, action, path):
                return True
            continue
        pattern = _permission(doc)
        if pattern and _implies(pattern, target):
            return True
    return False


def _selector_grants(state: NexusState, doc: dict, repository: dict, action: str,
                     path: Optional[str]) -> bool:
    if doc["format"] not in ("*", repository["format"]):
        return False
    if doc["repository"] not in ("*", repository["name"]):
        return False
    words = {BREAD_WORD[a] for a in doc.get("actions", []) if a in BREAD_WORD}
    if "*" not in words and action not in words:
        return False
    if path is None:
        return True
    selector = state.content_selectors.get(doc["contentSelector"].lower())
    if selector is None:
        return False
    try:
        return evaluate_csel(selector["expression"], {"format": repository["format"], "path": path})
    except CselError:
        return False

