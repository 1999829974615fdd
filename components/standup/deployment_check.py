"""A deployment that fails when the registry does not work, not only when Nexus refused a call.

`DeploymentCheck` depends on every other resource and walks the path a docker client takes
(components/verification.py): REST status, `/v2/` on every connector with the challenge
forceBasicAuth promises, the anonymous token where anonymous pull is declared, the TLS chain
and SANs of Jetty HTTPS. It runs when the stack is created or any of that changes, so an
unchanged stack previews empty. Checks through the reverse proxy run only when
`nexus.verify.throughReverseProxy` is set (nginx is often installed after the first `up`);
`nexusctl verify` runs them all in CI.
"""
from __future__ import annotations

import os
import tempfile
from typing import Any, Mapping, Optional

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from .. import client as nexus
from ..client import wire_numbers
from ..provider import strip_provider
from ..resource import ProvidedResource, StableProvider
from ..schema import Fragment
from ..stack_config import StackConfig
from .verification import Options, failures, run_checks

VERIFY = Fragment.section("nexus").at("verify")  # nexus.verify: whether and how the deployment is checked

CHECK_ID = "deployment-check"
REPOSITORY_FIELDS = ("name", "type", "httpPort", "httpsPort", "forceBasicAuth")
TLS_FIELDS = ("enabled", "hostnames", "ipAddresses", "jettyHttps", "httpsPort", "renewBeforeDays")


class DeploymentCheckFailed(Exception):
    pass


def check_inputs(cfg: StackConfig) -> dict[str, Any]:
    """The secret-free part of the expanded config the checks read."""
    security = cfg.get("security", {})
    verify = VERIFY.with_defaults(cfg.nexus.get("verify") or {})
    return {
        "nexus": {"url": cfg.nexus["url"]},
        "repositories": [{k: r[k] for k in REPOSITORY_FIELDS if k in r} for r in cfg.get("repositories", [])],
        "security": {"anonymousPull": list(security.get("anonymousPull") or [])},
        "tls": {k: v for k, v in (cfg.get("tls") or {}).items() if k in TLS_FIELDS},
        "reverseProxy": cfg.get("reverseProxy") or {},
        "throughReverseProxy": bool(verify["throughReverseProxy"]),
    }


class DeploymentCheckProvider(StableProvider):
    resource_type = "nexus:DeploymentCheck"

    def configure(self, req: Any) -> None:
        """The Nexus connection (nexus.tls: CA, client certificate) for the REST status check."""
        nexus.use_stack_config(getattr(req.config, "_props", {}))

    def run(self, props: Mapping[str, Any]) -> None:
        values = {k: v for k, v in wire_numbers(dict(props)).items() if k not in ("caCertPem", "throughReverseProxy")}
        values["tls"] = values.get("tls") or None
        values["reverseProxy"] = values.get("reverseProxy") or None
        ca_file = None
        try:
            if props.get("caCertPem"):
                handle, ca_file = tempfile.mkstemp(suffix=".pem")
                with os.fdopen(handle, "w") as f:
                    f.write(props["caCertPem"])
            trust = nexus.run_connection().trust  # nexus.tls, for the REST status check
            checks = run_checks(values, Options(ca_file=ca_file,
                                                nexus_context=trust.context() if trust.configured else None,
                                                reverse_proxy=bool(props.get("throughReverseProxy"))))
        finally:
            if ca_file:
                os.unlink(ca_file)
        broken = failures(checks)
        if broken:
            raise DeploymentCheckFailed(
                f"Nexus accepted the configuration, but {len(broken)} of {len(checks)} checks of the docker "
                "path failed:\n" + "\n".join(f"  {c}" for c in broken))
        pulumi.log.info(f"deployment check: {len(checks)} checks passed")

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = strip_provider(props)
        self.run(inputs)
        return CreateResult(CHECK_ID, inputs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=strip_provider(olds) != strip_provider(news))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = strip_provider(news)
        self.run(inputs)
        return UpdateResult(inputs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Not a Nexus object: nothing to drift. `nexusctl verify` re-checks on demand."""
        current = strip_provider(props)
        return ReadResult(id_, current, current)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to remove."""


class DeploymentCheck(ProvidedResource, provider=DeploymentCheckProvider):
    """Fails `pulumi up` with a precise message when the registry path is broken."""

    def __init__(self, resource_name: str, cfg: StackConfig, ca_cert_pem: Optional[pulumi.Input[str]],
                 depends_on: list[pulumi.Resource]) -> None:
        props = check_inputs(cfg)
        if ca_cert_pem is not None:
            props["caCertPem"] = ca_cert_pem
        super().__init__(DeploymentCheckProvider(), resource_name, props,
                         pulumi.ResourceOptions(depends_on=depends_on))
