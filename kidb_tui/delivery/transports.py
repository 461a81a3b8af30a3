"""How a rendered outbox row leaves: SMTP (`smtp://` with STARTTLS, `smtps://` with TLS from the
first byte), a webhook for SMS/WhatsApp gateways (POST JSON, HMAC-SHA256 signature header), or a
file (the demo's sink). A transport raises Refused for a message the other side will never
accept (no retry) and any other exception for one worth retrying."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from kidb_tui.config import Settings
from kidb_tui.delivery.mail_render import Rendered
from kidb_tui.models import OutboxMessage

SIGNATURE_HEADER = "X-KIDB-Signature"
TIMEOUT_SECONDS = 20


class Refused(Exception):
    """The receiving side refused the message for good (SMTP 5xx, HTTP 4xx)."""


class Transport(Protocol):
    def send(self, row: OutboxMessage, message: Rendered) -> None: ...


def email_message(row: OutboxMessage, message: Rendered, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, row.recipient, message.subject
    mail["Message-ID"] = row.message_id
    mail["Date"] = formatdate(localtime=False)
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


class SmtpTransport:
    def __init__(self, settings: Settings, context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(settings.smtp_url)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.user = unquote(parts.username or "")
        self.password = settings.smtp_password
        self.sender = settings.mail_from
        self.context = context or ssl.create_default_context()

    def send(self, row: OutboxMessage, message: Rendered) -> None:
        mail = email_message(row, message, self.sender)
        try:
            if self.implicit_tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT_SECONDS, context=self.context)
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS)
            with client:
                if not self.implicit_tls:
                    client.starttls(context=self.context)
                if self.user:
                    client.login(self.user, self.password.get_secret_value())
                client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            raise Refused(_smtp_reason(next(iter(error.recipients.values()), (0, b"")))) from None
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
            if 500 <= error.smtp_code < 600:
                raise Refused(_smtp_reason((error.smtp_code, error.smtp_error))) from None
            raise


def _smtp_reason(reply: tuple[int, bytes | str]) -> str:
    code, text = reply[0], reply[1]
    return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"


class WebhookTransport:
    """POST {message_id, channel, recipient, language, kind, subject, text}; the header carries
    `sha256=` and the HMAC-SHA256 of the body keyed with the webhook key."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.webhook_url
        self.key = settings.webhook_key

    def send(self, row: OutboxMessage, message: Rendered) -> None:
        body = json.dumps({
            "message_id": row.message_id, "recipient": row.recipient, "language": row.language,
            "kind": row.kind, "subject": message.subject, "text": message.text,
        }, ensure_ascii=False).encode("utf-8")
        signature = hmac.new(self.key.get_secret_value(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", SIGNATURE_HEADER: f"sha256={signature}",
            "Idempotency-Key": row.message_id,
        })
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS):
                pass
        except urllib.error.HTTPError as error:
            if 400 <= error.code < 500 and error.code not in (408, 429):
                raise Refused(f"HTTP {error.code}") from None
            raise


class FileTransport:
    """Appends each message to a file (the demo's sink), separated by a line of dashes."""

    def __init__(self, path: str, sender: str) -> None:
        self.path = Path(path)
        self.sender = sender

    def send(self, row: OutboxMessage, message: Rendered) -> None:
        with self.path.open("a", encoding="utf-8") as sink:
            sink.write(email_message(row, message, self.sender).as_string() + "\n" + "-" * 72 + "\n")


def configured(settings: Settings) -> dict[str, Transport]:
    """The transport of each channel the settings configure."""
    found: dict[str, Transport] = {}
    if settings.smtp_url:
        found["email"] = SmtpTransport(settings)
    elif settings.mail_file:
        found["email"] = FileTransport(settings.mail_file, settings.mail_from)
    if settings.webhook_url:
        found["webhook"] = WebhookTransport(settings)
    return found
