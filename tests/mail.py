"""A real SMTP server in the test process (aiosmtpd) with STARTTLS on a self-signed
certificate, keeping every message it accepts; and a runtime whose settings point at it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import socket
import ssl
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kidb_tui.delivery.transports import SmtpTransport


class Mailbox:
    """The aiosmtpd handler: refuses every recipient while `refusing`, and like a well-behaved
    server keeps one copy per Message-ID in `delivered` (every copy is in `received`)."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.refusing = False

    @property
    def delivered(self) -> dict[str, EmailMessage]:
        return {message["Message-ID"]: message for message in self.received}

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refusing:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(email.message_from_bytes(envelope.original_content or envelope.content, policy=default))
        return "250 OK"


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _check_login(auth_data, password: bytes) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"kidb", password)
    return AuthResult(success=ok)


class SmtpServer:
    """`implicit_tls`: TLS from the first byte (`smtps://`), else STARTTLS required (`smtp://`)."""

    def __init__(self, folder: Path, implicit_tls: bool = False, password: bytes | None = None) -> None:
        cert_file, key_file = self_signed(folder)
        self.cert_file = cert_file
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_context.load_cert_chain(cert_file, key_file)
        self.client_context = ssl.create_default_context(cafile=str(cert_file))
        self.mailbox = Mailbox()
        self.port = free_port()
        self.scheme = "smtps" if implicit_tls else "smtp"
        if password is not None:
            self.controller = Controller(self.mailbox, hostname="localhost", port=self.port,
                                         tls_context=server_context, require_starttls=True, auth_required=True,
                                         authenticator=lambda *args: _check_login(args[-1], password))
        elif implicit_tls:
            self.controller = Controller(self.mailbox, hostname="localhost", port=self.port, ssl_context=server_context)
        else:
            self.controller = Controller(self.mailbox, hostname="localhost", port=self.port,
                                         tls_context=server_context, require_starttls=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://localhost:{self.port}"

    def runtime(self, rt):
        """`rt` with its settings sending mail here."""
        return dataclasses.replace(rt, settings=rt.settings.with_(smtp_url=self.url, mail_from="kidb@kidb.test"))

    def transports(self, rt) -> dict:
        return {"email": SmtpTransport(rt.settings, context=self.client_context)}
