"""The emulator's SSL trust store and remote-certificate endpoint against real-Nexus behaviour
(cases and sources: tests/emulator/handlers/truststore.py), including the trust store's effect
on email sent over TLS. Local TLS and SMTP servers stand in for the remotes."""
from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from tests.emulator.testing import Emulators, Nexus
from tests.local_servers import Certificate, SmtpServer, TlsServer, issue, server_context

TRUSTSTORE = "/v1/security/ssl/truststore"


@pytest.fixture
def nexus(emulators: Emulators) -> Nexus:
    return emulators.get("3.86.2", "community")


@pytest.fixture(scope="module")
def pki() -> dict[str, Certificate]:
    ca = issue("Test Root CA", ca=True, organization="Test PKI", unit="Ops")
    leaf = issue("localhost", issuer=ca, organization="Registry Inc", unit="Platform",
                 hosts=("localhost", "127.0.0.1"))
    return {"ca": ca, "leaf": leaf, "other": issue("Other CA", ca=True)}


def fingerprint_of(cert: Certificate) -> str:
    digest = hashlib.sha1(cert.certificate.public_bytes(Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, 40, 2))


def add(nexus: Nexus, pem: str) -> object:
    return nexus.post(TRUSTSTORE, data=pem.encode(), headers={"Content-Type": "application/x-pem-file"})


def test_add_list_and_remove_a_certificate(nexus: Nexus, pki: dict[str, Certificate]) -> None:
    assert nexus.get(TRUSTSTORE).json() == []
    response = add(nexus, pki["ca"].pem)
    assert response.status_code == 201
    doc = response.json()
    cert = pki["ca"].certificate
    assert doc == {"id": fingerprint_of(pki["ca"]), "fingerprint": fingerprint_of(pki["ca"]),
                   "pem": pki["ca"].pem, "serialNumber": str(cert.serial_number),
                   "subjectCommonName": "Test Root CA", "subjectOrganization": "Test PKI",
                   "subjectOrganizationalUnit": "Ops", "issuerCommonName": "Test Root CA",
                   "issuerOrganization": "Test PKI", "issuerOrganizationalUnit": "Ops",
                   "issuedOn": int(cert.not_valid_before_utc.timestamp() * 1000),
                   "expiresOn": int(cert.not_valid_after_utc.timestamp() * 1000)}
    assert nexus.get(TRUSTSTORE).json() == [doc]
    duplicate = add(nexus, pki["ca"].pem)
    assert duplicate.status_code == 409
    assert duplicate.json() == {"id": "*", "message": "\"A certificate already exists with the id: "
                                                      f"'{doc['id']}'.\""}
    assert nexus.delete(f"{TRUSTSTORE}/{doc['id'].lower()}").status_code == 204
    assert nexus.get(TRUSTSTORE).json() == []
    missing = nexus.delete(f"{TRUSTSTORE}/{doc['id']}")
    assert missing.status_code == 404
    assert missing.json() == {"id": "*", "message": f"\"No certificate with alias '{doc['id']}' "
                                                    "in trust store.\""}


def test_only_the_first_pem_object_is_read(nexus: Nexus, pki: dict[str, Certificate]) -> None:
    bundle = pki["leaf"].pem + pki["ca"].pem
    assert add(nexus, bundle).json()["subjectCommonName"] == "localhost"
    assert [c["subjectCommonName"] for c in nexus.get(TRUSTSTORE).json()] == ["localhost"]
    key_first = pki["ca"].key_pem + pki["ca"].pem
    assert add(nexus, key_first).status_code == 400


@pytest.mark.parametrize("body,errors", [
    ("not a certificate", [{"id": "PARAMETER pem", "message": "Invalid PEM formatted certificate"}]),
    ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
     [{"id": "PARAMETER pem", "message": "Invalid PEM formatted certificate"}]),
    ("", [{"id": "PARAMETER pem", "message": "must not be blank"},
          {"id": "PARAMETER pem", "message": "Invalid PEM formatted certificate"}]),
])
def test_invalid_pem_is_a_validation_error(nexus: Nexus, body: str, errors: list) -> None:
    response = add(nexus, body)
    assert response.status_code == 400 and response.json() == errors
    assert nexus.get(TRUSTSTORE).json() == []


def test_fetching_a_remote_answers_its_leaf_certificate(nexus: Nexus,
                                                        pki: dict[str, Certificate]) -> None:
    """The chain's first certificate, with no trust decision and nothing stored."""
    with TlsServer(server_context(pki["leaf"], chain=(pki["ca"],))) as server:
        response = nexus.get("/v1/security/ssl", params={"host": "127.0.0.1", "port": server.port})
        hinted = nexus.get("/v1/security/ssl", params={"host": "localhost", "port": server.port,
                                                        "protocolHint": "https"})
    assert response.status_code == 200
    doc = response.json()
    assert (doc["id"], doc["subjectCommonName"], doc["subjectOrganization"],
            doc["subjectOrganizationalUnit"], doc["issuerCommonName"]) == (
        fingerprint_of(pki["leaf"]), "localhost", "Registry Inc", "Platform", "Test Root CA")
    assert doc["pem"] == pki["leaf"].pem
    assert hinted.json() == doc
    assert nexus.get(TRUSTSTORE).json() == []


def test_fetch_failures(nexus: Nexus) -> None:
    with SmtpServer() as plain:  # speaks, but not TLS
        port = plain.port
        not_tls = nexus.get("/v1/security/ssl", params={"host": "127.0.0.1", "port": port})
        hinted = nexus.get("/v1/security/ssl", params={"host": "127.0.0.1", "port": port,
                                                        "protocolHint": "ldaps"})
    assert not_tls.status_code == 400
    assert not_tls.json() == {"id": "*", "message": "\"Could not retrieve an SSL certificate from "
                                                    f"'127.0.0.1:{port}'\""}
    assert hinted.json() == {"id": "*",
                             "message": "\"Unable to retrieve certificate from host: 127.0.0.1\""}
    closed = nexus.get("/v1/security/ssl", params={"host": "127.0.0.1", "port": port})
    assert closed.status_code == 400


@pytest.mark.parametrize("params,status,messages", [
    ({}, 400, ["must not be null", "must not be empty"]),
    ({"host": "https://registry.test"}, 400, ["Invalid host"]),
    ({"host": "bad host"}, 400, ["Invalid host"]),
    ({"host": "registry.test", "port": "https"}, 404, None),
])
def test_fetch_parameter_checks(nexus: Nexus, params: dict, status: int, messages: list) -> None:
    response = nexus.get("/v1/security/ssl", params=params)
    assert response.status_code == status
    if messages is not None:
        assert [e["message"] for e in response.json()] == messages
        assert {e["id"] for e in response.json()} == {"PARAMETER host"}


@pytest.mark.parametrize("trust_ca,success", [(True, True), (False, False)])
def test_email_over_tls_trusts_what_the_trust_store_holds(nexus: Nexus, pki: dict[str, Certificate],
                                                          trust_ca: bool, success: bool) -> None:
    """nexusTrustStoreEnabled: Nexus's trust store decides whether a private CA is trusted."""
    if trust_ca:
        add(nexus, pki["ca"].pem)
    context = server_context(pki["leaf"], chain=(pki["ca"],))
    with SmtpServer(context, implicit_tls=True) as smtp:
        nexus.put("/v1/email", {"enabled": True, "host": "localhost", "port": smtp.port,
                                "fromAddress": "nexus@example.org", "sslOnConnectEnabled": True,
                                "sslServerIdentityCheckEnabled": True,
                                "nexusTrustStoreEnabled": True})
        result = nexus.post("/v1/email/verify", data="ops@example.org").json()
    assert result["success"] is success
    assert len(smtp.mails) == (1 if success else 0)


def test_starttls_upgrade(nexus: Nexus, pki: dict[str, Certificate]) -> None:
    add(nexus, pki["ca"].pem)
    with SmtpServer(server_context(pki["leaf"], chain=(pki["ca"],))) as smtp:
        nexus.put("/v1/email", {"host": "127.0.0.1", "port": smtp.port, "enabled": True,
                                "fromAddress": "nexus@example.org", "startTlsEnabled": True,
                                "startTlsRequired": True, "nexusTrustStoreEnabled": True})
        assert nexus.post("/v1/email/verify", data="ops@example.org").json()["success"] is True
    with SmtpServer() as no_tls:
        nexus.put("/v1/email", {"host": "127.0.0.1", "port": no_tls.port,
                                "fromAddress": "nexus@example.org", "startTlsRequired": True})
        assert nexus.post("/v1/email/verify", data="ops@example.org").json()["success"] is False
