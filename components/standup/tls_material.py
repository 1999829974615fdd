"""The TLS material as a Pulumi dynamic resource (settings, checks and cryptography:
components/standup/tls.py). Nothing exists remotely, so ``read`` answers the stored state and
``delete`` has nothing to do; the provider holds no state or secrets because it is pickled into
the resource's state.
"""
from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any, Mapping

import pulumi
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from ..resource import ProvidedResource, StableProvider
from . import tls
from .tls import (DEFAULT_CA_VALIDITY_DAYS, DEFAULT_RENEW_BEFORE_DAYS, DEFAULT_VALIDITY_DAYS, TlsSettings,
                  build_keystore, cert_to_pem, fingerprint, generate_ca, generate_password, issue_server_certificate,
                  key_to_pem, known, load_ca, parse_ip, renewal_due, validate_inputs)

# Outputs the engine must store encrypted. Generated values have no same-named secret input to
# inherit secretness from, so they are listed in `additional_secret_outputs`.
SECRET_OUTPUTS = ("keyPem", "caKeyPem", "keystoreBase64", "keystorePassword")

# Python attribute name <-> engine property name, for inputs and outputs alike.
_PY_TO_ENGINE = {
    "hostnames": "hostnames",
    "ip_addresses": "ipAddresses",
    "validity_days": "validityDays",
    "ca_validity_days": "caValidityDays",
    "renew_before_days": "renewBeforeDays",
    "ca_cert_pem": "caCertPem",
    "ca_key_pem": "caKeyPem",
    "keystore_password": "keystorePassword",
    "ca_generated": "caGenerated",
    "cert_pem": "certPem",
    "key_pem": "keyPem",
    "not_after": "notAfter",
    "keystore_base64": "keystoreBase64",
}
_ENGINE_TO_PY = {v: k for k, v in _PY_TO_ENGINE.items()}
_INPUT_KEYS = (
    "hostnames",
    "ipAddresses",
    "validityDays",
    "caValidityDays",
    "renewBeforeDays",
    "caCertPem",
    "caKeyPem",
    "keystorePassword",
)


# --------------------------------------------------------------------------- provider


class TlsMaterialProvider(StableProvider):
    """Dynamic provider for TlsMaterial. Stateless: everything it needs arrives in the call."""

    resource_type = "nexus:TlsMaterial"

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = normalize_inputs(news)
        return CheckResult(inputs, validate_inputs(inputs))

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"tls-{uuid.uuid4().hex}", _materialize(props, None, tls.now_utc()))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = pending_changes(olds, news)
        return DiffResult(changes=bool(changes), replaces=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_materialize(news, olds, tls.now_utc()))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        # Nothing lives outside the state, so the stored state is the truth.
        return ReadResult(id_, props)


def pending_changes(olds: Mapping[str, Any], news: Mapping[str, Any], now: datetime | None = None) -> list[str]:
    """Why an update is needed (empty: none). `olds` are the stored outputs, `news` checked inputs."""
    now = now or tls.now_utc()
    reasons = [k for k in ("hostnames", "ipAddresses", "validityDays", "renewBeforeDays") if olds.get(k) != news.get(k)]
    renew = news.get("renewBeforeDays", DEFAULT_RENEW_BEFORE_DAYS)
    if not known(renew):
        return reasons or ["renewBeforeDays"]
    supplied = news.get("caCertPem")
    if supplied:
        if olds.get("caGenerated") or not known(supplied) or fingerprint(olds.get("caCertPem")) != fingerprint(supplied):
            reasons.append("caCertPem")
    elif not olds.get("caGenerated"):
        reasons.append("caCertPem")  # a supplied CA was removed from config: generate one
    elif renewal_due(olds["caCertPem"], int(renew), now):
        reasons.append("caRenewal")
    password = news.get("keystorePassword")
    if password and password != olds.get("keystorePassword"):
        reasons.append("keystorePassword")
    if olds.get("certPem") and renewal_due(olds["certPem"], int(renew), now):
        reasons.append("certRenewal")
    return reasons


def _materialize(inputs: Mapping[str, Any], olds: Mapping[str, Any] | None, now: datetime) -> dict[str, Any]:
    """The outputs for `inputs`, reusing what in `olds` (the previous outputs) is still good."""
    hostnames = list(inputs.get("hostnames") or [])
    ips = list(inputs.get("ipAddresses") or [])
    validity = int(inputs.get("validityDays", DEFAULT_VALIDITY_DAYS))
    ca_validity = int(inputs.get("caValidityDays", DEFAULT_CA_VALIDITY_DAYS))
    renew = int(inputs.get("renewBeforeDays", DEFAULT_RENEW_BEFORE_DAYS))

    supplied = inputs.get("caCertPem")
    if supplied:
        ca_cert, ca_key = load_ca(supplied, inputs["caKeyPem"])
        ca_changed = olds is None or bool(olds.get("caGenerated")) or fingerprint(olds.get("caCertPem")) != fingerprint(supplied)
        ca_generated = False
    elif olds and olds.get("caGenerated") and not renewal_due(olds["caCertPem"], renew, now):
        ca_cert, ca_key = load_ca(olds["caCertPem"], olds["caKeyPem"])
        ca_changed, ca_generated = False, True
    else:
        ca_cert, ca_key = generate_ca(ca_validity, now)
        ca_changed, ca_generated = True, True

    reissue = (
        olds is None
        or ca_changed
        or olds.get("hostnames") != hostnames
        or olds.get("ipAddresses") != ips
        or olds.get("validityDays") != validity
        or renewal_due(olds["certPem"], renew, now)
    )
    if reissue:
        cert, key = issue_server_certificate(ca_cert, ca_key, hostnames, ips, validity, now)
        cert_pem, key_pem = cert_to_pem(cert), key_to_pem(key)
    else:
        cert_pem, key_pem = olds["certPem"], olds["keyPem"]
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)

    password = inputs.get("keystorePassword") or (olds or {}).get("keystorePassword") or generate_password()
    if reissue or password != olds.get("keystorePassword"):
        keystore = base64.b64encode(build_keystore(key, cert, ca_cert, password)).decode()
    else:
        keystore = olds["keystoreBase64"]  # unchanged bytes: no needless container restart

    return {
        "hostnames": hostnames,
        "ipAddresses": ips,
        "validityDays": validity,
        "caValidityDays": ca_validity,
        "renewBeforeDays": renew,
        "caGenerated": ca_generated,
        "caCertPem": cert_to_pem(ca_cert),
        "caKeyPem": key_to_pem(ca_key) if ca_generated else None,
        "certPem": cert_pem,
        "keyPem": key_pem,
        "notAfter": cert.not_valid_after_utc.isoformat(),
        "keystoreBase64": keystore,
        "keystorePassword": password,
    }


# --------------------------------------------------------------------------- resource


class TlsMaterial(ProvidedResource, provider=TlsMaterialProvider):
    """Private CA + server certificate + Jetty PKCS12 keystore; reissued inside the renewal window.

    Outputs (Python names): ca_cert_pem, cert_pem, not_after (ISO 8601), ca_generated, key_pem,
    ca_key_pem (None for a supplied CA), keystore_base64, keystore_password; the last four are
    secrets. The engine names are camelCase (caCertPem, keystoreBase64, ...).
    """

    ca_generated: pulumi.Output[bool]
    ca_cert_pem: pulumi.Output[str]
    ca_key_pem: pulumi.Output[str | None]
    cert_pem: pulumi.Output[str]
    key_pem: pulumi.Output[str]
    not_after: pulumi.Output[str]
    keystore_base64: pulumi.Output[str]
    keystore_password: pulumi.Output[str]

    def __init__(self, resource_name: str, settings: TlsSettings, opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {_ENGINE_TO_PY[k]: v for k, v in settings.resource_inputs().items()}
        for output in ("ca_generated", "ca_cert_pem", "ca_key_pem", "cert_pem", "key_pem", "not_after",
                       "keystore_base64", "keystore_password"):
            props.setdefault(output, None)
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_OUTPUTS))
        )
        super().__init__(TlsMaterialProvider(), resource_name, props, opts)

    def translate_input_property(self, prop: str) -> str:
        return _PY_TO_ENGINE.get(prop, prop)

    def translate_output_property(self, prop: str) -> str:
        return _ENGINE_TO_PY.get(prop, prop)


def normalize_inputs(news: Mapping[str, Any]) -> dict[str, Any]:
    """Known inputs only, defaults filled, names lower-cased and de-duplicated (first one = CN)."""
    inputs: dict[str, Any] = {k: news[k] for k in _INPUT_KEYS if news.get(k) is not None}
    inputs.setdefault("hostnames", [])
    inputs.setdefault("ipAddresses", [])
    inputs.setdefault("validityDays", DEFAULT_VALIDITY_DAYS)
    inputs.setdefault("caValidityDays", DEFAULT_CA_VALIDITY_DAYS)
    inputs.setdefault("renewBeforeDays", DEFAULT_RENEW_BEFORE_DAYS)
    if known(inputs["hostnames"]):
        names = [str(h).strip().rstrip(".").lower() for h in inputs["hostnames"]]
        inputs["hostnames"] = list(dict.fromkeys(names))
    if known(inputs["ipAddresses"]):
        ips = [str(parse_ip(str(i)) or str(i).strip()) for i in inputs["ipAddresses"]]
        inputs["ipAddresses"] = list(dict.fromkeys(ips))
    for key in ("validityDays", "caValidityDays", "renewBeforeDays"):
        value = inputs[key]
        if isinstance(value, float) and value.is_integer():
            inputs[key] = int(value)
    return inputs
