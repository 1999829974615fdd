"""The SSL trust store kind: certificates known by fingerprint, given as PEM or fetched from a
server through Nexus and trusted only with the expected fingerprint (in-process providers and
config checks against one 3.94 emulator)."""
from __future__ import annotations

import json
from typing import Iterator

import pytest
from cryptography.hazmat.primitives import hashes

from components import client as nexus_client
from components.config import validate
from components.kinds.truststore import TrustedCertificateProvider, fingerprint_of
from components.preflight import LiveFacts
from components.stack_config import StackConfig
from tests.emulator.testing import ADMIN_PASSWORD, Emulators, Nexus
from tests.local_servers import TlsServer, issue, server_context

CA = issue("Registry CA", ca=True)
LEAF = issue("registry.local", issuer=CA, hosts=("localhost", "127.0.0.1"))
OTHER = issue("Other CA", ca=True)


@pytest.fixture(scope="module")
def nexus(emulators: Emulators) -> Iterator[Nexus]:
    server = emulators.get("3.94.0", "community")
    nexus_client.use_stack_config({"nexus-registry:nexus": json.dumps({"url": server.base_url}),
                                   "nexus-registry:adminPassword": ADMIN_PASSWORD})
    yield server


def trusted(nexus: Nexus) -> list[str]:
    return sorted(c["fingerprint"] for c in nexus.get("/v1/security/ssl/truststore").json())


def test_fingerprint_is_nexus_id_scheme() -> None:
    digest = CA.certificate.fingerprint(hashes.SHA1())
    assert fingerprint_of("text before\n" + CA.pem + OTHER.pem) == ":".join(f"{b:02X}" for b in digest)
    assert fingerprint_of("-----BEGIN CERTIFICATE-----\nnot\n-----END CERTIFICATE-----") is None


def test_pem_cycle_taken_over_when_present_and_recreated_when_removed(nexus: Nexus) -> None:
    provider = TrustedCertificateProvider()
    checked = provider.check({}, {"name": "registry-ca", "pem": CA.pem})
    assert checked.failures == []
    spec = checked.inputs
    fingerprint = fingerprint_of(CA.pem)
    created = provider.create(spec)
    assert created.id == fingerprint and trusted(nexus) == [fingerprint]
    read = provider.read(created.id, created.outs)
    assert not provider.diff(created.id, read.inputs, spec).changes

    # The same certificate in another spelling of PEM (trailing text) is no change, no write.
    respelled = provider.check(spec, {"name": "registry-ca", "pem": CA.pem + "\n# comment\n"}).inputs
    assert provider.diff(created.id, created.outs, respelled).replaces == []

    # Another certificate is another object: a replacement.
    other = provider.check(spec, {"name": "registry-ca", "pem": OTHER.pem}).inputs
    assert provider.diff(created.id, created.outs, other).replaces == ["fingerprint"]

    assert nexus.delete(f"/v1/security/ssl/truststore/{fingerprint}").status_code == 204
    nexus_client.for_run().invalidate("truststore")
    assert provider.read(created.id, created.outs).id == ""  # drift: gone, the next up adds it again
    again = provider.create(spec)
    assert again.id == fingerprint and trusted(nexus) == [fingerprint]
    nexus_client.for_run().invalidate("truststore")
    assert provider.create(spec).id == fingerprint  # already there: taken over, no second POST
    provider.delete(created.id, created.outs)
    assert trusted(nexus) == []


def test_a_fetched_certificate_is_trusted_only_with_the_expected_fingerprint(nexus: Nexus) -> None:
    with TlsServer(server_context(LEAF, (CA,))) as remote:
        fetch = {"host": "127.0.0.1", "port": remote.port}
        good, wrong = fingerprint_of(LEAF.pem), fingerprint_of(OTHER.pem)
        values = {"nexus": {"url": nexus.base_url}, "adminPassword": ADMIN_PASSWORD,
                  "truststore": [{"name": "registry", "fetch": fetch, "fingerprint": wrong}]}
        client = nexus_client.for_run()
        facts = LiveFacts(client, (3, 94, 0), False)
        problems = {p.path: p.message for p in validate(StackConfig(values, frozenset({"adminPassword"})), facts)}
        assert problems == {"truststore[0].fingerprint": (
            f"127.0.0.1:{remote.port} presents {good} (subject CN=registry.local, issuer CN=Registry CA), not "
            f"{wrong}: not trusted. If that certificate is right, set fingerprint: {good}")}
        values["truststore"][0]["fingerprint"] = good.lower()
        assert validate(StackConfig(values, frozenset({"adminPassword"})), facts) == []

        provider = TrustedCertificateProvider()
        spec = provider.check({}, values["truststore"][0]).inputs
        created = provider.create(spec)
        assert created.id == good and trusted(nexus) == [good]
        provider.delete(created.id, created.outs)

        bad = provider.check({}, {"name": "registry", "fetch": fetch, "fingerprint": wrong}).inputs
        with pytest.raises(Exception, match="not trusted"):
            provider.create(bad)
        assert trusted(nexus) == []


@pytest.mark.parametrize("entries,path,fragment", [
    ([{"name": "a", "pem": "-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----"}], "truststore[0].pem",
     "is not a PEM certificate"),
    ([{"name": "a", "pem": CA.pem, "fingerprint": fingerprint_of(OTHER.pem)}], "truststore[0].fingerprint",
     "the PEM's fingerprint is"),
    ([{"name": "a", "pem": CA.pem}, {"name": "b", "pem": CA.pem}], "truststore[1]", "the same certificate as truststore[0]"),
    ([{"name": "a", "fetch": {"host": "registry.example.com"}}], "truststore[0]", "is not valid under any of the given schemas"),
    ([{"name": "a", "fromStack": True}], "truststore[0].fromStack", "this stack has no TLS material"),
    ([{"name": "a", "pem": CA.pem}, {"name": "A", "pem": OTHER.pem}], "truststore[1].name", "names are unique"),
])
def test_bad_entries_are_named_before_any_write(entries, path, fragment) -> None:
    values = {"nexus": {"url": "http://nexus:8081"}, "adminPassword": "Admin-Pw-1", "truststore": entries}
    found = {p.path: p.message for p in validate(StackConfig(values, frozenset({"adminPassword"})))}
    assert path in found and fragment in found[path], found
