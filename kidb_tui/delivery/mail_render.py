"""An outbox row as the message a participant reads: subject, plain text and a simple HTML
alternative, in their language, from the same `notif.<kind>.*` texts as the kiosk inbox."""

from __future__ import annotations

import html
from dataclasses import dataclass

from kidb_tui.i18n import Translator
from kidb_tui.models import OutboxMessage


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(row: OutboxMessage, timezone: str) -> Rendered:
    t = Translator(row.language, timezone).t
    subject = t(f"notif.{row.kind}.title", **row.params)
    body = t(f"notif.{row.kind}.body", **row.params)
    parts = [t("mail.greeting"), body, t("mail.footer")]
    text = "\n\n".join(parts) + "\n"
    paragraphs = "".join(f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>" for part in parts)
    page = f'<!DOCTYPE html><html lang="{row.language}"><body>{paragraphs}</body></html>'
    return Rendered(subject, text, page)
