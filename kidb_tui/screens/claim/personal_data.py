"""Daftar Pencairan, step 4: confirm or correct address, postal code, phone and email.

Nothing is written here: the contact data is saved together with the claim on "Simpan". When it
is as on record, the step is a confirmation: the forward button has the focus, one Enter goes on.
The contact data on record is read by the form's worker with its check (the screen opens with it:
its first frame is its whole picture, with no load of its own).
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
from kidb_tui.widgets.line_input import LineInput
from kidb_tui.widgets.text import Block, KeyButton

if TYPE_CHECKING:
    from kidb_tui.screens.claim.flow import ClaimFlow

FIELDS = (("address", 300), ("postal_code", 5), ("phone", 20), ("email", 254))


class PersonalDataScreen(KioskScreen[None]):
    TITLE_KEY = "claim.personal_title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("f5", "next", "key.next"),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self, flow: ClaimFlow, step: ValidDraft, view: ProfileView) -> None:
        super().__init__()
        self.flow = flow
        self.step = step
        self.record = view
        """The contact data on record, read by the form's worker (the screen loads nothing itself)."""
        stored = as_written(view.contact)
        self._shown = flow.contact or stored
        """What the fields start with: what was typed here before (back from the confirmation), or
        the data on record."""
        self._unchanged = self._shown == stored and view.contact_confirmed_at is not None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="personal-data", classes="card", can_focus=False):
            yield Block(self._intro, id="personal-intro")
            for name, length in FIELDS:
                yield FormField(name, LineInput(getattr(self._shown, name), id=name, max_length=length))
            yield self.say("claim.personal_note", classes="hint")
            yield KeyButton("claim.next_button", id="next", variant="primary")

    def _intro(self, block: Block) -> Content:
        """What to do (bold), then when the contact data was last confirmed (muted)."""
        lead = Content.styled(self.t("claim.personal_lead"), BOLD)
        if self.record.contact_confirmed_at is None:
            confirmed = self.t("claim.personal_never_confirmed")
        else:
            confirmed = self.t("claim.personal_confirmed", confirmed_at=self.record.contact_confirmed_at)
        return lead + Content("\n") + Content.styled(confirmed, block.get_visual_style("block--label", partial=True))

    def on_mount(self) -> None:
        """As on record and confirmed before: the step is a confirmation, the button has the focus
        (focused now: its first frame shows it)."""
        if self._unchanged:
            self.set_status(lambda: self.t("claim.personal_unchanged"))
            self.focus_now(self.query_one("#next", Button))
        else:
            self.focus_now(self.query_one("#address", Input))

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
        self.flow.keep_contact(self.typed())
        self.flow.contact_valid(self.step, clean)

    def action_back(self) -> None:
        self.flow.keep_contact(self.typed())
        self.app.pop_screen()
