"""Account activation: an imported participant proves NIB + NIK + birth date, then chooses a
PIN or password under the secret policy, and is signed in."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from kidb_tui.errors import AuthError, DomainError, FormErrors
from kidb_tui.screens.base import KioskScreen
from kidb_tui.services import auth
from kidb_tui.services.auth import Identity
from kidb_tui.services.secret_policy import KINDS
from kidb_tui.widgets.form_field import FormField

SECRET_FIELDS = ("secret", "secret_confirm", "secret_kind")


class KindButton(RadioButton):
    """A radio button whose dot shows only when chosen, so the choice does not rest on colour."""

    @property
    def BUTTON_INNER(self) -> str:
        return "●" if self.value else " "


class SecretKindChoice(RadioSet):
    """PIN or password side by side on one line; Enter takes the highlighted one and moves on."""

    BINDINGS = [Binding("enter", "choose", show=False)]

    def __init__(self, pin_label: str, password_label: str) -> None:
        super().__init__(KindButton(pin_label, value=True), KindButton(password_label), id="secret_kind", compact=True)

    @property
    def kind(self) -> str:
        return KINDS[max(self.pressed_index, 0)]

    def action_choose(self) -> None:
        self.action_toggle_button()
        self.screen.focus_next()


def secret_fields(screen: KioskScreen, new_label_key: str | None = None, repeat_label_key: str | None = None) -> ComposeResult:
    """The kind choice, the policy in two lines, and the new secret typed twice (shared with Ganti PIN)."""
    yield FormField(
        "secret_kind",
        SecretKindChoice(screen.t("policy.pin"), screen.t("policy.password")),
        label_key="policy.kind_label",
    )
    yield Static(screen.t("policy.rules"), markup=False, classes="policy")
    yield FormField(
        "secret",
        Input(id="secret", password=True, max_length=128, placeholder=screen.t("policy.pin_placeholder")),
        label_key=new_label_key,
    )
    yield FormField(
        "secret_confirm",
        Input(id="secret_confirm", password=True, max_length=128, placeholder=screen.t("policy.repeat_placeholder")),
        label_key=repeat_label_key,
    )


def update_secret_placeholder(screen: KioskScreen, kind: str) -> None:
    screen.query_one("#secret", Input).placeholder = screen.t(f"policy.{kind}_placeholder")


def set_busy(screen: KioskScreen, busy: bool) -> None:
    for widget in screen.query("Input, Button, RadioSet"):
        widget.disabled = busy


def clear_new_secret(screen: KioskScreen) -> None:
    for name in ("secret", "secret_confirm"):
        screen.query_one(f"#{name}", Input).value = ""
    screen.query_one("#secret", Input).focus()


class ActivationScreen(KioskScreen):
    TITLE_KEY = "activation.title"
    BINDINGS = [*KioskScreen.BINDINGS, Binding("escape", "back", "key.back")]

    def compose_body(self) -> ComposeResult:
        with Vertical(id="activation-box", classes="card auth-form"):
            yield Static(self.t("activation.intro"), markup=False, classes="intro")
            yield FormField("nib", Input(id="nib", max_length=20, placeholder=self.t("activation.nib_placeholder")))
            yield FormField("nik", Input(id="nik", max_length=20, placeholder=self.t("activation.nik_placeholder")))
            yield FormField(
                "birth_date",
                Input(id="birth_date", max_length=10, placeholder=self.t("activation.birth_date_placeholder")),
            )
            yield from secret_fields(self)
            with Horizontal(classes="buttons"):
                yield Button(self.t("activation.submit"), id="submit", variant="primary")
                yield Static(self.t("activation.keys_hint"), markup=False, classes="button-hint")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#nib", Input).focus()

    @on(RadioSet.Changed, "#secret_kind")
    def _kind_changed(self, event: RadioSet.Changed) -> None:
        update_secret_placeholder(self, KINDS[event.index])

    @on(Input.Submitted, "#nib, #nik, #birth_date, #secret")
    def _next_field(self) -> None:
        self.focus_next()

    @on(Input.Submitted, "#secret_confirm")
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        values = [self.query_one(f"#{name}", Input).value for name in ("nib", "nik", "birth_date")]
        kind = self.query_one(SecretKindChoice).kind
        secret = self.query_one("#secret", Input).value
        confirmation = self.query_one("#secret_confirm", Input).value
        self.clear_errors()
        set_busy(self, True)
        self.set_status(self.t("activation.checking"))
        self._activate(*values, kind, secret, confirmation)

    @work(thread=True, exclusive=True, group="activation")
    def _activate(self, nib: str, nik: str, birth_date: str, kind: str, secret: str, confirmation: str) -> None:
        try:
            identity = auth.activate(self.rt, nib, nik, birth_date, kind, secret, confirmation)
        except DomainError as error:
            self.app.call_from_thread(self._refused, error)
            return
        self.app.call_from_thread(self._activated, identity)

    def _activated(self, identity: Identity) -> None:
        self.app.pop_screen()
        self.app.signed_in(identity)
        self.app.notify(self.t("activation.done"), title=self.t("activation.done_title"), timeout=10, markup=False)

    def _refused(self, error: DomainError) -> None:
        set_busy(self, False)
        if isinstance(error, FormErrors):
            self.show_error(error)
            if any(field_error.field in SECRET_FIELDS for field_error in error.errors):
                clear_new_secret(self)
            return
        if isinstance(error, AuthError) and error.key == "activation.mismatch":
            settings = self.rt.settings
            self.set_status(self.t(error.key, attempts=settings.lock_threshold, minutes=settings.lock_minutes), error=True)
            self.query_one("#nib", Input).focus()
            return
        self.show_error(error)
        clear_new_secret(self)

    def action_back(self) -> None:
        self.app.pop_screen()
