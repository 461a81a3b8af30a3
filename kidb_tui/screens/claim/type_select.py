"""Daftar Pencairan, step 1: choose the claim type; each shows how much of the balance it can pay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.common import limit_text
from kidb_tui.services import reference
from kidb_tui.services.reference import ClaimTypeInfo

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

    def compose_body(self) -> ComposeResult:
        with Vertical(classes="card"):
            yield self.say("claim.type_lead", classes="lead")
            yield OptionList(id="claim-types", markup=False)
            yield self.say("claim.type_hint", classes="hint")

    def load(self) -> tuple[ClaimTypeInfo, ...]:
        return tuple(reference.claim_types(self.rt))

    def show(self, view: tuple[ClaimTypeInfo, ...]) -> None:
        options = self.query_one("#claim-types", OptionList)
        options.set_options(self._options())
        options.highlighted = 0
        options.focus()

    def _options(self) -> list[Option]:
        language = self.terminal.language
        return [
            Option(f"{info.name(language):<{NAME_WIDTH}} {limit_text(self.t, info)}", id=info.code)
            for info in self.view or ()
        ]

    def after_relabel(self) -> None:
        options = self.query_one("#claim-types", OptionList)
        for index, option in enumerate(self._options()):
            options.replace_option_prompt_at_index(index, option.prompt)

    def on_mount(self) -> None:
        self.query_one("#claim-types", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.flow.type_chosen(event.option.id or "")

    def action_choose(self) -> None:
        options = self.query_one("#claim-types", OptionList)
        if options.highlighted is not None and options.option_count:
            self.flow.type_chosen(options.get_option_at_index(options.highlighted).id or "")

    def action_back(self) -> None:
        self.app.pop_screen()
