"""The back-office App started by `kidb backoffice`: officer login, then the review queue; F1 help
about the screen on top, on every screen."""

from __future__ import annotations

from typing import Any

from kidb_tui.backoffice.screens.base import BackofficeScreen
from kidb_tui.backoffice.screens.help import BackofficeHelpScreen
from kidb_tui.backoffice.screens.login import OfficerLoginScreen
from kidb_tui.backoffice.screens.queue import QueueScreen, QueueView
from kidb_tui.services import officers
from kidb_tui.services.officers import OfficerIdentity
from kidb_tui.services.runtime import Runtime
from kidb_tui.terminal_app import SIGNED_IN, SIGNED_OUT, TerminalApp


class BackofficeApp(TerminalApp):
    """One officer session at a terminal."""

    TITLE = "KIDB back office"
    MODES = {SIGNED_OUT: OfficerLoginScreen, SIGNED_IN: QueueScreen}

    def __init__(self, rt: Runtime, language: str | None = None, kiosk: bool = False) -> None:
        super().__init__(rt, language, kiosk)
        self.officer: OfficerIdentity | None = None
        self.first_queue: QueueView | None = None
        """The queue's first page, read by the login as the officer signed in (QueueScreen takes it)."""

    def signed_in_user(self) -> OfficerIdentity | None:
        return self.officer

    def accept(self, user: object) -> None:
        assert isinstance(user, OfficerIdentity)
        self.officer = user

    def record_logout(self, reason: str) -> None:
        officer, self.officer = self.officer, None
        self.first_queue = None
        if officer is not None:
            officers.logout(self.rt, officer, reason)

    def actor_name(self) -> str:
        return self.officer.username if self.officer is not None else "backoffice"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "help":
            return self._help_about() is not None
        return True

    async def action_help(self) -> None:
        """F1: help about the screen on top, its keys included (none on the help screen itself)."""
        screen = self._help_about()
        if screen is not None:
            await self.push_screen(BackofficeHelpScreen(screen.HELP_TOPIC, screen.TITLE_KEY))

    def _help_about(self) -> BackofficeScreen[Any] | None:
        screen = self.screen
        return screen if isinstance(screen, BackofficeScreen) and screen.HELP_TOPIC else None
