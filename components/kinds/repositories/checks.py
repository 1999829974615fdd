"""Repository checks before any write: what each entry names (blob store, cleanup policies,
routing rule, members), connector ports, what the server's release and edition offer, cycles of
nested groups and renames (`renamedFrom`)."""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional, Sequence

from ...problems import Problem, ServerFacts, Values, duplicate_name_problems, find_cycles, format_path, listing
from ...regex_syntax import java_regex_problem
from ...stack_config import match
from ..blob_stores import known_blob_stores
from ..cleanup_policies import known_policies
from ..routing_rules import known_rules
from .docker import PORT_FIELDS
from .formats import DOCKER, config_format, nexus_name
from .providers import SCHEMA
from .release_checks import cleanup_format_problems, release_problems

REPOSITORIES_FACT = "repositories"  # lower-cased name -> (format as Nexus names it, type)
PORTS_FACT = "repository_ports"  # docker connector port -> the repository holding it
# Where a config names a repository, as written by the user (presets add more after expansion).
REPOSITORY_REFERENCES: tuple[tuple[str, ...], ...] = (
    ("repositories", "*", "members", "*"), ("repositories", "*", "writableMember"),
    ("security", "privileges", "*", "repository"), ("security", "anonymousPull", "*"),
    ("security", "pushers", "*", "*"), ("retention", "*", "repositories", "*"),
    ("webhooks", "*", "repository"), ("tasks", "*", "properties", "repositoryName"),
    ("reverseProxy", "pullRepository"), ("reverseProxy", "pushRepository"),
)
PRO_ONLY = ("writableMember", "subdomain")
LOWER_CASE_NAMES = (3, 89, 0)  # Nexus 3.89+ requires lower-case docker repository names
PATH_ENABLED = (3, 83, 0)


def server_repositories(server: Optional[ServerFacts]) -> Mapping[str, tuple[str, str]]:
    """The server's repositories: lower-cased name -> (format, type); empty without a server."""
    return server.mapping(REPOSITORIES_FACT) if server is not None else {}


def connector_ports(repo: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(config key, port) of a repository's connectors: docker's flat fields, oci's block (one
    port space for both on the server: "Port n is already in use by repository x")."""
    oci = repo.get("oci") if repo.get("format") == "oci" and isinstance(repo.get("oci"), Mapping) else {}
    return [*((key, repo[key]) for key in PORT_FIELDS if repo.get(key) is not None),
            *((f"oci.{key}", oci[key]) for key in PORT_FIELDS if oci.get(key) is not None)]


def blob_store_of(repo: Mapping[str, Any]) -> str:
    """The blob store a repository entry uses (the schema's default when it names none)."""
    return str(SCHEMA.with_defaults(repo)["blobStore"])


def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    repositories = values.get("repositories") or []
    found = duplicate_name_problems("repositories", repositories)
    declared = {r["name"].lower(): r for r in repositories}
    store_known = known_blob_stores(values.get("blobStores") or [], server)
    policy_known = known_policies(values.get("cleanupPolicies") or [], server)
    rule_known = known_rules(values.get("routingRules") or [], server)
    ports: dict[int, str] = {}
    nexus_port = _url_port(values.get("nexus", {}).get("url", ""))
    tls = values.get("tls") or {}
    jetty_https = bool(tls.get("enabled", True) and tls.get("jettyHttps", False)) if tls else False
    if jetty_https:
        ports[int(tls.get("httpsPort", 8443))] = "Jetty's own HTTPS port (tls.httpsPort)"
    for i, repo in enumerate(repositories):
        at = f"repositories[{i}]"
        store = blob_store_of(repo)
        if not store_known(store):
            found.append(Problem(f"{at}.blobStore", f"blob store '{store}' is not declared in "
                                    f"blobStores (known: {store_known.listing}); add it there or fix the name"))
        for j, policy in enumerate(repo.get("cleanupPolicies", []) or []):
            if not policy_known(policy):
                found.append(Problem(f"{at}.cleanupPolicies[{j}]", f"cleanup policy '{policy}' is not "
                                        f"declared in cleanupPolicies (known: {policy_known.listing})"))
        rule = repo.get("routingRule")
        if rule and not rule_known(rule):
            found.append(Problem(f"{at}.routingRule", f"routing rule '{rule}' is not declared in "
                                    f"routingRules (known: {rule_known.listing})"))
        for port_key, port in connector_ports(repo):
            if port in ports:
                found.append(Problem(f"{at}.{port_key}", f"port {port} is already used by "
                                        f"{ports[port]}; every docker connector needs its own port"))
            elif port == nexus_port:
                found.append(Problem(f"{at}.{port_key}", f"port {port} is the Nexus web/REST port "
                                        f"(nexus.url); pick another connector port"))
            else:
                ports[port] = f"{at}.{port_key} ({repo['name']})"
        if repo.get("httpsPort") is not None and not jetty_https:
            found.append(Problem(f"{at}.httpsPort", "an HTTPS docker connector needs Jetty HTTPS "
                                    "(tls.enabled and tls.jettyHttps); without it Nexus saves the "
                                    "repository and silently never opens the port ('Unsupported HTTP "
                                    "Scheme: https'). Enable tls.jettyHttps or use httpPort behind "
                                    "a TLS reverse proxy"))
        if repo["type"] == "proxy":
            found += _proxy_problems(at, repo)
        if repo["type"] == "group":
            found += _group_problems(at, repo, declared, server)
        found += _server_capability_problems(at, repo, server)
        found += release_problems(at, repo, values, server)
        found += cleanup_format_problems(at, repo, values.get("cleanupPolicies") or [])
    found += group_cycle_problems(repositories)
    found += rename_problems(repositories, server)
    found += port_problems(repositories, server)
    return found


def _url_port(url: str) -> Optional[int]:
    found = re.match(r"^(https?)://[^/:]+(?::(\d+))?", url or "")
    if not found:
        return None
    return int(found.group(2)) if found.group(2) else (443 if found.group(1) == "https" else 80)


def _proxy_problems(at: str, repo: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for j, pattern in enumerate(repo.get("foreignLayerUrlWhitelist") or []):
        problem = java_regex_problem(pattern)
        if problem:
            problems.append(Problem(f"{at}.foreignLayerUrlWhitelist[{j}]", f"{pattern!r} is not a valid "
                                    f"(Java) regular expression: {problem}"))
    index_type = SCHEMA.with_defaults(repo).get("indexType")
    if index_type == "CUSTOM" and not repo.get("indexUrl"):
        problems.append(Problem(f"{at}.indexUrl", "indexType CUSTOM needs indexUrl"))
    if repo.get("indexUrl") and index_type != "CUSTOM":
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
    on_server = server_repositories(server)
    group_format = repo.get("format", DOCKER)
    for j, member in enumerate(repo["members"]):
        path = f"{at}.members[{j}]"
        if member.lower() == repo["name"].lower():
            problems.append(Problem(path, "a group cannot contain itself"))
        elif member.lower() in declared:
            member_format = declared[member.lower()].get("format", DOCKER)
            if member_format != group_format:
                # Nexus: "Member repository x has incompatible format raw" (GroupFacetImpl).
                problems.append(Problem(path, f"'{member}' is a {member_format} repository; a {group_format} "
                                        f"group takes {group_format} members only (remove it, or put it in "
                                        f"a {member_format} group)"))
        elif server is not None and member.lower() in on_server:
            fmt, _ = on_server[member.lower()]
            if fmt != nexus_name(group_format):
                problems.append(Problem(path, f"'{member}' exists on the server but is a {fmt} "
                                        f"repository; {group_format} groups take {group_format} members only"))
        else:
            problems.append(Problem(path, f"member '{member}' is not declared in repositories"
                                    + ("" if server is None else " and does not exist on the server")
                                    + f" (declared: {listing(declared)})"))
    writable = repo.get("writableMember")
    if writable:
        if writable.lower() not in {m.lower() for m in repo["members"]}:
            problems.append(Problem(f"{at}.writableMember", f"'{writable}' must also be one of members"))
        elif declared.get(writable.lower(), {}).get("type", "hosted") != "hosted":
            problems.append(Problem(f"{at}.writableMember", f"'{writable}' must be a hosted repository"))
    return problems


def _server_capability_problems(at: str, repo: Mapping[str, Any], server: Optional[ServerFacts]) -> list[Problem]:
    if server is None:
        return []
    problems = []
    if not server.pro:
        for name in PRO_ONLY:
            if repo.get(name):
                problems.append(Problem(f"{at}.{name}", f"{name} is a Nexus Pro feature; this server "
                                        "is Community Edition (remove it; route pushes to the hosted "
                                        "repository through the reverse proxy instead)"))
    if server.at_least(LOWER_CASE_NAMES) and repo["name"] != repo["name"].lower() \
            and repo.get("format", DOCKER) == DOCKER:
        problems.append(Problem(f"{at}.name", f"Nexus 3.89+ requires lower-case docker repository names "
                                f"(docker image references are lower case); use '{repo['name'].lower()}'"))
    if repo.get("pathEnabled") is not None and not server.at_least(PATH_ENABLED):
        problems.append(Problem(f"{at}.pathEnabled", "pathEnabled needs Nexus 3.83 or later; this "
                                f"server is {'.'.join(map(str, server.version))} (remove it or upgrade)"))
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


def rename_problems(repositories: Sequence[Mapping[str, Any]], server: Optional[ServerFacts]) -> list[Problem]:
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
        if repo["type"] == "hosted" and repo.get("protect") is not False:  # hosted ones are protected by default
            problems.append(Problem(at, f"renaming hosted repository '{old}' deletes it with every image "
                                    f"in it and creates '{repo['name']}' empty: Nexus has no rename. To do "
                                    "that on purpose, set protect: false on this entry; to keep the images, "
                                    "keep the old name"))
        found = server_repositories(server).get(old.lower())
        fmt = repo.get("format", DOCKER)
        if found and found != (nexus_name(fmt), repo["type"]):
            problems.append(Problem(at, f"'{old}' is a {config_format(found[0])} {found[1]} repository on the "
                                    f"server; a rename keeps the kind, and this entry is a {fmt} {repo['type']}"))
    return problems


def port_problems(repositories: Sequence[Mapping[str, Any]], server: Optional[ServerFacts]) -> list[Problem]:
    """A connector port another repository holds on the server: Nexus refuses it ("Port N is
    already in use by repository X"), and Pulumi creates new objects before it deletes the
    ones the config dropped — so a repository renamed without renamedFrom lands here."""
    if server is None:
        return []
    declared = {r["name"].lower() for r in repositories}
    held_by = server.mapping(PORTS_FACT)
    problems = []
    for i, repo in enumerate(repositories):
        for key, port in connector_ports(repo):
            holder = held_by.get(port)
            if holder is None or holder.lower() in declared or holder.lower() == str(repo.get("renamedFrom", "")).lower():
                continue
            problems.append(Problem(f"repositories[{i}].{key}", f"port {port} is held on the server by "
                                    f"repository '{holder}', which this config does not declare. If "
                                    f"'{repo['name']}' is '{holder}' renamed, add `renamedFrom: {holder}` to "
                                    f"this entry (the old repository is then deleted first); otherwise pick "
                                    f"another port or remove '{holder}' from Nexus first"))
    return problems


def renamed_reference_problems(values: Values) -> list[Problem]:
    """A reference to a renamed repository's old name would point at what the rename deletes
    (checked on the config as written, before presets)."""
    renamed = {str(r["renamedFrom"]): str(r["name"]) for r in values.get("repositories") or []
               if isinstance(r, dict) and r.get("renamedFrom") and r.get("name") and r["renamedFrom"] != r["name"]}
    problems = []
    for pattern in REPOSITORY_REFERENCES:
        for path, value in match(values, pattern, ()):
            new = next((n for o, n in renamed.items() if str(value).lower() == o.lower()
                        and (str(value) == o or str(value).lower() != n.lower())), None)
            if new is not None:
                problems.append(Problem(format_path(path), f"'{value}' is renamed to '{new}' (renamedFrom); "
                                        f"refer to '{new}'"))
    return problems
