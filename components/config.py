"""Loads the stack config and validates all of it before any resource is registered.

Validation has three layers, all reported together so one run shows every mistake:
1. JSON Schema per top-level key (schemas/<key>.schema.json);
2. secrets: every secret field must have been set with `pulumi config set --secret`;
3. cross references: names, members, ports, policies, blob stores, server capabilities.
Messages name the config path (`repositories[2].blobStore`) and the fix.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .blob_store import s3_expiration_problems
from .content_selector import csel_problem
from .regex_syntax import cleanup_regex_problem, java_regex_problem

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9\-][a-zA-Z0-9_\-.]*$")
DEFAULT_BLOB_STORE = "default"  # every Nexus has it from first start

# Config paths whose values are secrets ("*" = any list index or map key). Each must be set
# with `pulumi config set --secret [--path]`; the program passes them on as Pulumi secrets.
SECRET_PATHS: tuple[tuple[str, ...], ...] = (
    ("adminPassword",),
    ("blobStores", "*", "secretAccessKey"),
    ("blobStores", "*", "sessionToken"),
    ("repositories", "*", "authentication", "password"),
    ("security", "passwords", "*"),
    ("security", "ldap", "*", "authPassword"),
    ("webhooks", "*", "secret"),
    ("tls", "keystorePassword"),
    ("tls", "ca", "keyPem"),
    ("nexus", "tls", "clientKeyPem"),
)

# Top-level keys in the order the program uses them; each has schemas/<key>.schema.json.
KEYS = ("nexus", "adminPassword", "container", "tls", "reverseProxy", "blobStores",
        "cleanupPolicies", "routingRules", "repositories", "security", "tasks", "retention",
        "webhooks", "unmanaged")


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    schema: bool = False  # a shape error: later checks would read the wrong shapes

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(Exception):
    """The stack config is invalid; nothing was sent to Nexus."""

    def __init__(self, problems: Sequence[Problem], stack: str = "") -> None:
        self.problems = list(problems)
        where = f" of stack '{stack}'" if stack else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"The config{where} is invalid ({len(self.problems)} problem"
                         f"{'s' if len(self.problems) != 1 else ''}); nothing was changed on "
                         f"Nexus:\n{lines}")


MAPPED_FACTS = ("repositories", "repository_ports")  # facts that are mappings, not name sets


class ServerFacts:
    """What a reachable Nexus already has, for references to objects the config does not
    declare. Subclasses load each list lazily, so validation asks only what it needs."""

    def __init__(self, version: tuple[int, int, int], pro: bool, **lists: Any) -> None:
        self.version = version
        self.pro = pro
        self._lists = {k: v for k, v in lists.items()}

    def at_least(self, version: tuple[int, int, int]) -> bool:
        return self.version >= version

    def _list(self, name: str) -> Any:
        if name not in self._lists:
            self._lists[name] = self.load(name)
        return self._lists[name]

    def load(self, name: str) -> Any:
        """Fetch one list from the server (overridden by the preflight)."""
        return {} if name in MAPPED_FACTS else frozenset()

    @property
    def blob_stores(self) -> frozenset[str]:
        return self._list("blob_stores")

    @property
    def cleanup_policies(self) -> frozenset[str]:
        return self._list("cleanup_policies")

    @property
    def routing_rules(self) -> frozenset[str]:
        return self._list("routing_rules")

    @property
    def repositories(self) -> Mapping[str, tuple[str, str]]:
        """lower-cased name -> (format, type)"""
        return self._list("repositories")

    @property
    def repository_ports(self) -> Mapping[int, str]:
        """docker connector port -> the repository holding it"""
        return self._list("repository_ports")

    @property
    def roles(self) -> frozenset[str]:
        return self._list("roles")

    @property
    def privileges(self) -> frozenset[str]:
        return self._list("privileges")

    @property
    def content_selectors(self) -> frozenset[str]:
        return self._list("content_selectors")

    @property
    def available_realms(self) -> frozenset[str]:
        return self._list("available_realms")


@dataclass
class StackConfig:
    """The stack's config values, keyed by top-level key (without the project namespace)."""

    values: dict[str, Any]
    secret_keys: frozenset[str] = frozenset()
    stack: str = ""
    # Entries read from side files (components.stack_files): config path -> "file:line", and
    # what is wrong with the files themselves.
    origins: Mapping[str, str] = field(default_factory=dict)
    file_problems: tuple[Problem, ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key)
        return default if value is None else value

    @property
    def nexus(self) -> dict[str, Any]:
        return self.get("nexus", {})

    def adopt(self, item: Mapping[str, Any]) -> bool:
        """An object's own `adopt` wins over the stack-wide `nexus.adopt`."""
        own = item.get("adopt")
        return bool(self.nexus.get("adopt", False) if own is None else own)

    def spec(self, path: Sequence[Any], item: Mapping[str, Any]) -> dict[str, Any]:
        """A resource's inputs from one config object: adopt resolved, `protect` left to the
        resource options, secret fields wrapped as Pulumi secrets."""
        import pulumi

        spec = copy.deepcopy(dict(item))
        spec.pop("protect", None)
        spec["adopt"] = self.adopt(item)
        for secret_path, value in iter_secret_values({path[0]: _nest(path[1:], spec)}):
            rel = secret_path[len(path):]
            node = spec
            for part in rel[:-1]:
                node = node[part]
            node[rel[-1]] = pulumi.Output.secret(value)
        return spec


# --- loading --------------------------------------------------------------------------------
def load_from_pulumi() -> StackConfig:
    """Reads every config key of this project from the running Pulumi program."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    project = pulumi.get_project()
    values: dict[str, Any] = {}
    secret_keys: set[str] = set()
    for full_key, raw in runtime_config.CONFIG.get().items():
        namespace, _, key = full_key.partition(":")
        if namespace != project:
            continue
        values[key] = _parse(raw)
        if runtime_config.is_config_secret(full_key):
            secret_keys.add(key)
    return with_side_files(StackConfig(values, frozenset(secret_keys), pulumi.get_stack()))


def with_side_files(cfg: StackConfig, project_dir: Optional[Path] = None) -> StackConfig:
    """The config with the object lists of stacks/<stack>/*.yaml added (components.stack_files)."""
    from . import stack_files

    if not cfg.stack:
        return cfg
    side = stack_files.merge(cfg.values, stack_files.folder(cfg.stack, project_dir))
    if not side.files and not side.problems:
        return cfg
    return StackConfig(side.values, cfg.secret_keys, cfg.stack, side.origins,
                       tuple(Problem(where, what) for where, what in side.problems))


def _nest(path: Sequence[Any], leaf: Any) -> Any:
    """Rebuild the config tree around one object so SECRET_PATHS patterns match it."""
    for part in reversed(path):
        # An index as a mapping key: "*" matches it as it matches a list position, without a
        # list as long as the index (which made a 5,000-object stack quadratic).
        leaf = {part: leaf}
    return leaf


def _parse(raw: Any) -> Any:
    """Structured config arrives as JSON text; plain strings stay strings."""
    if isinstance(raw, str):
        text = raw.strip()
        if text[:1] in "[{" or text in ("true", "false", "null") or re.fullmatch(r"-?\d+(\.\d+)?", text):
            try:
                return json.loads(text)
            except ValueError:
                return raw
    return raw


# --- validation -----------------------------------------------------------------------------
def validate(cfg: StackConfig, server: Optional[ServerFacts] = None) -> list[Problem]:
    """Every problem in the config; empty when it is good to apply."""
    if cfg.file_problems:
        return list(cfg.file_problems)  # the side files must be readable before anything else
    return [_located(p, cfg.origins) for p in _problems(cfg, server)]


def _located(problem: Problem, origins: Mapping[str, str]) -> Problem:
    """A problem inside an entry read from a side file also names that file and line."""
    from .stack_files import locate

    where = locate(problem.path, origins) if origins else None
    return Problem(f"{where} {problem.path}", problem.message, schema=problem.schema) if where else problem


def _problems(cfg: StackConfig, server: Optional[ServerFacts] = None) -> list[Problem]:
    problems = shape_problems(cfg)
    if not any(p.schema for p in problems):  # cross checks assume the shapes the schema guarantees
        expanded, preset_problems = expanded_values(cfg)
        renamed = renamed_reference_problems(cfg.values)
        problems += renamed + _except_at({p.path for p in renamed}, [
            *preset_problems,
            *cross_reference_problems(expanded, server),
            *security_problems(expanded, server),
            *_retention().problems(expanded, server),  # tasks, retention, webhooks
            *standup_problems(expanded)])
    return problems


def shape_problems(cfg: StackConfig) -> list[Problem]:
    """What no server can make right: unknown or missing keys, schema errors, secrets in plain
    text. When there is any, the server is not asked anything."""
    return [*schema_problems(cfg.values), *_admin_password_problems(cfg.values), *secret_problems(cfg)]


def _except_at(paths: set[str], problems: Iterable[Problem]) -> list[Problem]:
    """Problems at other paths (a renamed repository's old name is explained once)."""
    return [p for p in problems if p.path not in paths]


def standup_problems(values: Mapping[str, Any]) -> list[Problem]:
    from .standup import standup_problems as check
    return check(values)


def expanded_values(cfg: StackConfig) -> tuple[dict[str, Any], list[Problem]]:
    """The config with the one-line presets replaced by what they stand for."""
    from .presets import expand
    values, problems = expand(cfg.values)
    values, retention_problems = _retention().expand(values)
    return values, problems + retention_problems


def _retention() -> Any:
    """components.retention, imported late: it builds on this module."""
    from . import retention
    return retention


def require_valid(cfg: StackConfig, server: Optional[ServerFacts] = None) -> None:
    problems = validate(cfg, server)
    if problems:
        raise ConfigError(problems, cfg.stack)


@lru_cache(maxsize=None)
def validator(key: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / f"{key}.schema.json").read_text())
    return Draft202012Validator(schema)


def schema_problems(values: Mapping[str, Any]) -> Iterator[Problem]:
    for key in values:
        if key not in KEYS:
            yield Problem(key, f"unknown config key; known keys: {', '.join(KEYS)}", schema=True)
    yield from _nexus_problems(values)
    for key in KEYS:
        if values.get(key) is not None and not (key == "nexus" and isinstance(values[key], str)):
            checker = validator(key)
            for error in sorted(checker.iter_errors(values[key]), key=_error_order):
                path = (key, *error.absolute_path)
                message = _secret_explained(error) if is_secret_path(path) else _explain(error, checker.schema)
                if message:
                    yield Problem(format_path(path), message, schema=True)


def _nexus_problems(values: Mapping[str, Any]) -> Iterator[Problem]:
    """`nexus` missing or given as its url alone, with the command that sets it right."""
    nexus = values.get("nexus")
    if nexus is None:
        yield Problem("nexus", "missing: set at least nexus.url (pulumi config set --path nexus.url "
                      "http://host:8081)", schema=True)
    elif isinstance(nexus, str):
        yield Problem("nexus", f"must be an object with url, not a string: write `nexus: {{url: {nexus}}}` "
                      f"(pulumi config set --path nexus.url {nexus})", schema=True)


def _admin_password_problems(values: Mapping[str, Any]) -> list[Problem]:
    if values.get("adminPassword") is not None:
        return []
    return [Problem("adminPassword", "missing: the desired admin password is required "
                    "(pulumi config set --secret adminPassword <password>)")]


def _error_order(error: ValidationError) -> tuple[str, ...]:
    return tuple(str(p) for p in error.absolute_path)


def _explain(error: ValidationError, root: Mapping[str, Any]) -> Optional[str]:
    """jsonschema's message plus the field's description as the fix; None for an error that
    only echoes another one."""
    if error.validator in ("unevaluatedProperties", "additionalProperties"):
        allowed = _allowed_properties(error.schema, root)
        # When a sibling keyword failed (a type error inside allOf/then), jsonschema counts
        # the properties that keyword declared as unevaluated too: only unknown names count.
        unknown = [k for k in error.instance if k not in allowed] if isinstance(error.instance, dict) else []
        if not unknown:
            return None
        names = ", ".join(repr(k) for k in unknown)
        return (f"{names} {'was' if len(unknown) == 1 else 'were'} unexpected (unknown field"
                f"{'' if len(unknown) == 1 else 's'}). Allowed here: {', '.join(allowed)}.")
    if error.validator == "required" and isinstance(error.schema, dict):
        missing = re.match(r"'([^']+)'", error.message)
        field = error.schema.get("properties", {}).get(missing.group(1), {}) if missing else {}
        description = field.get("description") if isinstance(field, dict) else None
        return error.message + (f" ({description})" if description else "")
    if error.validator == "pattern" and isinstance(error.instance, str):
        description = error.schema.get("description") if isinstance(error.schema, dict) else None
        return (f"{error.instance!r} is not valid" + (f": {description}" if description else
                                                       f" (must match {error.validator_value})"))
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "anyOf" and error.schema_path and "required" in json.dumps(error.validator_value):
        needed = [next(iter(branch["required"])) for branch in error.validator_value]
        return f"needs at least one of: {', '.join(needed)}"
    if error.validator == "not" and "required" in (error.validator_value or {}):
        return f"give only one of: {', '.join(error.validator_value['required'])}"
    if error.validator == "type":
        fields = _allowed_properties(error.schema, root) if "object" in str(error.validator_value) else []
        shown = repr(error.instance) if len(repr(error.instance)) <= 60 else f"{repr(error.instance)[:57]}..."
        return (f"must be {_type_names(error.validator_value)}"
                + (f" (fields: {', '.join(fields)})" if fields else "") + f", not {shown}")
    if error.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        description = error.schema.get("description") if isinstance(error.schema, dict) else None
        return error.message + (f" ({description})" if description else "")
    return error.message


def _type_names(types: Any) -> str:
    names = {"object": "an object", "array": "a list", "string": "a string", "integer": "an integer",
             "number": "a number", "boolean": "true or false", "null": "empty"}
    listed = types if isinstance(types, list) else [types]
    return " or ".join(names.get(t, t) for t in listed)
def _secret_explained(error: ValidationError) -> str:
    """What is wrong with a secret field, never its value (jsonschema's messages quote it)."""
    limit = error.validator_value
    if error.validator == "minLength":
        return f"is too short: it needs at least {limit} characters"
    if error.validator == "maxLength":
        return f"is too long: at most {limit} characters"
    if error.validator == "type":
        return f"must be a {limit}"
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    return f"is not valid ({error.validator})" + (f": {description}" if description else "")


def _allowed_properties(schema: Any, root: Mapping[str, Any]) -> list[str]:
    """Property names a (sub)schema accepts, following local $refs and allOf."""
    if not isinstance(schema, dict):
        return []
    names = set(schema.get("properties", {}))
    for sub in schema.get("allOf", []):
        names.update(_allowed_properties(sub, root))
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        names.update(_allowed_properties(root.get("$defs", {}).get(ref.split("/")[-1]), root))
    return sorted(names)


def format_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def secret_problems(cfg: StackConfig) -> Iterator[Problem]:
    for path, _ in iter_secret_values(cfg.values):
        if format_path(path) in cfg.origins:
            cut = 2 if isinstance(path[1], int) else 3  # repositories[i]... / security.ldap[i]...
            where = f"{format_path(path[:cut - 1])}[<its index there>].{format_path(path[cut:])}"
            yield Problem(format_path(path), "is a secret, and side files are plain text: move this entry "
                                             "into the stack file's list and set the secret there with "
                                             f"pulumi config set --secret --path '{where}' <value>")
        elif path[0] not in cfg.secret_keys:
            shown = format_path(path)
            command = (f"pulumi config set --secret {shown}" if len(path) == 1 else
                       f"pulumi config set --secret --path '{shown}' <value>")
            yield Problem(shown, f"is a secret but is stored in plain text in the stack file; "
                                 f"remove it and run: {command}")


def iter_secret_values(values: Mapping[str, Any]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(concrete path, value) for every secret field present in the config."""
    for pattern in SECRET_PATHS:
        yield from _match(values, pattern, ())


def _match(node: Any, pattern: tuple[str, ...], prefix: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if not pattern:
        if node is not None:
            yield prefix, node
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(node, list):
            for i, child in enumerate(node):
                yield from _match(child, rest, prefix + (i,))
        elif isinstance(node, dict):
            for k, child in node.items():
                yield from _match(child, rest, prefix + (k,))
    elif isinstance(node, dict) and head in node:
        yield from _match(node[head], rest, prefix + (head,))


def is_secret_path(path: Sequence[Any]) -> bool:
    return any(len(p) == len(path) and all(a == "*" or a == b for a, b in zip(p, path))
               for p in SECRET_PATHS)


# --- cross references -----------------------------------------------------------------------
def cross_reference_problems(values: Mapping[str, Any], server: Optional[ServerFacts] = None) -> list[Problem]:
    problems: list[Problem] = []
    blob_stores = values.get("blobStores") or []
    policies = values.get("cleanupPolicies") or []
    rules = values.get("routingRules") or []
    repositories = values.get("repositories") or []

    for i, store in enumerate(blob_stores):
        if store["type"] == "s3" and store.get("accessKeyId") and not store.get("secretAccessKey"):
            problems.append(Problem(f"blobStores[{i}].secretAccessKey", "accessKeyId needs its secret key: "
                                    f"pulumi config set --secret --path 'blobStores[{i}].secretAccessKey' <key>"))
    problems += [Problem(path, message) for path, message in
                 s3_expiration_problems(blob_stores, server.version if server else None)]
    for key, items in (("blobStores", blob_stores), ("cleanupPolicies", policies),
                       ("routingRules", rules), ("repositories", repositories)):
        problems += duplicate_name_problems(key, items)

    declared_repos = {r["name"].lower(): r for r in repositories}
    store_known = _known_names([b["name"] for b in blob_stores] + [DEFAULT_BLOB_STORE], server, "blob_stores")
    policy_known = _known_names([p["name"] for p in policies], server, "cleanup_policies")
    rule_known = _known_names([r["name"] for r in rules], server, "routing_rules")

    problems += routing_rule_regex_problems(rules)
    problems += cleanup_policy_regex_problems(policies)
    ports: dict[int, str] = {}
    nexus_port = _url_port(values.get("nexus", {}).get("url", ""))
    tls = values.get("tls") or {}
    jetty_https = bool(tls.get("enabled", True) and tls.get("jettyHttps", False)) if tls else False
    if jetty_https:
        ports[int(tls.get("httpsPort", 8443))] = "Jetty's own HTTPS port (tls.httpsPort)"
    for i, repo in enumerate(repositories):
        at = f"repositories[{i}]"
        store = repo.get("blobStore", DEFAULT_BLOB_STORE)
        if not store_known(store):
            problems.append(Problem(f"{at}.blobStore", f"blob store '{store}' is not declared in "
                                    f"blobStores (known: {store_known.listing}); add it there or fix the name"))
        for j, policy in enumerate(repo.get("cleanupPolicies", []) or []):
            if not policy_known(policy):
                problems.append(Problem(f"{at}.cleanupPolicies[{j}]", f"cleanup policy '{policy}' is not "
                                        f"declared in cleanupPolicies (known: {policy_known.listing})"))
        rule = repo.get("routingRule")
        if rule and not rule_known(rule):
            problems.append(Problem(f"{at}.routingRule", f"routing rule '{rule}' is not declared in "
                                    f"routingRules (known: {rule_known.listing})"))
        for port_key in ("httpPort", "httpsPort"):
            port = repo.get(port_key)
            if port is None:
                continue
            if port in ports:
                problems.append(Problem(f"{at}.{port_key}", f"port {port} is already used by "
                                        f"{ports[port]}; every docker connector needs its own port"))
            elif port == nexus_port:
                problems.append(Problem(f"{at}.{port_key}", f"port {port} is the Nexus web/REST port "
                                        f"(nexus.url); pick another connector port"))
            else:
                ports[port] = f"{at}.{port_key} ({repo['name']})"
        if repo.get("httpsPort") is not None and not jetty_https:
            problems.append(Problem(f"{at}.httpsPort", "an HTTPS docker connector needs Jetty HTTPS "
                                    "(tls.enabled and tls.jettyHttps); without it Nexus saves the "
                                    "repository and silently never opens the port ('Unsupported HTTP "
                                    "Scheme: https'). Enable tls.jettyHttps or use httpPort behind "
                                    "a TLS reverse proxy"))
        if repo["type"] == "proxy":
            problems += _proxy_problems(at, repo)
        if repo["type"] == "group":
            problems += _group_problems(at, repo, declared_repos, server)
        problems += _server_capability_problems(at, repo, server)
    problems += group_cycle_problems(repositories)
    problems += repository_rename_problems(repositories, server)
    problems += repository_port_problems(repositories, server)
    return problems


class _KnownNames:
    """Declared names first; the server's list is read only for a name the config lacks."""

    def __init__(self, declared: Iterable[str], server: Optional[ServerFacts], fact: str) -> None:
        self.declared = {n.lower() for n in declared}
        self.server, self.fact = server, fact

    def __call__(self, name: str) -> bool:
        if name.lower() in self.declared:
            return True
        return self.server is not None and name.lower() in getattr(self.server, self.fact)

    @property
    def listing(self) -> str:
        names = set(self.declared)
        if self.server is not None:
            names |= set(getattr(self.server, self.fact))
        return _names(names)


def _known_names(declared: Iterable[str], server: Optional[ServerFacts], fact: str) -> _KnownNames:
    return _KnownNames(declared, server, fact)


def duplicate_name_problems(key: str, items: Sequence[Mapping[str, Any]], field_name: str = "name") -> list[Problem]:
    """Nexus names are unique case-insensitively: 'Docker-Hub' and 'docker-hub' collide."""
    seen: dict[str, int] = {}
    problems = []
    for i, item in enumerate(items):
        name = str(item.get(field_name, ""))
        if name.lower() in seen:
            first = seen[name.lower()]
            problems.append(Problem(f"{key}[{i}].{field_name}", f"'{name}' duplicates {key}[{first}] "
                                    f"('{items[first][field_name]}'); names are unique regardless of case"))
        else:
            seen[name.lower()] = i
    return problems


def routing_rule_regex_problems(rules: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Nexus compiles matchers with java.util.regex and refuses the rule otherwise."""
    return [Problem(f"routingRules[{i}].matchers[{j}]", f"{matcher!r} is not a valid (Java) regular "
                    f"expression: {problem}")
            for i, rule in enumerate(rules) for j, matcher in enumerate(rule.get("matchers", []))
            for problem in [java_regex_problem(matcher)] if problem]


def cleanup_policy_regex_problems(policies: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """assetRegex must pass Nexus's REST check (Lucene RegExp) and compile in Java (the run)."""
    return [Problem(f"cleanupPolicies[{i}].assetRegex", f"{policy['assetRegex']!r} is not a valid "
                    f"regular expression: {problem}")
            for i, policy in enumerate(policies) if policy.get("assetRegex")
            for problem in [cleanup_regex_problem(policy["assetRegex"])] if problem]


def _proxy_problems(at: str, repo: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for j, pattern in enumerate(repo.get("foreignLayerUrlWhitelist") or []):
        problem = java_regex_problem(pattern)
        if problem:
            problems.append(Problem(f"{at}.foreignLayerUrlWhitelist[{j}]", f"{pattern!r} is not a valid "
                                    f"(Java) regular expression: {problem}"))
    if repo.get("indexType") == "CUSTOM" and not repo.get("indexUrl"):
        problems.append(Problem(f"{at}.indexUrl", "indexType CUSTOM needs indexUrl"))
    if repo.get("indexUrl") and repo.get("indexType", "REGISTRY") != "CUSTOM":
        problems.append(Problem(f"{at}.indexUrl", "indexUrl is only used with indexType CUSTOM"))
    auth = repo.get("authentication")
    if auth:
        needed = {"username": ("username", "password"), "ntlm": ("username", "password", "ntlmHost", "ntlmDomain"),
                  "bearerToken": ("password",)}[auth["type"]]
        for name in needed:
            if not auth.get(name):
                fix = (f": pulumi config set --secret --path '{at}.authentication.password' <password>"
                       if name == "password" else "")
                problems.append(Problem(f"{at}.authentication.{name}",
                                        f"authentication type {auth['type']} needs {name}{fix}"))
    return problems


def _group_problems(at: str, repo: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]],
                    server: Optional[ServerFacts]) -> list[Problem]:
    problems = []
    for j, member in enumerate(repo["members"]):
        path = f"{at}.members[{j}]"
        if member.lower() == repo["name"].lower():
            problems.append(Problem(path, "a group cannot contain itself"))
        elif member.lower() in declared:
            continue
        elif server is not None and member.lower() in server.repositories:
            fmt, _ = server.repositories[member.lower()]
            if fmt != "docker":
                problems.append(Problem(path, f"'{member}' exists on the server but is a {fmt} "
                                        "repository; docker groups take docker members only"))
        else:
            problems.append(Problem(path, f"member '{member}' is not declared in repositories"
                                    + ("" if server is None else " and does not exist on the server")
                                    + f" (declared: {_names(declared)})"))
    writable = repo.get("writableMember")
    if writable:
        if writable.lower() not in {m.lower() for m in repo["members"]}:
            problems.append(Problem(f"{at}.writableMember", f"'{writable}' must also be one of members"))
        elif declared.get(writable.lower(), {}).get("type", "hosted") != "hosted":
            problems.append(Problem(f"{at}.writableMember", f"'{writable}' must be a hosted repository"))
    return problems


def group_cycle_problems(repositories: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Nexus refuses a group that contains itself through nested groups
    (GroupFacetImpl.validateGroupDoesNotContainItself); a group naming itself is reported by
    _group_problems."""
    groups = [(i, r["name"].lower(), [m.lower() for m in r["members"]])
              for i, r in enumerate(repositories) if r["type"] == "group"]
    shown = {r["name"].lower(): r["name"] for r in repositories}
    return [Problem(f"repositories[{i}].members[{j}]", f"groups form a cycle: "
                    f"{' → '.join(shown[n] for n in cycle)}; "
                    f"Nexus refuses a group that contains itself through other groups. Remove "
                    f"'{repositories[i]['members'][j]}' from the members of '{repositories[i]['name']}' "
                    "or break the cycle elsewhere")
            for i, j, cycle in find_cycles(groups)]


def role_cycle_problems(roles: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Nexus refuses a role that contains itself directly or through other roles
    (RoleNotContainSelf); without this check `up` stops half-way, a role short of its child."""
    graph = [(i, role["id"], list(role.get("roles", []))) for i, role in enumerate(roles)]
    return [Problem(f"security.roles[{i}].roles[{j}]", f"roles form a cycle: {' → '.join(cycle)}; "
                    "Nexus refuses a role that contains itself through other roles. Remove "
                    f"'{roles[i]['roles'][j]}' from the roles of '{roles[i]['id']}' or break the "
                    "cycle elsewhere")
            for i, j, cycle in find_cycles(graph)]


def find_cycles(nodes: Sequence[tuple[int, str, Sequence[str]]]) -> list[tuple[int, int, list[str]]]:
    """(index, child index, cycle) for the edge closing each cycle a depth-first walk meets, in
    config order; one cycle per knot is enough to fix it. Self references are left out."""
    children = {name: (index, kids) for index, name, kids in nodes}
    state: dict[str, str] = {}  # name -> "open" while on the path, "done" after
    found: list[tuple[int, int, list[str]]] = []

    def walk(name: str, path: list[str]) -> None:
        state[name] = "open"
        index, kids = children[name]
        for j, kid in enumerate(kids):
            if kid == name or kid not in children:
                continue
            if state.get(kid) == "open":
                found.append((index, j, path[path.index(kid):] + [name, kid]))
            elif kid not in state:
                walk(kid, path + [name])
        state[name] = "done"

    for _, name, _ in nodes:
        if name not in state:
            walk(name, [])
    return found


# Where a config names a repository, as written by the user (presets add more after expansion).
REPOSITORY_REFERENCES: tuple[tuple[str, ...], ...] = (
    ("repositories", "*", "members", "*"), ("repositories", "*", "writableMember"),
    ("security", "privileges", "*", "repository"), ("security", "anonymousPull", "*"),
    ("security", "pushers", "*", "*"), ("retention", "*", "repositories", "*"),
    ("webhooks", "*", "repository"), ("tasks", "*", "properties", "repositoryName"),
    ("reverseProxy", "pullRepository"), ("reverseProxy", "pushRepository"),
)


def repository_rename_problems(repositories: Sequence[Mapping[str, Any]],
                               server: Optional[ServerFacts]) -> list[Problem]:
    """renamedFrom: the old name must be gone from the config, named once, of the same kind on
    the server; a hosted repository is only renamed when its data may go (Nexus has no rename:
    the old repository is deleted, the new one created empty)."""
    declared = {r["name"].lower(): i for i, r in enumerate(repositories)}
    claimed: dict[str, int] = {}
    problems = []
    for i, repo in enumerate(repositories):
        old = repo.get("renamedFrom")
        if not old:
            continue
        at = f"repositories[{i}].renamedFrom"
        if old == repo["name"]:
            problems.append(Problem(at, "is this repository's own name; remove renamedFrom"))
        elif old.lower() in declared and old.lower() != repo["name"].lower():
            problems.append(Problem(at, f"'{old}' is still declared (repositories[{declared[old.lower()]}]); "
                                    "a renamed repository's old name must be gone from repositories "
                                    "(or, if the rename was applied long ago, remove renamedFrom)"))
        elif old.lower() in claimed:
            problems.append(Problem(at, f"repositories[{claimed[old.lower()]}] is already renamed from "
                                    f"'{old}'; only one repository can take over an old name"))
        claimed.setdefault(old.lower(), i)
        if repo["type"] == "hosted" and repo.get("protect", True) is not False:
            problems.append(Problem(at, f"renaming hosted repository '{old}' deletes it with every image "
                                    f"in it and creates '{repo['name']}' empty: Nexus has no rename. To do "
                                    "that on purpose, set protect: false on this entry; to keep the images, "
                                    "keep the old name"))
        found = server.repositories.get(old.lower()) if server is not None else None
        if found and found != ("docker", repo["type"]):
            problems.append(Problem(at, f"'{old}' is a {found[0]} {found[1]} repository on the server; a "
                                    f"rename keeps the kind, and this entry is a docker {repo['type']}"))
    return problems


def repository_port_problems(repositories: Sequence[Mapping[str, Any]],
                             server: Optional[ServerFacts]) -> list[Problem]:
    """A connector port another repository holds on the server: Nexus refuses it ("Port N is
    already in use by repository X"), and Pulumi creates new objects before it deletes the
    ones the config dropped — so a repository renamed without renamedFrom lands here."""
    if server is None:
        return []
    declared = {r["name"].lower() for r in repositories}
    problems = []
    for i, repo in enumerate(repositories):
        for key in ("httpPort", "httpsPort"):
            holder = server.repository_ports.get(repo.get(key)) if repo.get(key) is not None else None
            if holder is None or holder.lower() in declared or holder.lower() == str(repo.get("renamedFrom", "")).lower():
                continue
            problems.append(Problem(f"repositories[{i}].{key}", f"port {repo[key]} is held on the server by "
                                    f"repository '{holder}', which this config does not declare. If "
                                    f"'{repo['name']}' is '{holder}' renamed, add `renamedFrom: {holder}` to "
                                    f"this entry (the old repository is then deleted first); otherwise pick "
                                    f"another port or remove '{holder}' from Nexus first"))
    return problems


def renamed_reference_problems(values: Mapping[str, Any]) -> list[Problem]:
    """A reference to a renamed repository's old name would point at what the rename deletes."""
    renamed = {str(r["renamedFrom"]): str(r["name"]) for r in values.get("repositories") or []
               if isinstance(r, dict) and r.get("renamedFrom") and r.get("name") and r["renamedFrom"] != r["name"]}
    problems = []
    for pattern in REPOSITORY_REFERENCES:
        for path, value in _match(values, pattern, ()):
            new = next((n for o, n in renamed.items() if str(value).lower() == o.lower()
                        and (str(value) == o or str(value).lower() != n.lower())), None)
            if new is not None:
                problems.append(Problem(format_path(path), f"'{value}' is renamed to '{new}' (renamedFrom); "
                                        f"refer to '{new}'"))
    return problems


def _server_capability_problems(at: str, repo: Mapping[str, Any], server: Optional[ServerFacts]) -> list[Problem]:
    if server is None:
        return []
    problems = []
    if not server.pro:
        for name in ("writableMember", "subdomain"):
            if repo.get(name):
                problems.append(Problem(f"{at}.{name}", f"{name} is a Nexus Pro feature; this server "
                                        "is Community Edition (remove it; route pushes to the hosted "
                                        "repository through the reverse proxy instead)"))
    if server.at_least((3, 89, 0)) and repo["name"] != repo["name"].lower():
        problems.append(Problem(f"{at}.name", f"Nexus 3.89+ requires lower-case docker repository names "
                                f"(docker image references are lower case); use '{repo['name'].lower()}'"))
    if repo.get("pathEnabled") is not None and not server.at_least((3, 83, 0)):
        problems.append(Problem(f"{at}.pathEnabled", "pathEnabled needs Nexus 3.83 or later; this "
                                f"server is {'.'.join(map(str, server.version))} (remove it or upgrade)"))
    return problems


BUILT_IN_ROLES = frozenset({"nx-admin", "nx-anonymous"})
# Since 3.60 authorization is part of the authenticating realm; Nexus refuses the old id.
RETIRED_REALMS = {"NexusAuthorizingRealm": (3, 60, 0)}


def security_problems(values: Mapping[str, Any], server: Optional[ServerFacts] = None) -> list[Problem]:
    """References between users, roles, privileges, selectors and repositories; passwords."""
    security = values.get("security") or {}
    if not security:
        return []
    problems: list[Problem] = []
    users = security.get("users", [])
    roles = security.get("roles", [])
    privileges = security.get("privileges", [])
    selectors = security.get("contentSelectors", [])
    passwords = security.get("passwords", {}) or {}
    problems += duplicate_name_problems("security.users", users, "userId")
    problems += duplicate_name_problems("security.roles", roles, "id")
    problems += duplicate_name_problems("security.privileges", privileges)
    problems += duplicate_name_problems("security.contentSelectors", selectors)
    problems += duplicate_name_problems("security.ldap", security.get("ldap", []))

    role_known = _known_names([r["id"] for r in roles] + sorted(BUILT_IN_ROLES), server, "roles")
    privilege_known = _known_names([p["name"] for p in privileges], server, "privileges")
    selector_known = _known_names([c["name"] for c in selectors], server, "content_selectors")
    repos = {r["name"].lower(): r for r in values.get("repositories", [])}

    for i, user in enumerate(users):
        at = f"security.users[{i}]"
        if user["userId"] == "admin":
            problems.append(Problem(f"{at}.userId", "the admin user is managed by the bootstrap "
                                    "(adminPassword); remove it here"))
        for j, role in enumerate(user.get("roles", [])):
            if not role_known(role):
                problems.append(Problem(f"{at}.roles[{j}]", f"role '{role}' is not declared in security.roles "
                                        "and is not built in (nx-admin, nx-anonymous)"))
        if user["userId"] != "anonymous" and user["userId"] not in passwords and not user.get("adopt"):
            problems.append(Problem(f"security.passwords.{user['userId']}", f"user '{user['userId']}' needs a "
                                    f"password: pulumi config set --secret --path "
                                    f"'security.passwords.{user['userId']}' <password>"))
    user_ids = {u["userId"] for u in users}
    for user_id in passwords:
        if user_id not in user_ids:
            problems.append(Problem(f"security.passwords.{user_id}", f"no user '{user_id}' is declared "
                                    "(in security.users or security.pushers)"))
    problems += role_cycle_problems(roles)
    for i, role in enumerate(roles):
        for j, name in enumerate(role.get("privileges", [])):
            if not name.startswith("nx-") and not privilege_known(name):
                problems.append(Problem(f"security.roles[{i}].privileges[{j}]", f"privilege '{name}' is not "
                                        "declared in security.privileges (built-in ones start with nx-)"))
        for j, name in enumerate(role.get("roles", [])):
            if name == role["id"]:
                problems.append(Problem(f"security.roles[{i}].roles[{j}]", "a role cannot contain itself"))
            elif not role_known(name):
                problems.append(Problem(f"security.roles[{i}].roles[{j}]", f"role '{name}' is not declared"))
    for i, selector in enumerate(selectors):
        problem = csel_problem(selector["expression"])
        if problem:
            problems.append(Problem(f"security.contentSelectors[{i}].expression", f"invalid CSEL expression: "
                                    f"{problem}"))
    for i, privilege in enumerate(privileges):
        at = f"security.privileges[{i}]"
        repo = privilege.get("repository")
        if repo and repo != "*" and privilege["type"].startswith("repository"):
            declared = repos.get(repo.lower())
            on_server = server.repositories.get(repo.lower()) if server is not None and declared is None else None
            if declared is None and on_server is None:
                problems.append(Problem(f"{at}.repository", f"repository '{repo}' is not declared in "
                                        "repositories (use * for all repositories of the format)"))
            elif on_server is not None and on_server[0] != privilege.get("format", "docker"):
                problems.append(Problem(f"{at}.format", f"'{repo}' is a {on_server[0]} repository"))
        selector = privilege.get("contentSelector")
        if selector and not selector_known(selector):
            problems.append(Problem(f"{at}.contentSelector", f"content selector '{selector}' is not declared "
                                    "in security.contentSelectors"))
    problems += _realm_problems(security.get("realms"), server)
    problems += _anonymous_realm_problems(security)
    return problems


def _anonymous_realm_problems(security: Mapping[str, Any]) -> list[Problem]:
    """Nexus refuses anonymous access through a realm it does not run (the active realms, plus
    NexusAuthorizingRealm which it always installs)."""
    realm = (security.get("anonymous") or {}).get("realmName")
    active = security.get("realms")
    if not realm or active is None or realm == "NexusAuthorizingRealm" or realm in active:
        return []
    return [Problem("security.anonymous.realmName", f"'{realm}' is not an active realm "
                    f"(security.realms: {', '.join(active)}); Nexus refuses it. Add it to "
                    "security.realms or leave realmName out (NexusAuthorizingRealm)")]


def _realm_problems(realms: Optional[Sequence[str]], server: Optional[ServerFacts]) -> list[Problem]:
    if not realms or server is None:
        return []
    problems = []
    available = server.available_realms
    for i, realm in enumerate(realms):
        retired = RETIRED_REALMS.get(realm)
        if retired and server.at_least(retired):
            problems.append(Problem(f"security.realms[{i}]", f"{realm} is refused by Nexus since "
                                    f"{'.'.join(map(str, retired[:2]))} (its job is part of "
                                    "NexusAuthenticatingRealm); remove it"))
        elif available and realm not in available:
            problems.append(Problem(f"security.realms[{i}]", f"unknown realm '{realm}'; this server offers: "
                                    f"{', '.join(sorted(available))}"))
    return problems


def _url_port(url: str) -> Optional[int]:
    found = re.match(r"^(https?)://[^/:]+(?::(\d+))?", url or "")
    if not found:
        return None
    return int(found.group(2)) if found.group(2) else (443 if found.group(1) == "https" else 80)


def _names(names: Iterable[str]) -> str:
    listed = sorted(names)
    return ", ".join(listed) if listed else "none"
