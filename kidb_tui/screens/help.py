"""Bantuan: how to reach customer service, what to do when stuck, and advice on staying safe."""

from __future__ import annotations

from rich.console import Group, RenderableType
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll

from kidb_tui.screens.base import KioskScreen
from kidb_tui.widgets.text import Block

SECTIONS = ("contact", "locked", "card_blocked", "mismatch", "forgot", "safety", "data")


class HelpScreen(KioskScreen[None]):
    TITLE_KEY = "help.title"
    BINDINGS = [*KioskScreen.BINDINGS, Binding("escape", "back", "key.back")]

    def compose_body(self) -> ComposeResult:
        yield self.say("help.scroll_hint", id="help-hint")
        with VerticalScroll(id="help-body", classes="card"):
            yield Block(self._sections)

    def _sections(self, block: Block) -> RenderableType:
        settings = self.terminal.settings
        parts: list[RenderableType] = []
        for index, section in enumerate(SECTIONS):
            if index:
                parts.append(block.text(""))
            parts.append(block.heading(self.t(f"help.{section}.heading")))
            parts.append(block.text(self.t(f"help.{section}.text", attempts=settings.lock_threshold,
                                            minutes=settings.lock_minutes)))
        return Group(*parts)

    def on_mount(self) -> None:
        self.query_one("#help-body", VerticalScroll).focus()

    def action_back(self) -> None:
        self.app.pop_screen()
