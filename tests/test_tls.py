"""TlsMaterial: real crypto, the JDK's view of the keystore, renewal, secrets, and the real engine."""
from __future__ import annotations

import base64
import ipaddress
import json
import os
import shutil
import subprocess
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import PolicyBuilder, Store
from jsonschema import Draft202012Validator

from components.standup import tls as tls_module
from components.standup.tls import TlsSettings, generate_ca, renewal_due
from components.standup.tls_material import SECRET_OUTPUTS, TlsMaterialProvider, pending_changes
from tests.harness import engine_env, pulumi_binary

ROOT = Path(__file__).resolve().parent.parent
HOSTS = ["Registry.Example.test", "nexus.example.test", "*.apps.example.test"]
IPS = ["127.0.0.1", "::1"]
provider = TlsMaterialProvider()


def checked(**inputs: Any) -> dict[str, Any]:
    result = provider.check({}, inputs)
    assert not result.failures, [f.reason for f in result.failures]
    return result.inputs


def create(**inputs: Any) -> dict[str, Any]:
    return provider.create(checked(**inputs)).outs


@pytest.fixture(scope="module")
def material() -> dict[str, Any]:
    return create(hostnames=HOSTS, ipAddresses=IPS, validityDays=90, renewBeforeDays=20)


def cert_of(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


# --- the certificate -------------------------------------------------------------------------
def test_sans_cover_every_host_name_and_ip(material):
    cert = cert_of(material["certPem"])
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["registry.example.test", "nexus.example.test", "*.apps.example.test"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == IPS
    assert cert.subject.rfc4514_string() == "CN=registry.example.test"


def test_chain_verifies_for_server_auth_against_the_ca(material):
    ca = cert_of(material["caCertPem"])
    cert = cert_of(material["certPem"])
    store = Store([ca])
    for name in ("registry.example.test", "nexus.example.test", "team.apps.example.test"):
        verifier = PolicyBuilder().store(store).build_server_verifier(x509.DNSName(name))
        chain = verifier.verify(cert, [])
        assert chain[-1] == ca
    verifier = PolicyBuilder().store(store).build_server_verifier(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    verifier.verify(cert, [])
    with pytest.raises(Exception):
        PolicyBuilder().store(store).build_server_verifier(x509.DNSName("other.example.test")).verify(cert, [])


def test_extensions_server_auth_leaf_and_pathlen0_ca(material):
    cert, ca = cert_of(material["certPem"]), cert_of(material["caCertPem"])
    assert cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.SERVER_AUTH]
    )
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    ca_constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert ca_constraints.ca is True and ca_constraints.path_length == 0
    assert cert.not_valid_after_utc - cert.not_valid_before_utc <= timedelta(days=90, hours=1)
    assert material["notAfter"] == cert.not_valid_after_utc.isoformat()


def test_private_keys_match_their_certificates(material):
    key = serialization.load_pem_private_key(material["keyPem"].encode(), None)
    ca_key = serialization.load_pem_private_key(material["caKeyPem"].encode(), None)
    assert key.public_key().public_numbers() == cert_of(material["certPem"]).public_key().public_numbers()
    assert ca_key.public_key().public_numbers() == cert_of(material["caCertPem"]).public_key().public_numbers()


# --- the keystore ----------------------------------------------------------------------------
def test_keystore_holds_key_and_chain_under_alias_jetty(material):
    loaded = pkcs12.load_pkcs12(base64.b64decode(material["keystoreBase64"]), material["keystorePassword"].encode())
    assert loaded.cert.friendly_name == b"jetty"
    assert loaded.cert.certificate == cert_of(material["certPem"])
    assert [c.certificate for c in loaded.additional_certs] == [cert_of(material["caCertPem"])]


@pytest.mark.skipif(shutil.which("keytool") is None, reason="the JDK's keytool is not installed")
def test_jdk_keytool_reads_the_keystore(material, tmp_path):
    store = tmp_path / "keystore.jks"
    store.write_bytes(base64.b64decode(material["keystoreBase64"]))
    listing = subprocess.run(
        ["keytool", "-list", "-v", "-storetype", "PKCS12", "-keystore", str(store), "-storepass:env", "KS_PASSWORD"],
        env={**os.environ, "KS_PASSWORD": material["keystorePassword"]},
        capture_output=True, text=True, timeout=60,
    )
    assert listing.returncode == 0, listing.stderr
    out = listing.stdout
    assert "Your keystore contains 1 entry" in out
    assert "Alias name: jetty" in out
    assert "Entry type: PrivateKeyEntry" in out
    assert "Certificate chain length: 2" in out
    for san in ("DNSName: registry.example.test", "DNSName: nexus.example.test", "DNSName: *.apps.example.test",
                "IPAddress: 127.0.0.1", "IPAddress: 0:0:0:0:0:0:0:1"):
        assert san in out
    assert "serverAuth" in out
    wrong = subprocess.run(
        ["keytool", "-list", "-storetype", "PKCS12", "-keystore", str(store), "-storepass", "not-the-password"],
        capture_output=True, text=True, timeout=60,
    )
    assert wrong.returncode != 0


# --- check -----------------------------------------------------------------------------------
def failures(**inputs: Any) -> dict[str, str]:
    return {f.property: f.reason for f in provider.check({}, inputs).failures}


def test_check_normalizes_and_fills_defaults():
    inputs = checked(hostnames=["A.Example.test.", "a.example.test"], ipAddresses=["::0001"], validityDays=60.0)
    assert inputs == {
        "hostnames": ["a.example.test"], "ipAddresses": ["::1"], "validityDays": 60,
        "caValidityDays": 3650, "renewBeforeDays": 30,
    }
    assert isinstance(inputs["validityDays"], int)


def test_check_names_the_property_and_the_config_fix():
    found = failures(hostnames=["ok.example.test", "bad_host", "10.0.0.1"], ipAddresses=["10.0.0.300"],
                     validityDays=30, renewBeforeDays=30, keystorePassword="OBF:1v2j1uum")
    assert set(found) == {"hostnames[1]", "hostnames[2]", "ipAddresses[0]", "renewBeforeDays", "keystorePassword"}
    assert "nexus-registry:tls.hostnames[1]" in found["hostnames[1]"]
    assert "list it under ipAddresses" in found["hostnames[2]"]
    assert "smaller than validityDays" in found["renewBeforeDays"]
    assert "OBF:" in found["keystorePassword"] and "1v2j1uum" not in found["keystorePassword"]
    assert "at least 6" in failures(hostnames=["a.test"], keystorePassword="12345")["keystorePassword"]
    assert "at least one host name" in failures(hostnames=[], ipAddresses=[])["hostnames"]


def test_check_validates_a_supplied_ca_without_echoing_the_key():
    ca_cert, ca_key = generate_ca(365)
    other_cert, _ = generate_ca(365)
    key_pem = tls_module.key_to_pem(ca_key)
    assert "tls.ca.keyPem" in failures(hostnames=["a.test"], caCertPem=tls_module.cert_to_pem(ca_cert))["caKeyPem"]
    mismatch = failures(hostnames=["a.test"], caCertPem=tls_module.cert_to_pem(other_cert), caKeyPem=key_pem)
    assert "does not belong" in mismatch["caCertPem"] and "PRIVATE KEY" not in mismatch["caCertPem"]
    leaf = create(hostnames=["leaf.test"])
    not_ca = failures(hostnames=["a.test"], caCertPem=leaf["certPem"], caKeyPem=leaf["keyPem"])
    assert "CA:TRUE" in not_ca["caCertPem"]


def test_check_skips_values_unknown_during_preview():
    from pulumi.runtime.rpc import UNKNOWN

    assert failures(hostnames=UNKNOWN, ipAddresses=[UNKNOWN], keystorePassword=UNKNOWN) == {}


# --- diff / update / read --------------------------------------------------------------------
def test_no_change_right_after_create(material):
    news = checked(hostnames=HOSTS, ipAddresses=IPS, validityDays=90, renewBeforeDays=20)
    assert pending_changes(material, news) == []
    assert provider.diff("id", material, news).changes is False


def test_san_change_reissues_under_the_same_ca(material):
    news = checked(hostnames=HOSTS + ["new.example.test"], ipAddresses=IPS, validityDays=90, renewBeforeDays=20)
    assert provider.diff("id", material, news).changes is True
    outs = provider.update("id", material, news).outs
    assert outs["caCertPem"] == material["caCertPem"] and outs["caKeyPem"] == material["caKeyPem"]
    assert outs["certPem"] != material["certPem"]
    assert "new.example.test" in cert_of(outs["certPem"]).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert outs["keystorePassword"] == material["keystorePassword"]  # generated once, kept
    assert pending_changes(outs, news) == []


def test_renewal_window_triggers_reissue(material, monkeypatch):
    news = checked(hostnames=HOSTS, ipAddresses=IPS, validityDays=90, renewBeforeDays=20)
    not_after = cert_of(material["certPem"]).not_valid_after_utc
    outside = not_after - timedelta(days=21)
    inside = not_after - timedelta(days=19)
    assert not renewal_due(material["certPem"], 20, outside)
    assert renewal_due(material["certPem"], 20, inside)

    monkeypatch.setattr(tls_module, "now_utc", lambda: outside)
    assert provider.diff("id", material, news).changes is False
    monkeypatch.setattr(tls_module, "now_utc", lambda: inside)
    assert provider.diff("id", material, news).changes is True
    assert pending_changes(material, news, inside) == ["certRenewal"]

    outs = provider.update("id", material, news).outs
    assert cert_of(outs["certPem"]).not_valid_after_utc > not_after
    assert outs["caCertPem"] == material["caCertPem"]
    assert outs["keystoreBase64"] != material["keystoreBase64"]
    assert pending_changes(outs, news, inside) == []


def test_setting_only_change_keeps_certificate_and_keystore_bytes(material):
    news = checked(hostnames=HOSTS, ipAddresses=IPS, validityDays=90, renewBeforeDays=10)
    assert provider.diff("id", material, news).changes is True
    outs = provider.update("id", material, news).outs
    assert outs["certPem"] == material["certPem"]
    assert outs["keystoreBase64"] == material["keystoreBase64"]  # no container restart for nothing
    assert outs["renewBeforeDays"] == 10


def test_new_keystore_password_rebuilds_only_the_keystore(material):
    news = checked(hostnames=HOSTS, ipAddresses=IPS, validityDays=90, renewBeforeDays=20, keystorePassword="s3cret-pass")
    assert pending_changes(material, news) == ["keystorePassword"]
    outs = provider.update("id", material, news).outs
    assert outs["certPem"] == material["certPem"]
    assert pkcs12.load_pkcs12(base64.b64decode(outs["keystoreBase64"]), b"s3cret-pass").key is not None


def test_expiring_generated_ca_is_replaced(monkeypatch):
    outs = create(hostnames=["a.example.test"], validityDays=10, caValidityDays=40, renewBeforeDays=5)
    news = checked(hostnames=["a.example.test"], validityDays=10, caValidityDays=40, renewBeforeDays=5)
    later = cert_of(outs["caCertPem"]).not_valid_after_utc - timedelta(days=4)
    monkeypatch.setattr(tls_module, "now_utc", lambda: later)
    assert "caRenewal" in pending_changes(outs, news)
    renewed = provider.update("id", outs, news).outs
    assert renewed["caCertPem"] != outs["caCertPem"]
    assert cert_of(renewed["certPem"]).issuer == cert_of(renewed["caCertPem"]).subject


def test_supplied_ca_and_password_are_used_and_a_new_ca_reissues():
    ca_cert, ca_key = generate_ca(3650)
    ca_pem, key_pem = tls_module.cert_to_pem(ca_cert), tls_module.key_to_pem(ca_key)
    inputs = dict(hostnames=["registry.corp.test"], caCertPem=ca_pem, caKeyPem=key_pem, keystorePassword="changeit-123")
    outs = create(**inputs)
    assert outs["caGenerated"] is False and outs["caKeyPem"] is None
    assert outs["caCertPem"] == ca_pem and outs["keystorePassword"] == "changeit-123"
    cert_of(outs["certPem"]).verify_directly_issued_by(ca_cert)
    assert provider.diff("id", outs, checked(**inputs)).changes is False

    other_cert, other_key = generate_ca(3650)
    switched = checked(**{**inputs, "caCertPem": tls_module.cert_to_pem(other_cert), "caKeyPem": tls_module.key_to_pem(other_key)})
    assert pending_changes(outs, switched) == ["caCertPem"]
    reissued = provider.update("id", outs, switched).outs
    cert_of(reissued["certPem"]).verify_directly_issued_by(other_cert)

    generated = checked(hostnames=["registry.corp.test"], keystorePassword="changeit-123")
    assert pending_changes(outs, generated) == ["caCertPem"]  # supplied CA removed: generate one


def test_read_answers_the_stored_state(material):
    result = provider.read("tls-1", material)
    assert result.id == "tls-1" and result.outs == material and result.inputs is None


def test_provider_is_stateless_and_secret_outputs_are_declared():
    assert vars(TlsMaterialProvider()) == {}
    assert set(SECRET_OUTPUTS) == {"keyPem", "caKeyPem", "keystoreBase64", "keystorePassword"}


def test_settings_from_config_and_schema_defaults_agree():
    schema = json.loads((ROOT / "schemas" / "tls.schema.json").read_text())
    props = schema["properties"]
    defaults = TlsSettings.from_config({"hostnames": ["a.test"]})
    assert defaults.enabled is props["enabled"]["default"] is True
    assert defaults.validity_days == props["validityDays"]["default"]
    assert defaults.renew_before_days == props["renewBeforeDays"]["default"]
    assert defaults.ca_validity_days == props["ca"]["properties"]["validityDays"]["default"]
    assert defaults.jetty_https is props["jettyHttps"]["default"]
    assert defaults.https_port == props["httpsPort"]["default"]
    assert TlsSettings.from_config(None).enabled is False
    assert TlsSettings.from_config({"enabled": False, "jettyHttps": True}).jetty_https is False


def test_schema_is_valid_documented_and_closed():
    schema = json.loads((ROOT / "schemas" / "tls.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    ca = schema["properties"]["ca"]
    for node in (schema, ca):
        assert node["additionalProperties"] is False
        assert all(v.get("description") for v in node["properties"].values())
    validator = Draft202012Validator(schema)
    assert not list(validator.iter_errors({
        "hostnames": ["registry.example.test"], "ipAddresses": ["10.0.0.5"], "validityDays": 365,
        "renewBeforeDays": 30, "jettyHttps": True, "httpsPort": 8443, "keystorePassword": "secret-123",
        "ca": {"certPem": "-----BEGIN CERTIFICATE-----", "keyPem": "-----BEGIN PRIVATE KEY-----"},
    }))
    for bad in ({"ca": {"certPem": "x"}}, {"validityDays": 0}, {"keystorePassword": "short"}, {"hostname": "x"}):
        assert list(validator.iter_errors(bad)), bad


# --- the real engine -------------------------------------------------------------------------
PROGRAM = textwrap.dedent("""\
    import pulumi
    import components.kinds  # the table every provider pickles through (components/resource.py)
    from components.standup.tls import TlsSettings
    from components.standup.tls_material import TlsMaterial

    cfg = pulumi.Config()
    generated = TlsMaterial("generated", TlsSettings.from_config({
        "hostnames": cfg.require_object("hostnames"), "ipAddresses": ["127.0.0.1"],
    }))
    supplied = TlsMaterial("supplied", TlsSettings.from_config({
        "hostnames": ["registry.example.test"], "keystorePassword": cfg.require_secret("keystorePassword"),
    }))
    for name, tls in (("generated", generated), ("supplied", supplied)):
        pulumi.export(name, {
            "caCertPem": tls.ca_cert_pem, "certPem": tls.cert_pem, "notAfter": tls.not_after,
            "keyPem": tls.key_pem, "caKeyPem": tls.ca_key_pem,
            "keystoreBase64": tls.keystore_base64, "keystorePassword": tls.keystore_password,
        })
""")


@pytest.mark.engine
def test_real_engine_keeps_secrets_encrypted_and_is_idempotent(tmp_path):
    try:
        pulumi = pulumi_binary()
    except RuntimeError as e:
        pytest.skip(str(e))
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: tls-engine-test\nruntime:\n  name: python\n")
    (project / "__main__.py").write_text(PROGRAM)
    backend = tmp_path / "state"
    backend.mkdir()
    env = {**engine_env(backend), "PYTHONPATH": str(ROOT)}

    def run(*args: str) -> str:
        done = subprocess.run([pulumi, *args, "--non-interactive"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"pulumi {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    user_password = "user-supplied-ks-password"
    run("stack", "init", "test")
    run("config", "set", "--path", "hostnames[0]", "registry.example.test")
    run("config", "set", "--secret", "keystorePassword", user_password)
    run("up", "--yes", "--skip-preview")

    outputs = json.loads(run("stack", "output", "--json", "--show-secrets"))
    exported = run("stack", "export")
    states = {r["urn"].rsplit("::", 1)[-1]: r["outputs"] for r in json.loads(exported)["deployment"]["resources"]
              if r["type"] == "pulumi-python:dynamic/nexus:TlsMaterial"}
    for name in ("generated", "supplied"):
        out = outputs[name]
        assert "BEGIN PRIVATE KEY" in out["keyPem"]
        assert states[name]["certPem"] == out["certPem"]  # public material stays readable
        for secret in ("keyPem", "keystoreBase64", "keystorePassword"):
            assert out[secret] not in exported, f"{name}.{secret} is stored in plain text"
    assert outputs["generated"]["caKeyPem"] not in exported
    assert user_password not in exported
    assert "PRIVATE KEY" not in exported
    assert outputs["supplied"]["keystorePassword"] == user_password

    run("preview", "--expect-no-changes")

    # A new host name: the engine runs diff + update, the CA stays, the secrets stay encrypted.
    run("config", "set", "--path", "hostnames[1]", "nexus.example.test")
    run("up", "--yes", "--skip-preview")
    updated = json.loads(run("stack", "output", "--json", "--show-secrets"))
    assert updated["generated"]["caCertPem"] == outputs["generated"]["caCertPem"]
    assert updated["generated"]["certPem"] != outputs["generated"]["certPem"]
    assert updated["supplied"] == outputs["supplied"]
    assert "PRIVATE KEY" not in run("stack", "export")
    run("preview", "--expect-no-changes")
