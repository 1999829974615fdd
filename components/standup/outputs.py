"""What clients are told: the stack outputs a platform engineer hands to every docker node.

They answer the seed posts' last steps: the CA for /etc/docker/certs.d on every node, a
registry-mirrors snippet only when anonymous pull really works (the first seed's dockerd fell
back to Docker Hub with "unauthorized"), and docker login hints that point to a credential
helper instead of plain-text config.json (the second seed's warning).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional
from urllib.parse import urlparse

import pulumi

from ..kinds.repositories import SCHEMA as REPOSITORIES
from ..stack_config import StackConfig
from .build import StandUp, nexus_properties
from .reverse_proxy import SCHEMA as REVERSE_PROXY

HTTPS_PORT = 443  # the port a registry host name needs no `:port` for

ANONYMOUS_PULL_CONDITIONS = (
    "the DockerToken realm is active (security.realms)",
    "anonymous access is on (security.anonymous.enabled)",
    "forceBasicAuth is false on the repository",
    "the built-in anonymous user may read the repository (a role with a repository-view READ privilege)",
)


def nexus_host(cfg: StackConfig) -> str:
    return urlparse(cfg.nexus["url"]).hostname or "localhost"


def proxy_endpoint(cfg: StackConfig) -> Optional[str]:
    """The registry host name behind the reverse proxy, with its port unless it is 443."""
    proxy = cfg.get("reverseProxy")
    if not proxy:
        return None
    port = REVERSE_PROXY.with_defaults(proxy)["listenPort"]
    return proxy["registryHost"] if port == HTTPS_PORT else f"{proxy['registryHost']}:{port}"


def registry_endpoints(cfg: StackConfig) -> list[str]:
    """host[:port] names docker clients use: the reverse proxy host, and every connector."""
    host = nexus_host(cfg)
    endpoints = [e for e in (proxy_endpoint(cfg),) if e]
    for repo in cfg.get("repositories", []):
        for key in ("httpsPort", "httpPort"):
            if repo.get(key):
                endpoints.append(f"{host}:{repo[key]}")
    return endpoints


def pull_endpoints(cfg: StackConfig) -> list[str]:
    """Where people log in and pull: the reverse proxy host, else the groups' connectors."""
    everything = registry_endpoints(cfg)
    if cfg.get("reverseProxy"):
        return everything[:1]
    host = nexus_host(cfg)
    groups = [f"{host}:{r.get('httpsPort') or r.get('httpPort')}" for r in cfg.get("repositories", [])
              if r["type"] == "group" and (r.get("httpsPort") or r.get("httpPort"))]
    return groups or everything


def certs_d(cfg: StackConfig, standup: StandUp) -> Optional[pulumi.Output[dict[str, str]]]:
    """/etc/docker/certs.d/<host[:port]>/ca.crt -> CA PEM, for every TLS endpoint (no daemon
    restart needed, unlike the system trust store)."""
    if standup.tls is None:
        return None
    host = nexus_host(cfg)
    names = [e for e in (proxy_endpoint(cfg),) if e]
    names += [f"{host}:{r['httpsPort']}" for r in cfg.get("repositories", []) if r.get("httpsPort")]
    return standup.tls.ca_cert_pem.apply(lambda pem: {f"/etc/docker/certs.d/{n}/ca.crt": pem for n in names})


def anonymous_pull_gaps(values: Mapping[str, Any], repository: str) -> list[str]:
    """Which of the four conditions for anonymous docker pull the config does not meet."""
    security = values.get("security") or {}
    repo = next((r for r in values.get("repositories", []) if r["name"].lower() == repository.lower()), {})
    gaps = []
    if "DockerToken" not in (security.get("realms") or []):
        gaps.append(ANONYMOUS_PULL_CONDITIONS[0])
    if not (security.get("anonymous") or {}).get("enabled"):
        gaps.append(ANONYMOUS_PULL_CONDITIONS[1])
    if not repo or REPOSITORIES.with_defaults(repo)["forceBasicAuth"]:
        gaps.append(ANONYMOUS_PULL_CONDITIONS[2])
    if not _anonymous_can_read(security, repository):
        gaps.append(ANONYMOUS_PULL_CONDITIONS[3])
    return gaps


def _anonymous_can_read(security: Mapping[str, Any], repository: str) -> bool:
    user = next((u for u in security.get("users", []) if u["userId"] == "anonymous"), None)
    if user is None:
        return False
    roles = {r["id"]: r for r in security.get("roles", [])}
    privileges = {p["name"]: p for p in security.get("privileges", [])}
    pending, seen = list(user.get("roles", [])), set()
    while pending:
        role = roles.get(pending.pop())
        if role is None or role["id"] in seen:
            continue
        seen.add(role["id"])
        pending += role.get("roles", [])
        for name in role.get("privileges", []):
            privilege = privileges.get(name, {})
            if (privilege.get("type") == "repository-view" and privilege.get("repository") in (repository, "*")
                    and {"READ", "ALL"} & set(privilege.get("actions", []))):
                return True
    return False


def registry_mirror(cfg: StackConfig) -> tuple[Optional[dict[str, Any]], list[str]]:
    """A daemon.json snippet when a repository really serves anonymous pulls, else warnings.

    dockerd never sends credentials to a mirror, so a mirror that needs a login makes every
    pull fall back to Docker Hub ("unauthorized: access to the requested resource is not
    authorized"), which is what the first seed post ran into.
    """
    proxy = cfg.get("reverseProxy") or {}
    groups = [r["name"] for r in cfg.get("repositories", []) if r["type"] == "group"]
    candidates = ((cfg.get("security") or {}).get("anonymousPull")
                  or ([proxy["pullRepository"]] if proxy.get("pullRepository") else groups[:1]))
    warnings = []
    for name in candidates:
        gaps = anonymous_pull_gaps(cfg.values, name)
        if not gaps:
            return {"registry-mirrors": [_mirror_url(cfg, name)]}, []
        warnings.append(f"no registry-mirrors snippet for '{name}': dockerd never sends credentials to a "
                        f"mirror, so anonymous pull must work, which needs four settings in agreement. "
                        f"Missing: " + "; ".join(gaps) + f". The one-line fix: security.anonymousPull: [{name}].")
    return None, warnings


def _mirror_url(cfg: StackConfig, repository: str) -> str:
    proxy = cfg.get("reverseProxy")
    if proxy and proxy.get("pullRepository", "").lower() == repository.lower():
        return f"https://{proxy_endpoint(cfg)}"
    host = nexus_host(cfg)
    repo = next(r for r in cfg.get("repositories", []) if r["name"].lower() == repository.lower())
    if repo.get("httpsPort"):
        return f"https://{host}:{repo['httpsPort']}"
    return f"http://{host}:{repo.get('httpPort')}"


def login_hints(cfg: StackConfig) -> list[str]:
    """docker login lines that keep credentials out of ~/.docker/config.json."""
    endpoints = pull_endpoints(cfg)
    hints = ["Configure a credential helper first so `docker login` does not store a base64 password "
             "in ~/.docker/config.json: set \"credsStore\" to \"pass\" or \"secretservice\" (Linux), "
             "\"osxkeychain\" (macOS) or \"wincred\" (Windows) in ~/.docker/config.json "
             "(docker-credential-helpers)."]
    hints += [f"docker login {endpoint}" for endpoint in endpoints[:1] or ["<registry host>"]]
    pushers = (cfg.get("security") or {}).get("pushers") or {}
    repos = {r["name"].lower(): r for r in cfg.get("repositories", [])}
    for user, targets in pushers.items():
        target = repos.get(targets[0].lower(), {})
        push = proxy_endpoint(cfg) or f"{nexus_host(cfg)}:{target.get('httpsPort') or target.get('httpPort')}"
        hints.append(f"CI user '{user}': printf '%s' \"$NEXUS_{user.upper().replace('-', '_')}_PASSWORD\" | "
                     f"docker login {push} -u {user} --password-stdin")
    return hints


def export_client_outputs(cfg: StackConfig, standup: StandUp, nginx_conf: Optional[pulumi.Output[str]],
                          export: Any = pulumi.export) -> None:
    """Stack outputs a platform engineer hands to every docker node."""
    if standup.tls is not None:
        export("caCertPem", standup.tls.ca_cert_pem)
        export("certPem", standup.tls.cert_pem)
        export("certNotAfter", standup.tls.not_after)
        export("dockerCertsD", certs_d(cfg, standup))
    if nginx_conf is not None:
        export("nginxConfig", nginx_conf)
    export("nexusProperties", nexus_properties(cfg, standup.tls_settings))
    mirror, warnings = registry_mirror(cfg)
    if mirror is not None:
        export("daemonJson", mirror)
    for warning in warnings:
        pulumi.log.warn(warning)
    export("dockerLogin", login_hints(cfg))
    export("registryEndpoints", registry_endpoints(cfg))

