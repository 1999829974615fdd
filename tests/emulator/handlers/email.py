"""Email server: `GET/PUT/DELETE /v1/email` and `POST /v1/email/verify` (every release, both
editions).

From sonatype/nexus-public (EmailConfigurationApiResource, ApiEmailConfiguration,
EmailManagerImpl, InitialEmailConfigurationPopulator, EmailConfigurationApiResourceTest):
* a fresh server holds enabled=false, host "localhost", port 25, fromAddress
  "nexus@example.org"; DELETE stores an empty configuration (host/fromAddress null, port 0);
* PUT validates host (@NotBlank @Hostname), port (@NotNull @PortNumber) and fromAddress
  (@NotBlank @Email) and answers 204; an empty username is stored as "";
* the password never comes back (GET answers null); on PUT a new password replaces it, the
  placeholder keeps it, and a blank or missing one CLEARS it (EmailManagerImpl.setConfiguration);
* verify sends "Email configuration verification" to the address in the (plain-text) body using
  the stored configuration, enabled or not. A malformed address is a 400 with the quoted
  AddressException text; a failed send is {success:false, reason} with commons-email's message:
  200 up to 3.93, 400 from 3.94 (the 3.94.0 spec documents 400 with ApiEmailValidation).

The emulator cannot deliver mail, but it does speak SMTP: verify connects to the configured
host:port with Python's smtplib (5 s timeout), honours SSL-on-connect/STARTTLS, the trust store
(`nexusTrustStoreEnabled`: only certificates in the emulator's trust store are trusted) and
server identity checks, and logs in when a username is set. Tests run a local SMTP server; any
host that does not answer yields commons-email's "Sending the email to the following server
failed : host:port", deterministically.
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any, Optional

from ..http import Request, Response
from ..routing import Router
from ..state import NexusState
from ..validation import Errors, quoted, raise_if
from . import truststore
from .support import (EMAIL, EMAIL_MESSAGE, HOSTNAME, HOSTNAME_MESSAGE, PLACEHOLDER, blank,
                      object_body, port_errors, read)

VERIFY_FAILURE_IS_400 = "3.94.0"
SMTP_TIMEOUT = 5.0
FLAGS = ("startTlsEnabled", "startTlsRequired", "sslOnConnectEnabled",
         "sslServerIdentityCheckEnabled", "nexusTrustStoreEnabled")


def register(router: Router, state: NexusState) -> None:
    router.add("GET", "/v1/email", get_email)
    router.add("PUT", "/v1/email", put_email)
    router.add("DELETE", "/v1/email", delete_email)
    router.add("POST", "/v1/email/verify", verify_email, consumes="*/*")  # the specs: */*
    state.seeders.append(seed)


def _configuration(host: Optional[str], port: int, from_address: Optional[str]) -> dict[str, Any]:
    config: dict[str, Any] = {"enabled": False, "host": host, "port": port, "username": None,
                              "password": None, "fromAddress": from_address, "subjectPrefix": None}
    config.update({flag: False for flag in FLAGS})
    return config


def seed(state: NexusState) -> None:
    state.email.clear()
    state.email.update(_configuration("localhost", 25, "nexus@example.org"))


def get_email(state: NexusState, req: Request) -> Response:
    with state.lock:
        return Response.json(dict(state.email, password=None))


def put_email(state: NexusState, req: Request) -> Response:
    body = object_body(req.json())
    host, port = read(body, "host", str), read(body, "port", int)
    from_address = read(body, "fromAddress", str)
    errors: Errors = []
    if blank(host):
        errors.append(("PARAMETER host", "must not be blank"))
    elif not HOSTNAME.match(host):
        errors.append(("PARAMETER host", HOSTNAME_MESSAGE))
    if port is None:
        errors.append(("PARAMETER port", "must not be null"))
    else:
        errors += port_errors(port, "PARAMETER port")
    if blank(from_address):
        errors.append(("PARAMETER fromAddress", "must not be blank"))
    elif not EMAIL.match(from_address):
        errors.append(("PARAMETER fromAddress", EMAIL_MESSAGE))
    flags = {flag: bool(read(body, flag, bool)) for flag in FLAGS}
    enabled = bool(read(body, "enabled", bool))
    username, password = read(body, "username", str), read(body, "password", str)
    subject_prefix = read(body, "subjectPrefix", str)
    raise_if(errors)
    with state.lock:
        if password == PLACEHOLDER:
            password = state.email.get("password")
        elif blank(password):
            password = None
        state.email.clear()
        state.email.update({"enabled": enabled, "host": host, "port": port,
                            "username": username or "", "password": password,
                            "fromAddress": from_address, "subjectPrefix": subject_prefix, **flags})
    return Response.empty(204)


def delete_email(state: NexusState, req: Request) -> Response:
    with state.lock:
        state.email.clear()
        state.email.update(_configuration(None, 0, None))
    return Response.empty(204)


# --- verify ------------------------------------------------------------------------------------
def address_problem(address: str) -> Optional[str]:
    """javax.mail InternetAddress.validate() failures for a single address, as AddressException
    prints them (message + " in string ``address''")."""
    reason = None
    if not address:
        reason = "Empty address"
    elif "@" not in address:
        reason = "Missing final '@domain'"
    else:
        local, _, domain = address.rpartition("@")
        if not local:
            reason = "Missing local name"
        elif not domain:
            reason = "Missing domain"
        elif any(c.isspace() or ord(c) < 32 for c in local):
            reason = "Local address contains control or whitespace"
        elif any(c.isspace() or ord(c) < 32 for c in domain):
            reason = "Domain contains control or whitespace"
    return None if reason is None else f"{reason} in string ``{address}''"


def verify_email(state: NexusState, req: Request) -> Response:
    address = req.body.decode("utf-8", errors="replace").strip()
    problem = address_problem(address)
    if problem is not None:
        raise quoted(400, problem)
    with state.lock:
        config = dict(state.email)
        base_url = _base_url(state)
    trusted = truststore.trusted_pems(state)
    failure = send_verification(config, address, trusted, base_url)
    if failure is None:
        return Response.json({"success": True, "reason": ""})
    status = 400 if state.at_least(VERIFY_FAILURE_IS_400) else 200
    return Response.json({"success": False, "reason": failure}, status)


def _base_url(state: NexusState) -> Optional[str]:
    """EmailManagerImpl.constructMessage prefixes the enabled Base URL capability's URL."""
    for doc in state.capabilities.values():
        if doc.get("type") == "baseurl" and doc.get("_enabled"):
            return doc["_properties"].get("url")
    return None


def _tls_context(config: dict[str, Any], trusted: list[str]) -> ssl.SSLContext:
    if config["nexusTrustStoreEnabled"]:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        for pem in trusted:
            context.load_verify_locations(cadata=pem)
    else:
        context = ssl.create_default_context()
    context.check_hostname = bool(config["sslServerIdentityCheckEnabled"])
    return context


def send_verification(config: dict[str, Any], address: str, trusted: list[str],
                      base_url: Optional[str]) -> Optional[str]:
    """None when the SMTP server accepted the message, else the reason Nexus reports."""
    host, port = config["host"], config["port"]
    if blank(host):
        return "Cannot find valid hostname for mail session"
    if blank(config["fromAddress"]):
        return "From address required"
    message = EmailMessage()
    subject = "Email configuration verification"
    prefix = config["subjectPrefix"]
    message["Subject"] = f"{prefix} {subject}" if prefix is not None else subject
    message["From"], message["To"] = config["fromAddress"], address
    text = "Verification successful"
    message.set_content(f"Message from: {base_url}\n\n{text}" if base_url else text)
    context = _tls_context(config, trusted)
    try:
        if config["sslOnConnectEnabled"]:
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT,
                                                    context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
        with client:
            client.ehlo()
            if config["startTlsEnabled"] and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            elif config["startTlsRequired"]:
                return "Sending the email to the following server failed : " \
                       f"{host}:{port}"
            if config["username"] or config["password"]:
                client.login(config["username"] or "", config["password"] or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException, ssl.SSLError):
        return f"Sending the email to the following server failed : {host}:{port}"
    return None

