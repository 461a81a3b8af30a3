"""Daftar Pencairan, step 6: the receipt (claim reference, next stage, service level, what to bring).

It stays until a named key (F10 or Esc, or the button reached with Tab): an Enter carried over
from the PIN typed on the step before must not take it away unread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Button

from kidb_tui.money import format_rupiah
from kidb_tui.screens.account.contact import saved_text
from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.common import document_names
from kidb_tui.services.claims import Receipt
from kidb_tui.services.reference import ClaimTypeInfo
from kidb_tui.widgets.text import Block, KeyButton, Sheet

if TYPE_CHECKING:
    from kidb_tui.screens.claim.flow import ClaimFlow


class ReceiptScreen(KioskScreen[None]):
    TITLE_KEY = "claim.receipt_title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("f10", "done", "claim.key_menu"),
        Binding("escape", "done", "claim.key_menu", show=False),
    ]

    def __init__(self, flow: ClaimFlow, receipt: Receipt, info: ClaimTypeInfo) -> None:
        super().__init__()
        self.flow = flow
        self.receipt = receipt
        self.info = info

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="receipt", classes="card"):
            yield Block(self._receipt)
            with Horizontal(classes="buttons"):
                yield KeyButton("claim.menu_button", id="done", variant="primary")

    def _receipt(self, block: Block) -> Sheet:
        receipt, info = self.receipt, self.info
        rows = [
            (self.t("claim.reference"), receipt.reference),
            (self.t("field.claim_type"), info.name(self.terminal.language)),
            (self.t("claim.amount"), format_rupiah(receipt.amount)),
            (self.t("claim.recorded"), self.terminal.i18n.datetime(receipt.created_at)),
            (self.t("claim.stage_now"), self.t(f"stage.{receipt.stage}")),
        ]
        if receipt.next_stage:
            rows.append((self.t("claim.stage_next"), self.t(f"stage.{receipt.next_stage}")))
        rows += [
            (self.t("claim.service_level"),
             self.t("claim.service_level_text", expected_date=receipt.expected_by, days=receipt.service_days)),
            (self.t("claim.bring"), ", ".join(document_names(self.t, info.documents))),
        ]
        notes = [Content(""), Content(self.t("claim.receipt_note"))]
        if receipt.contact_changed:
            notes.append(Content(saved_text(self.t, receipt.contact_changed, self.rt.settings.mail_configured)))
        contact = self.flow.contact
        if self.rt.settings.mail_configured and contact is not None and contact.email:
            notes.append(Content(self.t("claim.receipt_mail", email=contact.email)))
        return Sheet(Content(""), block.sheet_heading(self.t("claim.receipt_lead")), Content(""),
                     block.sheet_rows(rows), *notes)

    def on_mount(self) -> None:
        self.focus_now(self.query_one("#receipt", VerticalScroll))

    async def action_done(self) -> None:
        await self.flow.finish()

    @on(Button.Pressed, "#done")
    def _done_pressed(self) -> None:
        """The button's handler runs in this screen's own message loop, which closing the screen
        stops: awaited there, the flow's end closed this screen alone and hung. The app runs it,
        as it runs F10's action."""
        self.app.call_later(self.action_done)
