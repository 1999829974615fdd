"""Outbound HTTP settings (`http`; `/v1/http`, Nexus 3.77+): the proxy servers Nexus goes through
to reach remotes, the hosts it reaches directly, the User-Agent suffix, timeout and retries.

Without them a company behind an outbound proxy gets no Docker Hub pulls. Nexus keeps no
disabled proxy (it reads back null), so a proxy is set by being in the config and removed by
being left out. Proxy passwords read back as Nexus's placeholder: they are write-only (diffed
against the last applied value, Pulumi secrets), and a PUT that sends none keeps the stored one.
Removing the section puts Nexus's defaults back (DELETE /v1/http).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ..client import NexusClient, ServerInfo
from ..kind import Found
from ..problems import Problem, ServerFacts, Values
from ..provider import Spec, compact
from ..resource import NexusResource
from ..schema import Fragment
from ..settings import Availability, SettingsProvider, missing_secret, section, settings_kind

SCHEMA = Fragment.beside(__file__)
CONFIG_PATH = ('http',)
PATH = "/v1/http"
AVAILABILITY = Availability("Outbound HTTP settings", PATH, since="3.77.0")
PROXIES = ("httpProxy", "httpsProxy")
AUTH_FIELDS = ("username", "ntlmHost", "ntlmDomain")


class HttpSettingsProvider(SettingsProvider):
    kind = "outbound HTTP settings"
    resource_type = "nexus:HttpSettings"
    path = PATH
    settings_id = "http"
    write_only = tuple((proxy, "auth", "password") for proxy in PROXIES)

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        return compact({
            "userAgentSuffix": spec.get("userAgentSuffix"), "timeoutSeconds": spec["timeoutSeconds"],
            "retries": spec["retries"], **{p: _proxy(spec.get(p)) for p in PROXIES},
            "nonProxyHosts": list(dict.fromkeys(spec.get("nonProxyHosts") or [])) or None,
        })

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        proxies = {}
        for key in PROXIES:
            proxy = doc.get(key)
            if proxy and proxy.get("enabled", True) is not False:
                auth = proxy.get("authInfo") or {}
                proxies[key] = compact({
                    "host": proxy.get("host"), "port": _port(proxy.get("port")),
                    "auth": compact({k: auth.get(k) or None for k in AUTH_FIELDS})
                    if auth and auth.get("enabled", True) is not False else None})
        return compact({"userAgentSuffix": doc.get("userAgent") or None, "timeoutSeconds": doc.get("timeout"),
                        "retries": doc.get("retries"), **proxies,
                        "nonProxyHosts": list(doc.get("nonProxyHosts") or []) or None})

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        return [(f"{key}.auth.password", "proxy authentication needs the password") for key in PROXIES
                if (spec.get(key) or {}).get("auth") and not spec[key]["auth"].get("password")]

    def body(self, spec: Spec) -> dict[str, Any]:
        """HttpSettingsXo: everything is replaced, so every field is sent."""
        return {"userAgent": spec.get("userAgentSuffix"), "timeout": spec["timeoutSeconds"],
                "retries": spec["retries"], "nonProxyHosts": spec.get("nonProxyHosts") or [],
                **{key: _proxy_body(spec.get(key)) for key in PROXIES}}

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", PATH)


def _proxy(proxy: Optional[Mapping[str, Any]]) -> Optional[dict[str, Any]]:
    if not proxy:
        return None
    return compact({"host": proxy["host"], "port": proxy["port"],
                    "auth": compact(dict(proxy["auth"])) if proxy.get("auth") else None})


def _port(value: Any) -> Any:
    """Nexus answers the port as a string."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _proxy_body(proxy: Optional[Mapping[str, Any]]) -> Optional[dict[str, Any]]:
    if proxy is None:
        return None
    auth = proxy.get("auth")
    return {"enabled": True, "host": proxy["host"], "port": proxy["port"],
            "authInfo": None if auth is None else {"enabled": True, **{k: auth.get(k) for k in AUTH_FIELDS},
                                                   "password": auth.get("password")}}


class HttpSettings(NexusResource, provider=HttpSettingsProvider):
    """Outbound HTTP settings; proxy passwords stay Pulumi secrets."""


def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    """The settings unless they are a fresh server's (then left unmanaged)."""
    if not AVAILABILITY.on(info):
        return []
    provider = HttpSettingsProvider()
    current = provider.to_spec(client.get_json(PATH) or {}, {})
    defaults = provider.normalize({})
    entry = {k: v for k, v in current.items() if v != defaults.get(k)}
    secrets = [((key, "auth", "password"), f"password of the {key} server") for key in PROXIES
               if (current.get(key) or {}).get("auth")]
    return [KIND.found("http", entry or None, "", [(".".join(p), what) for p, what in secrets])]


# --- the kind -----------------------------------------------------------------------------------
def proxy_password_problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    settings = section(values, CONFIG_PATH) or {}
    return [missing_secret(f"http.{key}.auth.password", f"the password of the {key} server")
            for key in PROXIES if _auth_without_password(settings.get(key))]


def _auth_without_password(proxy: Optional[Mapping[str, Any]]) -> bool:
    auth = (proxy or {}).get("auth")
    return auth is not None and not auth.get("password")


KIND = settings_kind("outbound HTTP settings", CONFIG_PATH, SCHEMA, HttpSettings, AVAILABILITY, inventory, checks=(proxy_password_problems,))
