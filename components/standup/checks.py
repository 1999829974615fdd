"""Stand-up settings that cannot work together: container, TLS, the reverse proxy, and how to
reach Nexus over HTTPS (nexus.tls); checked with the rest of the config before any write."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping

from ..connection import Connection, TrustError
from ..problems import Problem
from .container import ContainerSettings, image_reference, vm_params
from .reverse_proxy import output_dir_problem
from .tls import TlsSettings


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
            elif repo.get("format", "docker") != "docker":
                problems.append(Problem(f"reverseProxy.{key}", f"'{repo['name']}' is a {repo['format']} "
                                        "repository; the reverse proxy serves a docker registry"))
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


