"""What every back-office screen shares on top of `TerminalScreen`: the officer in the title bar,
F1 help about the screen, short stage and claim-type labels, and errors turned into messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.binding import Binding

from kidb_tui.errors import DomainError, FormErrors, ValidationError
from kidb_tui.screens.base import TerminalScreen
from kidb_tui.screens.messages import ViewT
from kidb_tui.services.officers import OfficerIdentity

if TYPE_CHECKING:
    from kidb_tui.backoffice.app import BackofficeApp


class BackofficeScreen(TerminalScreen[ViewT]):
    """A screen of the officers' app: `self.office` is the app, `self.officer` who signed in
    (taken when the screen opens, so its worker threads can read it)."""

    HELP_TOPIC = ""
    """What F1 explains about this screen and its keys: the `bo.help.<topic>` text ("": no F1)."""
    BINDINGS = [*TerminalScreen.BINDINGS, Binding("f1", "app.help", "key.help")]

    def __init__(self) -> None:
        super().__init__()
        self._officer = self.office.officer

    @property
    def office(self) -> BackofficeApp:
        return cast("BackofficeApp", self.app)

    @property
    def officer(self) -> OfficerIdentity:
        assert self._officer is not None, "a signed-in screen without an officer"
        return self._officer

    def _title_text(self) -> str:
        title = f"KIDB {self.t('bo.app')} · {self.t(self.TITLE_KEY)}"
        officer = self._officer
        if officer is None:
            return title
        return f"{title}  —  {officer.username} ({self.t(f'bo.role.{officer.role}')})"

    def stage_label(self, stage: str) -> str:
        return self.t(f"bo.stage.{stage}")

    def type_label(self, type_code: str) -> str:
        return self.t(f"bo.type.{type_code}")

    def message(self, error: DomainError) -> str:
        """The error as one sentence; a `stage` parameter is shown by its name."""
        if "stage" in error.params and not isinstance(error, ValidationError):
            params = {**error.params, "stage": self.stage_label(str(error.params["stage"]))}
            return self.t(error.key, **params)
        return self.terminal.i18n.error(error)

    def report(self, error: DomainError) -> None:
        """Field errors under their fields; anything else on the status line."""
        if isinstance(error, ValidationError):
            error = FormErrors([error])
        if isinstance(error, FormErrors):
            self.show_error(error)
        else:
            self.clear_errors()
            self.set_status(lambda: self.message(error), error=True)
