"""Profil: identity data (read-only) and contact data to confirm or correct.

A changed phone number or email asks for the PIN/password again before anything is saved;
the check (argon2) and the write run in a worker thread.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Static

from kidb_tui import validation
from kidb_tui.errors import AuthError, DomainError, FormErrors, ValidationError
from kidb_tui.masked import SecretStr, masked
from kidb_tui.screens.base import KioskScreen
from kidb_tui.services import profile
from kidb_tui.services.profile import CONTACT_FIELDS, Contact
from kidb_tui.widgets.form_field import FormField

MAX_LENGTHS = {"address": validation.MAX_ADDRESS, "postal_code": 10, "phone": 20, "email": 254}


class ProfileScreen(KioskScreen):
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
        view = profile.get_profile(self.rt, self.identity.participant_id)
        with VerticalScroll(classes="card", id="profile-body"):
            with Vertical(id="profile-identity"):
                yield Static(self.t("profile.identity"), markup=False, classes="section")
                for key, value in (
                    ("nib", view.nib),
                    ("full_name", view.full_name),
                    ("birth_date", self.app.i18n.date(view.birth_date)),
                    ("membership_start", self.app.i18n.date(view.membership_start)),
                ):
                    with Horizontal(classes="readonly-row"):
                        yield Static(self.t(f"field.{key}"), markup=False, classes="field-label")
                        yield Static(value, markup=False, classes="readonly-value", id=f"show-{key}")
            if view.contact_confirmed_at is None:
                heading = self.t("profile.contact_never")
            else:
                heading = self.t("profile.contact", confirmed_at=view.contact_confirmed_at)
            yield Static(heading, markup=False, classes="section", id="contact-heading")
            for name in CONTACT_FIELDS:
                yield FormField(name, Input(getattr(view.contact, name), id=name, max_length=MAX_LENGTHS[name]))
            secret = FormField(
                "secret",
                Input(id="secret", password=True, max_length=128, placeholder=self.t("profile.secret_placeholder")),
            )
            secret.display = self.asking_secret
            yield secret
            with Horizontal(classes="buttons"):
                yield Button(self.t("profile.save"), id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#address", Input).focus()
        self.set_status(self.t("profile.hint"))

    def after_relabel(self) -> None:
        self.set_status(self.t("profile.hint"))

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        order = [*CONTACT_FIELDS, "secret"] if self.asking_secret else list(CONTACT_FIELDS)
        if event.input.id == order[-1]:
            self.action_save()
        elif event.input.id in order:
            self.query_one(f"#{order[order.index(event.input.id) + 1]}", Input).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.saving:
            return
        raw = Contact(*(self.query_one(f"#{name}", Input).value for name in CONTACT_FIELDS))
        self.clear_errors()
        try:
            clean = profile.validate_contact(raw)
        except FormErrors as error:
            self.show_error(error)
            return
        secret: SecretStr | None = None
        if profile.needs_reauth(self.rt, self.identity.participant_id, clean):
            if not self.asking_secret:
                self._ask_secret(True)
                self.set_status(self.t("profile.reauth_required"))
                return
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
        self.app.call_from_thread(self._saved, changed)

    def _saved(self, changed: list[str]) -> None:
        self._busy(False)
        self._ask_secret(False)
        self.query_one("#address", Input).focus()
        view = profile.get_profile(self.rt, self.identity.participant_id)
        for name in CONTACT_FIELDS:
            self.query_one(f"#{name}", Input).value = getattr(view.contact, name)
        self.query_one("#contact-heading", Static).update(self.t("profile.contact", confirmed_at=view.contact_confirmed_at))
        if changed:
            fields = ", ".join(self.t(f"field.{name}") for name in changed)
            self.set_status(self.t("profile.saved", fields=fields))
        else:
            self.set_status(self.t("profile.confirmed"))

    async def _failed(self, error: DomainError) -> None:
        self._busy(False)
        secret = self.query_one("#secret", Input)
        secret.value = ""
        if isinstance(error, AuthError) and error.key == "auth.reauth_locked":
            message = self.app.i18n.error(error)
            await self.app.sign_out()
            self.app.screen.set_status(message, error=True)
            return
        if error.key == "profile.reauth_required":
            self._ask_secret(True)
        self.show_error(error)
        if isinstance(error, AuthError):
            self.query_one("#field-secret", FormField).show_error(self.app.i18n.error(error))
            secret.focus()

    def _ask_secret(self, asking: bool) -> None:
        self.asking_secret = asking
        field = self.query_one("#field-secret", FormField)
        field.display = asking
        field.clear_error()
        self.query_one("#secret", Input).value = ""
        if asking:
            self.query_one("#secret", Input).focus()

    def _busy(self, busy: bool) -> None:
        self.saving = busy
        for widget in self.query("Input, Button"):
            widget.disabled = busy

    def action_back(self) -> None:
        if not self.saving:
            self.app.pop_screen()
