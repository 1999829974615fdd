"""LDAP connections through the engine: write-only bind password, order, 3.94 enum spellings."""
from __future__ import annotations

import pytest

from components.kinds.ldap import LdapServerProvider
from tests.conftest import configure

LDAP = {"name": "corp", "protocol": "ldaps", "host": "ldap.example.com", "port": 636,
        "searchBase": "dc=example,dc=com", "authScheme": "SIMPLE", "authUsername": "cn=nexus,dc=example,dc=com",
        "userBaseDn": "ou=people", "ldapGroupsAsRoles": True, "groupType": "dynamic",
        "userMemberOfAttribute": "memberOf"}


def test_new_enum_spellings_are_not_drift():
    provider = LdapServerProvider()
    previous = provider.normalize({**LDAP, "authPassword": "x"})
    server = {**{k: v for k, v in previous.items() if k not in ("authPassword", "adopt")},
              "protocol": "LDAPS", "authScheme": "simple", "groupType": "DYNAMIC", "id": "1", "order": 0}
    assert provider.to_spec(server, previous) == {k: v for k, v in previous.items() if k not in ("authPassword", "adopt")}


def test_missing_bind_password_and_group_settings_are_reported():
    provider = LdapServerProvider()
    spec = provider.normalize({**LDAP, "userMemberOfAttribute": None})
    assert ("authPassword", "authScheme SIMPLE needs authPassword") in provider.problems(spec)
    assert ("userMemberOfAttribute", "groupType dynamic needs userMemberOfAttribute") in provider.problems(spec)


def converge_two_servers(workspace, nexus) -> None:
    second = {**LDAP, "name": "backup", "host": "ldap2.example.com"}
    configure(workspace, nexus, {"security": {"ldap": [LDAP, second]}},
              {"security.ldap[0].authPassword": "Bind-Secret-1", "security.ldap[1].authPassword": "Bind-Secret-2"})
    result = workspace.up()
    servers = sorted(nexus.rest("GET", "/v1/security/ldap", nexus.password).json(), key=lambda s: s["order"])
    assert [s["name"] for s in servers] == ["corp", "backup"]
    assert "authPassword" not in servers[0]
    assert "Bind-Secret" not in workspace.state_text() + result.output
    assert workspace.refresh_check().code == 0


@pytest.mark.engine
def test_ldap_servers_converge_in_order_without_leaking_the_bind_password(workspace, nexus):
    converge_two_servers(workspace, nexus)


@pytest.mark.engine
@pytest.mark.nexus(version="3.94.0")
def test_ldap_on_3_94_with_its_enum_spellings(workspace, nexus):
    converge_two_servers(workspace, nexus)
