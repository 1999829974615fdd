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

from typing import Any, Mapping, Optional, Sequence
from urllib.parse import quote

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CreateResult

from . import client as nexus
from .client import NexusClient, NexusError
from .config import Problem, ServerFacts
from .provider import (AlreadyExists, NexusProvider, Spec, compact, resource_options,
                       strip_provider)
from .stack import Context, after, referring

CAPABILITIES_API_VERSION = "3.84"
CAPABILITY_TYPES = {"global": "webhook.global", "repository": "webhook.repository"}
EVENTS = {"global": ("audit", "repository"), "repository": ("asset", "component")}
UI_NAMES = {"global": "Webhook: Global", "repository": "Webhook: Repository"}


def scope(item: Mapping[str, Any]) -> str:
    return "repository" if item.get("repository") else "global"


def default_notes(name: str) -> str:
    return f"nexus-registry webhook '{name}'"


def list_capabilities(client: NexusClient) -> list[dict[str, Any]]:
    return client.cached_list("capabilities", "/v1/capabilities")


class WebhookProvider(NexusProvider):
    kind = "webhook"
    replace_on = ("type",)  # a capability's type cannot change
    write_only = (("secret",),)
    control = ("adopt", "name")  # `name` only labels the config entry (and the default notes)
    keyed_by_name = False  # the resource id is the server's capability id

    def normalize(self, spec: Spec) -> Spec:
        return compact({
            "name": spec["name"], "type": scope(spec), "repository": spec.get("repository"),
            "events": sorted(set(spec.get("events") or [])), "url": spec["url"],
            "secret": spec.get("secret") or None, "enabled": bool(spec.get("enabled", True)),
            "notes": spec.get("notes", default_notes(spec["name"])),
            "adopt": bool(spec.get("adopt", False)),
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
            created = client.send("POST", "/v1/capabilities", self.body(spec, False), ok=(200, 201),
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
        client.send("PUT", f"/v1/capabilities/{quote(capability_id, safe='')}", self.body(spec, True),
                    invalidates=("capabilities",))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            nexus.for_run().send("DELETE", f"/v1/capabilities/{quote(id_, safe='')}",
                                 invalidates=("capabilities",))
        except NexusError as err:
            if err.status != 404:
                raise self._explain(err, strip_provider(props), "delete") from None

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return str(spec.get("name"))


class Webhook(pulumi.dynamic.Resource, module="nexus", name="Webhook"):
    """A global or repository webhook (a Nexus capability)."""

    def __init__(self, resource_name: str, spec: Mapping[str, Any],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(WebhookProvider(), resource_name, dict(spec),
                         resource_options(opts, secret_outputs=("secret",)))


# --- config checks ----------------------------------------------------------------------------
def capabilities_api(server: ServerFacts) -> bool:
    """Whether this Nexus serves /v1/capabilities (3.84+; before, an unknown path: 404)."""
    client: Optional[NexusClient] = getattr(server, "client", None)
    if client is None:
        raise NexusError("-", "-", 0, "no connection to ask for capabilities")

    def load() -> bool:
        try:
            client.get_json("/v1/capabilities")
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


def config_problems(values: Mapping[str, Any], server: Optional[ServerFacts] = None) -> list[Problem]:
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
        if repo and repo.lower() not in repositories and (
                server is None or repo.lower() not in server.repositories):
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
def declare(ctx: Context) -> dict[str, pulumi.Resource]:
    """One resource per webhook, after the repository it watches."""
    out: dict[str, pulumi.Resource] = {}
    for i, item in enumerate(ctx.cfg.get("webhooks", [])):
        repository = ctx.repositories.get(str(item.get("repository", "")).lower())
        spec = referring(ctx.cfg.spec(("webhooks", i), item),
                         {f"repository:{item.get('repository')}": repository})
        out[item["name"].lower()] = Webhook(f"webhook-{item['name']}", spec,
                                            opts=after(ctx.bootstrap, repository))
    return out
