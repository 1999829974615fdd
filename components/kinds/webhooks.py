"""Webhooks: Nexus capabilities (`/v1/capabilities`, 3.84+) that POST events to a URL.

A global webhook (`webhook.global`) sends repository and/or audit events; a repository webhook
(`webhook.repository`) sends component and/or asset events of one repository. Nexus signs each
payload with the optional secret (HMAC-SHA1 in the `X-Nexus-Webhook-Signature` header).

Capabilities have server-generated ids and no name: a webhook is found by (type, URL,
repository) when it is first created or adopted, and by the id kept in state afterwards; its
notes carry the config name so people can tell in the UI which entry manages it. Nexus never
answers the secret (a placeholder before 3.87, left out after), so it is a write-only field:
diffed against the last applied value, stored by Pulumi as a secret, never logged.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional, Sequence
from urllib.parse import quote, urlsplit

import pulumi
from pulumi.dynamic import CreateResult

from .. import client as nexus
from ..client import NexusClient, NexusError, ServerInfo
from ..kind import Context, Found, Kind, Resources, after, config_entry, referring
from ..problems import Problem, ServerFacts, Values
from ..provider import AlreadyExists, NexusProvider, Spec, compact, strip_provider
from ..resource import NexusResource
from ..schema import Fragment
from .repositories import server_repositories

SCHEMA = Fragment.beside(__file__)
LIST_PATH = "/v1/capabilities"
CAPABILITIES_API_VERSION = "3.84"
WEBHOOK_SECRET_HIDDEN_VERSION = "3.87.0"  # before, a set secret is answered as a placeholder
CAPABILITY_TYPES = {"global": "webhook.global", "repository": "webhook.repository"}
EVENTS = {"global": ("audit", "repository"), "repository": ("asset", "component")}
UI_NAMES = {"global": "Webhook: Global", "repository": "Webhook: Repository"}


def scope(item: Mapping[str, Any]) -> str:
    return "repository" if item.get("repository") else "global"


def default_notes(name: str) -> str:
    return SCHEMA.with_defaults({"name": name})["notes"]


def capability_path(capability_id: str) -> str:
    return f"{LIST_PATH}/{quote(capability_id, safe='')}"


def list_capabilities(client: NexusClient) -> list[dict[str, Any]]:
    return client.cached_list("capabilities", LIST_PATH)


class WebhookProvider(NexusProvider):
    kind = "webhook"
    resource_type = "nexus:Webhook"
    replace_on = ("type",)  # a capability's type cannot change
    write_only = (("secret",),)
    control = ("adopt", "name")  # `name` only labels the config entry (and the default notes)
    keyed_by_name = False  # the resource id is the server's capability id

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return compact({
            "name": spec["name"], "type": scope(spec), "repository": spec.get("repository"),
            "events": sorted(set(spec["events"])), "url": spec["url"],
            "secret": spec.get("secret") or None, "enabled": bool(spec["enabled"]),
            "notes": spec["notes"], "adopt": bool(spec.get("adopt")),
        })

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        wrong = [e for e in spec["events"] if e not in EVENTS[spec["type"]]]
        return [("events", f"{wrong} are not {spec['type']} webhook events (allowed: "
                           f"{', '.join(EVENTS[spec['type']])})")] if wrong else []

    def body(self, spec: Spec, replacing: bool) -> dict[str, Any]:
        """CapabilityDTO. On PUT a secret left out keeps the stored one, so no secret in the
        config is sent as "" to clear it (an adopted webhook then loses an unknown key too)."""
        properties = compact({"repository": spec.get("repository"),
                              "names": ",".join(spec["events"]), "url": spec["url"],
                              "secret": spec.get("secret") or ("" if replacing else None)})
        return {"type": CAPABILITY_TYPES[spec["type"]], "enabled": spec["enabled"],
                "notes": spec["notes"], "properties": properties}

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return next((dict(c) for c in list_capabilities(client) if c.get("id") == object_id), None)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        properties = doc.get("properties") or {}
        kind = next((k for k, v in CAPABILITY_TYPES.items() if v == doc.get("type")), doc.get("type"))
        return compact({
            "name": previous.get("name"), "type": kind, "repository": properties.get("repository"),
            "events": sorted(n.strip() for n in str(properties.get("names", "")).split(",") if n.strip()),
            "url": properties.get("url"), "enabled": doc.get("enabled"), "notes": doc.get("notes") or "",
        })

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = strip_provider(props)
        client = nexus.for_run()
        existing = self.existing(client, spec)
        try:
            if existing is not None:
                pulumi.log.info(f"taking over existing webhook for {spec['url']} ({existing['id']})")
                # Write only a difference. The secret is never answered: on `adopt` a configured
                # one is taken to be the server's (as drift does); a webhook an interrupted run of
                # this stack made gets it sent again, as every taken-over secret does.
                current = self._with_carried(self.to_spec(existing, spec), spec)
                if not spec.get("adopt"):
                    current = self._without_write_only(current)
                self._update(client, spec, current, existing["id"])
                return CreateResult(existing["id"], spec)
            created = client.send("POST", LIST_PATH, self.body(spec, False), ok=(200, 201),
                                  invalidates=("capabilities",))
        except NexusError as err:
            raise self._explain(err, spec, "create") from None
        assert created is not None
        return CreateResult(str(created.json()["id"]), spec)

    def existing(self, client: NexusClient, spec: Spec) -> Optional[dict[str, Any]]:
        """A capability with the same type, URL and repository: the same webhook."""
        wanted = (CAPABILITY_TYPES[spec["type"]], spec["url"], (spec.get("repository") or "").lower())
        found = next((c for c in list_capabilities(client)
                      if (c.get("type"), (c.get("properties") or {}).get("url"),
                          str((c.get("properties") or {}).get("repository") or "").lower()) == wanted),
                     None)
        # One that matches the config (e.g. made by an interrupted run of this stack) is taken
        # over; its secret, which Nexus never answers, is sent again.
        if found is not None and not spec.get("adopt") and not self.matches(found, spec):
            raise AlreadyExists(
                f"a {spec['type']} webhook to {spec['url']} already exists on the server (capability "
                f"{found['id']}) and this stack does not manage it. To take it over (its settings "
                "will be updated to the config), set `adopt: true` on it or `nexus.adopt: true`.")
        return found

    def update_remote_at(self, client: NexusClient, capability_id: str, spec: Spec,
                         previous: Optional[Spec] = None) -> None:
        client.send("PUT", capability_path(capability_id), self.body(spec, True),
                    invalidates=("capabilities",))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            nexus.for_run().send("DELETE", capability_path(id_),
                                 invalidates=("capabilities",))
        except NexusError as err:
            if err.status != 404:
                raise self._explain(err, strip_provider(props), "delete") from None

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return str(spec.get("name"))


class Webhook(NexusResource, provider=WebhookProvider):
    """A global or repository webhook (a Nexus capability)."""

    secret_outputs = ("secret",)


# --- config checks ----------------------------------------------------------------------------
def capabilities_api(server: ServerFacts) -> bool:
    """Whether this Nexus serves /v1/capabilities (3.84+; before, an unknown path: 404)."""
    client: Optional[NexusClient] = getattr(server, "client", None)
    if client is None:
        raise NexusError("-", "-", 0, "no connection to ask for capabilities")

    def load() -> bool:
        try:
            client.get_json(LIST_PATH)
        except NexusError as err:
            if err.status in (404, 405):
                return False
            raise
        return True
    return bool(client.cached("capabilities-api", load))


def describe_manual(index: int, item: Mapping[str, Any]) -> str:
    kind = scope(item)
    settings = [f"Event Types: {', '.join(sorted(item['events']))}", f"URL: {item['url']}"]
    if item.get("repository"):
        settings.insert(0, f"Repository: {item['repository']}")
    if item.get("secret") is not None:
        settings.append(f"Secret Key: the value of webhooks[{index}].secret")
    return f"create '{UI_NAMES[kind]}' with {'; '.join(settings)}"


def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    """Names, events per scope, the repository named, identity clashes, and the server's API."""
    hooks: Sequence[Mapping[str, Any]] = values.get("webhooks") or []
    if not hooks:
        return []
    problems: list[Problem] = []
    repositories = {r["name"].lower(): r for r in values.get("repositories") or []}
    names: dict[str, int] = {}
    identities: dict[tuple[str, str, str], int] = {}
    for i, item in enumerate(hooks):
        at = f"webhooks[{i}]"
        first = names.setdefault(item["name"].lower(), i)
        if first != i:
            problems.append(Problem(f"{at}.name", f"'{item['name']}' is also the name of "
                                    f"webhooks[{first}]; names must be unique"))
        kind = scope(item)
        identity = (kind, item["url"], str(item.get("repository") or "").lower())
        same = identities.setdefault(identity, i)
        if same != i:
            problems.append(Problem(f"{at}.url", f"webhooks[{same}] already sends {kind} events of "
                                    f"the same source to {item['url']}; merge their events"))
        wrong = [e for e in item["events"] if e not in EVENTS[kind]]
        if wrong:
            problems.append(Problem(f"{at}.events", f"{', '.join(wrong)} cannot be sent by a {kind} "
                                    f"webhook (allowed: {', '.join(EVENTS[kind])})"
                                    + ("; set repository for asset or component events"
                                       if kind == "global" else "")))
        repo = item.get("repository")
        if repo and repo.lower() not in repositories and repo.lower() not in server_repositories(server):
            problems.append(Problem(f"{at}.repository", f"repository '{repo}' is not declared in "
                                    "repositories" + ("" if server is None else
                                                      " and does not exist on the server")))
    if server is not None:
        problems += _server_problems(hooks, server)
    return problems


def _server_problems(hooks: Sequence[Mapping[str, Any]], server: ServerFacts) -> list[Problem]:
    try:
        available = capabilities_api(server)
    except NexusError as err:
        pulumi.log.warn(f"cannot ask Nexus whether it serves capabilities ({err.message}); "
                        "webhooks are checked when they are created")
        return []
    if available:
        return []
    steps = "\n".join(f"      - {describe_manual(i, h)}" for i, h in enumerate(hooks))
    return [Problem("webhooks", f"this Nexus ({'.'.join(map(str, server.version))}) has no "
                    f"capabilities REST API (that needs {CAPABILITIES_API_VERSION} or later). "
                    "Upgrade Nexus, or make the webhooks by hand in the UI (Administration → "
                    "System → Capabilities → Create capability) and remove `webhooks` from the "
                    f"config:\n{steps}")]


# --- declaration ------------------------------------------------------------------------------
def declare(ctx: Context) -> Resources:
    """One resource per webhook, after the repository it watches."""
    out: Resources = {}
    for i, item in enumerate(ctx.cfg.get("webhooks", [])):
        repository = ctx.of("repository").get(str(item.get("repository", "")).lower())
        spec = referring(ctx.cfg.spec(("webhooks", i), item),
                         {f"repository:{item.get('repository')}": repository})
        out[item["name"].lower()] = Webhook(f"webhook-{item['name']}", spec,
                                            opts=after(ctx.bootstrap, repository))
    return out


# --- adopt ---------------------------------------------------------------------------------------
# A name in the default notes this project writes (the schema's template for `notes`).
NOTED_NAME = re.compile(re.escape(default_notes("{name}")).replace(re.escape("{name}"), "([a-zA-Z0-9][a-zA-Z0-9_.-]*)"))


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    """Webhook capabilities (3.84+). They have no name in Nexus: the entry takes the one in the
    notes this project writes, else one made from the repository (or "global") and the host."""
    if not info.at_least(CAPABILITIES_API_VERSION):
        return []  # no capabilities API: webhooks cannot be read (nor managed)
    provider = WebhookProvider()
    found: list[Found] = []
    taken: set[str] = set()
    for doc in list_capabilities(client):
        if doc.get("type") not in CAPABILITY_TYPES.values():
            continue  # other capabilities are not webhooks
        properties = doc.get("properties") or {}
        name = _webhook_name(doc, taken)
        spec = provider.to_spec(doc, {"name": name})
        entry = config_entry(provider, spec, ("name", "url", "events"))
        if properties.get("secret"):  # the placeholder: a secret is set, and never answered
            secrets = [("secret", "secret key (HMAC) of the webhook")]
        elif info.at_least(WEBHOOK_SECRET_HIDDEN_VERSION):
            secrets = [("secret", "secret key (HMAC) of the webhook, only if it has one: Nexus does not tell, "
                                  "and the next change to the webhook clears a key the config does not hold")]
        else:
            secrets = []
        found.append(KIND.found(name, entry, capability_path(str(doc["id"])), secrets))
    return found


def _webhook_name(doc: Mapping[str, Any], taken: set[str]) -> str:
    properties = doc.get("properties") or {}
    noted = NOTED_NAME.fullmatch(str(doc.get("notes") or ""))
    if noted and default_notes(noted.group(1)) == doc.get("notes"):
        base = noted.group(1)
    else:
        host = urlsplit(str(properties.get("url", ""))).hostname or "webhook"
        base = re.sub(r"[^a-zA-Z0-9_.-]+", "-", f"{properties.get('repository') or 'global'}-{host}").strip("-._")
    base = base[:90] or "webhook"
    name, counter = base, 1
    while name.lower() in taken:
        counter += 1
        name = f"{base}-{counter}"
    taken.add(name.lower())
    return name


KIND = Kind(
    name="webhook", config_path=("webhooks",), schema=SCHEMA, resource_types=(Webhook,), declare=declare,
    problems=problems, inventory=inventory, automation=True,
    needs_server=lambda values: bool(values.get("webhooks")),  # the capabilities API is asked of the server
    depends_on=("repository",))
