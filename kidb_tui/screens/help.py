"""Bantuan: how to reach customer service, what to do when stuck, and advice on staying safe.
`HelpPage` is the shape every help screen shares (the back office's too): headed sections in a
scrolling card, Esc back."""

from __future__ import annotations

from rich.console import Group, RenderableType
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll

from kidb_tui.screens.base import KioskScreen, TerminalScreen
from kidb_tui.widgets.text import Block

SECTIONS = ("contact", "locked", "card_blocked", "mismatch", "forgot", "safety", "data")


class HelpPage(TerminalScreen[None]):
    """Subclasses give `sections()`: (heading, text) pairs in the current language, drawn again
    after a language switch."""

    BINDINGS = [Binding("escape", "back", "key.back")]

    def compose_body(self) -> ComposeResult:
        yield self.say("help.scroll_hint", id="help-hint")
        with VerticalScroll(id="help-body", classes="card"):
            yield Block(self._draw_sections)

    def sections(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def _draw_sections(self, block: Block) -> RenderableType:
        parts: list[RenderableType] = []
        for index, (heading, text) in enumerate(self.sections()):
            if index:
                parts.append(block.text(""))
            parts += [block.heading(heading), block.text(text)]
        return Group(*parts)

    def on_mount(self) -> None:
        self.query_one("#help-body", VerticalScroll).focus()

    def action_back(self) -> None:
        self.app.pop_screen()


class HelpScreen(HelpPage, KioskScreen[None]):
    TITLE_KEY = "help.title"

    def sections(self) -> list[tuple[str, str]]:
        settings = self.terminal.settings
        return [
            (self.t(f"help.{section}.heading"),
             self.t(f"help.{section}.text", attempts=settings.lock_threshold, minutes=settings.lock_minutes))
            for section in SECTIONS
        ]
