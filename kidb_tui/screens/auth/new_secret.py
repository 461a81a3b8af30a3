"""What the three screens that set a new PIN or password share (activation, Ganti PIN, reset
with a code): the PIN/password choice, the policy, the secret typed twice, and how a refusal
is shown."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, RadioButton, RadioSet, Static

from kidb_tui.errors import DomainError, FormErrors
from kidb_tui.masked import SecretStr, masked
from kidb_tui.screens.base import KioskScreen
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


class NewSecretScreen(KioskScreen):
    """Base of the screens with `secret_fields`: placeholder follows the kind, Esc goes back."""

    BINDINGS = [*KioskScreen.BINDINGS, Binding("escape", "back", "key.back")]

    @on(RadioSet.Changed, "#secret_kind")
    def _kind_changed(self, event: RadioSet.Changed) -> None:
        update_secret_placeholder(self, KINDS[event.index])

    def chosen_secret(self) -> tuple[str, SecretStr, SecretStr]:
        """(kind, secret, confirmation) as typed, the secrets masked."""
        return (
            self.query_one(SecretKindChoice).kind,
            masked(self.query_one("#secret", Input).value),
            masked(self.query_one("#secret_confirm", Input).value),
        )

    def show_form_errors(self, error: DomainError) -> bool:
        """Show FormErrors under their fields (a refused new secret is cleared); False for others."""
        set_busy(self, False)
        if not isinstance(error, FormErrors):
            return False
        self.show_error(error)
        if any(field_error.field in SECRET_FIELDS for field_error in error.errors):
            clear_new_secret(self)
        return True

    def action_back(self) -> None:
        self.app.pop_screen()
