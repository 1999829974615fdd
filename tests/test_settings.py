"""Server-wide settings kinds (outbound HTTP, email, user tokens, Crowd, SAML, SSRF protection,
the IP allow list, IQ Server, the licence): each provider's whole cycle in process against one
3.94 Pro emulator (check → create → read → diff → out-of-band change seen as drift → update →
delete/reset), write-only secrets never answered, and the release/edition gates of the config
checks. The engine runs of all of them together are in tests/test_settings_engine.py."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

import pytest

from components import client as nexus_client
from components.config import validate
from components.kinds import crowd, email_server, http_settings, ip_allowlist, iq_server, license, saml
from components.kinds import ssrf_protection, user_tokens
from components.problems import ServerFacts
from components.provider import NexusProvider
from components.stack_config import StackConfig
from nexusctl.adopt import secret_paths, stack_values
from nexusctl.inventory import read_inventory
from tests.emulator.testing import ADMIN_PASSWORD, Emulators, Nexus
from tests.local_servers import SmtpServer

PRO94 = ("3.94.0", "pro")
IDP_METADATA = ('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com">'
                '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'
                '</md:EntityDescriptor>')
LICENCE = base64.b64encode(b"contactName=Platform Team\nlicenseType=Sonatype Nexus Repository Pro\n").decode()
OTHER_LICENCE = b"contactName=Someone Else\n"


@dataclass
class Case:
    """One kind's cycle: its config, what the server must then hold, an out-of-band change and
    the field drift must show, a changed config, and what removing it leaves."""

    provider: NexusProvider
    config: dict[str, Any]
    stored: Callable[[Nexus], Any]  # what the server holds of it (the emulator's state)
    expected: Any  # ... after create
    change: Callable[[Nexus], Any]  # someone changes it in the UI
    drift: str  # the field the next read differs in
    update: dict[str, Any]  # a config change applied in place
    removed: Any  # what `stored` says after delete
    secret: Optional[str] = None  # a write-only secret that must never be answered
    answered: Callable[[Nexus], Any] = field(default=lambda n: None)  # what GET answers


def put(path: str, body: Any) -> Callable[[Nexus], Any]:
    def change(nexus: Nexus) -> None:
        assert nexus.put(path, body).status_code in (200, 201, 204), path
    return change


def merged_put(path: str, **changes: Any) -> Callable[[Nexus], Any]:
    def change(nexus: Nexus) -> None:
        doc = nexus.get(path).json()
        assert nexus.put(path, {**doc, **changes}).status_code in (200, 201, 204)
    return change


CASES = {
    "http": Case(
        http_settings.HttpSettingsProvider(),
        {"userAgentSuffix": "platform", "timeoutSeconds": 30,
         "httpsProxy": {"host": "proxy.corp.example.com", "port": 3128,
                        "auth": {"username": "nexus", "password": "Proxy-Secret-1", "ntlmDomain": "CORP"}},
         "nonProxyHosts": ["*.corp.example.com", "localhost"]},
        lambda n: n.state.http_settings["httpsProxy"],
        {"host": "proxy.corp.example.com", "port": 3128,
         "authInfo": {"username": "nexus", "password": "Proxy-Secret-1", "ntlmHost": None, "ntlmDomain": "CORP"}},
        put("/v1/http", {"timeout": 20}),
        "httpsProxy",
        {"timeoutSeconds": 45, "retries": 4},
        None,
        secret="Proxy-Secret-1", answered=lambda n: n.get("/v1/http").json()),
    "email": Case(
        email_server.EmailServerProvider(),
        {"host": "smtp.example.com", "port": 587, "username": "nexus", "password": "Smtp-Secret-1",
         "fromAddress": "nexus@example.com", "subjectPrefix": "[nexus]", "startTlsEnabled": True},
        lambda n: {k: n.state.email[k] for k in ("enabled", "host", "port", "password", "startTlsEnabled")},
        {"enabled": True, "host": "smtp.example.com", "port": 587, "password": "Smtp-Secret-1",
         "startTlsEnabled": True},
        merged_put("/v1/email", port=25, password="#~NXRM~PLACEHOLDER~PASSWORD~#"),
        "port",
        {"subjectPrefix": "[registry]"},
        {"enabled": False, "host": "smtp.example.com", "port": 587, "password": "Smtp-Secret-1",
         "startTlsEnabled": True},
        secret="Smtp-Secret-1", answered=lambda n: n.get("/v1/email").json()),
    "userTokens": Case(
        user_tokens.UserTokensProvider(),
        {"protectContent": True, "expirationEnabled": True, "expirationDays": 90},
        lambda n: dict(n.state.user_tokens),
        {"enabled": True, "protectContent": True, "expirationEnabled": True, "expirationDays": 90},
        put("/v1/security/user-tokens", {"expirationDays": 7}),
        "expirationDays",
        {"protectContent": False},
        {"enabled": False, "protectContent": False, "expirationEnabled": True, "expirationDays": 90}),
    "crowd": Case(
        crowd.CrowdProvider(),
        {"url": "https://crowd.example.com/crowd", "applicationName": "nexus", "applicationPassword": "Crowd-Secret-1",
         "timeout": 15},
        lambda n: ({k: n.state.crowd[k] for k in ("enabled", "url", "applicationPassword", "timeout")},
                   "Crowd" in n.state.realms_active),
        ({"enabled": True, "url": "https://crowd.example.com/crowd", "applicationPassword": "Crowd-Secret-1",
          "timeout": 15}, True),
        merged_put("/v1/security/atlassian-crowd", realmActive=False),
        "realmActive",
        {"timeout": 60},
        ({"enabled": False, "url": "https://crowd.example.com/crowd", "applicationPassword": "Crowd-Secret-1",
          "timeout": 60}, False),
        secret="Crowd-Secret-1", answered=lambda n: n.get("/v1/security/atlassian-crowd").json()),
    "saml": Case(
        saml.SamlProvider(),
        {"idpMetadata": IDP_METADATA, "usernameAttribute": "uid", "emailAttribute": "mail"},
        lambda n: {k: n.state.saml.get(k) for k in ("usernameAttribute", "emailAttribute")} if n.state.saml else None,
        {"usernameAttribute": "uid", "emailAttribute": "mail"},
        lambda n: n.delete("/v1/security/saml"),  # deleted behind the stack's back: read says gone
        "",
        {"groupsAttribute": "groups"},
        None),
    "ssrfProtection": Case(
        ssrf_protection.SsrfProtectionProvider(),
        {"allowedIPs": ["10.0.0.0/8"], "allowedDomains": ["Registry.Corp.Example.com"]},
        lambda n: dict(n.state.ssrf),
        {"enabled": True, "allowedIPs": ["10.0.0.0/8"], "allowedDomains": ["registry.corp.example.com"]},
        put("/v1/security/ssrf-protection", {"enabled": False, "allowedIPs": [], "allowedDomains": []}),
        "enabled",
        {"allowedIPs": ["10.0.0.0/8", "192.168.0.0/16"]},
        {"enabled": True, "allowedIPs": [], "allowedDomains": []}),
    "ipAllowlist": Case(
        ip_allowlist.IpAllowlistProvider(),
        {"mode": "MONITOR", "entries": [{"ipOrCidr": "10.1.0.0/16", "description": "office"},
                                        {"ipOrCidr": "127.0.0.1"}]},
        lambda n: (n.state.ip_allowlist["mode"],
                   sorted((e["entry"], e["description"]) for e in n.state.ip_allowlist["entries"].values())),
        ("MONITOR", [("10.1.0.0/16", "office"), ("127.0.0.1", None)]),
        lambda n: n.post("/v1/security/ip-allowlist/entries", {"ipOrCidr": "203.0.113.7"}),
        "entries",
        {"mode": "ENFORCE", "entries": [{"ipOrCidr": "10.1.0.0/16", "description": "office VPN"},
                                        {"ipOrCidr": "127.0.0.1"}]},
        ("DISABLED", [])),
    "iq": Case(
        iq_server.IqServerProvider(),
        {"url": "https://iq.example.com", "username": "nexus", "password": "Iq-Secret-1", "timeoutSeconds": 30},
        lambda n: {k: n.state.iq[k] for k in ("enabled", "url", "password", "timeoutSeconds")},
        {"enabled": True, "url": "https://iq.example.com", "password": "Iq-Secret-1", "timeoutSeconds": 30},
        merged_put("/v1/iq", showLink=True),
        "showLink",
        {"failOpenModeEnabled": True},
        {"enabled": False, "url": "https://iq.example.com", "password": "Iq-Secret-1", "timeoutSeconds": 30},
        secret="Iq-Secret-1", answered=lambda n: n.get("/v1/iq").json()),
    "license": Case(
        license.LicenseProvider(),
        {"fileBase64": LICENCE},
        lambda n: n.state.license.get("contactName"),
        "Platform Team",
        lambda n: n.post("/v1/system/license", data=OTHER_LICENCE,
                         headers={"Content-Type": "application/octet-stream"}),
        "fileBase64",
        {},
        "Platform Team",  # removing the section leaves the licence installed
        secret=LICENCE),
}


@pytest.fixture(scope="module")
def pro(emulators: Emulators) -> Iterator[Nexus]:
    nexus = emulators.get(*PRO94)
    nexus_client.use_stack_config({"nexus-registry:nexus": json.dumps({"url": nexus.base_url}),
                                   "nexus-registry:adminPassword": ADMIN_PASSWORD})
    yield nexus


@pytest.mark.parametrize("name", CASES)
def test_provider_cycle(pro: Nexus, name: str) -> None:
    case = CASES[name]
    provider = case.provider
    checked = provider.check({}, case.config)
    assert checked.failures == []
    spec = checked.inputs
    created = provider.create(spec)
    state = created.outs
    assert case.stored(pro) == case.expected

    read = provider.read(created.id, state)
    assert read.id == created.id
    assert not provider.diff(created.id, read.inputs, spec).changes, read.inputs  # a clean stack is clean
    if case.secret:
        assert case.secret not in json.dumps(case.answered(pro))  # Nexus never answers it

    case.change(pro)
    drifted = provider.read(created.id, state)
    if not case.drift:  # deleted behind the stack's back: gone, the next up creates it again
        assert drifted.id == ""
        provider.create(spec)
        drifted = provider.read(created.id, state)
        assert not provider.diff(created.id, drifted.inputs, spec).changes
    else:
        assert drifted.inputs.get(case.drift) != read.inputs.get(case.drift)
        assert provider.diff(created.id, drifted.inputs, spec).changes
        provider.update(created.id, drifted.inputs, spec)
        assert case.stored(pro) == case.expected  # put right, secrets included

    changed = provider.check(state, {**case.config, **case.update}).inputs
    state = provider.update(created.id, state, changed).outs
    assert not provider.diff(created.id, provider.read(created.id, state).inputs, changed).changes

    provider.delete(created.id, state)
    assert case.stored(pro) == case.removed


def test_an_ip_allow_list_update_adds_rewrites_and_removes_only_what_differs(pro: Nexus) -> None:
    provider = ip_allowlist.IpAllowlistProvider()
    spec = provider.check({}, {"mode": "MONITOR", "entries": [{"ipOrCidr": "10.1.0.0/16"}, {"ipOrCidr": "10.2.0.0/16"}]}).inputs
    provider.create(spec)
    kept = {e["entry"]: e["id"] for e in pro.state.ip_allowlist["entries"].values()}
    changed = provider.check(spec, {"mode": "MONITOR", "entries": [{"ipOrCidr": "10.1.0.0/16", "description": "a"},
                                                                   {"ipOrCidr": "10.3.0.0/16"}]}).inputs
    pro.control("DELETE", "requests")
    provider.update("ip-allowlist", spec, changed)
    writes = [(r["method"], r["path"].split("/service/rest")[-1]) for r in pro.control("GET", "requests").json()
              if r["method"] != "GET"]
    assert writes == [("DELETE", "/v1/security/ip-allowlist/entries/bulk"),
                      ("PUT", f"/v1/security/ip-allowlist/entries/{kept['10.1.0.0/16']}"),
                      ("POST", "/v1/security/ip-allowlist/entries"),
                      ("PUT", "/v1/security/ip-allowlist/mode")]
    provider.delete("ip-allowlist", changed)


# --- release and edition gates (config checks, before any write) --------------------------------
EVERYTHING = {
    "http": {"timeoutSeconds": 30}, "email": {"host": "smtp.example.com", "fromAddress": "nexus@example.com"},
    "iq": {"url": "https://iq.example.com", "authenticationType": "PKI"},
    "security": {"crowd": {"url": "https://crowd.example.com", "applicationName": "nexus",
                           "applicationPassword": "x"},
                 "saml": {"idpMetadata": IDP_METADATA, "usernameAttribute": "uid"},
                 "userTokens": {"enabled": True}, "ssrfProtection": {"allowedIPs": ["10.0.0.0/8"]},
                 "ipAllowlist": {"mode": "MONITOR"}},
}
SECRETS = frozenset({"adminPassword", "security"})


def gate_problems(version: tuple[int, int, int], pro: bool, values: dict[str, Any] = EVERYTHING) -> dict[str, str]:
    cfg = StackConfig({"nexus": {"url": "http://nexus:8081"}, "adminPassword": "Admin-Pw-1", **values}, SECRETS)
    return {p.path: p.message for p in validate(cfg, ServerFacts(version, pro))}


def test_community_3_86_is_told_exactly_what_it_lacks() -> None:
    found = gate_problems((3, 86, 2), False)
    assert set(found) == {"iq", "security.crowd", "security.saml", "security.userTokens", "security.ssrfProtection",
                          "security.ipAllowlist"}, found
    assert found["security.saml"] == (
        "SAML (/v1/security/saml) is only in Nexus Pro; this Nexus is 3.86.2 Community Edition. Install a licence "
        "(the `license` key) and restart Nexus, or remove `security.saml` from the config")
    assert found["security.ssrfProtection"] == (
        "SSRF protection settings (/v1/security/ssrf-protection) is only in Nexus 3.92 or later; this Nexus is "
        "3.86.2 Community Edition. Upgrade Nexus, or remove `security.ssrfProtection` from the config")
    assert found["security.ipAllowlist"] == (
        "The IP allow list (/v1/security/ip-allowlist) is only in Nexus Pro 3.94 or later; this Nexus "
        "is 3.86.2 Community Edition. Upgrade Nexus, install a licence (the `license` key) and restart Nexus, or "
        "remove `security.ipAllowlist` from the config")


@pytest.mark.parametrize("version,pro,refused", [
    ((3, 94, 0), True, set()),
    ((3, 94, 0), False, {"iq", "security.crowd", "security.saml", "security.userTokens", "security.ipAllowlist"}),
    ((3, 86, 2), True, {"security.ssrfProtection", "security.ipAllowlist"}),
    ((3, 68, 1), True, {"http", "security.ssrfProtection", "security.ipAllowlist"}),
])
def test_gates_per_release_and_edition(version: tuple[int, int, int], pro: bool, refused: set[str]) -> None:
    assert set(gate_problems(version, pro)) == refused


@pytest.mark.parametrize("values,path,fragment", [
    ({"security": {"userTokens": {"expirationDays": 30}}}, "security.userTokens.expirationDays",
     "token expiration is only in Nexus 3.77 or later; this Nexus is 3.68.1"),
    ({"iq": {"url": "https://iq", "authenticationType": "PKI", "failOpenModeEnabled": True}},
     "iq.failOpenModeEnabled", "fail-open mode is only in Nexus 3.77 or later"),
])
def test_fields_newer_than_the_release_are_refused(values: dict[str, Any], path: str, fragment: str) -> None:
    found = gate_problems((3, 68, 1), True, values)
    assert fragment in found[path], found


@pytest.mark.parametrize("values,path,fragment", [
    ({"http": {"httpProxy": {"host": "http://proxy", "port": 3128}}}, "http.httpProxy.host", "not a URL"),
    ({"http": {"nonProxyHosts": ["a|b"]}}, "http.nonProxyHosts[0]", "without |"),
    ({"http": {"retries": 11}}, "http.retries", "0-10"),
    ({"email": {"host": "smtp", "fromAddress": "nobody"}}, "email.fromAddress", "sender address"),
    ({"email": {"fromAddress": "a@b"}}, "email", "'host' is a required property"),
    ({"security": {"saml": {"idpMetadata": "<x/>", "usernameAttribute": "uid"}}}, "security.saml.idpMetadata",
     "is not SAML 2.0 identity provider metadata"),
    ({"security": {"ssrfProtection": {"allowedIPs": ["10.0.0.300"]}}}, "security.ssrfProtection.allowedIPs[0]",
     "not an IP address"),
    ({"security": {"ipAllowlist": {"mode": "ENFORCE", "entries": [{"ipOrCidr": "10.1.0.1/16"}]}}},
     "security.ipAllowlist.entries[0].ipOrCidr", "without host bits"),
    ({"security": {"ipAllowlist": {"mode": "ENFORCE"}}}, "security.ipAllowlist.entries",
     "ENFORCE with no entries refuses every client"),
    ({"security": {"realms": ["NexusAuthenticatingRealm"],
                   "crowd": {"url": "https://c", "applicationName": "n", "applicationPassword": "x"}}},
     "security.crowd.realmActive", "add Crowd to security.realms"),
    ({"license": {"fileBase64": "not base64!"}}, "license.fileBase64", "is not base64"),
    ({"iq": {"url": "https://iq", "username": "nexus"}}, "iq.password", "missing: the IQ Server user's password"),
    ({"iq": {"url": "https://iq"}}, "iq", "'username' is a required property"),
    ({"security": {"crowd": {"url": "https://c", "applicationName": "n"}}}, "security.crowd.applicationPassword",
     "missing: the Crowd application's password (pulumi config set --secret --path"),
    ({"http": {"httpProxy": {"host": "proxy", "port": 3128, "auth": {"username": "u"}}}}, "http.httpProxy.auth.password",
     "missing: the password of the httpProxy server"),
])
def test_bad_settings_are_named_before_any_write(values: dict[str, Any], path: str, fragment: str) -> None:
    secrets = frozenset({"adminPassword", *values})
    cfg = StackConfig({"nexus": {"url": "http://nexus:8081"}, "adminPassword": "Admin-Pw-1", **values}, secrets)
    found = {p.path: p.message for p in validate(cfg)}
    assert path in found and fragment in found[path], found


def test_secrets_in_plain_text_are_refused() -> None:
    values = {"email": {"host": "smtp.example.com", "fromAddress": "n@example.com", "password": "plain"},
              "license": {"fileBase64": LICENCE}}
    cfg = StackConfig({"nexus": {"url": "http://nexus:8081"}, "adminPassword": "Admin-Pw-1", **values},
                      frozenset({"adminPassword"}))
    found = {p.path: p.message for p in validate(cfg)}
    assert found["email.password"].startswith("is a secret but is stored in plain text")
    assert found["license.fileBase64"].startswith("is a secret but is stored in plain text")


def test_adopt_writes_each_setting_as_config_that_reads_back_clean(pro: Nexus) -> None:
    """`nexusctl adopt` on a server someone configured by hand: every setting becomes config that
    validates once its secrets are set, and whose resources read back with no difference."""
    adoptable = ("http", "email", "userTokens", "crowd", "saml", "ssrfProtection", "ipAllowlist", "iq")
    for name in adoptable:
        provider = CASES[name].provider
        provider.create(provider.check({}, CASES[name].config).inputs)
    client = nexus_client.for_run()
    inventory = read_inventory(client)
    values = stack_values(pro.base_url, "admin", inventory)
    secrets = dict(secret_paths(inventory))
    assert set(secrets) == {"http.httpsProxy.auth.password", "email.password", "security.crowd.applicationPassword",
                            "iq.password"}
    given = {"http.httpsProxy.auth.password": "Proxy-Secret-1", "email.password": "Smtp-Secret-1",
             "security.crowd.applicationPassword": "Crowd-Secret-1", "iq.password": "Iq-Secret-1"}
    for path, secret in given.items():
        node = values
        *parents, leaf = path.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = secret
    cfg = StackConfig({**values, "adminPassword": ADMIN_PASSWORD}, frozenset({"adminPassword", "http", "email", "security", "iq"}))
    assert validate(cfg) == []
    for name in adoptable:
        provider = CASES[name].provider
        entry = values["security"][name] if name in ("userTokens", "crowd", "saml", "ssrfProtection", "ipAllowlist") \
            else values[name]
        spec = provider.check({}, entry).inputs
        settings_id = provider.object_id(spec)
        assert not provider.diff(settings_id, provider.read(settings_id, spec).inputs, spec).changes, name
        provider.delete(settings_id, spec)


@pytest.mark.parametrize("version", ["3.86.2", "3.94.0"])
def test_email_verify_reads_success_and_failure_whatever_the_release_answers(emulators: Emulators, version: str) -> None:
    """A failed send is 200 up to 3.93 and 400 from 3.94 (the 3.94.0 spec); both are "not sent"
    with Nexus's reason, and a malformed address is Nexus's own words."""
    nexus = emulators.get(version, "community")
    client = nexus_client.NexusClient(nexus_client.Connection.from_settings({"url": nexus.base_url}, ADMIN_PASSWORD))
    with SmtpServer() as smtp:
        assert nexus.put("/v1/email", {"enabled": True, "host": "127.0.0.1", "port": smtp.port,
                                       "fromAddress": "nexus@example.com"}).status_code == 204
        assert email_server.verify(client, "ops@example.com") == {"success": True, "reason": ""}
        assert [m.recipients for m in smtp.mails] == [["ops@example.com"]]
        port = smtp.port
    failed = email_server.verify(client, "ops@example.com")  # nobody listens there any more
    assert failed == {"success": False, "reason": f"Sending the email to the following server failed : 127.0.0.1:{port}"}
    assert email_server.verify(client, "ops") == {"success": False,
                                                  "reason": "Missing final '@domain' in string ``ops''"}
