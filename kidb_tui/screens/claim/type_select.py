"""Daftar Pencairan, step 1: choose the claim type; each shows how much of the balance it can pay."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.flow import limit_text
from kidb_tui.screens.claim.requirements import RequirementsScreen
from kidb_tui.services import reference

NAME_WIDTH = 40


class ClaimTypeScreen(KioskScreen):
    TITLE_KEY = "claim.type_title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("enter", "choose", "key.select", priority=True),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._highlighted = 0

    def compose_body(self) -> ComposeResult:
        with Vertical(classes="card"):
            yield Static(self.t("claim.type_lead"), markup=False, classes="lead")
            yield OptionList(*self._options(), id="claim-types", markup=False)
            yield Static(self.t("claim.type_hint"), markup=False, classes="hint")

    def _options(self) -> list[Option]:
        language = self.app.i18n.language
        return [
            Option(f"{info.name(language):<{NAME_WIDTH}} {limit_text(self, info)}", id=info.code)
            for info in reference.claim_types(self.rt)
        ]

    def on_mount(self) -> None:
        self._focus_list()

    def after_relabel(self) -> None:
        self._focus_list()

    def _focus_list(self) -> None:
        options = self.query_one("#claim-types", OptionList)
        options.highlighted = self._highlighted
        options.focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._highlighted = event.option_index

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._open(event.option.id or "")

    def action_choose(self) -> None:
        options = self.query_one("#claim-types", OptionList)
        if options.highlighted is not None:
            self._open(options.get_option_at_index(options.highlighted).id or "")

    def _open(self, type_code: str) -> None:
        self.app.push_screen(RequirementsScreen(type_code))

    def action_back(self) -> None:
        self.app.pop_screen()
