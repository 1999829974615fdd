"""nexus.properties, the Jetty keystore overlay and docker connector checks (pure functions)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from components.standup.nexus_properties import (
    KEYSTORE_XML_PATH,
    nexus_args,
    render_keystore_xml,
    render_nexus_properties,
)


def parse_properties(text: str) -> dict[str, str]:
    """Enough of java.util.Properties for what the renderer emits (no continuation lines)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        assert key not in out, f"duplicate key {key}"
        out[key] = value
    return out


def test_http_only_keeps_the_stock_jetty_files_and_no_ssl_settings():
    props = parse_properties(render_nexus_properties(jetty_https=False))
    assert props == {
        "nexus-args": "${jetty.etc}/jetty.xml,${jetty.etc}/jetty-http.xml,${jetty.etc}/jetty-requestlog.xml",
        "nexus.skipDefaultRepositories": "true",
    }


def test_https_adds_jetty_https_then_the_keystore_overlay_port_and_ssl_dir():
    props = parse_properties(render_nexus_properties(jetty_https=True, https_port=9443, skip_default_repositories=False))
    assert props["application-port-ssl"] == "9443"
    assert props["ssl.etc"] == "${karaf.data}/etc/ssl"
    assert props["nexus.skipDefaultRepositories"] == "false"
    files = props["nexus-args"].split(",")
    assert files == [
        "${jetty.etc}/jetty.xml",
        "${jetty.etc}/jetty-http.xml",
        "${jetty.etc}/jetty-https.xml",
        "${karaf.data}/etc/jetty/jetty-https-keystore.xml",
        "${jetty.etc}/jetty-requestlog.xml",
    ]
    # The overlay path in nexus-args is where the container uploads it (karaf.data = /nexus-data).
    assert files[3].replace("${karaf.data}", "/nexus-data") == KEYSTORE_XML_PATH


def test_default_https_port_is_8443():
    assert "application-port-ssl=8443\n" in render_nexus_properties(jetty_https=True)


def test_output_is_deterministic_so_unchanged_config_does_not_restart_nexus():
    extra = {"nexus.scripts.allowCreation": "false", "nexus.onboarding.enabled": "false"}
    assert render_nexus_properties(jetty_https=True, extra=extra) == render_nexus_properties(
        jetty_https=True, extra=dict(reversed(list(extra.items())))
    )


def test_extra_properties_are_escaped_and_managed_keys_refused():
    text = render_nexus_properties(jetty_https=False, extra={"a.path": "C:\\data\nx", "b.lead": " x"})
    assert "a.path=C:\\\\data\\nx\n" in text
    assert "b.lead=\\ x\n" in text
    with pytest.raises(ValueError, match="managed by nexus-registry"):
        render_nexus_properties(jetty_https=False, extra={"nexus-args": "x"})
    with pytest.raises(ValueError, match="not a plain property name"):
        render_nexus_properties(jetty_https=False, extra={"bad key": "x"})


def test_nexus_args_helper_matches_rendered_value():
    assert f"nexus-args={nexus_args(True)}\n" in render_nexus_properties(jetty_https=True)


def test_keystore_overlay_sets_every_password_on_the_stock_ssl_context_factory():
    password = 'p<a&s"s\'w>rd'
    root = ET.fromstring(render_keystore_xml(password))
    assert root.tag == "Configure" and root.get("id") == "Server"
    ref = root.find("Ref")
    assert ref is not None and ref.get("refid") == "sslContextFactory"
    sets = {s.get("name"): s.text for s in ref.findall("Set")}
    assert sets == {
        "KeyStoreType": "PKCS12",
        "KeyStorePassword": password,
        "KeyManagerPassword": password,
        "TrustStoreType": "PKCS12",
        "TrustStorePassword": password,
        "CertAlias": "jetty",
    }


def test_keystore_overlay_refuses_control_characters():
    with pytest.raises(ValueError, match="control characters"):
        render_keystore_xml("abc\ndef")
