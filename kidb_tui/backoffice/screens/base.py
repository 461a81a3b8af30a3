"""What every back-office screen shares on top of `KioskScreen`: the officer in the title bar,
short stage and claim-type labels, and errors turned into messages."""

from __future__ import annotations

from kidb_tui.errors import DomainError, FormErrors, ValidationError
from kidb_tui.screens.base import KioskScreen
from kidb_tui.services.officers import OfficerIdentity


class BackofficeScreen(KioskScreen):
    """A kiosk screen for officers: `self.officer` instead of a participant identity."""

    def _title_text(self) -> str:
        title = f"KIDB {self.t('bo.app')} · {self.t(self.TITLE_KEY)}"
        officer = self.officer
        if officer is None:
            return title
        return f"{title}  —  {officer.username} ({self.t(f'bo.role.{officer.role}')})"

    @property
    def officer(self) -> OfficerIdentity | None:
        return self.app.officer

    def stage_label(self, stage: str) -> str:
        return self.t(f"bo.stage.{stage}")

    def type_label(self, type_code: str) -> str:
        return self.t(f"bo.type.{type_code}")

    def message(self, error: DomainError) -> str:
        """The error as one sentence; a `stage` parameter is shown by its name."""
        if "stage" in error.params and not isinstance(error, ValidationError):
            params = {**error.params, "stage": self.stage_label(str(error.params["stage"]))}
            return self.t(error.key, **params)
        return self.app.i18n.error(error)

    def report(self, error: DomainError) -> None:
        """Field errors under their fields; anything else on the status line."""
        if isinstance(error, ValidationError):
            error = FormErrors([error])
        if isinstance(error, FormErrors):
            self.show_error(error)
        else:
            self.clear_errors()
            self.set_status(self.message(error), error=True)
