"""The back-office App started by `kidb backoffice`: officer login, then the review queue."""

from __future__ import annotations

from kidb_tui.backoffice.screens.login import OfficerLoginScreen
from kidb_tui.backoffice.screens.queue import QueueScreen
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

    def signed_in_user(self) -> OfficerIdentity | None:
        return self.officer

    def accept(self, user: object) -> None:
        assert isinstance(user, OfficerIdentity)
        self.officer = user

    def record_logout(self, reason: str) -> None:
        officer, self.officer = self.officer, None
        if officer is not None:
            officers.logout(self.rt, officer, reason)

    def actor_name(self) -> str:
        return self.officer.username if self.officer is not None else "backoffice"
