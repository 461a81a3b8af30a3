"""Profil: identity data (read-only) and contact data to confirm or correct.

A changed phone number or email asks for the PIN/password again before anything is saved;
the check (argon2) and the write run in a worker thread.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input

from kidb_tui import validation
from kidb_tui.errors import AuthError, DomainError, FormErrors, ValidationError
from kidb_tui.masked import SecretStr, masked
from kidb_tui.screens.account.contact import as_written, saved_text
from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.discard import leave_or_ask
from kidb_tui.screens.messages import SignOutRequested
from kidb_tui.services import profile
from kidb_tui.services.profile import CONTACT_FIELDS, Contact, ProfileView
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.text import Block, KeyButton, Sheet

MAX_LENGTHS = {"address": validation.MAX_ADDRESS, "postal_code": 10, "phone": 20, "email": 254}
REAUTH_NEEDED = "profile.reauth_required"


class _SecretField(FormField):
    """The PIN/password asked again before a changed phone or email is saved."""

    def __init__(self) -> None:
        self.input = Input(id="secret", password=True, max_length=128)
        super().__init__("secret", self.input, placeholder_key="profile.secret_placeholder")


class ProfileScreen(KioskScreen[ProfileView]):
    TITLE_KEY = "profile.title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("f5", "save", "key.save"),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.asking_secret = False
        self.saving = False

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(classes="card", id="profile-body", can_focus=False):
            yield Block(self._identity_rows, id="profile-identity")
            yield Block(self._contact_heading, classes="section", id="contact-heading")
            for name in CONTACT_FIELDS:
                # `-valid` is the class Textual's Input gives itself at its first value (no
                # validators): given here, filling the fields does not restyle all four.
                yield FormField(name, Input(id=name, max_length=MAX_LENGTHS[name], classes="-valid"))
            with Horizontal(classes="buttons"):
                yield KeyButton("profile.save", id="save", variant="primary")

    def load(self) -> ProfileView:
        return profile.get_profile(self.rt, self.identity.participant_id)

    def show(self, view: ProfileView) -> None:
        contact = as_written(view.contact)
        for name in CONTACT_FIELDS:
            self.query_one(f"#{name}", Input).value = getattr(contact, name)
        if self.focused is None:
            # Focused once it holds the address (its text selected, as typing replaces it).
            self.focus_now(self.query_one("#address", Input))
        self.redraw()

    def _identity_rows(self, block: Block) -> Sheet:
        view = self.view
        if view is None:
            return Sheet(block.sheet_heading(self.t("profile.identity")))
        i18n = self.terminal.i18n
        rows = (("nib", view.nib), ("full_name", view.full_name), ("birth_date", i18n.date(view.birth_date)),
                ("membership_start", i18n.date(view.membership_start)))
        return Sheet(block.sheet_heading(self.t("profile.identity")),
                     block.sheet_rows([(self.t(f"field.{key}"), value) for key, value in rows], label_width=25))

    def _contact_heading(self, _block: Block) -> str:
        if self.view is None or self.view.contact_confirmed_at is None:
            return self.t("profile.contact_never")
        return self.t("profile.contact", confirmed_at=self.view.contact_confirmed_at)

    def on_mount(self) -> None:
        self.set_status(lambda: self.t("profile.hint"))

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        order = [*CONTACT_FIELDS, "secret"] if self.asking_secret else list(CONTACT_FIELDS)
        if event.input.id == order[-1]:
            self.action_save()
        elif event.input.id in order:
            self.query_one(f"#{order[order.index(event.input.id) + 1]}", Input).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.saving or self.view is None:
            return
        raw = self._typed()
        self.clear_errors()
        try:
            profile.validate_contact(raw)
        except FormErrors as error:
            self.show_error(error)
            return
        secret: SecretStr | None = None
        if self.asking_secret:
            secret = masked(self.query_one("#secret", Input).value)
            if not secret.get_secret_value():
                self.show_error(FormErrors([ValidationError("secret", "required")]))
                return
        self._busy(True)
        self.set_status(self.t("profile.saving"))
        self._save(raw, secret)

    @work(thread=True, exclusive=True, group="profile")
    def _save(self, raw: Contact, secret: SecretStr | None) -> None:
        try:
            changed = profile.update_contact(self.rt, self.identity, raw, secret)
        except DomainError as error:
            self.app.call_from_thread(self._failed, error)
            return
        view = profile.get_profile(self.rt, self.identity.participant_id)
        self.app.call_from_thread(self._saved, changed, view)

    def _saved(self, changed: list[str], view: ProfileView) -> None:
        self._busy(False)
        self._ask_secret(False)
        self.view = view
        self.show(view)
        self.query_one("#address", Input).focus()
        code_sent = self.rt.settings.mail_configured
        self.set_status(lambda: saved_text(self.t, changed, code_sent))

    def _failed(self, error: DomainError) -> None:
        self._busy(False)
        secret = self._secret_field()
        if secret is not None:
            secret.input.value = ""
        if isinstance(error, AuthError) and error.key == "auth.reauth_locked":
            self.post_message(SignOutRequested("locked", self.terminal.i18n.error(error)))
            return
        if error.key == REAUTH_NEEDED:
            self._ask_secret(True)
            self.set_status(lambda: self.t(REAUTH_NEEDED))
            return
        self.show_error(error)
        if isinstance(error, AuthError) and secret is not None:
            secret.show_error(lambda: self.terminal.i18n.error(error))
            secret.input.focus()

    def _secret_field(self) -> _SecretField | None:
        found = self.query(_SecretField)
        return found.first() if found else None

    def _ask_secret(self, asking: bool) -> None:
        """Show the PIN field under the contact fields (made the first time it is asked for: most
        visits never need it, and each field costs the screen's opening its styling), or hide it."""
        self.asking_secret = asking
        field = self._secret_field()
        if field is None:
            if asking:
                self.call_next(self._mount_secret)
            return
        field.display = asking
        field.clear_error()
        field.input.value = ""
        if asking:
            field.input.focus()

    async def _mount_secret(self) -> None:
        field = _SecretField()
        await self.query_one("#profile-body").mount(field, before=self.query_one("#profile-body > .buttons"))
        field.input.focus()

    def _busy(self, busy: bool) -> None:
        self.saving = busy
        for widget in self.query("Input, Button"):
            widget.disabled = busy

    def action_back(self) -> None:
        """Back to the menu; with contact data changed and not saved, only after "Batalkan pengisian?"."""
        if self.saving:
            return
        leave_or_ask(self, self.view is None or self._typed() == as_written(self.view.contact))

    def _typed(self) -> Contact:
        return Contact(*(self.query_one(f"#{name}", Input).value for name in CONTACT_FIELDS))
