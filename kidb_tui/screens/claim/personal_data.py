"""Daftar Pencairan, step 4: confirm or correct address, postal code, phone and email.

Nothing is written here: the contact data is saved together with the claim on "Simpan".
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Static

from kidb_tui.errors import DomainError
from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.confirm import ConfirmScreen
from kidb_tui.screens.claim.flow import ValidDraft
from kidb_tui.services import profile
from kidb_tui.services.profile import Contact
from kidb_tui.widgets.form_field import FormField

FIELDS = (("address", 300), ("postal_code", 5), ("phone", 20), ("email", 254))


class PersonalDataScreen(KioskScreen):
    TITLE_KEY = "claim.personal_title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("f5", "next", "key.next"),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self, step: ValidDraft, contact: Contact | None = None) -> None:
        super().__init__()
        self.step = step
        self.initial = contact

    def compose_body(self) -> ComposeResult:
        view = profile.get_profile(self.rt, self.identity.participant_id)
        contact = self.initial or view.contact
        confirmed = view.contact_confirmed_at
        with VerticalScroll(id="personal-data", classes="card"):
            yield Static(self.t("claim.personal_lead"), markup=False, classes="lead")
            if confirmed is None:
                when = self.t("claim.personal_never_confirmed")
            else:
                when = self.t("claim.personal_confirmed", confirmed_at=confirmed)
            yield Static(when, markup=False, classes="claim-confirmed")
            for name, length in FIELDS:
                yield FormField(name, Input(getattr(contact, name), id=name, max_length=length))
            yield Static(self.t("claim.personal_note"), markup=False, classes="hint")
            with Horizontal(classes="buttons"):
                yield Button(self.t("claim.next_button"), id="next", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#address", Input).focus()

    def typed(self) -> Contact:
        return Contact(**{name: self.query_one(f"#{name}", Input).value for name, _ in FIELDS})

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        self.clear_errors()
        try:
            clean = profile.validate_contact(self.typed())
        except DomainError as error:
            self.show_error(error)
            return
        self.app.push_screen(ConfirmScreen(self.step, clean))

    def action_back(self) -> None:
        self.dismiss(self.typed())
