"""One default per field also for the config sections that are not kinds (container, tls,
reverseProxy, nexus.verify): the stand-up reads them through the section's schema
(components/sections/<key>.schema.json), so changing a default there changes what is built and
checked, and no settings class keeps a literal of its own."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from components.schema import Fragment
from components.standup import container, reverse_proxy, tls, verification
from tests.test_kinds import _with_changed_defaults

PROXY_REQUIRED = {"registryHost": "registry.example.org", "pullRepository": "hub-group", "pushRepository": "ybcard"}


def changed_schema(monkeypatch: pytest.MonkeyPatch, fragment: Fragment) -> Fragment:
    """The same fragment object with every default changed (see tests/test_kinds.py)."""
    changed = Fragment(_with_changed_defaults(fragment.root, fragment.root))
    monkeypatch.setattr(fragment, "root", changed.root)
    monkeypatch.setattr(fragment, "entry", changed.entry)
    return fragment


CASES: list[tuple[str, Fragment, Callable[[], Any], dict[str, str]]] = [
    ("container", container.SCHEMA, lambda: container.ContainerSettings.from_config({}),
     {"image": "image", "name": "name", "volume": "volume", "protectVolume": "protect_volume", "heap": "heap",
      "restartPolicy": "restart_policy", "httpPort": "http_port", "bindAddress": "bind_address",
      "randomPassword": "random_password", "skipDefaultRepositories": "skip_default_repositories",
      "waitTimeout": "wait_timeout"}),
    ("tls", tls.SCHEMA, lambda: tls.TlsSettings.from_config({"hostnames": ["nexus.example.org"]}),
     {"validityDays": "validity_days", "renewBeforeDays": "renew_before_days", "httpsPort": "https_port"}),
    ("reverseProxy", reverse_proxy.SCHEMA, lambda: reverse_proxy.ReverseProxySettings.from_config(PROXY_REQUIRED),
     {"listenPort": "listen_port", "tlsCertPath": "tls_cert_path", "tlsKeyPath": "tls_key_path",
      "upstreamHost": "upstream_host", "timeoutSeconds": "timeout_seconds"}),
]


@pytest.mark.parametrize("section, fragment, build, fields", CASES, ids=[c[0] for c in CASES])
def test_settings_take_every_default_from_the_section_schema(section, fragment, build, fields, monkeypatch):
    settings = build()
    for key, attr in fields.items():
        assert getattr(settings, attr) == fragment.default(key), (section, key)
    changed_schema(monkeypatch, fragment)
    moved = build()
    for key, attr in fields.items():
        assert getattr(moved, attr) == fragment.default(key) != getattr(settings, attr), (section, key)


def test_the_tls_settings_class_and_the_schema_agree_when_nothing_is_said():
    defaults = tls.TlsSettings()
    assert not defaults.enabled  # no tls section: no TLS (the section's own enabled default is true)
    assert (defaults.validity_days, defaults.ca_validity_days, defaults.renew_before_days, defaults.https_port) == (
        tls.SCHEMA.default("validityDays"), tls.SCHEMA.default("ca", "validityDays"),
        tls.SCHEMA.default("renewBeforeDays"), tls.SCHEMA.default("httpsPort"))


def _planned_names(values: dict[str, Any]) -> list[str]:
    checks = verification.plan(values, verification.Options(reverse_proxy=True))
    return [getattr(check, "keywords", {}).get("name", "") for check in checks]


def test_the_docker_path_checks_read_the_section_defaults(monkeypatch):
    """The deployment check and `nexusctl verify` plan their checks from the same defaults."""
    values = {"nexus": {"url": "http://nexus.example.org:8081"}, "repositories": [],
              "tls": {"enabled": True, "jettyHttps": True, "hostnames": ["nexus.example.org"]}, "reverseProxy": PROXY_REQUIRED}
    names = _planned_names(values)
    assert "TLS certificate of Nexus (Jetty HTTPS nexus.example.org:8443)" in names
    assert "TLS certificate of the registry host registry.example.org:443" in names
    changed_schema(monkeypatch, tls.SCHEMA)
    changed_schema(monkeypatch, reverse_proxy.SCHEMA)
    names = _planned_names(values)
    assert "TLS certificate of Nexus (Jetty HTTPS nexus.example.org:8444)" in names
    assert "TLS certificate of the registry host registry.example.org:444" in names
