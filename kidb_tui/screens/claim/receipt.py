"""Daftar Pencairan, step 6: the receipt (claim reference, next stage, service level, what to bring)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from kidb_tui.money import format_rupiah
from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.flow import claim_type, document_names, summary_row
from kidb_tui.services.claims import Receipt


class ReceiptScreen(KioskScreen):
    TITLE_KEY = "claim.receipt_title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("enter", "done", "claim.key_menu", priority=True),
        Binding("escape", "done", "claim.key_menu", show=False),
    ]

    def __init__(self, receipt: Receipt) -> None:
        super().__init__()
        self.receipt = receipt

    def compose_body(self) -> ComposeResult:
        receipt = self.receipt
        info = claim_type(self.rt, receipt.type_code)
        with VerticalScroll(id="receipt", classes="card"):
            yield Static(self.t("claim.receipt_lead"), markup=False, classes="lead")
            yield from summary_row(self.t("claim.reference"), receipt.reference)
            yield from summary_row(self.t("field.claim_type"), info.name(self.app.i18n.language))
            yield from summary_row(self.t("claim.amount"), format_rupiah(receipt.amount))
            yield from summary_row(self.t("claim.recorded"), self.app.i18n.datetime(receipt.created_at))
            yield from summary_row(self.t("claim.stage_now"), self.t(f"stage.{receipt.stage}"))
            if receipt.next_stage:
                yield from summary_row(self.t("claim.stage_next"), self.t(f"stage.{receipt.next_stage}"))
            yield from summary_row(
                self.t("claim.service_level"),
                self.t("claim.service_level_text", expected_date=receipt.expected_by, days=receipt.service_days),
            )
            yield from summary_row(self.t("claim.bring"), ", ".join(document_names(self, info.documents)))
            yield Static(self.t("claim.receipt_note"), markup=False, classes="hint")
            with Horizontal(classes="buttons"):
                yield Button(self.t("claim.menu_button"), id="done", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#done", Button).focus()

    @on(Button.Pressed, "#done")
    def action_done(self) -> None:
        """Back to the menu; every screen of the claim flow leaves the stack."""
        self.app.back_to_menu()
