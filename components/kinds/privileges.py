"""Privileges: who may do what on which repository (repository-view, repository-admin,
repository-content-selector), plus wildcard and application privileges."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional
from urllib.parse import quote

from ..client import NexusClient, ServerInfo
from ..kind import Context, Found, Kind, Resources, after, config_entry, list_fact, referring
from ..problems import KnownNames, Problem, ServerFacts, Values, duplicate_name_problems
from ..provider import INSTANCE, NexusProvider, Spec, compact, find_by_name
from ..resource import NexusResource
from ..schema import Fragment
from .content_selectors import FACT as SELECTORS_FACT
from .repositories import server_repositories

SCHEMA = Fragment.beside(__file__)
LIST_PATH = "/v1/security/privileges"
FACT = "privileges"  # lower-cased names of the server's privileges
# privilege type -> fields of its request body besides name/description
TYPE_FIELDS = {
    "repository-view": ("format", "repository", "actions"),
    "repository-admin": ("format", "repository", "actions"),
    "repository-content-selector": ("format", "repository", "contentSelector", "actions"),
    "wildcard": ("pattern",),
    "application": ("domain", "actions"),
}
ACTIONS = ("READ", "BROWSE", "EDIT", "ADD", "DELETE", "RUN", "START", "STOP", "ASSOCIATE",
           "DISASSOCIATE", "ALL")


def privilege_path(name: str) -> str:
    return f"{LIST_PATH}/{quote(name, safe='')}"


class PrivilegeProvider(NexusProvider):
    kind = "privilege"
    resource_type = "nexus:Privilege"
    # Nexus cannot turn a privilege into another type.
    replace_on = ("name", "type")
    referenced = True  # roles hold it: deleting it takes it out of them

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        fields = TYPE_FIELDS.get(spec.get("type", ""), ())
        out = {"name": spec["name"], "type": spec["type"], "description": spec["description"],
               "adopt": bool(spec.get("adopt"))}
        out.update({k: spec.get(k) for k in fields})
        if "actions" in fields:
            out["actions"] = sorted({str(a).upper() for a in spec.get("actions") or []})
        return compact(out)

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        if spec["type"] not in TYPE_FIELDS:
            return [("type", f"unknown privilege type; known: {', '.join(TYPE_FIELDS)}")]
        found = [(k, f"a {spec['type']} privilege needs {k}") for k in TYPE_FIELDS[spec["type"]]
                 if not spec.get(k)]
        found += [("actions", f"unknown action {a}; known: {', '.join(ACTIONS)}")
                  for a in spec.get("actions", []) if a not in ACTIONS]
        return found

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return find_by_name(client.cached_list("privileges", LIST_PATH), object_id)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        kind = doc.get("type", previous.get("type"))
        out = {"name": previous["name"], "type": kind, "description": doc.get("description") or ""}
        out.update({k: doc.get(k) for k in TYPE_FIELDS.get(kind, ())})
        if "actions" in out:
            out["actions"] = sorted(str(a).upper() for a in out["actions"] or [])
        return compact(out)

    def body(self, spec: Spec) -> dict[str, Any]:
        return {k: spec[k] for k in ("name", "description", *TYPE_FIELDS[spec["type"]])}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("POST", f"{LIST_PATH}/{spec['type']}", self.body(spec), invalidates=("privileges",))

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        client.send("PUT", f"{LIST_PATH}/{spec['type']}/{quote(spec['name'], safe='')}", self.body(spec),
                    invalidates=("privileges",))

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", privilege_path(spec["name"]), invalidates=("privileges", "roles"))


class Privilege(NexusResource, provider=PrivilegeProvider):
    """A privilege; roles refer to it by name."""


# --- the kind -----------------------------------------------------------------------------------
def known_privileges(values: Values, server: Optional[ServerFacts]) -> KnownNames:
    declared = (values.get("security") or {}).get("privileges", [])
    return KnownNames([p["name"] for p in declared], server, FACT)


def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    """Unique names; the repository (declared or on the server, of the privilege's format) and
    the content selector it names."""
    security = values.get("security") or {}
    privileges = security.get("privileges", [])
    found = duplicate_name_problems("security.privileges", privileges)
    selector_known = KnownNames([c["name"] for c in security.get("contentSelectors", [])], server, SELECTORS_FACT)
    repos = {r["name"].lower(): r for r in values.get("repositories", [])}
    for i, privilege in enumerate(privileges):
        at = f"security.privileges[{i}]"
        repo = privilege.get("repository")
        if repo and repo != "*" and privilege["type"].startswith("repository"):
            declared = repos.get(repo.lower())
            on_server = server_repositories(server).get(repo.lower()) if declared is None else None
            if declared is None and on_server is None:
                found.append(Problem(f"{at}.repository", f"repository '{repo}' is not declared in "
                                     "repositories (use * for all repositories of the format)"))
            elif on_server is not None and on_server[0] != SCHEMA.with_defaults(privilege)["format"]:
                found.append(Problem(f"{at}.format", f"'{repo}' is a {on_server[0]} repository"))
        selector = privilege.get("contentSelector")
        if selector and not selector_known(selector):
            found.append(Problem(f"{at}.contentSelector", f"content selector '{selector}' is not declared "
                                 "in security.contentSelectors"))
    return found


def declare(ctx: Context) -> Resources:
    out: Resources = {}
    repositories, selectors = ctx.of("repository"), ctx.of("content selector")
    for i, item in enumerate(ctx.cfg.get("security", {}).get("privileges", [])):
        repository = repositories.get(str(item.get("repository", "")).lower())
        deps = [ctx.bootstrap, repository, selectors.get(str(item.get("contentSelector", "")).lower())]
        spec = referring(ctx.cfg.spec(("security", "privileges", i), item),
                         {f"repository:{item.get('repository')}": repository})
        out[item["name"].lower()] = Privilege(item["name"], {**spec, INSTANCE: None}, opts=after(*deps))
    return out


def references(values: Values) -> Iterable[tuple[tuple[str, ...], str, str]]:
    for privilege in (values.get("security") or {}).get("privileges") or []:
        by = f"privilege {privilege['name']}"
        if privilege.get("repository"):
            yield ("repositories",), privilege["repository"], by
        if privilege.get("contentSelector"):
            yield ("security", "contentSelectors"), privilege["contentSelector"], by


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    provider = PrivilegeProvider()
    found = []
    for doc in client.get_json(LIST_PATH) or []:
        if doc.get("readOnly"):
            continue  # built in (nx-…)
        name, kind = str(doc["name"]), str(doc.get("type"))
        if kind not in TYPE_FIELDS:
            found.append(KIND.found(name, None, privilege_path(name),
                                    reason=f"a {kind} privilege; this project manages {', '.join(TYPE_FIELDS)}"))
            continue
        entry = config_entry(provider, provider.to_spec(doc, {"name": name, "type": kind}), ("name", "type"))
        found.append(KIND.found(name, entry, privilege_path(name)))
    return found


KIND = Kind(
    name="privilege", slug="privilege", config_path=("security", "privileges"), schema=SCHEMA,
    resource_types=(Privilege,), declare=declare, problems=problems, inventory=inventory,
    facts=(list_fact(FACT, LIST_PATH),), references=references, depends_on=("repository", "content selector"))
