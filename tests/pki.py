"""Throw-away PKI for TLS tests: a private CA, a server certificate for 127.0.0.1/localhost and a
client certificate (extendedKeyUsage clientAuth, which servers check for mutual TLS), as PEM
text and as files in a directory the test owns."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from components.standup.tls import cert_to_pem, generate_ca, issue_server_certificate, key_to_pem


@dataclass(frozen=True)
class Pki:
    ca_pem: str
    server_cert_pem: str
    server_key_pem: str
    client_cert_pem: str
    client_key_pem: str
    directory: Path

    def file(self, name: str) -> str:
        """Path of ca.pem, server.crt, server.key, client.crt or client.key."""
        return str(self.directory / name)


def client_certificate(ca_cert: x509.Certificate, ca_key, name: str) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert_to_pem(cert), key_to_pem(key)


def make_pki(directory: Path, hostnames: tuple[str, ...] = ("localhost",),
             ips: tuple[str, ...] = ("127.0.0.1",)) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca, ca_key = generate_ca(2)
    server, server_key = issue_server_certificate(ca, ca_key, list(hostnames), list(ips), 2)
    client_cert, client_key = client_certificate(ca, ca_key, "ci-robot")
    pki = Pki(cert_to_pem(ca), cert_to_pem(server), key_to_pem(server_key), client_cert, client_key, directory)
    for name, text in (("ca.pem", pki.ca_pem), ("server.crt", pki.server_cert_pem),
                       ("server.key", pki.server_key_pem), ("client.crt", client_cert), ("client.key", client_key)):
        path = directory / name
        path.write_text(text)
        path.chmod(0o600)
    return pki
