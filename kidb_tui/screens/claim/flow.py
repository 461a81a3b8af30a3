"""The coordinator of Daftar Pencairan: one run of the flow owns what the steps hand on (the
type's requirements, the form's idempotency key, the contact data typed) and opens each step in
turn, so no step knows the next: type -> requirements -> form -> personal data -> confirm ->
receipt, Esc going back a step with what was typed kept. While the requirements are shown, it
reads the form's starting values in the background, so the form opens with them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from kidb_tui.errors import DomainError
from kidb_tui.screens.base import BACKGROUND
from kidb_tui.screens.claim.common import Requirements, ValidDraft
from kidb_tui.screens.claim.confirm import ConfirmScreen
from kidb_tui.screens.claim.form import ClaimFormScreen
from kidb_tui.screens.claim.personal_data import PersonalDataScreen
from kidb_tui.screens.claim.receipt import ReceiptScreen
from kidb_tui.screens.claim.requirements import RequirementsScreen
from kidb_tui.screens.claim.type_select import ClaimTypeScreen
from kidb_tui.services import claims
from kidb_tui.services.claims import ClaimPrefill, Receipt
from kidb_tui.services.profile import Contact, ProfileView

if TYPE_CHECKING:
    from kidb_tui.app import KidbApp


class ClaimFlow:
    """`ClaimFlow(app).start()` opens the first step; each step calls the method for what it
    finished, and the flow opens the next."""

    def __init__(self, app: KidbApp) -> None:
        self.app = app
        self.requirements: Requirements | None = None
        self.key = ""
        self.contact: Contact | None = None
        self.prefill: ClaimPrefill | None = None

    def start(self) -> None:
        self.app.push_screen(ClaimTypeScreen(self))

    def type_chosen(self, type_code: str) -> None:
        screen = RequirementsScreen(self, type_code)
        self.prefill = None
        self.app.push_screen(screen)
        screen.run_worker(self._read_prefill(screen), group=BACKGROUND)

    async def _read_prefill(self, screen: RequirementsScreen) -> None:
        """The form's starting values, read once the requirements are drawn with their data (not
        while that screen is built); a failure leaves them to the form, which then reads them.
        The worker is the requirements screen's: closing that screen cancels it."""
        await screen.wait_ready()
        await screen.wait_for_refresh()
        identity = self.app.identity
        if identity is None:
            return
        try:
            self.prefill = await asyncio.to_thread(claims.prefill, self.app.rt, identity)
        except DomainError:
            self.prefill = None

    def requirements_met(self, requirements: Requirements) -> None:
        """A new form: a new idempotency key, and no contact data typed yet."""
        self.requirements = requirements
        self.key = claims.new_idempotency_key()
        self.contact = None
        self.app.push_screen(ClaimFormScreen(self, requirements, self.prefill))

    def form_valid(self, step: ValidDraft, view: ProfileView) -> None:
        self.app.push_screen(PersonalDataScreen(self, step, view))

    def keep_contact(self, contact: Contact) -> None:
        """What was typed on the personal data step, shown again when the person comes back to it."""
        self.contact = contact

    def contact_valid(self, step: ValidDraft, contact: Contact) -> None:
        self.app.push_screen(ConfirmScreen(self, step, contact))

    def saved(self, receipt: Receipt) -> None:
        assert self.requirements is not None
        self.app.switch_screen(ReceiptScreen(self, receipt, self.requirements.info))

    async def finish(self) -> None:
        """Back to the menu; every screen of the flow leaves the stack."""
        await self.app.back_to_menu()
