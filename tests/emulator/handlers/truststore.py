"""SSL trust store: `/v1/security/ssl/truststore` (list, add PEM, delete by id) and
`GET /v1/security/ssl?host=&port=&protocolHint=` (a remote's certificate). Every release, both
editions.

From sonatype/nexus-public CertificateApiResource, CertificateRetriever, CertificateUtil,
ApiCertificate, PemCertificateValidator, HostnameOrIpAddressValidator:
* a certificate's id IS its fingerprint: the SHA-1 of the DER bytes, upper-case hex pairs joined
  by ':' (CertificateUtil.calculateFingerprint); ids are matched ignoring case, as key store
  aliases are;
* POST takes the PEM text as the raw body and answers 201 with the certificate; only the first
  PEM object is read and it must be a certificate ("Invalid PEM formatted certificate", a
  parameter validation error); a certificate already present is a 409
  "A certificate already exists with the id: '<fp>'.";
* DELETE answers 204, or 404 "No certificate with alias '<id>' in trust store.";
* messages of these errors are JSON strings inside Nexus's {"id":"*","message":...} object;
* GET /ssl connects to host:port (default 443) with a trust-all TLS client and answers the
  FIRST certificate of the peer's chain (the leaf), never trusting it. A failure is a 400:
  "Could not retrieve an SSL certificate from 'host:port'" (direct TLS, then HTTPS, failed), or
  "Unable to retrieve certificate from host: <host>" when a protocolHint other than https was
  given and the direct connection failed. An invalid host is a validation error ("Invalid
  host"); a port that is not a number fails JAX-RS parameter conversion (404).
"""
from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
import ssl
from typing import Any, Optional

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from ..http import ApiError, Request, Response
from ..routing import Router
from ..state import NexusState
from ..validation import quoted

CONNECT_TIMEOUT = 5.0
PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
DOMAIN_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")


def register(router: Router, state: NexusState) -> None:
    router.add("GET", "/v1/security/ssl", retrieve_certificate)
    router.add("GET", "/v1/security/ssl/truststore", list_certificates)
    router.add("POST", "/v1/security/ssl/truststore", add_certificate, consumes="*/*")  # the specs: */*
    router.add("DELETE", "/v1/security/ssl/truststore/{id}", remove_certificate)
    state.seeders.append(lambda s: s.truststore.clear())


# --- certificates ------------------------------------------------------------------------------
def fingerprint(der: bytes) -> str:
    digest = hashlib.sha1(der).hexdigest().upper()  # noqa: S324 - Nexus's own id scheme
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def _rdns(name: x509.Name) -> dict[str, str]:
    """CertificateUtil.getRdns: a map of RDN type -> value; the left-most of repeated types wins
    (LdapName lists RDNs right to left and later puts overwrite)."""
    short = {NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATION_NAME: "O",
             NameOID.ORGANIZATIONAL_UNIT_NAME: "OU"}
    values: dict[str, str] = {}
    for rdn in reversed(list(name.rdns)):
        for attribute in rdn:
            key = short.get(attribute.oid)
            if key is not None:
                values[key] = str(attribute.value)
    return values


def describe(certificate: x509.Certificate) -> dict[str, Any]:
    """ApiCertificate.convert."""
    der = certificate.public_bytes(Encoding.DER)
    subject, issuer = _rdns(certificate.subject), _rdns(certificate.issuer)
    fp = fingerprint(der)
    return {"expiresOn": int(certificate.not_valid_after_utc.timestamp() * 1000),
            "fingerprint": fp, "id": fp,
            "issuedOn": int(certificate.not_valid_before_utc.timestamp() * 1000),
            "issuerCommonName": issuer.get("CN"), "issuerOrganization": issuer.get("O"),
            "issuerOrganizationalUnit": issuer.get("OU"),
            "pem": certificate.public_bytes(Encoding.PEM).decode("ascii"),
            "serialNumber": str(certificate.serial_number),
            "subjectCommonName": subject.get("CN"), "subjectOrganization": subject.get("O"),
            "subjectOrganizationalUnit": subject.get("OU")}


def parse_pem(text: str) -> Optional[x509.Certificate]:
    """CertificateUtil.decodePEMFormattedCertificate: the first PEM object, if a certificate."""
    block = PEM_BLOCK.search(text or "")
    if block is None or block.group(1) not in ("CERTIFICATE", "X509 CERTIFICATE"):
        return None
    try:
        return x509.load_pem_x509_certificate(block.group(0).encode("ascii"))
    except ValueError:
        return None


# --- trust store -------------------------------------------------------------------------------
def list_certificates(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json([dict(doc) for doc in state.truststore.values()])


def add_certificate(state: NexusState, req: Request) -> Response:
    text = req.body.decode("utf-8", errors="replace")
    certificate = parse_pem(text)
    errors = []
    if not text.strip():
        errors.append(("PARAMETER pem", "must not be blank"))
    if certificate is None:
        errors.append(("PARAMETER pem", "Invalid PEM formatted certificate"))
    if errors:
        raise ApiError.validation(errors)
    assert certificate is not None
    doc = describe(certificate)
    with state.lock:
        if doc["id"] in state.truststore:
            raise ApiError(409, {"id": "*", "message":
                                 f"\"A certificate already exists with the id: '{doc['id']}'.\""})
        state.truststore[doc["id"]] = doc
    return Response.json(doc, 201)


def remove_certificate(state: NexusState, req: Request) -> Response:
    cert_id = req.params["id"]
    with state.lock:
        if state.truststore.pop(cert_id.upper(), None) is None:
            raise quoted(404, f"No certificate with alias '{cert_id}' in trust store.")
    return Response.empty(204)


def trusted_pems(state: NexusState) -> list[str]:
    with state.lock:
        return [doc["pem"] for doc in state.truststore.values()]


# --- remote certificates -----------------------------------------------------------------------
def valid_host(host: str) -> bool:
    """Guava InternetDomainName.isValid || InetAddresses.isInetAddress."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if not name or len(name) > 253 or not all(DOMAIN_LABEL.match(label) for label in labels):
        return False
    return not labels[-1][0].isdigit()


def fetch_leaf(host: str, port: int) -> bytes:
    """The peer's leaf certificate (DER) over TLS, trusting anything, as CertificateRetriever."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    if not der:
        raise OSError("no peer certificate")
    return der


def retrieve_certificate(state: NexusState, req: Request) -> Response:
    host = req.arg("host")
    if host is None:
        raise ApiError.validation([("PARAMETER host", "must not be null"),
                                   ("PARAMETER host", "must not be empty")])
    if not host:
        raise ApiError.validation([("PARAMETER host", "must not be empty"),
                                   ("PARAMETER host", "Invalid host")])
    if not valid_host(host):
        raise ApiError.validation([("PARAMETER host", "Invalid host")])
    try:
        port = int(req.arg("port") or 443)
    except ValueError:
        raise ApiError(404)  # JAX-RS: an unconvertible @QueryParam is "not found"
    hint = req.arg("protocolHint")
    try:
        der = fetch_leaf(host, port)
    except (OSError, ssl.SSLError, ValueError):
        if hint is not None and hint.lower() != "https":
            raise quoted(400, f"Unable to retrieve certificate from host: {host}")
        raise quoted(400, f"Could not retrieve an SSL certificate from '{host}:{port}'")
    return Response.json(describe(x509.load_der_x509_certificate(der)))
