"""The other channels and ways to run the sender (delivery/transports.py, cli.py): the webhook
for SMS/WhatsApp gateways against a local HTTP server (JSON body, HMAC signature), the file sink
of the demo, `kidb notify run --once`, `smtps://` (TLS from the first byte), SMTP AUTH with the
password file, and the SMTP settings checked at start."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kidb_tui.cli import _demo_mail, main
from kidb_tui.config import KeyFileError, Settings, SettingsError, load_options, load_settings
from kidb_tui.delivery import runner, transports
from kidb_tui.delivery.mail_render import render
from kidb_tui.delivery.transports import SmtpTransport
from kidb_tui.models import OutboxMessage
from kidb_tui.services import profile, sender
from tests.conftest import FROZEN_AT, SITI, sign_in
from tests.mail import SmtpServer
from tests.services.helpers import all_rows, contact_of, participant_row

KEY = b"webhook-key-0123456789abcdef-0123"


class Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.headers, body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def gateway():
    handler = type("Handler", (Gateway,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()


def confirm_contact(rt) -> None:
    profile.update_contact(rt, sign_in(rt, SITI), contact_of(rt, SITI))


def test_webhook_posts_signed_json(demo_rt, gateway):
    server, handler = gateway
    url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    rt = dataclasses.replace(demo_rt, settings=demo_rt.settings.with_(webhook_url=url, webhook_key=KEY))
    update = participant_row(rt, SITI)
    profile.update_contact(rt, sign_in(rt, SITI), profile.Contact(
        update.address, update.postal_code, "081234567890", update.email), SITI.secret)
    assert runner.run_once(rt, transports.configured(rt.settings)).sent == 1
    [(headers, body)] = handler.received
    expected = "sha256=" + hmac.new(KEY, body, hashlib.sha256).hexdigest()
    assert headers["X-KIDB-Signature"] == expected
    payload = json.loads(body)
    [row] = all_rows(rt, OutboxMessage)
    assert payload["recipient"] == "+6281234567890" and payload["message_id"] == row.message_id
    assert payload["kind"] == "contact_changed" and payload["subject"] == "Nomor HP diperbarui"


def test_webhook_client_error_is_a_dead_letter(demo_rt, gateway):
    server, handler = gateway
    handler.status = 400
    url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    rt = dataclasses.replace(demo_rt, settings=demo_rt.settings.with_(webhook_url=url, webhook_key=KEY))
    row = participant_row(rt, SITI)
    profile.update_contact(rt, sign_in(rt, SITI), profile.Contact(
        row.address, row.postal_code, "081234567890", row.email), SITI.secret)
    assert runner.run_once(rt, transports.configured(rt.settings)).dead == 1
    assert sender.dead_letters(rt)[0].last_error == "HTTP 400"


def test_file_sink_and_notify_once(demo_rt, tmp_path, monkeypatch, capsys):
    sink = tmp_path / "mail.txt"
    rt = dataclasses.replace(demo_rt, settings=demo_rt.settings.with_(mail_file=str(sink)))
    row = participant_row(rt, SITI)
    profile.update_contact(rt, sign_in(rt, SITI), profile.Contact(
        "Jl. Baru 1", row.postal_code, row.phone, row.email))
    monkeypatch.setenv("KIDB_PEPPER", rt.settings.pepper.get_secret_value().decode())
    monkeypatch.setenv("KIDB_AUDIT_KEY", rt.settings.audit_key.get_secret_value().decode())
    monkeypatch.setenv("KIDB_MAIL_FILE", str(sink))
    monkeypatch.setenv("KIDB_DATA_DIR", str(tmp_path / "data"))
    assert main(["--database", rt.settings.database_url, "notify", "run", "--once"]) == 0
    assert capsys.readouterr().out.strip() == "sent 1, to retry 0, dead 0"
    text = sink.read_text(encoding="utf-8")
    assert f"To: {row.email}" in text and "Alamat diperbarui" in text
    assert all(r.status == "sent" for r in all_rows(rt, OutboxMessage))


def test_notify_without_a_channel_says_so(demo_rt, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("KIDB_PEPPER", demo_rt.settings.pepper.get_secret_value().decode())
    monkeypatch.setenv("KIDB_AUDIT_KEY", demo_rt.settings.audit_key.get_secret_value().decode())
    monkeypatch.setenv("KIDB_DATA_DIR", str(tmp_path / "data"))
    for name in ("KIDB_SMTP_URL", "KIDB_MAIL_FILE", "KIDB_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--database", demo_rt.settings.database_url, "notify", "run", "--once"]) == 2
    assert "no channel configured" in capsys.readouterr().err


def test_smtp_url_is_checked(monkeypatch):
    monkeypatch.setenv("KIDB_SMTP_URL", "http://mail.example.com")
    with pytest.raises(SettingsError) as error:
        load_options()
    assert "KIDB_SMTP_URL='http://mail.example.com' is not an SMTP URL" in str(error.value)


def test_the_demo_sends_mail_to_a_file_unless_a_server_is_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("KIDB_DATA_DIR", str(tmp_path))
    assert _demo_mail(Settings()).mail_file == str(tmp_path / "demo-mail.txt")
    configured = Settings(smtp_url="smtp://mail.example.com")
    assert _demo_mail(configured) is configured


def test_smtps_sends_with_tls_from_the_first_byte(tmp_path):
    server = SmtpServer(tmp_path, implicit_tls=True)
    server.controller.start()
    try:
        settings = Settings(smtp_url=server.url, mail_from="kidb@kidb.test")
        row = OutboxMessage(id=1, channel="email", recipient="siti@example.com", language="en", kind="account_locked",
                            params={"minutes": 30}, message_id="<1@kidb.test>", next_attempt_at=FROZEN_AT,
                            created_at=FROZEN_AT)
        SmtpTransport(settings, context=server.client_context).send(row, render(row, settings.timezone))
    finally:
        server.controller.stop()
    [message] = server.mailbox.received
    assert (message["Message-ID"], message["Subject"]) == ("<1@kidb.test>", "KIDB account locked")


def test_smtp_login_with_the_password_file(tmp_path, monkeypatch):
    server = SmtpServer(tmp_path, password=b"rahasia-smtp")  # refuses mail from anyone not logged in
    secret = tmp_path / "smtp-password"
    secret.write_text("rahasia-smtp\n")
    secret.chmod(0o600)
    monkeypatch.setenv("KIDB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIDB_SMTP_URL", f"smtp://kidb@localhost:{server.port}")
    monkeypatch.setenv("KIDB_SMTP_PASSWORD_FILE", str(secret))
    settings = load_settings()
    assert "rahasia" not in repr(settings)
    row = OutboxMessage(id=1, channel="email", recipient="siti@example.com", language="id", kind="account_locked",
                        params={"minutes": 30}, message_id="<2@kidb.test>", next_attempt_at=FROZEN_AT,
                        created_at=FROZEN_AT)
    server.controller.start()
    try:
        SmtpTransport(settings, context=server.client_context).send(row, render(row, settings.timezone))
    finally:
        server.controller.stop()
    assert [m["Message-ID"] for m in server.mailbox.received] == ["<2@kidb.test>"]
    secret.chmod(0o644)
    with pytest.raises(KeyFileError):
        load_settings()
