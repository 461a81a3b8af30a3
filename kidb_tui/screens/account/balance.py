"""Saldo: the balance, the amount reserved by claims in progress and what is available to claim."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content

from kidb_tui.money import format_rupiah
from kidb_tui.screens.base import KioskScreen
from kidb_tui.services import claims
from kidb_tui.services.claims import BalanceView
from kidb_tui.widgets.text import Block, Sheet


@dataclass(frozen=True)
class Balance:
    amounts: BalanceView
    checked_at: datetime


@dataclass(frozen=True)
class _Sums:
    """Balance - reserved = available, the amounts right-aligned in 16 cells after a 2-cell
    operator column, the labels wrapped in what the width leaves; the result in bold."""

    amounts: BalanceView
    t: Callable[..., str]

    def lines(self, width: int) -> list[Content]:
        room = max(width - 18, 1)
        amounts = self.amounts
        rows = [(self.t("balance.balance"), "", format_rupiah(amounts.balance_amount), ""),
                (self.t("balance.reserved"), "-", format_rupiah(amounts.reserved_amount), ""),
                ("", "──", "─" * 16, ""),
                (self.t("balance.available"), "=", format_rupiah(amounts.available_amount), "bold")]
        lines = []
        for label, op, amount, style in rows:
            wrapped = [line.plain for line in Content(label).wrap(room)]
            lines.append(Content.styled(f"{wrapped[0]:<{room}}{op:<2}{amount:>16}", style))
            lines.extend(Content.styled(f"{line:<{room}}{'':18}", style) for line in wrapped[1:])
        return lines


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

    def _table(self, _block: Block) -> Sheet:
        return Sheet(_Sums(self.view.amounts, self.t)) if self.view is not None else Sheet()

    def action_back(self) -> None:
        self.app.pop_screen()
