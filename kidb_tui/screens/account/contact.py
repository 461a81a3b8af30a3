"""Contact data as the participant reads it, shared by Profil and the claim's contact step: the
phone in national form (`0812-3456-7890`; the database keeps E.164), and the sentence said once
changed contact data is saved (a new email's code is typed back under menu 8)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from kidb_tui import validation
from kidb_tui.services.profile import Contact

Translate = Callable[..., str]


def as_written(contact: Contact) -> Contact:
    """Stored contact data as a person writes it (what a form starts with and shows back)."""
    return replace(contact, phone=validation.phone_national(contact.phone))


def saved_text(t: Translate, changed: Sequence[str], code_sent: bool) -> str:
    """What was saved: the changed fields, and where to type the code sent to a new email."""
    if not changed:
        return t("profile.confirmed")
    fields = ", ".join(t(f"field.{name}") for name in changed)
    if "email" in changed and code_sent:
        return t("profile.saved_code_sent", fields=fields)
    return t("profile.saved", fields=fields)
