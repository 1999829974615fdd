"""Small local servers the emulator's outbound features talk to in tests: a TLS endpoint (for
`GET /v1/security/ssl`) and an SMTP server (for `POST /v1/email/verify`), plus a throw-away CA.
Everything binds to 127.0.0.1 on a free port and stops when its `with` block ends."""
from __future__ import annotations

import base64
import datetime
import ipaddress
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Certificate:
    pem: str
    key_pem: str
    certificate: x509.Certificate


def _name(common_name: str, organization: str, unit: Optional[str]) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)]
    if unit:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


def issue(common_name: str, issuer: Optional[Certificate] = None, ca: bool = False,
          organization: str = "Example Org", unit: Optional[str] = None,
          hosts: tuple[str, ...] = ()) -> Certificate:
    """A certificate signed by `issuer` (self-signed without one)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(common_name, organization, unit)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    signer_key = key if issuer is None else serialization.load_pem_private_key(
        issuer.key_pem.encode(), password=None)
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(subject if issuer is None else issuer.certificate.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if hosts:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(signer_key, hashes.SHA256())  # type: ignore[arg-type]
    return Certificate(cert.public_bytes(serialization.Encoding.PEM).decode(),
                       key.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()).decode(), cert)


def server_context(leaf: Certificate, chain: tuple[Certificate, ...] = ()) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        cert_file, key_file = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
        cert_file.write_text(leaf.pem + "".join(c.pem for c in chain))
        key_file.write_text(leaf.key_pem)
        context.load_cert_chain(cert_file, key_file)
    return context


class _Listener:
    """A thread accepting connections on 127.0.0.1 and handing each to `serve(conn)`."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.socket.accept()
            except OSError:
                continue
            conn.settimeout(5)
            threading.Thread(target=self._serve_quietly, args=(conn,), daemon=True).start()

    def _serve_quietly(self, conn: socket.socket) -> None:
        try:
            self.serve(conn)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def __enter__(self) -> "_Listener":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


class TlsServer(_Listener):
    """Completes a TLS handshake with every client, then hangs up."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__()
        self.context = context

    def serve(self, conn: socket.socket) -> None:
        with self.context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: str
    login: Optional[tuple[str, str]]


@dataclass
class _Session:
    login: Optional[tuple[str, str]] = None
    sender: str = ""
    recipients: list[str] = field(default_factory=list)


class SmtpServer(_Listener):
    """Just enough SMTP for smtplib: EHLO, STARTTLS (with a context), AUTH PLAIN, MAIL, RCPT,
    DATA, QUIT. With `implicit_tls` the whole session runs inside TLS (SMTPS)."""

    def __init__(self, context: Optional[ssl.SSLContext] = None, implicit_tls: bool = False,
                 password: Optional[str] = None) -> None:
        super().__init__()
        self.context, self.implicit_tls, self.password = context, implicit_tls, password
        self.mails: list[Mail] = []

    def serve(self, conn: socket.socket) -> None:
        if self.implicit_tls and self.context is not None:
            conn = self.context.wrap_socket(conn, server_side=True)
        stream = conn.makefile("rwb")
        session = _Session()

        def reply(line: str) -> None:
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        reply("220 smtp.test ESMTP")
        while True:
            raw = stream.readline()
            if not raw:
                return
            verb, _, arg = raw.decode(errors="replace").strip().partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                starttls = self.context is not None and not self.implicit_tls and \
                    not isinstance(conn, ssl.SSLSocket)
                reply("250-smtp.test")
                if starttls:
                    reply("250-STARTTLS")
                reply("250 AUTH PLAIN")
            elif verb == "STARTTLS" and self.context is not None:
                reply("220 ready")
                stream.close()
                conn = self.context.wrap_socket(conn, server_side=True)
                stream = conn.makefile("rwb")
            elif verb == "AUTH":
                _, _, token = arg.partition(" ")
                _, user, password = base64.b64decode(token).decode().split("\0")
                if self.password is not None and password != self.password:
                    reply("535 authentication failed")
                    continue
                session.login = (user, password)
                reply("235 ok")
            elif verb == "MAIL":
                if self.password is not None and session.login is None:
                    reply("530 authentication required")
                    continue
                session.sender = arg.partition(":")[2].strip("<> ")
                reply("250 ok")
            elif verb == "RCPT":
                session.recipients.append(arg.partition(":")[2].strip("<> "))
                reply("250 ok")
            elif verb == "DATA":
                reply("354 go on")
                lines = []
                while (line := stream.readline().decode()) not in (".\r\n", ""):
                    lines.append(line)
                self.mails.append(Mail(session.sender, session.recipients, "".join(lines),
                                       session.login))
                reply("250 queued")
            elif verb == "QUIT":
                reply("221 bye")
                return
            else:
                reply("250 ok")
