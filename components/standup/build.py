"""Standing Nexus up: TLS material, the container, the reverse proxy's files, the deployment check.

Order of a first `pulumi up` on an empty machine: TLS material -> container (nexus.properties,
keystore, ports) -> bootstrap (waits for writable, admin password, EULA) -> everything else.
A stack without `container` points at an existing Nexus (`nexus.url`); both share the rest.
What clients are told is in components/standup/outputs.py, the checks in checks.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlparse

import pulumi

from ..connection import insecure_warning
from ..kind import Context
from ..resource import as_child
from ..stack_config import StackConfig
from .container import ContainerSettings, NexusContainer, connector_ports
from .deployment_check import VERIFY, DeploymentCheck
from .nexus_properties import render_nexus_properties
from .reverse_proxy import ReverseProxySettings, bundle_dir, render_from_settings, write_bundle
from .tls import TlsSettings
from .tls_material import TlsMaterial



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
    def stack_ca_pem(self) -> Optional[pulumi.Output[str]]:
        """The stack's CA certificate (generated or supplied), for the trust store."""
        return self.tls.ca_cert_pem if self.tls is not None else None

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
            tls=result.tls if settings.jetty_https else None, https_port=settings.https_port,
            opts=as_child(None))
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


def deployment_check(cfg: StackConfig, standup: StandUp, ctx: Context) -> Optional[pulumi.Resource]:
    """Walks the docker path after every change (see components/standup/deployment_check.py)."""
    if not VERIFY.with_defaults(cfg.nexus.get("verify") or {})["enabled"]:
        return None
    upstream = [*ctx.all(), *[r for r in (standup.tls, standup.container) if r is not None]]
    return DeploymentCheck("deployment-check", cfg, standup.tls.ca_cert_pem if standup.tls else None, upstream)
