"""Standing Nexus up and telling clients how to use it.

Order of a first `pulumi up` on an empty machine: TLS material -> container (nexus.properties,
keystore, ports) -> bootstrap (waits for writable, admin password, EULA) -> everything else.
A stack without `container` points at an existing Nexus (`nexus.url`); both share the rest.

The client outputs answer the seed posts' last steps: the CA for /etc/docker/certs.d on every
node, a registry-mirrors snippet only when anonymous pull really works (the first seed's
dockerd fell back to Docker Hub with "unauthorized"), and docker login hints that point to a
credential helper instead of plain-text config.json (the second seed's warning).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional
from urllib.parse import urlparse

import pulumi

from .config import Problem, StackConfig
from .connection import Connection, TrustError, insecure_warning
from .container import ContainerSettings, NexusContainer, connector_ports, image_reference, vm_params
from .nexus_properties import render_nexus_properties
from .reverse_proxy import ReverseProxySettings, bundle_dir, output_dir_problem, render_from_settings, write_bundle
from .tls import TlsMaterial, TlsSettings

ANONYMOUS_PULL_CONDITIONS = (
    "the DockerToken realm is active (security.realms)",
    "anonymous access is on (security.anonymous.enabled)",
    "forceBasicAuth is false on the repository",
    "the built-in anonymous user may read the repository (a role with a repository-view READ privilege)",
)


@dataclass
class StandUp:
    tls_settings: TlsSettings
    tls: Optional[TlsMaterial] = None
    container: Optional[NexusContainer] = None
    # The bootstrap trusts the stack's generated CA for nexus.tls.caFromStack (and passes it on
    # to the other providers); a supplied CA is in the config already.
    trust_stack_ca: bool = False

    @property
    def before_bootstrap(self) -> list[pulumi.Resource]:
        return [r for r in (self.container,) if r is not None]

    @property
    def bootstrap_inputs(self) -> dict[str, Any]:
        """What the bootstrap needs from the stand-up: a refused connection right after the
        container (re)started means "still starting", and the CA to trust."""
        inputs: dict[str, Any] = {}
        if self.container is not None:
            inputs["startsContainer"] = True
        if self.trust_stack_ca and self.tls is not None:
            inputs["stackCaPem"] = self.tls.ca_cert_pem
        return inputs


def stand_up(cfg: StackConfig) -> StandUp:
    """TLS material when `tls` is on; the container when the stack runs one."""
    settings = TlsSettings.from_config(cfg.get("tls"))
    trust = cfg.nexus.get("tls") or {}
    if trust.get("insecure"):
        pulumi.log.warn(insecure_warning(str(cfg.nexus["url"])))
    result = StandUp(settings, trust_stack_ca=bool(trust.get("caFromStack")) and settings.ca_cert_pem is None)
    if settings.enabled:
        result.tls = TlsMaterial("tls", settings)
    if cfg.get("container") is not None:
        result.container = NexusContainer(
            "nexus", ContainerSettings.from_config(cfg.get("container")),
            connector_ports=connector_ports(cfg.get("repositories", [])),
            tls=result.tls if settings.jetty_https else None, https_port=settings.https_port)
    return result


def nexus_properties(cfg: StackConfig, settings: TlsSettings) -> str:
    """The nexus.properties this stack needs; the container uploads it, and a stack that points
    at an existing Nexus exports it for the operator to install."""
    container = ContainerSettings.from_config(cfg.get("container"))
    return render_nexus_properties(jetty_https=settings.jetty_https, https_port=settings.https_port,
                                   skip_default_repositories=container.skip_default_repositories,
                                   extra=container.nexus_properties)


def reverse_proxy(cfg: StackConfig, standup: StandUp) -> Optional[pulumi.Output[str]]:
    """The nginx config for one registry host name; on `up` it is written with the certificate,
    key (0600) and CA for the nginx host into reverseProxy.outputDir, by default the stack's
    directory outside the checkout (`reverseProxyDir` output)."""
    section = cfg.get("reverseProxy")
    if not section or standup.tls is None:
        return None
    settings = ReverseProxySettings.from_config(section)
    ui_port = urlparse(cfg.nexus["url"]).port or 8081
    conf = render_from_settings(settings, cfg.get("repositories", []), ui_port=ui_port)
    directory = bundle_dir(settings.output_dir, pulumi.get_project(), pulumi.get_stack(), Path.cwd())
    pulumi.export("reverseProxyDir", str(directory))
    if not pulumi.runtime.is_dry_run():
        def write(pems: list[str]) -> None:
            files = write_bundle(directory, conf=conf, cert_pem=pems[0], key_pem=pems[1], ca_cert_pem=pems[2],
                                 registry_host=settings.registry_host, private_dir=settings.output_dir is None)
            pulumi.log.info(f"reverse proxy files for {settings.registry_host} written to {directory} "
                            f"(private key {files['key'].name}, mode 0600): copy them to the nginx host")
        pulumi.Output.all(standup.tls.cert_pem, standup.tls.key_pem, standup.tls.ca_cert_pem).apply(write)
    return pulumi.Output.from_input(conf)


def deployment_check(cfg: StackConfig, standup: StandUp, ctx: Any) -> Optional[pulumi.Resource]:
    """Walks the docker path after every change (see components/deployment_check.py)."""
    if not cfg.nexus.get("verify", {}).get("enabled", True):
        return None
    from .deployment_check import DeploymentCheck
    upstream = [*ctx.all(), *[r for r in (standup.tls, standup.container) if r is not None]]
    return DeploymentCheck("deployment-check", cfg, standup.tls.ca_cert_pem if standup.tls else None, upstream)


# --- what clients need ---------------------------------------------------------------------
def nexus_host(cfg: StackConfig) -> str:
    return urlparse(cfg.nexus["url"]).hostname or "localhost"


def proxy_endpoint(cfg: StackConfig) -> Optional[str]:
    """The registry host name behind the reverse proxy, with its port unless it is 443."""
    proxy = cfg.get("reverseProxy")
    if not proxy:
        return None
    port = proxy.get("listenPort", 443)
    return proxy["registryHost"] if port == 443 else f"{proxy['registryHost']}:{port}"


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
    if repo.get("forceBasicAuth", True):
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


# --- validation ----------------------------------------------------------------------------
def standup_problems(values: Mapping[str, Any]) -> list[Problem]:
    """Container, TLS, reverse-proxy and connection-TLS settings that cannot work together."""
    problems: list[Problem] = connection_problems(values)
    container = values.get("container")
    if container is not None:
        settings = ContainerSettings.from_config(container)
        for path, check in (("container.image", lambda: image_reference(settings.image, settings.registry_mirror)),
                            ("container.heap", lambda: vm_params(settings.heap, settings.direct_memory))):
            try:
                check()
            except ValueError as err:
                problems.append(Problem(path, str(err)))
    proxy = values.get("reverseProxy")
    if proxy:
        tls = TlsSettings.from_config(values.get("tls"))
        if not tls.enabled:
            problems.append(Problem("reverseProxy", "the reverse proxy terminates TLS with the stack's "
                                    "certificate: add a tls section (tls.hostnames with the registry host)"))
        for key in ("registryHost", "uiHost"):
            host = proxy.get(key)
            if host and tls.enabled and not any(_covers(name, host) for name in tls.hostnames):
                problems.append(Problem(f"reverseProxy.{key}", f"'{host}' is not covered by tls.hostnames, so "
                                        "clients would reject the certificate; add it there"))
        # The program runs in the project directory.
        why = output_dir_problem(proxy.get("outputDir"), str(proxy.get("registryHost", "")), Path.cwd())
        if why:
            problems.append(Problem("reverseProxy.outputDir", why))
        repos = {r["name"].lower(): r for r in values.get("repositories", [])}
        for key, wanted in (("pullRepository", ("group", "proxy", "hosted")), ("pushRepository", ("hosted",))):
            repo = repos.get(str(proxy.get(key, "")).lower())
            if repo is None:
                problems.append(Problem(f"reverseProxy.{key}", f"'{proxy.get(key)}' is not declared in repositories"))
            elif repo["type"] not in wanted:
                problems.append(Problem(f"reverseProxy.{key}", f"'{repo['name']}' is a {repo['type']} repository; "
                                        "pushes must go to a hosted one (groups refuse writes on Community Edition)"))
            elif not repo.get("httpPort"):
                problems.append(Problem(f"reverseProxy.{key}", f"'{repo['name']}' has no httpPort for nginx to "
                                        "forward to; give it one"))
    return problems


def connection_problems(values: Mapping[str, Any]) -> list[Problem]:
    """nexus.tls: settings that contradict each other or cannot be loaded (files, PEM, key pair)."""
    nexus = values.get("nexus") or {}
    trust = nexus.get("tls")
    if not trust or not isinstance(nexus.get("url"), str):
        return []
    problems = []
    if not nexus["url"].lower().startswith("https://"):
        problems.append(Problem("nexus.tls", f"applies to HTTPS only, but nexus.url is {nexus['url']}: use the "
                                "https:// URL of Nexus (or of the proxy in front of it), or remove nexus.tls"))
    sources = [k for k in ("caPem", "caFile", "caFromStack") if trust.get(k)]
    if len(sources) > 1:
        problems.append(Problem(f"nexus.tls.{sources[1]}", f"nexus.tls.{sources[0]} already names the CA: caPem, "
                                "caFile and caFromStack are alternatives, give one"))
    for pem, file in (("clientCertPem", "clientCertFile"), ("clientKeyPem", "clientKeyFile")):
        if trust.get(pem) and trust.get(file):
            problems.append(Problem(f"nexus.tls.{file}", f"nexus.tls.{pem} is given too: give one of them"))
    if trust.get("insecure") and sources:
        problems.append(Problem("nexus.tls.insecure", f"contradicts nexus.tls.{sources[0]}: either verify against "
                                "that CA (remove insecure) or not at all"))
    if trust.get("caFromStack"):
        tls = TlsSettings.from_config(values.get("tls"))
        if not tls.enabled:
            problems.append(Problem("nexus.tls.caFromStack", "the stack has no tls section whose CA could be "
                                    "trusted: add one (tls.hostnames with the Nexus host) or give caPem/caFile"))
    for key, partner in (("clientCertPem", "clientKey"), ("clientCertFile", "clientKey"),
                         ("clientKeyPem", "clientCert"), ("clientKeyFile", "clientCert")):
        if trust.get(key) and not (trust.get(f"{partner}Pem") or trust.get(f"{partner}File")):
            problems.append(Problem(f"nexus.tls.{key}", f"needs its pair: {partner}Pem or {partner}File"))
    if problems:
        return problems
    resolved = Connection.from_settings(nexus, None, values.get("tls")).trust
    if resolved.waits_for_stack_ca:  # the generated CA exists after the first `up`: check the rest
        resolved = dataclasses.replace(resolved, ca_from_stack=False)
    try:
        resolved.context()
    except TrustError as exc:
        path, _, message = str(exc).partition(": ")
        problems.append(Problem(path if path.startswith("nexus.tls") else "nexus.tls", message or str(exc)))
    return problems


def _covers(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and host.count(".") == pattern.count(".")
    return pattern.lower() == host.lower()


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

