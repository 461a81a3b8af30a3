"""Daftar Pencairan, step 1: choose the claim type; each shows how much of the balance it can pay.

Each line has its number: typing it (one or two digits) moves there, Enter chooses."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical

from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.common import limit_text
from kidb_tui.services import reference
from kidb_tui.services.reference import ClaimTypeInfo
from kidb_tui.widgets.choice_list import ChoiceList

if TYPE_CHECKING:
    from kidb_tui.screens.claim.flow import ClaimFlow

NAME_WIDTH = 40


class ClaimTypeScreen(KioskScreen[tuple[ClaimTypeInfo, ...]]):
    TITLE_KEY = "claim.type_title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("enter", "choose", "key.select", priority=True),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self, flow: ClaimFlow) -> None:
        super().__init__()
        self.flow = flow
        self._number = ""

    def compose_body(self) -> ComposeResult:
        with Vertical(classes="card"):
            yield self.say("claim.type_lead", classes="lead")
            yield ChoiceList(id="claim-types")
            yield self.say("claim.type_hint", classes="hint")

    def load(self) -> tuple[ClaimTypeInfo, ...]:
        return tuple(reference.claim_types(self.rt))

    def show(self, view: tuple[ClaimTypeInfo, ...]) -> None:
        self.query_one("#claim-types", ChoiceList).set_choices(
            [(info.code, partial(self._line, number, info)) for number, info in enumerate(view, start=1)])

    def _line(self, number: int, info: ClaimTypeInfo) -> str:
        return f"{number:>2}. {info.name(self.terminal.language):<{NAME_WIDTH}} {limit_text(self.t, info)}"

    def on_key(self, event: events.Key) -> None:
        """A digit moves to the line of that number; a second digit makes it two-digit when
        there is such a line ("1", "2" -> line 12), else starts again."""
        if event.character is None or not event.character.isdigit():
            self._number = ""
            return
        choices = self.query_one("#claim-types", ChoiceList)
        typed = self._number + event.character
        if not 1 <= int(typed) <= choices.count:
            typed = event.character
        self._number = typed
        if 1 <= int(typed) <= choices.count:
            choices.highlighted = int(typed) - 1
        event.stop()

    def after_relabel(self) -> None:
        self.query_one("#claim-types", ChoiceList).relabel()

    def on_mount(self) -> None:
        self.focus_now(self.query_one("#claim-types", ChoiceList))

    def action_choose(self) -> None:
        choice = self.query_one("#claim-types", ChoiceList).highlighted_id
        if choice is not None:
            self.flow.type_chosen(choice)

    def action_back(self) -> None:
        self.app.pop_screen()
