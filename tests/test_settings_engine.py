"""Every server-wide setting in one stack through the real chain (stack YAML → Pulumi CLI →
providers → emulator): it converges on 3.94.0 Pro, a second preview is empty, the drift check
sees an out-of-band change in each, secrets never reach state or output, `nexusctl email verify`
sends through the configured SMTP server; and the same stack on 3.86.2 Community Edition fails
at preview naming exactly what that release and edition lack, before any write."""
from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from components.kinds.truststore import fingerprint_of
from nexusctl import drift
from tests.conftest import configure
from tests.harness import changed_steps, install_cli, nexusctl
from tests.local_servers import SmtpServer, TlsServer, issue, server_context
from tests.test_settings import IDP_METADATA

CA = issue("Registry CA", ca=True)
LEAF = issue("registry.local", issuer=CA, hosts=("127.0.0.1",))
SECRETS = {"http.httpsProxy.auth.password": "Proxy-Secret-1", "email.password": "Smtp-Secret-1",
           "security.crowd.applicationPassword": "Crowd-Secret-1", "iq.password": "Iq-Secret-1",
           "license.fileBase64": base64.b64encode(b"contactName=Platform Team\n").decode(),
           "blobStores[1].accountKey": "Azure-Key-1", "blobStores[2].credentialsJson": '{"private_key": "Gcs-Key-1"}'}


def everything(smtp_port: int, tls_port: int) -> dict[str, Any]:
    return {
        "license": {},
        "blobStores": [
            {"name": "group-member", "type": "file"},
            {"name": "azure-store", "type": "azure", "accountName": "nexusstore", "containerName": "nexus-blobs",
             "authenticationMethod": "ACCOUNTKEY"},
            {"name": "gcs-store", "type": "google", "bucket": "nexus-blobs", "region": "us-central1",
             "authenticationMethod": "accountKey"},
            {"name": "spread", "type": "group", "members": ["group-member"], "fillPolicy": "roundRobin"},
        ],
        "http": {"userAgentSuffix": "platform", "timeoutSeconds": 30, "nonProxyHosts": ["*.corp.example.com"],
                 "httpsProxy": {"host": "proxy.corp.example.com", "port": 3128, "auth": {"username": "nexus"}}},
        "email": {"host": "127.0.0.1", "port": smtp_port, "username": "nexus", "fromAddress": "nexus@example.com",
                  "subjectPrefix": "[nexus]"},
        "tls": {"hostnames": ["localhost"]},  # the stack's own CA, for the trust store's fromStack
        "truststore": [{"name": "registry-ca", "pem": CA.pem}, {"name": "stack-ca", "fromStack": True},
                       {"name": "registry", "fetch": {"host": "127.0.0.1", "port": tls_port},
                        "fingerprint": fingerprint_of(LEAF.pem)}],
        "capabilities": [{"type": "baseurl", "properties": {"url": "https://nexus.example.com"}}],
        "security": {
            "crowd": {"url": "https://crowd.example.com/crowd", "applicationName": "nexus"},
            "saml": {"idpMetadata": IDP_METADATA, "usernameAttribute": "uid"},
            "userTokens": {"protectContent": True, "expirationEnabled": True, "expirationDays": 90},
            "ssrfProtection": {"allowedIPs": ["10.0.0.0/8"]},
            "ipAllowlist": {"mode": "MONITOR", "entries": [{"ipOrCidr": "127.0.0.1", "description": "this host"}]},
        },
        "iq": {"url": "https://iq.example.com", "username": "nexus", "timeoutSeconds": 30},
    }


def merged(nexus: Any, path: str, **changes: Any) -> None:
    doc = nexus.rest("GET", path, nexus.password).json()
    assert nexus.rest("PUT", path, nexus.password, {**doc, **changes}).status_code in (200, 201, 204), path


@pytest.mark.engine
@pytest.mark.nexus(version="3.94.0", edition="pro")
def test_every_setting_converges_on_3_94_pro_and_each_drift_is_seen(workspace, nexus, tmp_path):
    install_cli(workspace)
    with SmtpServer(password="Smtp-Secret-1") as smtp, TlsServer(server_context(LEAF, (CA,))) as remote:
        configure(workspace, nexus, everything(smtp.port, remote.port), SECRETS)
        outputs = [workspace.preview().output, workspace.up().output]
        state = nexus.state()
        assert state["http_settings"]["httpsProxy"]["authInfo"]["password"] == "Proxy-Secret-1"
        assert state["email"]["password"] == "Smtp-Secret-1" and state["iq"]["password"] == "Iq-Secret-1"
        assert state["crowd"]["applicationPassword"] == "Crowd-Secret-1"
        assert state["license"]["contactName"] == "Platform Team"
        assert state["blobstores"]["azure-store"]["_accountKey"] == "Azure-Key-1"
        assert state["blobstores"]["spread"]["members"] == ["group-member"]
        stack_ca = json.loads(workspace.pulumi("stack", "output", "caCertPem", "--json", check=True).stdout)
        assert sorted(c["fingerprint"] for c in state["truststore"].values()) == \
            sorted((fingerprint_of(CA.pem), fingerprint_of(LEAF.pem), fingerprint_of(stack_ca)))
        assert changed_steps(workspace.preview_json()) == []  # a second preview is empty

        # Nexus sends mail through the configured server only when asked (never at up).
        assert smtp.mails == []
        sent = nexusctl(workspace, "email", "verify", "test", "ops@example.com", "--format", "json")
        assert sent.code == 0, sent.output
        assert json.loads(sent.stdout)["status"] == "sent"
        assert [m.recipients for m in smtp.mails] == [["ops@example.com"]] and smtp.mails[0].login == ("nexus", "Smtp-Secret-1")

        # Someone changes each of them in the UI.
        merged(nexus, "/v1/http", timeout=20)
        merged(nexus, "/v1/email", port=25, password="#~NXRM~PLACEHOLDER~PASSWORD~#")
        assert nexus.rest("DELETE", f"/v1/security/ssl/truststore/{fingerprint_of(CA.pem)}", nexus.password).status_code == 204
        [baseurl] = [c for c in nexus.rest("GET", "/v1/capabilities", nexus.password).json() if c["type"] == "baseurl"]
        assert nexus.rest("PUT", f"/v1/capabilities/{baseurl['id']}", nexus.password,
                          {**baseurl, "enabled": False}).status_code == 204
        merged(nexus, "/v1/security/atlassian-crowd", timeout=99)
        assert nexus.rest("DELETE", "/v1/security/saml", nexus.password).status_code == 204
        merged(nexus, "/v1/security/user-tokens", expirationDays=7)
        merged(nexus, "/v1/security/ssrf-protection", enabled=False)
        assert nexus.rest("POST", "/v1/security/ip-allowlist/entries", nexus.password,
                          {"ipOrCidr": "203.0.113.7"}).status_code == 201
        merged(nexus, "/v1/iq", showLink=True)
        azure = nexus.rest("GET", "/v1/blobstores/azure/azure-store", nexus.password).json()
        azure["bucketConfiguration"]["containerName"] = "moved-blobs"
        assert nexus.rest("PUT", "/v1/blobstores/azure/azure-store", nexus.password, azure).status_code == 204
        gcs = nexus.rest("GET", "/v1/blobstores/google/gcs-store", nexus.password).json()
        gcs["bucketConfiguration"]["bucket"]["prefix"] = "moved"
        assert nexus.rest("PUT", "/v1/blobstores/google/gcs-store", nexus.password, gcs).status_code == 204
        merged(nexus, "/v1/blobstores/group/spread", fillPolicy="writeToFirst")
        other = nexus.http.post(f"{nexus.url}/service/rest/v1/system/license", data=b"contactName=Someone Else\n",
                                headers={"Content-Type": "application/octet-stream"}, auth=("admin", nexus.password))
        assert other.status_code == 200

        found = nexusctl(workspace, "drift", "test", "--json", str(tmp_path / "drift.json"))
        assert found.code == drift.EXIT_DRIFT, found.output
        report = {d["name"]: d for d in json.loads((tmp_path / "drift.json").read_text())["drift"]}
        assert set(report) == {"http", "email", "truststore-registry-ca", "capability-baseurl", "crowd", "saml",
                               "user-tokens", "ssrf-protection", "ip-allowlist", "iq", "license", "azure-store",
                               "gcs-store", "spread"}, report
        assert report["saml"]["change"] == "deleted" and report["truststore-registry-ca"]["change"] == "deleted"
        outputs.append(found.output)

        restored = nexusctl(workspace, "pulumi", "test", "up", "--yes")
        assert restored.code == 0, restored.output
        outputs.append(restored.output)
        clean = nexusctl(workspace, "drift", "test")
        assert clean.code == drift.EXIT_CLEAN, clean.output
        assert nexus.state()["license"]["contactName"] == "Platform Team"

    for text in (*outputs, workspace.state_text()):
        for secret in SECRETS.values():
            assert secret not in text


@pytest.mark.engine
@pytest.mark.nexus(version="3.86.2", edition="community")
def test_the_same_stack_on_3_86_community_fails_at_preview_naming_what_it_lacks(workspace, nexus):
    with TlsServer(server_context(LEAF, (CA,))) as remote:
        configure(workspace, nexus, everything(25, remote.port), SECRETS)
        nexus.clear_log()
        result = workspace.preview()
    assert result.code != 0
    lacks = {
        "iq": "The IQ Server connection (/v1/iq) is only in Nexus Pro",
        "security.crowd": "Atlassian Crowd (/v1/security/atlassian-crowd) is only in Nexus Pro",
        "security.saml": "SAML (/v1/security/saml) is only in Nexus Pro",
        "security.userTokens": "User tokens (/v1/security/user-tokens) is only in Nexus Pro",
        "security.ssrfProtection": "SSRF protection settings (/v1/security/ssrf-protection) is only in Nexus 3.92 or later",
        "security.ipAllowlist": "The IP allow list (/v1/security/ip-allowlist) is only in Nexus Pro 3.94 or later",
        "blobStores[1]": "Azure blob stores (/v1/blobstores/azure) is only in Nexus Pro",
        "blobStores[2]": "Google Cloud blob stores (/v1/blobstores/google) is only in Nexus Pro 3.77 or later",
        "blobStores[3]": "Group blob stores (/v1/blobstores/group) is only in Nexus Pro",
    }
    problems = [line.strip()[2:] for line in result.output.splitlines() if line.strip().startswith("- ")]
    named = {p.split(":", 1)[0] for p in problems}
    assert named == set(lacks), result.output
    for path, message in lacks.items():
        assert f"{path}: {message}; this Nexus is 3.86.2 Community Edition." in result.output
    assert nexus.writes() == []
