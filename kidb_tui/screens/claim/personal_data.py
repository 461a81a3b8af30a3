"""Daftar Pencairan, step 4: confirm or correct address, postal code, phone and email.

Nothing is written here: the contact data is saved together with the claim on "Simpan". When it
is as on record, the step is a confirmation: the forward button has the focus, one Enter goes on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input

from kidb_tui.errors import DomainError
from kidb_tui.screens.account.contact import as_written
from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.common import BOLD, ValidDraft
from kidb_tui.services import profile
from kidb_tui.services.profile import Contact, ProfileView
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.text import Block, KeyButton

if TYPE_CHECKING:
    from kidb_tui.screens.claim.flow import ClaimFlow

FIELDS = (("address", 300), ("postal_code", 5), ("phone", 20), ("email", 254))


class PersonalDataScreen(KioskScreen[ProfileView]):
    TITLE_KEY = "claim.personal_title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("f5", "next", "key.next"),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self, flow: ClaimFlow, step: ValidDraft) -> None:
        super().__init__()
        self.flow = flow
        self.step = step

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="personal-data", classes="card", can_focus=False):
            yield Block(self._intro, id="personal-intro")
            for name, length in FIELDS:
                yield FormField(name, Input(id=name, max_length=length))
            yield self.say("claim.personal_note", classes="hint")
            yield KeyButton("claim.next_button", id="next", variant="primary")

    def load(self) -> ProfileView:
        return profile.get_profile(self.rt, self.identity.participant_id)

    def show(self, view: ProfileView) -> None:
        stored = as_written(view.contact)
        contact = self.flow.contact or stored
        for name, _ in FIELDS:
            self.query_one(f"#{name}", Input).value = getattr(contact, name)
        self.redraw()
        if contact == stored and view.contact_confirmed_at is not None:
            self.set_status(lambda: self.t("claim.personal_unchanged"))
            self.query_one("#next", Button).focus()

    def _intro(self, block: Block) -> Content:
        """What to do (bold), then when the contact data was last confirmed (muted)."""
        lead = Content.styled(self.t("claim.personal_lead"), BOLD)
        if self.view is None:
            return lead
        if self.view.contact_confirmed_at is None:
            confirmed = self.t("claim.personal_never_confirmed")
        else:
            confirmed = self.t("claim.personal_confirmed", confirmed_at=self.view.contact_confirmed_at)
        return lead + Content("\n") + Content.styled(confirmed, block.get_visual_style("block--label", partial=True))

    def on_mount(self) -> None:
        self.query_one("#address", Input).focus()

    def typed(self) -> Contact:
        return Contact(**{name: self.query_one(f"#{name}", Input).value for name, _ in FIELDS})

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        if self.view is None:
            return
        self.clear_errors()
        try:
            clean = profile.validate_contact(self.typed())
        except DomainError as error:
            self.show_error(error)
            return
        self.flow.keep_contact(self.typed())
        self.flow.contact_valid(self.step, clean)

    def action_back(self) -> None:
        if self.view is not None:
            self.flow.keep_contact(self.typed())
        self.app.pop_screen()
