"""TLS material for Nexus (Jetty keystore) and its reverse proxy: settings, checks and the
cryptography (components/standup/tls_material.py is the resource that holds it in the state).

Everything is generated locally with `cryptography`: a private CA (or a user-supplied one), a
server certificate whose SANs cover every host name and IP clients use (Docker rejects CN-only
certificates), and a PKCS12 keystore with alias ``jetty`` for Nexus's Jetty.

A generated CA is kept across renewals: docker clients trust it through
``/etc/docker/certs.d/<host>/ca.crt`` and must not have to be touched when the server
certificate is reissued.
"""
from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Sequence

import pulumi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pulumi.dynamic import CheckFailure
from pulumi.runtime.rpc import UNKNOWN

from ..schema import Fragment

SCHEMA = Fragment.section("tls")  # where the tls section's defaults are written (the constants read it)
KEYSTORE_ALIAS = "jetty"
DEFAULT_VALIDITY_DAYS: int = SCHEMA.default("validityDays")
DEFAULT_CA_VALIDITY_DAYS: int = SCHEMA.default("ca", "validityDays")
DEFAULT_RENEW_BEFORE_DAYS: int = SCHEMA.default("renewBeforeDays")
DEFAULT_HTTPS_PORT: int = SCHEMA.default("httpsPort")
MAX_VALIDITY_DAYS = 36500
MIN_KEYSTORE_PASSWORD_LENGTH = 6  # keytool and the JDK refuse shorter PKCS12 passwords
# Where each input of the TLS material lives in the stack config, so failures can name the line to fix.
_CONFIG_PATH = {
    "hostnames": "tls.hostnames",
    "ipAddresses": "tls.ipAddresses",
    "validityDays": "tls.validityDays",
    "caValidityDays": "tls.ca.validityDays",
    "renewBeforeDays": "tls.renewBeforeDays",
    "caCertPem": "tls.ca.certPem",
    "caKeyPem": "tls.ca.keyPem",
    "keystorePassword": "tls.keystorePassword",
}

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Jetty's Password class decodes values with these prefixes, so such a password would not open
# the keystore.
_JETTY_PASSWORD_PREFIXES = ("OBF:", "MD5:", "CRYPT:")
_BACKDATE = timedelta(hours=1)  # tolerate clock skew between this machine and clients


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class TlsSettings:
    """The `nexus-registry:tls` config section with defaults filled (see schemas/tls.schema.json)."""

    enabled: bool = False
    hostnames: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    ca_cert_pem: pulumi.Input[str] | None = None
    ca_key_pem: pulumi.Input[str] | None = None
    ca_validity_days: int = DEFAULT_CA_VALIDITY_DAYS
    validity_days: int = DEFAULT_VALIDITY_DAYS
    renew_before_days: int = DEFAULT_RENEW_BEFORE_DAYS
    keystore_password: pulumi.Input[str] | None = None
    jetty_https: bool = False
    https_port: int = DEFAULT_HTTPS_PORT

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> "TlsSettings":
        """Build from the camelCase config dict (secrets may be plain strings or Outputs).

        No section means no TLS; a section is on unless it says `enabled: false`.
        """
        if not cfg:
            return cls()
        settings = SCHEMA.with_defaults(cfg)
        ca = SCHEMA.at("ca").with_defaults(cfg.get("ca") or {})
        return cls(
            enabled=bool(settings["enabled"]),
            hostnames=tuple(settings["hostnames"]),
            ip_addresses=tuple(settings["ipAddresses"]),
            ca_cert_pem=ca.get("certPem"),
            ca_key_pem=ca.get("keyPem"),
            ca_validity_days=int(ca["validityDays"]),
            validity_days=int(settings["validityDays"]),
            renew_before_days=int(settings["renewBeforeDays"]),
            keystore_password=settings.get("keystorePassword"),
            jetty_https=bool(settings["enabled"] and settings["jettyHttps"]),
            https_port=int(settings["httpsPort"]),
        )

    def resource_inputs(self) -> dict[str, Any]:
        """Engine inputs of TlsMaterial; secrets are wrapped so the state stores them encrypted."""
        inputs: dict[str, Any] = {
            "hostnames": list(self.hostnames),
            "ipAddresses": list(self.ip_addresses),
            "validityDays": self.validity_days,
            "caValidityDays": self.ca_validity_days,
            "renewBeforeDays": self.renew_before_days,
        }
        if self.ca_cert_pem is not None:
            inputs["caCertPem"] = self.ca_cert_pem
        if self.ca_key_pem is not None:
            inputs["caKeyPem"] = pulumi.Output.secret(self.ca_key_pem)
        if self.keystore_password is not None:
            inputs["keystorePassword"] = pulumi.Output.secret(self.keystore_password)
        return inputs


# --------------------------------------------------------------------------- validation


def hostname_error(name: str) -> str | None:
    """Why `name` cannot be a DNS SAN, or None. A leading `*.` wildcard label is allowed."""
    if parse_ip(name) is not None:
        return f"{name!r} is an IP address: list it under ipAddresses"
    host = name.rstrip(".").lower()
    if not host or len(host) > 253:
        return f"{name!r} must be 1 to 253 characters long"
    labels = host.split(".")
    if labels[0] == "*":
        if len(labels) < 3:
            return f"wildcard {name!r} must have at least two labels after '*.'"
        labels = labels[1:]
    for label in labels:
        if not _LABEL.match(label):
            return (
                f"{name!r} is not a valid DNS host name: each dot-separated label needs 1-63 "
                "letters, digits or '-', not starting or ending with '-'"
            )
    return None


def keystore_password_error(password: str) -> str | None:
    """Why `password` cannot protect the Jetty keystore, or None (never echoes the value)."""
    if len(password) < MIN_KEYSTORE_PASSWORD_LENGTH:
        return f"must be at least {MIN_KEYSTORE_PASSWORD_LENGTH} characters (the JDK refuses shorter ones)"
    if password.startswith(_JETTY_PASSWORD_PREFIXES):
        return "must not start with OBF:, MD5: or CRYPT: (Jetty would decode it and fail to open the keystore)"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in password):
        return "must not contain control characters (it is written into a Jetty XML file)"
    return None


def validate_inputs(inputs: Mapping[str, Any], now: datetime | None = None) -> list[CheckFailure]:
    """All problems with TlsMaterial inputs; unknown (preview-time) values are skipped."""
    now = now or now_utc()
    failures: list[CheckFailure] = []

    def fail(prop: str, reason: str) -> None:
        config_path = _CONFIG_PATH.get(prop.split("[")[0], "tls")
        index = prop[len(prop.split("[")[0]):]
        failures.append(CheckFailure(prop, f"{reason}; fix nexus-registry:{config_path}{index} in the stack config"))

    hostnames = inputs.get("hostnames") or []
    ips = inputs.get("ipAddresses") or []
    if known(hostnames):
        for i, name in enumerate(hostnames):
            if known(name):
                error = hostname_error(str(name))
                if error:
                    fail(f"hostnames[{i}]", error)
    if known(ips):
        for i, ip in enumerate(ips):
            if known(ip) and parse_ip(str(ip)) is None:
                fail(f"ipAddresses[{i}]", f"{ip!r} is not an IPv4 or IPv6 address")
    if known(hostnames) and known(ips) and not hostnames and not ips:
        fail("hostnames", "at least one host name or IP address is needed for the certificate's SANs")

    days = {}
    for key, low in (("validityDays", 1), ("caValidityDays", 1), ("renewBeforeDays", 0)):
        value = inputs.get(key)
        if not known(value):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            fail(key, f"must be a whole number of days, got {value!r}")
        elif not low <= value <= MAX_VALIDITY_DAYS:
            fail(key, f"must be between {low} and {MAX_VALIDITY_DAYS}, got {int(value)}")
        else:
            days[key] = int(value)
    renew = days.get("renewBeforeDays")
    if renew is not None and days.get("validityDays") is not None and renew >= days["validityDays"]:
        fail("renewBeforeDays", f"must be smaller than validityDays ({days['validityDays']}), "
             "otherwise every deployment would reissue the certificate")
    if renew is not None and days.get("caValidityDays") is not None and renew >= days["caValidityDays"]:
        fail("caValidityDays", f"must be larger than renewBeforeDays ({renew})")

    cert_pem, key_pem = inputs.get("caCertPem"), inputs.get("caKeyPem")
    if known(cert_pem) and known(key_pem):
        if bool(cert_pem) != bool(key_pem):
            missing = "caKeyPem" if cert_pem else "caCertPem"
            fail(missing, "a supplied CA needs both the certificate PEM and its private key PEM")
        elif cert_pem:
            try:
                ca_cert, _ = load_ca(str(cert_pem), str(key_pem))
            except ValueError as e:
                fail("caCertPem", str(e))
            else:
                if renew is not None and ca_cert.not_valid_after_utc - now <= timedelta(days=renew):
                    fail("caCertPem", f"the CA expires on {ca_cert.not_valid_after_utc.date()}, within "
                         f"renewBeforeDays ({renew}): supply a renewed CA")

    password = inputs.get("keystorePassword")
    if known(password) and password is not None:
        error = keystore_password_error(str(password))
        if error:
            fail("keystorePassword", error)
    return failures


# --------------------------------------------------------------------------- crypto


def generate_ca(validity_days: int, now: datetime | None = None) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A new self-signed CA allowed to sign only end-entity certificates (pathLen 0)."""
    now = now or now_utc()
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "nexus-registry"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"Nexus Registry CA {secrets.token_hex(4)}"),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + timedelta(days=validity_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def load_ca(cert_pem: str, key_pem: str) -> tuple[x509.Certificate, Any]:
    """Parse a supplied CA and check it can sign server certificates; errors never echo the key."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except ValueError:
        raise ValueError("the CA certificate is not a PEM X.509 certificate") from None
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError("the CA key is not an unencrypted PEM private key") from None
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise ValueError("the CA key must be RSA or EC")
    if key.public_key().public_numbers() != cert.public_key().public_numbers():
        raise ValueError("the CA key does not belong to the CA certificate")
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise ValueError("the CA certificate lacks basicConstraints CA:TRUE, so clients would reject what it signs")
    return cert, key


def issue_server_certificate(
    ca_cert: x509.Certificate,
    ca_key: Any,
    hostnames: Sequence[str],
    ip_addresses: Sequence[str],
    validity_days: int,
    now: datetime | None = None,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A serverAuth certificate for every host name and IP, never outliving its CA."""
    now = now or now_utc()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    names = [x509.DNSName(h) for h in hostnames] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ip_addresses]
    first = (list(hostnames) + list(ip_addresses))[0]
    common_name = first if len(first) <= 64 else "nexus-registry"
    not_after = min(now + timedelta(days=validity_days), ca_cert.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True,
                data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def build_keystore(key: Any, cert: x509.Certificate, ca_cert: x509.Certificate, password: str) -> bytes:
    """PKCS12 with one key entry, alias `jetty`, holding the chain server cert -> CA.

    PBES2/AES-256 with an HMAC-SHA256 MAC: readable by JDK 8u301+, 11.0.12+ and 17+, i.e. the JDKs
    of the 3.6x+ images (older JDKs only read the weak legacy PKCS12 algorithms).
    """
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(10000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )
    return pkcs12.serialize_key_and_certificates(KEYSTORE_ALIAS.encode(), key, cert, [ca_cert], encryption)


def renewal_due(cert_pem: str, renew_before_days: int, now: datetime | None = None) -> bool:
    """True when fewer than `renew_before_days` remain before the certificate's notAfter."""
    now = now or now_utc()
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    return cert.not_valid_after_utc - now < timedelta(days=renew_before_days)


def generate_password() -> str:
    """A random keystore password (URL-safe alphabet: nothing XML or Jetty would reinterpret)."""
    return secrets.token_urlsafe(24)


# --------------------------------------------------------------------------- helpers


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def known(value: Any) -> bool:
    if isinstance(value, str):
        return value != UNKNOWN
    if isinstance(value, (list, tuple)):
        return all(known(v) for v in value)
    return True


def parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def fingerprint(cert_pem: str | None) -> str | None:
    """Compare certificates by DER digest, so PEM whitespace differences are no change."""
    if not cert_pem:
        return None
    try:
        der = x509.load_pem_x509_certificate(cert_pem.encode()).public_bytes(serialization.Encoding.DER)
    except ValueError:
        return None
    return hashlib.sha256(der).hexdigest()


def cert_to_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_to_pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
