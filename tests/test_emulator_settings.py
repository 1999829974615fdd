"""The emulator's server-wide settings against real-Nexus behaviour: which release and edition
has which endpoint, outbound HTTP, email, capability types, SAML, user tokens, Crowd, the IP
allow list, the IQ connection and the licence. Straight HTTP, no Pulumi.

Where each case comes from is said in the handler modules' docstrings
(tests/emulator/handlers/{http_settings,email,capabilities,security_pro,ip_allowlist,iq,
license}.py); the trust store and the cloud/group blob stores have their own test modules.
"""
from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.handlers.support import PLACEHOLDER
from tests.emulator.testing import Emulators, Nexus
from tests.local_servers import SmtpServer

CE68, CE86, PRO86, CE94, PRO94 = (("3.68.1", "community"), ("3.86.2", "community"),
                                  ("3.86.2", "pro"), ("3.94.0", "community"), ("3.94.0", "pro"))


@pytest.fixture
def pro(emulators: Emulators) -> Nexus:
    return emulators.get(*PRO94)


# --- which release and edition has what ---------------------------------------------------------
# (method, path, {server: expected status}); a missing endpoint answers like an unknown path:
# 404, or 405 where another route owns the path (JAX-RS).
GATES = [
    ("GET", "/v1/http", {CE68: 404, CE86: 200, PRO86: 200, CE94: 200, PRO94: 200}),
    ("GET", "/v1/email", {CE68: 200, CE86: 200, PRO94: 200}),
    ("GET", "/v1/security/ssl/truststore", {CE68: 200, CE86: 200, PRO94: 200}),
    ("GET", "/v1/capabilities/types", {CE68: 404, CE86: 405, CE94: 200, PRO94: 200}),
    ("GET", "/v1/security/saml", {CE86: 404, CE94: 404, PRO86: 404, PRO94: 404}),
    ("GET", "/v1/security/saml/metadata", {CE94: 404, PRO94: 404}),
    ("GET", "/v1/security/user-tokens", {CE68: 404, CE94: 404, PRO86: 200, PRO94: 200}),
    ("GET", "/v1/security/atlassian-crowd", {CE86: 404, CE94: 404, PRO86: 200, PRO94: 200}),
    ("GET", "/v1/security/ip-allowlist", {CE94: 404, PRO86: 404, PRO94: 200}),
    ("GET", "/v1/security/ssrf-protection", {CE86: 404, CE94: 200, PRO94: 200}),
    ("GET", "/v1/iq", {CE86: 404, CE94: 404, PRO86: 200, PRO94: 200}),
    ("GET", "/v1/system/license", {CE68: 404, CE86: 402, CE94: 402, PRO86: 200, PRO94: 200}),
    ("POST", "/v1/blobstores/azure", {CE86: 405, CE94: 405}),
    ("GET", "/v1/blobstores/azure/x", {CE86: 404, PRO86: 404, PRO94: 404}),
    ("POST", "/v1/blobstores/group", {CE94: 405}),
    ("GET", "/v1/blobstores/google/x", {CE68: 404, CE94: 404, PRO86: 404}),
    # boundaries: first release read with the 3.86.2 spec; SSRF protection from 3.92
    ("GET", "/v1/http", {("3.76.0", "pro"): 404, ("3.77.0", "community"): 200}),
    ("POST", "/v1/blobstores/google", {("3.76.0", "pro"): 405, ("3.77.0", "pro"): 400}),
    ("GET", "/v1/security/ssrf-protection", {("3.91.0", "community"): 404,
                                             ("3.92.0", "community"): 200}),
]


@pytest.mark.parametrize("method,path,expected", GATES,
                         ids=[f"{m} {p}" for m, p, _ in GATES])
def test_endpoints_exist_per_release_and_edition(emulators: Emulators, method: str, path: str,
                                                 expected: dict[tuple[str, str], int]) -> None:
    for server, status in expected.items():
        nexus = emulators.get(*server)
        assert nexus.request(method, path).status_code == status, (server, method, path)


def test_saml_is_a_pro_endpoint_that_is_unconfigured_at_first(emulators: Emulators) -> None:
    """A 404 on Pro means "not configured" and goes away once configured; on CE it stays."""
    for server, after in ((PRO94, 200), (CE94, 404)):
        nexus = emulators.get(*server)
        nexus.put("/v1/security/saml", saml())
        assert nexus.get("/v1/security/saml").status_code == after


# --- outbound HTTP -----------------------------------------------------------------------------
def proxy(host: str = "proxy.example.com", port: Any = "3128", **auth: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"enabled": True, "host": host, "port": port}
    if auth:
        body["authInfo"] = {"enabled": True, **auth}
    return body


def test_http_settings_fresh_server_answers_the_defaults(pro: Nexus) -> None:
    assert pro.get("/v1/http").json() == {"userAgent": None, "timeout": 20, "retries": 2,
                                          "httpProxy": None, "httpsProxy": None,
                                          "nonProxyHosts": None}


def test_http_settings_round_trip_masks_passwords_and_keeps_them_on_placeholder(pro: Nexus) -> None:
    body = {"userAgent": "corp", "timeout": 30, "retries": 3,
            "httpProxy": proxy(username="u", password="secret"),
            "httpsProxy": proxy("10.0.0.1", 8443, username="n", password="pw", ntlmHost="ws",
                                ntlmDomain="CORP"),
            "nonProxyHosts": ["*.corp.example", "localhost", "localhost"]}
    assert pro.put("/v1/http", body).status_code == 204
    got = pro.get("/v1/http").json()
    assert got == {"userAgent": "corp", "timeout": 30, "retries": 3,
                   "httpProxy": {"enabled": True, "host": "proxy.example.com", "port": "3128",
                                 "authInfo": {"enabled": True, "username": "u",
                                              "password": PLACEHOLDER, "ntlmHost": None,
                                              "ntlmDomain": None}},
                   "httpsProxy": {"enabled": True, "host": "10.0.0.1", "port": "8443",
                                  "authInfo": {"enabled": True, "username": "n",
                                               "password": PLACEHOLDER, "ntlmHost": "ws",
                                               "ntlmDomain": "CORP"}},
                   "nonProxyHosts": ["*.corp.example", "localhost"]}
    assert pro.put("/v1/http", got).status_code == 204  # read-modify-write keeps the secrets
    stored = pro.state.http_settings
    assert (stored["httpProxy"]["authInfo"]["password"],
            stored["httpsProxy"]["authInfo"]["password"]) == ("secret", "pw")
    body["httpProxy"]["authInfo"]["password"] = "rotated"
    pro.put("/v1/http", body)
    assert pro.state.http_settings["httpProxy"]["authInfo"]["password"] == "rotated"


def test_http_settings_disabled_proxy_and_auth_are_not_kept(pro: Nexus) -> None:
    pro.put("/v1/http", {"httpProxy": proxy(username="u", password="p"), "timeout": 5})
    body = {"httpProxy": dict(proxy(), authInfo={"enabled": False, "username": "u"}),
            "httpsProxy": {"enabled": False, "host": "ignored", "port": "1"}}
    assert pro.put("/v1/http", body).status_code == 204
    got = pro.get("/v1/http").json()
    assert got["httpProxy"]["authInfo"] is None and got["httpsProxy"] is None
    assert got["timeout"] == 20, "a PUT replaces everything: a left-out timeout is the default"


def test_http_settings_delete_resets(pro: Nexus) -> None:
    pro.put("/v1/http", {"httpProxy": proxy(), "retries": 5, "userAgent": "x"})
    assert pro.delete("/v1/http").status_code == 204
    assert pro.get("/v1/http").json()["httpProxy"] is None


HTTP_INVALID = [
    ({"timeout": 0}, "PARAMETER timeout", "must be greater than or equal to 1"),
    ({"timeout": 3601}, "PARAMETER timeout", "must be less than or equal to 3600"),
    ({"retries": 11}, "PARAMETER retries", "must be less than or equal to 10"),
    ({"nonProxyHosts": ["a|b"]}, "PARAMETER nonProxyHosts",
     "Invalid Java http.nonProxyHosts expression"),
    ({"nonProxyHosts": ["*a*b"]}, "PARAMETER nonProxyHosts",
     "Invalid Java http.nonProxyHosts expression"),
    ({"httpProxy": proxy(host="http://proxy")}, "PARAMETER httpProxy.host",
     "Hostname must be valid"),
    ({"httpProxy": proxy(host="")}, "PARAMETER httpProxy.host", "must not be blank"),
    ({"httpsProxy": proxy(port="70000")}, "PARAMETER httpsProxy.port",
     "Port-number must be >= 1 AND <= 65535."),
    ({"httpsProxy": proxy(port="x")}, "PARAMETER httpsProxy.port",
     "Port-number must be >= 1 AND <= 65535."),
]


@pytest.mark.parametrize("body,error_id,message", HTTP_INVALID,
                         ids=[e[1] + ":" + e[2][:20] for e in HTTP_INVALID])
def test_http_settings_validation(pro: Nexus, body: dict, error_id: str, message: str) -> None:
    response = pro.put("/v1/http", body)
    assert response.status_code == 400
    assert {"id": error_id, "message": message} in response.json()
    assert pro.get("/v1/http").json()["httpProxy"] is None, "nothing is written"


def test_http_settings_wrong_json_types_fail_like_jackson(pro: Nexus) -> None:
    response = pro.put("/v1/http", {"timeout": "soon"})
    assert response.status_code == 400 and response.text.startswith("Unable to process JSON")


# --- email -------------------------------------------------------------------------------------
def email(**overrides: Any) -> dict[str, Any]:
    body = {"enabled": True, "host": "127.0.0.1", "port": 25, "username": "mailer",
            "password": "smtp-pw", "fromAddress": "nexus@example.org",
            "subjectPrefix": "[nexus]", "startTlsEnabled": False, "startTlsRequired": False,
            "sslOnConnectEnabled": False, "sslServerIdentityCheckEnabled": False,
            "nexusTrustStoreEnabled": False}
    body.update(overrides)
    return body


def test_email_defaults_put_and_delete(emulators: Emulators) -> None:
    nexus = emulators.get(*CE68)
    fresh = nexus.get("/v1/email").json()
    assert (fresh["enabled"], fresh["host"], fresh["port"], fresh["fromAddress"],
            fresh["password"]) == (False, "localhost", 25, "nexus@example.org", None)
    assert nexus.put("/v1/email", email(username=None)).status_code == 204
    got = nexus.get("/v1/email").json()
    assert got == dict(email(), username="", password=None)
    assert nexus.delete("/v1/email").status_code == 204
    cleared = nexus.get("/v1/email").json()
    assert (cleared["host"], cleared["port"], cleared["fromAddress"]) == (None, 0, None)


def test_email_password_placeholder_keeps_blank_clears(pro: Nexus) -> None:
    pro.put("/v1/email", email())
    pro.put("/v1/email", email(password=PLACEHOLDER, port=2525))
    assert pro.state.email["password"] == "smtp-pw" and pro.state.email["port"] == 2525
    pro.put("/v1/email", email(password=""))
    assert pro.state.email["password"] is None


EMAIL_INVALID = [
    ({"host": ""}, "PARAMETER host", "must not be blank"),
    ({"host": "smtp host"}, "PARAMETER host", "Hostname must be valid"),
    ({"port": None}, "PARAMETER port", "must not be null"),
    ({"port": 0}, "PARAMETER port", "Port-number must be >= 1 AND <= 65535."),
    ({"fromAddress": None}, "PARAMETER fromAddress", "must not be blank"),
    ({"fromAddress": "nexus"}, "PARAMETER fromAddress", "must be a well-formed email address"),
]


@pytest.mark.parametrize("overrides,error_id,message", EMAIL_INVALID,
                         ids=[e[1] + ":" + e[2][:16] for e in EMAIL_INVALID])
def test_email_validation(pro: Nexus, overrides: dict, error_id: str, message: str) -> None:
    response = pro.put("/v1/email", email(**overrides))
    assert response.status_code == 400
    assert {"id": error_id, "message": message} in response.json()
    assert pro.get("/v1/email").json()["host"] == "localhost"


@pytest.mark.parametrize("address,problem", [
    ("", "Empty address in string ``''"),
    ("ops", "Missing final '@domain' in string ``ops''"),
    ("@example.org", "Missing local name in string ``@example.org''"),
    ("ops@", "Missing domain in string ``ops@''"),
    ("o ps@example.org", "Local address contains control or whitespace in string "
                         "``o ps@example.org''"),
])
def test_email_verify_refuses_a_malformed_address(pro: Nexus, address: str, problem: str) -> None:
    response = pro.post("/v1/email/verify", data=address, headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert response.json() == {"id": "*", "message": f'"{problem}"'}


@pytest.mark.parametrize("server,status", [(CE86, 200), (PRO94, 400)])
def test_email_verify_reports_an_unreachable_server(emulators: Emulators, server: tuple[str, str],
                                                    status: int) -> None:
    nexus = emulators.get(*server)
    with SmtpServer() as smtp:
        port = smtp.port  # closed again below: nothing listens there any more
    nexus.put("/v1/email", email(port=port))
    response = nexus.post("/v1/email/verify", data="ops@example.org")
    assert response.status_code == status
    assert response.json() == {"success": False, "reason": "Sending the email to the following "
                                                            f"server failed : 127.0.0.1:{port}"}


def test_email_verify_sends_through_the_configured_server(pro: Nexus) -> None:
    """Even a disabled configuration is used, with login, prefix and the Base URL line."""
    pro.post("/v1/capabilities", {"type": "baseurl", "properties": {"url": "https://repo.test"}})
    with SmtpServer(password="smtp-pw") as smtp:
        pro.put("/v1/email", email(port=smtp.port, enabled=False))
        response = pro.post("/v1/email/verify", data="ops@example.org")
        assert response.status_code == 200 and response.json() == {"success": True, "reason": ""}
        mail, = smtp.mails
    assert (mail.sender, mail.recipients, mail.login) == ("nexus@example.org",
                                                          ["ops@example.org"], ("mailer", "smtp-pw"))
    assert "Subject: [nexus] Email configuration verification" in mail.data
    assert "Message from: https://repo.test" in mail.data and "Verification successful" in mail.data


def test_email_verify_with_a_wrong_password_fails(pro: Nexus) -> None:
    with SmtpServer(password="right") as smtp:
        pro.put("/v1/email", email(port=smtp.port, password="wrong"))
        response = pro.post("/v1/email/verify", data="ops@example.org")
    assert response.json()["success"] is False and smtp.mails == []


# --- capabilities ------------------------------------------------------------------------------
def test_capability_types_list_the_form_fields(pro: Nexus) -> None:
    types = {t["id"]: t for t in pro.get("/v1/capabilities/types").json()}
    assert {"baseurl", "OutreachManagementCapability", "audit", "defaultrole", "webhook.global",
            "webhook.repository"} <= set(types)
    fields = {f["id"]: f for f in types["OutreachManagementCapability"]["formFields"]}
    assert (fields["alwaysRemote"]["type"], fields["alwaysRemote"]["required"]) == ("checkbox", False)
    assert [f["id"] for f in types["baseurl"]["formFields"]] == ["url"]
    assert types["defaultrole"]["formFields"][0]["storeApi"] == "coreui_Role.read"


CAPABILITY_INVALID = [
    ({"type": "baseurl", "properties": {}}, "url", "URL is required"),
    ({"type": "baseurl", "properties": {"url": "repo.test"}}, "url",
     "URL must be an http:// or https:// URL: repo.test"),
    ({"type": "OutreachManagementCapability", "properties": {"alwaysRemote": "yes"}},
     "alwaysRemote", "Always remote must be true or false: yes"),
    ({"type": "defaultrole", "properties": {}}, "role", "Role is required"),
]


@pytest.mark.parametrize("body,error_id,message", CAPABILITY_INVALID,
                         ids=[e[0]["type"] + ":" + e[1] for e in CAPABILITY_INVALID])
def test_capability_properties_are_checked_against_form_fields(pro: Nexus, body: dict,
                                                               error_id: str, message: str) -> None:
    response = pro.post("/v1/capabilities", body)
    assert response.status_code == 400 and {"id": error_id, "message": message} in response.json()


def test_capability_uniqueness(pro: Nexus) -> None:
    assert pro.post("/v1/capabilities", {"type": "baseurl",
                                         "properties": {"url": "https://a.test"}}).status_code == 200
    again = pro.post("/v1/capabilities", {"type": "baseurl", "properties": {"url": "https://b.test"}})
    assert again.status_code == 400
    assert again.json() == [{"id": "*", "message": "Only one capability of type 'Base URL' can be "
                                                   "created"}]
    with pro.state.lock:
        pro.state.repositories["hosted"] = {"name": "hosted", "format": "docker", "type": "hosted"}
    hook = {"type": "webhook.repository",
            "properties": {"repository": "hosted", "names": "asset", "url": "https://h.test"}}
    first = pro.post("/v1/capabilities", hook)
    assert first.status_code == 200 and pro.post("/v1/capabilities", hook).json() == [
        {"id": "*", "message": "Only one capability of type 'Webhook: Repository', repository "
                               "'hosted', url 'https://h.test' can be created"}]
    other_url = dict(hook, properties=dict(hook["properties"], url="https://other.test"))
    assert pro.post("/v1/capabilities", other_url).status_code == 200
    update = pro.put(f"/v1/capabilities/{first.json()['id']}", dict(hook, notes="same"))
    assert update.status_code == 204, "a capability does not collide with itself"
    assert pro.post("/v1/capabilities", {"type": "defaultrole",
                                         "properties": {"role": "no-such-role"}}).status_code == 200


# --- SAML, user tokens, Crowd ------------------------------------------------------------------
IDP_METADATA = ('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
                'entityID="https://idp.test"><md:IDPSSODescriptor '
                'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'
                '</md:EntityDescriptor>')


def saml(**overrides: Any) -> dict[str, Any]:
    body = {"idpMetadata": IDP_METADATA, "usernameAttribute": "uid", "emailAttribute": "mail",
            "validateResponseSignature": True}
    body.update(overrides)
    return body


def test_saml_lifecycle(pro: Nexus) -> None:
    assert pro.put("/v1/security/saml", saml()).status_code == 201
    got = pro.get("/v1/security/saml").json()
    assert got["entityId"] == pro.base_url + \
        "/service/rest/v1/security/saml/metadata"
    assert (got["usernameAttribute"], got["validateAssertionSignature"]) == ("uid", None)
    metadata = pro.get("/v1/security/saml/metadata")
    assert metadata.status_code == 200 and f'entityID="{got["entityId"]}"' in metadata.text
    assert pro.put("/v1/security/saml", saml(entityId="urn:nexus")).status_code == 204
    assert pro.get("/v1/security/saml").json()["entityId"] == "urn:nexus"
    assert pro.delete("/v1/security/saml").status_code == 204
    assert pro.get("/v1/security/saml").status_code == 404


@pytest.mark.parametrize("body,error_id", [
    (saml(idpMetadata=""), "PARAMETER idpMetadata"),
    (saml(usernameAttribute=None), "PARAMETER usernameAttribute"),
    (saml(idpMetadata="<not xml"), "idpMetadata"),
    (saml(idpMetadata="<EntityDescriptor/>"), "idpMetadata"),
])
def test_saml_validation(pro: Nexus, body: dict, error_id: str) -> None:
    response = pro.put("/v1/security/saml", body)
    assert response.status_code == 400 and response.json()[0]["id"] == error_id
    assert pro.get("/v1/security/saml").status_code == 404


def test_user_tokens_settings(emulators: Emulators) -> None:
    old = emulators.get("3.70.0", "pro")
    assert old.get("/v1/security/user-tokens").json() == {"enabled": False, "protectContent": False}
    nexus = emulators.get(*PRO94)
    assert nexus.get("/v1/security/user-tokens").json() == {
        "enabled": False, "protectContent": False, "expirationEnabled": False, "expirationDays": 30}
    response = nexus.put("/v1/security/user-tokens", {"enabled": True, "expirationDays": 90})
    assert response.status_code == 200 and response.json()["expirationDays"] == 90
    assert nexus.get("/v1/security/user-tokens").json()["enabled"] is True
    bad = nexus.put("/v1/security/user-tokens", {"expirationDays": 1000})
    assert bad.status_code == 400 and bad.json() == [
        {"id": "PARAMETER expirationDays", "message": "must be less than or equal to 999"}]
    assert nexus.delete("/v1/security/user-tokens").status_code == 204


def crowd(**overrides: Any) -> dict[str, Any]:
    body = {"enabled": True, "realmActive": True, "url": "https://crowd.test",
            "applicationName": "nexus", "applicationPassword": "crowd-pw", "timeout": 30,
            "useTrustStoreForUrl": False}
    body.update(overrides)
    return body


def test_crowd_settings_drive_the_realm_and_mask_the_password(pro: Nexus) -> None:
    assert pro.get("/v1/security/atlassian-crowd").json()["realmActive"] is False
    assert pro.put("/v1/security/atlassian-crowd", crowd()).status_code == 200
    got = pro.get("/v1/security/atlassian-crowd").json()
    assert (got["applicationPassword"], got["realmActive"]) == (PLACEHOLDER, True)
    assert "Crowd" in pro.get("/v1/security/realms/active").json()
    pro.put("/v1/security/atlassian-crowd", dict(got, realmActive=False, timeout=60))
    assert pro.state.crowd["applicationPassword"] == "crowd-pw"
    assert "Crowd" not in pro.get("/v1/security/realms/active").json()
    assert pro.post("/v1/security/atlassian-crowd/clear-cache").status_code == 204


@pytest.mark.parametrize("overrides,error_id", [
    ({"url": ""}, "PARAMETER url"), ({"url": "ldap://crowd"}, "PARAMETER url"),
    ({"applicationName": None}, "PARAMETER applicationName"),
    ({"timeout": 0}, "PARAMETER timeout"), ({"realmActive": None}, "PARAMETER realmActive"),
])
def test_crowd_validation(pro: Nexus, overrides: dict, error_id: str) -> None:
    response = pro.put("/v1/security/atlassian-crowd", crowd(**overrides))
    assert response.status_code == 400 and response.json()[0]["id"] == error_id


def test_crowd_verify_connection(pro: Nexus) -> None:
    with SmtpServer() as listener:  # any listening socket stands in for Crowd
        ok = pro.post("/v1/security/atlassian-crowd/verify-connection",
                      crowd(url=f"http://127.0.0.1:{listener.port}"))
        port = listener.port
    assert ok.status_code == 204
    failed = pro.post("/v1/security/atlassian-crowd/verify-connection",
                      crowd(url=f"http://127.0.0.1:{port}"))
    assert failed.status_code == 400


# --- IP allow list -----------------------------------------------------------------------------
def test_ip_allowlist_entries_and_mode(pro: Nexus) -> None:
    base = "/v1/security/ip-allowlist"
    assert pro.get(base).json()["mode"] == "DISABLED"
    added = pro.post(f"{base}/entries", {"ipOrCidr": "10.0.0.0/24", "description": "office"})
    assert added.status_code == 201
    entry = added.json()
    assert (entry["entryType"], entry["createdBy"]) == ("CIDR_IPV4", "admin")
    assert pro.post(f"{base}/entries", {"ipOrCidr": "2001:db8::1"}).json()["entryType"] == "IPV6"
    assert pro.post(f"{base}/entries", {"ipOrCidr": "10.0.0.0/24"}).status_code == 409
    assert pro.post(f"{base}/entries", {"ipOrCidr": "10.0.0.1/24"}).status_code == 400
    assert pro.post(f"{base}/entries", {"ipOrCidr": "999.1.1.1"}).status_code == 400
    settings = pro.get(base).json()
    assert (settings["totalEntries"], settings["ipv4AddressesCovered"],
            settings["ipv6AddressesCovered"]) == (2, 256, 1)
    updated = pro.put(f"{base}/entries/{entry['id']}", {"ipOrCidr": "10.0.1.0/24"})
    assert updated.status_code == 200 and updated.json()["entry"] == "10.0.1.0/24"
    assert pro.put(f"{base}/entries/nope", {"ipOrCidr": "10.0.2.0/24"}).status_code == 404
    page = pro.get(f"{base}/entries", params={"pageSize": 1, "search": "10.0"}).json()
    assert (page["totalEntries"], page["totalPages"], len(page["entries"])) == (1, 1, 1)
    assert pro.put(f"{base}/mode", {"mode": "ENFORCE"}).status_code == 204
    assert pro.put(f"{base}/mode", {"mode": "BLOCK"}).status_code == 400
    assert pro.get(base).json()["mode"] == "ENFORCE"
    assert pro.delete(f"{base}/entries").status_code == 400, "needs confirm=true"
    assert pro.delete(f"{base}/entries", params={"confirm": "true"}).status_code == 204
    assert pro.get(base).json()["totalEntries"] == 0


# --- IQ ----------------------------------------------------------------------------------------
def test_iq_connection(pro: Nexus) -> None:
    assert pro.get("/v1/iq").json()["url"] is None
    assert pro.post("/v1/iq/enable").status_code == 400, "not configured yet"
    body = {"enabled": True, "url": "https://iq.test", "authenticationType": "USER",
            "username": "iq", "password": "iq-pw", "timeoutSeconds": 60, "showLink": True}
    response = pro.put("/v1/iq", body)
    assert response.status_code == 200 and response.json()["password"] == PLACEHOLDER
    pro.put("/v1/iq", dict(response.json(), timeoutSeconds=30))
    assert pro.state.iq["password"] == "iq-pw"
    assert pro.post("/v1/iq/disable").status_code == 204
    assert pro.get("/v1/iq").json()["enabled"] is False
    pki = pro.put("/v1/iq", dict(body, authenticationType="PKI")).json()
    assert pki["password"] == ""
    assert pro.put("/v1/iq", dict(body, timeoutSeconds=0)).status_code == 400
    assert pro.put("/v1/iq", dict(body, url="")).status_code == 400


def test_iq_verify_connection(pro: Nexus) -> None:
    with SmtpServer() as listener:
        pro.put("/v1/iq", {"url": f"http://127.0.0.1:{listener.port}",
                           "authenticationType": "USER"})
        assert pro.post("/v1/iq/verify-connection").json()["success"] is True
    assert pro.post("/v1/iq/verify-connection").json()["success"] is False


# --- licence -----------------------------------------------------------------------------------
LICENCE = b"contactName=Jane Admin\ncontactCompany=Corp\nlicensedUsers=25\n"


def test_licence_on_pro(pro: Nexus) -> None:
    installed = pro.get("/v1/system/license").json()
    assert installed["licenseType"] == "Sonatype Nexus Repository Pro"
    assert installed["maxRepoComponents"] is None
    response = pro.post("/v1/system/license", data=LICENCE,
                        headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 200
    got = response.json()
    assert (got["contactName"], got["contactCompany"], got["licensedUsers"]) == ("Jane Admin",
                                                                                  "Corp", "25")
    assert got["fingerprint"] != installed["fingerprint"] and len(got["fingerprint"]) == 40
    assert pro.get("/v1/system/license").json() == got
    assert pro.delete("/v1/system/license").status_code == 204
    assert pro.get("/v1/system/license").status_code == 402
    assert pro.post("/v1/system/license", data=b"").status_code == 400


def test_licence_on_community_edition(emulators: Emulators) -> None:
    nexus = emulators.get(*CE86)
    assert nexus.get("/v1/system/license").status_code == 402
    removed = nexus.delete("/v1/system/license")
    assert removed.status_code == 500 and "There is no license certificate installed" in removed.text
    assert nexus.post("/v1/system/license", data=LICENCE).status_code == 200
    assert nexus.get("/v1/system/license").status_code == 200
