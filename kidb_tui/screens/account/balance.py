"""Saldo: the balance, the amount reserved by claims in progress and what is available to claim."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from kidb_tui.money import format_rupiah
from kidb_tui.screens.base import KioskScreen
from kidb_tui.services import claims


class BalanceScreen(KioskScreen):
    TITLE_KEY = "balance.title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("escape", "back", "key.back"),
    ]

    def compose_body(self) -> ComposeResult:
        view = claims.balance_of(self.rt, self.identity.participant_id)
        with Vertical(classes="card", id="balance-body"):
            yield Static(self.t("balance.as_of", checked_at=self.rt.now()), markup=False, classes="lead")
            rows = (
                ("balance", "balance.balance", view.balance_amount, " "),
                ("reserved", "balance.reserved", view.reserved_amount, "-"),
                ("available", "balance.available", view.available_amount, "="),
            )
            with Vertical(id="balance-table"):
                for name, label, amount, sign in rows:
                    if name == "available":
                        yield Static("─" * 18, markup=False, classes="balance-rule")
                    with Horizontal(classes="balance-row", id=f"balance-{name}"):
                        yield Static(self.t(label), markup=False, classes="balance-label")
                        yield Static(sign, markup=False, classes="balance-sign")
                        yield Static(format_rupiah(amount), markup=False, classes="balance-amount")
            yield Static(self.t("balance.explain"), markup=False, classes="hint")
            yield Static(self.t("balance.next"), markup=False, classes="hint")

    def action_back(self) -> None:
        self.app.pop_screen()
