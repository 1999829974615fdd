"""Files Nexus reads at start-up: `/nexus-data/etc/nexus.properties` and the Jetty keystore overlay.

Pure functions, no Pulumi. Nexus only opens an HTTPS connector — and therefore only starts the
docker repositories' `httpsPort` connectors — when `jetty-https.xml` is listed in `nexus-args`;
otherwise each such connector dies with "Unsupported HTTP Scheme: https" in the log while the
REST API happily saves the repository.

The stock `jetty-https.xml` hard-codes the keystore password "password". Nexus's launcher
(`org.sonatype.nexus.bootstrap.jetty.JettyServer`) applies every XML listed in `nexus-args` in
order, sharing the object ids between them, and starts the server only after all of them ran. So
a small overlay listed after `jetty-https.xml` can `<Ref refid="sslContextFactory">` and set the
real password, without copying (and freezing) the image's own `jetty-https.xml`.
"""

from __future__ import annotations

import re
from typing import Mapping
from xml.sax.saxutils import escape

from ..schema import Fragment

DATA_DIR = "/nexus-data"
PROPERTIES_PATH = f"{DATA_DIR}/etc/nexus.properties"
SSL_DIR = f"{DATA_DIR}/etc/ssl"
KEYSTORE_PATH = f"{SSL_DIR}/keystore.jks"  # the name jetty-https.xml expects under ${ssl.etc}
JETTY_DIR = f"{DATA_DIR}/etc/jetty"
KEYSTORE_XML_PATH = f"{JETTY_DIR}/jetty-https-keystore.xml"
DEFAULT_HTTPS_PORT: int = Fragment.section("tls").default("httpsPort")
UI_PORT = 8081

_JETTY_XMLS = ("jetty.xml", "jetty-http.xml", "jetty-https.xml", "jetty-requestlog.xml")
# Keys this module writes; `extra` must not fight over them.
MANAGED_KEYS = ("nexus-args", "application-port-ssl", "ssl.etc", "nexus.skipDefaultRepositories")
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def nexus_args(jetty_https: bool) -> str:
    """The `nexus-args` value: the stock Jetty files, plus HTTPS and the keystore overlay when on."""
    files = [f"${{jetty.etc}}/{name}" for name in _JETTY_XMLS if jetty_https or name != "jetty-https.xml"]
    if jetty_https:
        # After jetty-https.xml, which defines the sslContextFactory the overlay refers to.
        files.insert(files.index("${jetty.etc}/jetty-https.xml") + 1, "${karaf.data}/etc/jetty/jetty-https-keystore.xml")
    return ",".join(files)


def render_nexus_properties(
    *,
    jetty_https: bool,
    https_port: int = DEFAULT_HTTPS_PORT,
    skip_default_repositories: bool = True,
    extra: Mapping[str, str] | None = None,
) -> str:
    """Text of /nexus-data/etc/nexus.properties (deterministic, so unchanged config = no restart)."""
    lines = ["# Managed by nexus-registry (Pulumi). Local edits are overwritten on the next deployment."]
    if jetty_https:
        lines += [
            f"application-port-ssl={int(https_port)}",
            "ssl.etc=${karaf.data}/etc/ssl",
        ]
    lines.append(f"nexus-args={nexus_args(jetty_https)}")
    lines.append(f"nexus.skipDefaultRepositories={'true' if skip_default_repositories else 'false'}")
    for key, value in sorted((extra or {}).items()):
        problem = property_key_error(key)
        if problem:
            raise ValueError(problem)
        lines.append(f"{key}={_escape_value(str(value))}")
    return "\n".join(lines) + "\n"


def property_key_error(key: str) -> str | None:
    """Why `key` cannot be an extra nexus.properties entry, or None."""
    if key in MANAGED_KEYS:
        return f"{key!r} is managed by nexus-registry; set it through the tls/container config instead"
    if not _KEY.match(key):
        return f"{key!r} is not a plain property name (letters, digits, '.', '_', '-')"
    return None


def render_keystore_xml(password: str) -> str:
    """Jetty overlay that opens keystore.jks (PKCS12, alias jetty) with `password`.

    The file holds the password in clear text, so it must be uploaded with mode 0600 for uid 200.
    """
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in password):
        raise ValueError("the keystore password must not contain control characters")
    value = escape(password)
    return (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE Configure PUBLIC "-//Jetty//Configure//EN" "http://www.eclipse.org/jetty/configure_9_0.dtd">\n'
        "<!-- Managed by nexus-registry (Pulumi): keystore password for jetty-https.xml's sslContextFactory. -->\n"
        '<Configure id="Server" class="org.eclipse.jetty.server.Server">\n'
        '  <Ref refid="sslContextFactory">\n'
        '    <Set name="KeyStoreType">PKCS12</Set>\n'
        f'    <Set name="KeyStorePassword">{value}</Set>\n'
        f'    <Set name="KeyManagerPassword">{value}</Set>\n'
        '    <Set name="TrustStoreType">PKCS12</Set>\n'
        f'    <Set name="TrustStorePassword">{value}</Set>\n'
        '    <Set name="CertAlias">jetty</Set>\n'
        "  </Ref>\n"
        "</Configure>\n"
    )


def _escape_value(value: str) -> str:
    """java.util.Properties escaping for a value (backslashes, line breaks, leading blanks)."""
    out = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if out.startswith(" "):
        out = "\\" + out
    return out
