"""Bantuan: how to reach customer service, what to do when stuck, and advice on staying safe."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from kidb_tui.screens.base import KioskScreen

SECTIONS = ("contact", "locked", "card_blocked", "mismatch", "forgot", "safety", "data")


class HelpScreen(KioskScreen):
    TITLE_KEY = "help.title"
    BINDINGS = [*KioskScreen.BINDINGS, Binding("escape", "back", "key.back")]

    def compose_body(self) -> ComposeResult:
        settings = self.rt.settings
        yield Static(self.t("help.scroll_hint"), markup=False, id="help-hint")
        with VerticalScroll(id="help-body", classes="card"):
            for section in SECTIONS:
                yield Static(self.t(f"help.{section}.heading"), markup=False, classes="help-heading")
                yield Static(
                    self.t(f"help.{section}.text", attempts=settings.lock_threshold, minutes=settings.lock_minutes),
                    markup=False,
                    classes="help-text",
                )

    def on_mount(self) -> None:
        self.query_one("#help-body", VerticalScroll).focus()

    def action_back(self) -> None:
        self.app.pop_screen()
