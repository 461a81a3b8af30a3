"""Saldo: the balance, the amount reserved by claims in progress and what is available to claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical

from kidb_tui.money import format_rupiah
from kidb_tui.screens.base import KioskScreen
from kidb_tui.services import claims
from kidb_tui.services.claims import BalanceView
from kidb_tui.widgets.text import Block


@dataclass(frozen=True)
class Balance:
    amounts: BalanceView
    checked_at: datetime


class BalanceScreen(KioskScreen[Balance]):
    TITLE_KEY = "balance.title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("escape", "back", "key.back"),
    ]

    def compose_body(self) -> ComposeResult:
        with Vertical(classes="card", id="balance-body"):
            yield Block(self._as_of, classes="lead")
            yield Block(self._table, id="balance-table")
            yield self.say("balance.explain", classes="hint")
            yield self.say("balance.next", classes="hint")

    def load(self) -> Balance:
        return Balance(claims.balance_of(self.rt, self.identity.participant_id), self.rt.now())

    def show(self, view: Balance) -> None:
        self.redraw()

    def _as_of(self, _block: Block) -> str:
        return self.t("balance.as_of", checked_at=self.view.checked_at) if self.view else ""

    def _table(self, _block: Block) -> RenderableType:
        table = Table.grid(expand=True)
        table.add_column(ratio=1)
        table.add_column(width=2)
        table.add_column(width=16, justify="right")
        if self.view is None:
            return table
        amounts = self.view.amounts
        table.add_row(Text(self.t("balance.balance")), Text(" "), Text(format_rupiah(amounts.balance_amount)))
        table.add_row(Text(self.t("balance.reserved")), Text("-"), Text(format_rupiah(amounts.reserved_amount)))
        table.add_row(Text(""), Text("──"), Text("─" * 16))
        table.add_row(Text(self.t("balance.available"), style="bold"), Text("=", style="bold"),
                      Text(format_rupiah(amounts.available_amount), style="bold"))
        return table

    def action_back(self) -> None:
        self.app.pop_screen()
