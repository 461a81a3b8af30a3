"""Bantuan in the back office (F1 on every screen): what the screen F1 was pressed on is for and
what each of its keys does, then the keys every screen shares."""

from __future__ import annotations

from kidb_tui.backoffice.screens.base import BackofficeScreen
from kidb_tui.screens.help import HelpPage
from kidb_tui.services import reset_codes


class BackofficeHelpScreen(HelpPage, BackofficeScreen[None]):
    TITLE_KEY = "bo.help.title"

    def __init__(self, topic: str, screen_title_key: str) -> None:
        super().__init__()
        self.topic = topic
        self.screen_title_key = screen_title_key

    def sections(self) -> list[tuple[str, str]]:
        settings = self.terminal.settings
        about = self.t(f"bo.help.{self.topic}", attempts=settings.lock_threshold, minutes=settings.lock_minutes,
                       reset_minutes=reset_codes.VALID_MINUTES)
        return [(self.t(self.screen_title_key), about), (self.t("bo.help.common_heading"), self.t("bo.help.common"))]
