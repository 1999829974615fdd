"""Security REST: realms, anonymous access, users, roles, privileges, content selectors, LDAP.

Messages, status codes and validation follow Nexus's own resources (sonatype/nexus-public:
UserApiResource, RoleApiResource, PrivilegeApiResourceSupport, RepositoryPrivilegeDescriptorSupport,
RealmApiResource, SelectorFactory/CselValidator). Built-in privileges and the automatic
per-repository ones are computed at read time, so they appear and vanish with repositories
exactly as Nexus's dynamic security contributors make them.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Optional

from ..http import ApiError, Request, Response
from ..routing import Router
from ..state import NexusState
from ..validation import (NAME_MESSAGE, NAME_REGEX, NAME_TAKEN, OPENAPI_DIR, public, quoted,
                          spec_version, unreadable)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
USER_STATUSES = ("active", "locked", "disabled", "changepassword")
USER_SOURCES = ("default", "LDAP")  # LDAP's user manager exists even without a server configured
DEFAULT_SOURCE = "default"

# Repository formats of a Community Edition instance; privileges may name one of these or "*".
FORMATS = ("apt", "cargo", "cocoapods", "composer", "conan", "conda", "docker", "gitlfs", "go",
           "helm", "huggingface", "maven2", "npm", "nuget", "p2", "pypi", "r", "raw", "rubygems",
           "yum")

PRIVILEGE_TYPES = ("application", "repository-admin", "repository-content-selector",
                   "repository-view", "script", "wildcard")
# PrivilegeAction: the BREAD actions (repository privileges), plus RUN (scripts) and the CRUD
# style ones that application privileges store (create/update are ADD/EDIT).
BREAD = ("BROWSE", "READ", "EDIT", "ADD", "DELETE", "ALL")
ACTIONS_BY_TYPE = {
    "repository-view": BREAD,
    "repository-admin": BREAD,
    "repository-content-selector": BREAD,
    "script": BREAD + ("RUN",),
    "application": ("READ", "EDIT", "ADD", "DELETE", "START", "STOP", "ASSOCIATE", "DISASSOCIATE",
                    "ALL"),
}
ALL_ACTIONS = ("READ", "BROWSE", "EDIT", "ADD", "DELETE", "RUN", "START", "STOP", "ASSOCIATE",
               "DISASSOCIATE", "ALL")
# How each action is spelled in a permission string (ApiPrivilegeWithActionsRequest).
BREAD_WORD = {"BROWSE": "browse", "READ": "read", "EDIT": "edit", "ADD": "add",
              "DELETE": "delete", "RUN": "run", "ALL": "*"}
CRUD_WORD = {"READ": "read", "EDIT": "update", "ADD": "create", "DELETE": "delete", "ALL": "*",
             "START": "start", "STOP": "stop", "ASSOCIATE": "associate",
             "DISASSOCIATE": "disassociate"}

REALMS = (("NexusAuthenticatingRealm", "Local Authenticating Realm"),
          ("NexusAuthorizingRealm", "Local Authorizing Realm"),
          ("ConanToken", "Conan Bearer Token Realm"),
          ("Crowd", "Crowd Realm"),
          ("DefaultRole", "Default Role Realm"),
          ("DockerToken", "Docker Bearer Token Realm"),
          ("LdapRealm", "LDAP Realm"),
          ("NpmToken", "npm Bearer Token Realm"),
          ("NuGetApiKey", "NuGet API-Key Realm"),
          ("rutauth-realm", "Rut Auth Realm"),
          ("SamlRealm", "SAML Realm"),
          ("User-Token-Realm", "User Token Realm"))
PRO_REALMS = ("Crowd", "SamlRealm", "User-Token-Realm")
# AuthorizingRealmImpl.NAME: installed even when not configured (RealmManagerImpl
# .maybeAddAuthorizingRealm), and the anonymous user's default realm.
AUTHORIZING_REALM = "NexusAuthorizingRealm"


# --- shared helpers ----------------------------------------------------------------------------
def _body(req: Request) -> dict:
    body = req.json()
    if not isinstance(body, dict):
        raise unreadable("expected a JSON object")
    return body


def _string_set(body: dict, key: str) -> list[str]:
    """A JSON array of strings read into a Java Set: order kept, duplicates dropped."""
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise unreadable(f"'{key}' must be an array of strings")
    return list(dict.fromkeys(value))


def _text(body: dict, key: str) -> Optional[str]:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise unreadable(f"'{key}' must be a string")
    return value


def _blank(value: Optional[str]) -> bool:
    return value is None or not value.strip()


# --- privileges: built-in, per repository, user-created -----------------------------------------
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


@lru_cache(maxsize=1)
def _static_privileges() -> tuple[dict, ...]:
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
    for fmt in ("*",) + FORMATS:
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
    found = {doc["name"].lower(): doc for doc in _static_privileges()}
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


@lru_cache(maxsize=1)
def _static_by_name() -> dict[str, dict]:
    return {doc["name"].lower(): doc for doc in _static_privileges()}


def find_privilege(state: NexusState, name: str) -> Optional[dict]:
    """One privilege by name without listing them all (permission checks run per request and
    per repository; call with state.lock held)."""
    key = name.lower()
    found = state.privileges.get(key) or _static_by_name().get(key)
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


# --- CSEL (content selector expression language) ----------------------------------------------
class CselError(Exception):
    """An invalid expression; str() is the detail Nexus puts after 'Invalid CSEL: '."""


@dataclass
class _Token:
    kind: str  # ident, string, op, and, or, lparen, rparen, end
    text: str
    column: int  # 1-based


_OPERATORS = ("==", "=~", "=^", "!=", "!")
_IDENTIFIERS = ("format", "path")
_COORDINATE_FIELDS = ("groupId", "artifactId", "version", "extension", "classifier", "id")


def _tokenize(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(expression):
        ch = expression[i]
        if ch.isspace():
            i += 1
            continue
        column = i + 1
        if ch in "\"'":
            end = expression.find(ch, i + 1)
            if end < 0:
                raise CselError(f"tokenization error in '{expression[i:]}' at line 1 column "
                                f"{len(expression) + 1}")
            tokens.append(_Token("string", expression[i + 1:end], column))
            i = end + 1
        elif ch == "(":
            tokens.append(_Token("lparen", ch, column))
            i += 1
        elif ch == ")":
            tokens.append(_Token("rparen", ch, column))
            i += 1
        elif expression.startswith(("&&", "||"), i):
            tokens.append(_Token("and" if ch == "&" else "or", expression[i:i + 2], column))
            i += 2
        elif any(expression.startswith(op, i) for op in _OPERATORS):
            op = next(op for op in _OPERATORS if expression.startswith(op, i))
            tokens.append(_Token("op", op, column))
            i += len(op)
        elif ch.isalpha() or ch == "_":
            match = re.match(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", expression[i:])
            assert match is not None
            word = match.group(0)
            kind = {"and": "and", "or": "or"}.get(word, "ident")
            tokens.append(_Token(kind, word, column))
            i += len(word)
        else:
            raise CselError(f"tokenization error in '{expression[i:]}' at line 1 column {column}")
    tokens.append(_Token("end", "", len(expression) + 1))
    return tokens


class _CselParser:
    """Recursive descent over `a == "x" and (b =~ "y" or b =^ "z")`: the subset CselValidator
    accepts (identifiers format, path, coordinate.*; operators ==, =~, =^; and/or; parens)."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = _tokenize(expression)
        self.pos = 0

    def parse(self) -> Any:
        if self.tokens[0].kind == "end":
            raise CselError("parse error in '' at line 1 column 1")
        tree = self._or()
        if self._peek().kind != "end":
            self._fail(self._peek())
        return tree

    def _peek(self) -> _Token:
        return self.tokens[self.pos]

    def _next(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _fail(self, token: _Token) -> None:
        raise CselError(f"parse error in '{token.text}' at line 1 column {token.column}")

    def _or(self) -> Any:
        left = self._and()
        while self._peek().kind == "or":
            self._next()
            left = ("or", left, self._and())
        return left

    def _and(self) -> Any:
        left = self._term()
        while self._peek().kind == "and":
            self._next()
            left = ("and", left, self._term())
        return left

    def _term(self) -> Any:
        token = self._next()
        if token.kind == "lparen":
            inner = self._or()
            if self._next().kind != "rparen":
                self._fail(self.tokens[self.pos - 1])
            return inner
        if token.kind == "op" and token.text == "!":
            self._unsupported(token)
        if token.kind != "ident":
            self._fail(token)
        self._identifier(token)
        op = self._next()
        if op.kind != "op":
            self._fail(op)
        if op.text not in ("==", "=~", "=^"):
            self._unsupported(op)
        value = self._next()
        if value.kind != "string":
            self._fail(value)
        return (op.text, token.text, value.text)

    def _identifier(self, token: _Token) -> None:
        if "." in token.text:
            parent, _, child = token.text.partition(".")
            if parent != "coordinate" or child not in _COORDINATE_FIELDS:
                raise CselError(
                    f"'Invalid identifier={token.text}, expected one of [coordinate]."
                    f"[{', '.join(_COORDINATE_FIELDS)}]' at line 1 column {token.column}")
        elif token.text not in _IDENTIFIERS:
            raise CselError(f"'Invalid identifier={token.text}, expected one of "
                            f"[{', '.join(_IDENTIFIERS)}]' at line 1 column {token.column}")

    def _unsupported(self, token: _Token) -> None:
        raise CselError(f"Expression not supported in CSEL selector in '{self.expression}' at "
                        f"line 1 column {token.column}")


def parse_csel(expression: str) -> Any:
    return _CselParser(expression).parse()


def evaluate_csel(expression: str, values: dict[str, str]) -> bool:
    """Evaluates a (valid) expression against asset values such as format and path."""
    def walk(node: Any) -> bool:
        op = node[0]
        if op == "and":
            return walk(node[1]) and walk(node[2])
        if op == "or":
            return walk(node[1]) or walk(node[2])
        actual = values.get(node[1], "")
        if op == "==":
            return actual == node[2]
        if op == "=^":
            return actual.startswith(node[2])
        try:
            return re.fullmatch(node[2], actual) is not None
        except re.error:
            return False
    return walk(parse_csel(expression))


def _validate_expression(expression: Optional[str]) -> None:
    if expression is None:
        raise ApiError.validation([("PARAMETER expression", "must not be null")])
    try:
        parse_csel(expression)
    except CselError as exc:
        # SelectorFactory reports the violation through a helper bean, hence this odd id.
        raise ApiError.validation([("HelperBean.expression", f"Invalid CSEL: {exc}")])


# --- OpenAPI schema (LDAP fields differ by release) ---------------------------------------------
@lru_cache(maxsize=None)
def _spec(version: str) -> dict:
    return json.loads((OPENAPI_DIR / f"nexus-{version}.json").read_text())


def _schema(state: NexusState, name: str) -> dict:
    """The named schema from the bundled spec nearest to the emulated release."""
    return _spec(spec_version(state))["components"]["schemas"][name]


# --- realms --------------------------------------------------------------------------------------
def available_realms(state: NexusState) -> list[dict]:
    realms = []
    for realm_id, name in REALMS:
        if realm_id in PRO_REALMS and not state.pro:
            continue
        if realm_id == "NexusAuthorizingRealm" and state.at_least("3.60.0"):
            continue
        realms.append({"id": realm_id, "name": name})
    return realms


def get_available_realms(state: NexusState, req: Request) -> Response:
    return Response.json(available_realms(state))


def get_active_realms(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json(list(state.realms_active))


def put_active_realms(state: NexusState, req: Request) -> Response:
    body = req.json()
    if not isinstance(body, list) or not all(isinstance(v, str) for v in body):
        raise unreadable("expected an array of realm ids")
    known = {realm["id"] for realm in available_realms(state)}
    unknown = [realm for realm in body if realm not in known]
    if unknown:
        # RealmApiResource: plain text, the message itself in quotes, Java's list format.
        raise ApiError.plain(400, f"\"Unknown realmIds: [{', '.join(unknown)}]\"")
    with state.lock:
        state.realms_active[:] = body
    return Response.empty(204)


# --- anonymous access -----------------------------------------------------------------------------
def get_anonymous(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json(dict(state.anonymous))


def put_anonymous(state: NexusState, req: Request) -> Response:
    body = _body(req)
    enabled = body.get("enabled", False)
    if not isinstance(enabled, bool):
        raise unreadable("'enabled' must be a boolean")
    user_id, realm = _text(body, "userId"), _text(body, "realmName")
    errors = [(f"PARAMETER {key}", "must not be blank")
              for key, value in (("userId", user_id), ("realmName", realm)) if _blank(value)]
    if errors:
        raise ApiError.validation(errors)
    with state.lock:
        # AnonymousAccessApiResource.validate: the realm must be one the security manager runs,
        # i.e. an active realm or the authorizing realm RealmManagerImpl always installs.
        if realm not in [*state.realms_active, AUTHORIZING_REALM]:
            raise ApiError.validation([("realmName", "Realm does not exist")])
        state.anonymous.update({"enabled": enabled, "userId": user_id, "realmName": realm})
        return Response.json(dict(state.anonymous))


# --- users ---------------------------------------------------------------------------------------
def list_users(state: NexusState, req: Request) -> Response:
    prefix = (req.arg("userId") or "").lower()
    source = req.arg("source") or ""
    with state.lock:
        users = [public(u) for u in state.users.values()
                 if u["userId"].lower().startswith(prefix)
                 and (not source or u["source"] == source)]
    users.sort(key=lambda u: u["userId"])
    if source != DEFAULT_SOURCE:
        users = users[:100]  # Nexus limits searches that may reach a remote source
    return Response.json(users)


def _validate_user_fields(body: dict, creating: bool) -> tuple[list[tuple[str, str]], dict]:
    """Bean validation of ApiCreateUser/ApiUser; returns the errors and the parsed fields."""
    fields = {key: _text(body, key) for key in
              ("userId", "firstName", "lastName", "emailAddress", "source", "password")}
    status = body.get("status")
    if status is not None and status not in USER_STATUSES:
        raise unreadable(f"status '{status}' is not one of {list(USER_STATUSES)}")
    roles = _string_set(body, "roles")
    errors: list[tuple[str, str]] = []
    if _blank(fields["userId"]):
        errors.append(("PARAMETER userId", "must not be blank"))
    elif creating and not NAME_REGEX.match(fields["userId"] or ""):
        errors.append(("PARAMETER userId", NAME_MESSAGE))
    for key in ("firstName", "lastName", "emailAddress"):
        if not fields[key]:
            errors.append((f"PARAMETER {key}", "must not be empty"))
    if fields["emailAddress"] and not EMAIL_RE.match(fields["emailAddress"]):
        errors.append(("PARAMETER emailAddress", "must be a well-formed email address"))
    if creating and not fields["password"]:
        errors.append(("PARAMETER password", "must not be empty"))
    if not creating and _blank(fields["source"]):
        errors.append(("PARAMETER source", "must not be blank"))
    if status is None:
        errors.append(("PARAMETER status", "must not be null"))
    if not roles:
        errors.append(("PARAMETER roles", "must not be empty"))
    fields["status"] = status
    fields["roles"] = roles
    return errors, fields


def _check_roles_exist(state: NexusState, roles: list[str]) -> None:
    missing = [("roles", f"Unable to locate roleId: {role}") for role in roles
               if role not in state.roles]
    if missing:
        raise ApiError.validation(missing)


def create_user(state: NexusState, req: Request) -> Response:
    errors, fields = _validate_user_fields(_body(req), creating=True)
    if errors:
        raise ApiError.validation(errors)
    if _blank(fields["password"]):
        raise quoted(400, "A non-empty password is required.")
    with state.lock:
        _check_roles_exist(state, fields["roles"])
        if fields["userId"] in state.users:
            # nexus-public#1047: the DuplicateUserException escapes as a bare 500.
            raise ApiError.server_error()
        doc = {"userId": fields["userId"], "firstName": fields["firstName"],
               "lastName": fields["lastName"], "emailAddress": fields["emailAddress"],
               "source": DEFAULT_SOURCE, "status": fields["status"], "readOnly": False,
               "roles": fields["roles"], "externalRoles": []}
        state.users[doc["userId"]] = doc
        state.passwords[doc["userId"]] = fields["password"]
        return Response.json(public(doc))


def update_user(state: NexusState, req: Request) -> Response:
    user_id = req.params["userId"]
    body = _body(req)
    errors, fields = _validate_user_fields(body, creating=False)
    if errors:
        raise ApiError.validation(errors)
    if fields["userId"] != user_id:
        raise quoted(400, "The path's userId does not match the body")
    with state.lock:
        _check_roles_exist(state, fields["roles"])
        source = fields["source"]
        if source not in USER_SOURCES:
            raise quoted(404, f"Unable to locate source: {source}")
        doc = state.users.get(user_id)
        if doc is None or doc["source"] != source:
            raise quoted(404, f"User '{user_id}' not found.")
        if source == DEFAULT_SOURCE:
            doc.update({"firstName": fields["firstName"], "lastName": fields["lastName"],
                        "emailAddress": fields["emailAddress"], "status": fields["status"]})
        doc["roles"] = fields["roles"]
    return Response.empty(204)


def delete_user(state: NexusState, req: Request) -> Response:
    user_id = req.params["userId"]
    with state.lock:
        if user_id not in state.users:
            raise quoted(404, f"User '{user_id}' not found.")
        # DefaultSecuritySystem.deleteUser refuses these two.
        if user_id == req.user:
            raise quoted(400, "Can not delete currently signed in user")
        if state.anonymous.get("enabled") and user_id == state.anonymous.get("userId"):
            raise quoted(400, "Can not delete anonymous user")
        del state.users[user_id]
        state.passwords.pop(user_id, None)
    return Response.empty(204)


# --- roles ---------------------------------------------------------------------------------------
ROLE_SOURCES = ("default", "LDAP")


def list_roles(state: NexusState, req: Request) -> Response:
    source = req.arg("source") or ""
    if source and source not in ROLE_SOURCES:
        raise quoted(400, f"Source '{source}' not found.")
    with state.lock:
        roles = [public(r) for r in state.roles.values() if not source or r["source"] == source]
    return Response.json(sorted(roles, key=lambda r: r["id"]))


def get_role(state: NexusState, req: Request) -> Response:
    role_id = req.params["id"]
    source = req.arg("source") or DEFAULT_SOURCE
    if source not in ROLE_SOURCES:
        raise quoted(400, f"Source '{source}' not found.")
    with state.lock:
        doc = state.roles.get(role_id)
        if doc is None or doc["source"] != source:
            raise quoted(404, f"Role '{role_id}' not found.")
        return Response.json(public(doc))


def _role_fields(body: dict) -> dict:
    fields = {"id": _text(body, "id"), "name": _text(body, "name"),
              "description": _text(body, "description"),
              "privileges": _string_set(body, "privileges"), "roles": _string_set(body, "roles")}
    errors = [(f"PARAMETER {key}", "must not be empty") for key in ("id", "name")
              if not fields[key]]
    if errors:
        raise ApiError.validation(errors)
    return fields


def _check_role_references(state: NexusState, role_id: str, fields: dict) -> None:
    for child in fields["roles"]:
        if child not in state.roles:
            raise quoted(400, f"Role '{child}' contained in role '{role_id}' not found.")
    privileges = all_privileges(state)
    for name in fields["privileges"]:
        if name.lower() not in privileges:
            raise quoted(400, f"Privilege '{name}' contained in role '{role_id}' not found.")


def _contains_itself(state: NexusState, role_id: str, children: list[str]) -> bool:
    pending, seen = list(children), set()
    while pending:
        current = pending.pop()
        if current == role_id:
            return True
        if current in seen:
            continue
        seen.add(current)
        pending.extend(state.roles.get(current, {}).get("roles", []))
    return False


def create_role(state: NexusState, req: Request) -> Response:
    fields = _role_fields(_body(req))
    role_id = fields["id"]
    with state.lock:
        if role_id in state.roles:
            raise quoted(400, f"Role '{role_id}' already exists, use a unique roleId.")
        _check_role_references(state, role_id, fields)
        doc = {"id": role_id, "source": DEFAULT_SOURCE, "name": fields["name"],
               "description": fields["description"], "readOnly": False,
               "privileges": fields["privileges"], "roles": fields["roles"]}
        state.roles[role_id] = doc
        return Response.json(public(doc))


def update_role(state: NexusState, req: Request) -> Response:
    role_id = req.params["id"]
    fields = _role_fields(_body(req))
    if fields["id"] != role_id:
        raise quoted(409, f"The Role id '{fields['id']}' does not match the id used in the "
                          f"path '{role_id}'.")
    with state.lock:
        doc = state.roles.get(role_id)
        if doc is None or doc["source"] != DEFAULT_SOURCE:
            raise quoted(404, f"Role '{role_id}' not found.")
        if doc["readOnly"]:
            raise quoted(400, f"Role '{role_id}' is internal and cannot be modified or deleted.")
        _check_role_references(state, role_id, fields)
        if _contains_itself(state, role_id, fields["roles"]):
            raise quoted(400, f"Role '{role_id}' cannot contain itself either directly or "
                              f"indirectly through child roles.")
        doc.update({"name": fields["name"], "description": fields["description"],
                    "privileges": fields["privileges"], "roles": fields["roles"]})
    return Response.empty(204)


def delete_role(state: NexusState, req: Request) -> Response:
    role_id = req.params["id"]
    with state.lock:
        doc = state.roles.get(role_id)
        if doc is None or doc["source"] != DEFAULT_SOURCE:
            raise quoted(404, f"Role '{role_id}' not found.")
        if doc["readOnly"]:
            raise quoted(400, f"Role '{role_id}' is internal and cannot be modified or deleted.")
        del state.roles[role_id]
        # Nexus's security configuration cleaner drops dangling references.
        for other in state.roles.values():
            if role_id in other["roles"]:
                other["roles"] = [r for r in other["roles"] if r != role_id]
        for user in state.users.values():
            if role_id in user["roles"]:
                user["roles"] = [r for r in user["roles"] if r != role_id]
    return Response.empty(204)


# --- privileges -----------------------------------------------------------------------------------
def list_privileges(state: NexusState, req: Request) -> Response:
    with state.lock:
        docs = [public(d) for d in all_privileges(state).values()]
    return Response.json(sorted(docs, key=lambda d: d["name"]))


def get_privilege(state: NexusState, req: Request) -> Response:
    name = req.params["privilegeName"]
    with state.lock:
        doc = all_privileges(state).get(name.lower())
        if doc is None:
            raise quoted(404, f"Privilege '{name}' not found.")
        return Response.json(public(doc))


def _privilege_from_body(kind: str, body: dict) -> dict:
    """Bean validation of a privilege request of one type; returns the document GET answers."""
    name = _text(body, "name")
    errors: list[tuple[str, str]] = []
    if _blank(name):
        errors.append(("PARAMETER name", "must not be blank"))
    elif not NAME_REGEX.match(name or ""):
        errors.append(("PARAMETER name", NAME_MESSAGE))
    doc: dict[str, Any] = {"type": kind, "name": name,
                           "description": _text(body, "description") or "", "readOnly": False}
    if kind != "wildcard":
        raw = body.get("actions")
        actions: list[str] = []
        if raw is not None:
            if not isinstance(raw, list) or not all(isinstance(a, str) for a in raw):
                raise unreadable("'actions' must be an array of strings")
            bad = [a for a in raw if a not in ALL_ACTIONS]
            if bad:
                raise unreadable(f"Cannot deserialize PrivilegeAction from '{bad[0]}'")
            actions = list(raw)
        if not actions:
            errors.append(("PARAMETER actions", "must not be empty"))
        doc["actions"] = actions
    required = {"wildcard": ("pattern",), "application": ("domain",), "script": ("scriptName",),
                "repository-view": ("format", "repository"),
                "repository-admin": ("format", "repository"),
                "repository-content-selector": ("format", "repository", "contentSelector")}[kind]
    for key in required:
        value = _text(body, key)
        if _blank(value):
            errors.append((f"PARAMETER {key}", "must not be blank"))
        doc[key] = value
    if errors:
        raise ApiError.validation(errors)
    return doc


def _check_privilege_rules(state: NexusState, doc: dict) -> None:
    """The privilege descriptor's validate(): actions allowed for the type, then references."""
    kind = doc["type"]
    if kind == "wildcard":
        return
    invalid = [a for a in dict.fromkeys(doc["actions"]) if a not in ACTIONS_BY_TYPE[kind]]
    if invalid:
        raise quoted(400, f"Privilege of type '{kind}' cannot use action(s) of type "
                          f"'{','.join(invalid)}'.")
    if kind.startswith("repository-"):
        _check_repository_and_format(state, doc)
    if kind == "repository-content-selector":
        if doc["contentSelector"].lower() not in state.content_selectors:
            raise quoted(400, f"Invalid content selector '{doc['contentSelector']}' supplied.")


def _check_repository_and_format(state: NexusState, doc: dict) -> None:
    """RepositoryPrivilegeDescriptorSupport.validateRepositoryAndFormat, in its order."""
    repo_name, fmt = doc["repository"], doc["format"]
    repository = state.repositories.get(repo_name.lower())
    if repo_name != "*" and repository is None:
        raise quoted(400, f"Invalid repository '{repo_name}' supplied.")
    if fmt != "*" and repository is not None and repository["format"] != fmt:
        raise quoted(400, f"Invalid format '{fmt}' supplied for repository '{repo_name}'.")
    if fmt != "*" and fmt not in FORMATS:
        raise quoted(400, f"Invalid format '{fmt}' supplied.")


def _privilege_handlers(kind: str) -> tuple[Callable[..., Response], Callable[..., Response]]:
    def create(state: NexusState, req: Request) -> Response:
        doc = _privilege_from_body(kind, _body(req))
        with state.lock:
            _check_privilege_rules(state, doc)
            if doc["name"].lower() in all_privileges(state):
                raise quoted(400, f"Privilege '{doc['name']}' already exists, use a unique name.")
            state.privileges[doc["name"].lower()] = doc
        return Response.empty(201)

    def update(state: NexusState, req: Request) -> Response:
        name = req.params["privilegeName"]
        doc = _privilege_from_body(kind, _body(req))
        if doc["name"] != name:
            raise quoted(409, f"The privilege name '{doc['name']}' does not match the name "
                              f"used in the path '{name}'.")
        with state.lock:
            _check_privilege_rules(state, doc)
            existing = all_privileges(state).get(name.lower())
            if existing is None:
                raise quoted(404, f"Privilege '{name}' not found.")
            if existing["readOnly"]:
                raise quoted(400, f"Privilege '{name}' is internal and cannot be modified or "
                                  f"deleted.")
            if existing["type"] != kind:
                raise quoted(400, f"Privilege '{name}' is of type '{existing['type']}', not "
                                  f"'{kind}'.")
            state.privileges[name.lower()] = doc
        return Response.empty(204)

    return create, update


def delete_privilege(state: NexusState, req: Request) -> Response:
    name = req.params["privilegeName"]
    with state.lock:
        doc = all_privileges(state).get(name.lower())
        if doc is None:
            raise quoted(404, f"Privilege '{name}' not found.")
        if doc["readOnly"]:
            raise quoted(400, f"Privilege '{name}' is internal and cannot be modified or "
                              f"deleted.")
        del state.privileges[name.lower()]
        for role in state.roles.values():
            kept = [p for p in role["privileges"] if p.lower() != name.lower()]
            if len(kept) != len(role["privileges"]):
                role["privileges"] = kept
    return Response.empty(204)


# --- content selectors ----------------------------------------------------------------------------
def list_selectors(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json([public(d) for d in state.content_selectors.values()])


def _find_selector(state: NexusState, name: str) -> dict:
    doc = state.content_selectors.get(name.lower())
    if doc is None:
        raise quoted(404, f"No selector found for {name}")
    return doc


def get_selector(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json(public(_find_selector(state, req.params["name"])))


def create_selector(state: NexusState, req: Request) -> Response:
    body = _body(req)
    name, expression = _text(body, "name"), _text(body, "expression")
    description = _text(body, "description")
    errors: list[tuple[str, str]] = []
    if _blank(name):
        errors.append(("PARAMETER name", "must not be blank"))
    elif not NAME_REGEX.match(name or ""):
        errors.append(("PARAMETER name", NAME_MESSAGE))
    with state.lock:
        if name and name.lower() in state.content_selectors:
            errors.append(("PARAMETER name", NAME_TAKEN))
        if errors:
            raise ApiError.validation(errors)
        _validate_expression(expression)
        state.content_selectors[name.lower()] = {"name": name, "type": "csel",
                                                 "description": description,
                                                 "expression": expression}
    return Response.empty(204)


def update_selector(state: NexusState, req: Request) -> Response:
    body = _body(req)
    expression, description = _text(body, "expression"), _text(body, "description")
    with state.lock:
        doc = _find_selector(state, req.params["name"])
        _validate_expression(expression)
        doc.update({"description": description, "expression": expression})
    return Response.empty(204)


def delete_selector(state: NexusState, req: Request) -> Response:
    with state.lock:
        doc = _find_selector(state, req.params["name"])
        in_use = any(p.get("type") == "repository-content-selector"
                     and p.get("contentSelector", "").lower() == doc["name"].lower()
                     for p in state.privileges.values())
        if in_use:
            raise ApiError.bad_request(
                f"Content selector {doc['name']} is in use and cannot be deleted")
        del state.content_selectors[doc["name"].lower()]
    return Response.empty(204)


# --- LDAP ----------------------------------------------------------------------------------------
def _ldap_view(doc: dict, order: int) -> dict:
    view = public(doc)
    view["order"] = order
    return view


def _find_ldap(state: NexusState, name: str) -> tuple[int, dict]:
    for index, doc in enumerate(state.ldap_servers):
        if doc["name"] == name:
            return index, doc
    raise quoted(404, f"LDAP server {name} not found")


def _enum_key(value: Optional[str]) -> Optional[str]:
    return value.upper().replace("-", "_") if isinstance(value, str) else None


def _validate_ldap(state: NexusState, body: dict, schema_name: str,
                   previous: Optional[dict]) -> dict:
    """Checks an LDAP server body against the release's schema (types, enums, required fields,
    ranges) and the rules its field descriptions state; returns the stored document."""
    schema = _schema(state, schema_name)
    props: dict[str, dict] = schema["properties"]
    required = set(schema.get("required", []))
    fields: dict[str, Any] = {}
    for key, prop in props.items():
        if key in ("id", "order"):
            continue
        value = body.get(key)
        expected = {"string": str, "integer": int, "boolean": bool}[prop["type"]]
        if value is not None and (not isinstance(value, expected)
                                  or (expected is int and isinstance(value, bool))):
            raise unreadable(f"'{key}' must be of type {prop['type']}")
        if value is not None and "enum" in prop:
            # 3.94's schemas spell these enums differently (LDAPS, simple, CRAM-MD5, DYNAMIC):
            # take either spelling, keep the release's own.
            spelled = {_enum_key(choice): choice for choice in prop["enum"]}
            if _enum_key(value) not in spelled:
                raise unreadable(f"'{value}' is not one of {prop['enum']} for '{key}'")
            value = spelled[_enum_key(value)]
        fields[key] = value
    errors: list[tuple[str, str]] = []

    def need(key: str, stored: Optional[str] = None) -> None:
        value = fields.get(key)
        if (value is None or (isinstance(value, str) and not value.strip())) and not stored:
            errors.append((f"PARAMETER {key}", "must not be blank"
                           if props[key]["type"] == "string" else "must not be null"))

    scheme = _enum_key(fields.get("authScheme"))
    group_type = _enum_key(fields.get("groupType"))
    for key in sorted(required):
        if key == "authPassword" and scheme == "NONE":
            continue
        need(key)
    if scheme not in (None, "NONE"):
        need("authUsername")
        # A release whose update schema does not require the password keeps the stored one.
        need("authPassword", previous.get("_authPassword") if previous else None)
    if scheme in ("DIGEST_MD5", "CRAM_MD5"):
        need("authRealm")
    if fields.get("ldapGroupsAsRoles"):
        need("groupType")
    if group_type == "STATIC":
        for key in ("groupBaseDn", "groupIdAttribute", "groupMemberAttribute",
                    "groupMemberFormat", "groupObjectClass"):
            need(key)
    if group_type == "DYNAMIC":
        need("userMemberOfAttribute")
    for key, prop in props.items():
        value = fields.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            if "minimum" in prop and value < prop["minimum"]:
                errors.append((f"PARAMETER {key}",
                               f"must be greater than or equal to {prop['minimum']}"))
            if "maximum" in prop and value > prop["maximum"]:
                errors.append((f"PARAMETER {key}",
                               f"must be less than or equal to {prop['maximum']}"))
    if errors:
        raise ApiError.validation(errors)
    password = fields.pop("authPassword", None)
    if password is None and previous is not None:
        password = previous.get("_authPassword")
    fields["_authPassword"] = password
    return fields


def list_ldap(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json([_ldap_view(d, i) for i, d in enumerate(state.ldap_servers)])


def get_ldap(state: NexusState, req: Request) -> Response:
    with state.lock:
        index, doc = _find_ldap(state, req.params["name"])
        return Response.json(_ldap_view(doc, index))


def create_ldap(state: NexusState, req: Request) -> Response:
    body = _body(req)
    with state.lock:
        fields = _validate_ldap(state, body, "CreateLdapServerXo", None)
        if any(d["name"].lower() == fields["name"].lower() for d in state.ldap_servers):
            raise ApiError.bad_request(f"LDAP server with name '{fields['name']}' already exists")
        doc = {"id": uuid.uuid4().hex[:24], **fields}
        state.ldap_servers.append(doc)
    return Response.empty(201)


def update_ldap(state: NexusState, req: Request) -> Response:
    body = _body(req)
    with state.lock:
        index, previous = _find_ldap(state, req.params["name"])
        fields = _validate_ldap(state, body, "UpdateLdapServerXo", previous)
        clash = any(i != index and d["name"].lower() == fields["name"].lower()
                    for i, d in enumerate(state.ldap_servers))
        if clash:
            raise ApiError.bad_request(f"LDAP server with name '{fields['name']}' already exists")
        state.ldap_servers[index] = {"id": previous["id"], **fields}
    return Response.empty(204)


def delete_ldap(state: NexusState, req: Request) -> Response:
    with state.lock:
        index, _ = _find_ldap(state, req.params["name"])
        del state.ldap_servers[index]
    return Response.empty(204)


def change_ldap_order(state: NexusState, req: Request) -> Response:
    body = req.json()
    if not isinstance(body, list) or not all(isinstance(v, str) for v in body):
        raise unreadable("expected an array of LDAP server names")
    with state.lock:
        by_name = {d["name"]: d for d in state.ldap_servers}
        unknown = [name for name in body if name not in by_name]
        if unknown:
            raise quoted(404, f"LDAP server {unknown[0]} not found")
        ordered = [by_name[name] for name in dict.fromkeys(body)]
        ordered += [d for d in state.ldap_servers if d["name"] not in body]
        state.ldap_servers[:] = ordered
    return Response.empty(204)


# --- registration ---------------------------------------------------------------------------------
def register(router: Router, state: NexusState) -> None:
    base = "/v1/security"
    # The @RequiresPermissions of RealmApiResource, AnonymousAccessApiResource, UserApiResource,
    # RoleApiResource, PrivilegeApiResource / RepositoryPrivilegeApiResource /
    # ScriptPrivilegeApiResource and ContentSelectorsApiResource; LDAP's resource is not in
    # nexus-public and keeps nexus:*.
    router.add("GET", f"{base}/realms/available", get_available_realms,
               auth="nexus:settings:read")
    router.add("GET", f"{base}/realms/active", get_active_realms, auth="nexus:settings:read")
    router.add("PUT", f"{base}/realms/active", put_active_realms, auth="nexus:settings:update")
    router.add("GET", f"{base}/anonymous", get_anonymous, auth="nexus:settings:read")
    router.add("PUT", f"{base}/anonymous", put_anonymous, auth="nexus:settings:update")
    router.add("GET", f"{base}/users", list_users, auth="nexus:users:read")
    router.add("POST", f"{base}/users", create_user, auth="nexus:users:create")
    router.add("PUT", f"{base}/users/{{userId}}", update_user, auth="nexus:users:update")
    router.add("DELETE", f"{base}/users/{{userId}}", delete_user, auth="nexus:users:delete")
    router.add("GET", f"{base}/roles", list_roles, auth="nexus:roles:read")
    router.add("POST", f"{base}/roles", create_role, auth="nexus:roles:create")
    router.add("GET", f"{base}/roles/{{id}}", get_role, auth="nexus:roles:read")
    router.add("PUT", f"{base}/roles/{{id}}", update_role, auth="nexus:roles:update")
    router.add("DELETE", f"{base}/roles/{{id}}", delete_role, auth="nexus:roles:delete")
    router.add("GET", f"{base}/privileges", list_privileges, auth="nexus:privileges:read")
    for kind in PRIVILEGE_TYPES:
        create, update = _privilege_handlers(kind)
        router.add("POST", f"{base}/privileges/{kind}", create, auth="nexus:privileges:create")
        router.add("PUT", f"{base}/privileges/{kind}/{{privilegeName}}", update,
                   auth="nexus:privileges:update")
    router.add("GET", f"{base}/privileges/{{privilegeName}}", get_privilege,
               auth="nexus:privileges:read")
    router.add("DELETE", f"{base}/privileges/{{privilegeName}}", delete_privilege,
               auth="nexus:privileges:delete")
    router.add("GET", f"{base}/content-selectors", list_selectors, auth="nexus:selectors:read")
    router.add("POST", f"{base}/content-selectors", create_selector,
               auth="nexus:selectors:create")
    router.add("GET", f"{base}/content-selectors/{{name}}", get_selector,
               auth="nexus:selectors:read")
    router.add("PUT", f"{base}/content-selectors/{{name}}", update_selector,
               auth="nexus:selectors:update")
    router.add("DELETE", f"{base}/content-selectors/{{name}}", delete_selector,
               auth="nexus:selectors:delete")
    router.add("GET", f"{base}/ldap", list_ldap)
    router.add("POST", f"{base}/ldap", create_ldap)
    router.add("POST", f"{base}/ldap/change-order", change_ldap_order)
    router.add("GET", f"{base}/ldap/{{name}}", get_ldap)
    router.add("PUT", f"{base}/ldap/{{name}}", update_ldap)
    router.add("DELETE", f"{base}/ldap/{{name}}", delete_ldap)
