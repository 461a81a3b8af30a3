"""What the three screens that set a new PIN or password share (activation, Ganti PIN, reset
with a code): the PIN/password choice, the policy, the secret typed twice, and how a refusal
is shown."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Input, RadioButton, RadioSet

from kidb_tui.errors import DomainError, FormErrors
from kidb_tui.masked import SecretStr, masked
from kidb_tui.screens.base import KioskScreen
from kidb_tui.services.secret_policy import KINDS
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.line_input import LineInput
from kidb_tui.widgets.text import Translated

SECRET_FIELDS = ("secret", "secret_confirm", "secret_kind")


class KindButton(Translated, RadioButton):
    """A radio button whose dot shows only when chosen, so the choice does not rest on colour."""

    def __init__(self, label_key: str, value: bool = False) -> None:
        super().__init__(value=value)
        self.label_key = label_key
        self.relabel()

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # Textual's class constant, drawn per state here
        return "●" if self.value else " "

    def relabel(self) -> None:
        self.label = Content(self.app.t(self.label_key))  # type: ignore[attr-defined]
        self.refresh(layout=True)


class SecretKindChoice(RadioSet):
    """PIN or password side by side on one line; Enter takes the highlighted one and moves on."""

    BINDINGS = [Binding("enter", "choose", show=False)]

    def __init__(self) -> None:
        super().__init__(KindButton("policy.pin", value=True), KindButton("policy.password"), id="secret_kind",
                         compact=True)

    @property
    def kind(self) -> str:
        return KINDS[max(self.pressed_index, 0)]

    def action_choose(self) -> None:
        self.action_toggle_button()
        self.screen.focus_next()


class NewSecretScreen(KioskScreen[None]):
    """Base of the screens that set a new secret: placeholder follows the kind, Esc goes back."""

    BINDINGS = [*KioskScreen.BINDINGS, Binding("escape", "back", "key.back")]

    def secret_fields(self, new_label_key: str | None = None, repeat_label_key: str | None = None) -> ComposeResult:
        """The kind choice, the policy in two lines, and the new secret typed twice."""
        yield FormField("secret_kind", SecretKindChoice(), label_key="policy.kind_label")
        yield self.say("policy.rules", classes="policy")
        yield FormField("secret", LineInput(id="secret", password=True, max_length=128), label_key=new_label_key,
                        placeholder_key="policy.pin_placeholder")
        yield FormField("secret_confirm", LineInput(id="secret_confirm", password=True, max_length=128),
                        label_key=repeat_label_key, placeholder_key="policy.repeat_placeholder")

    @on(RadioSet.Changed, "#secret_kind")
    def _kind_changed(self, event: RadioSet.Changed) -> None:
        field = self.query_one("#field-secret", FormField)
        field.placeholder_key = f"policy.{KINDS[event.index]}_placeholder"
        field.relabel()

    def chosen_secret(self) -> tuple[str, SecretStr, SecretStr]:
        """(kind, secret, confirmation) as typed, the secrets masked."""
        return (
            self.query_one(SecretKindChoice).kind,
            masked(self.query_one("#secret", Input).value),
            masked(self.query_one("#secret_confirm", Input).value),
        )

    def set_busy(self, busy: bool) -> None:
        for widget in self.query("Input, Button, RadioSet"):
            widget.disabled = busy

    def clear_new_secret(self) -> None:
        for name in ("secret", "secret_confirm"):
            self.query_one(f"#{name}", Input).value = ""
        self.query_one("#secret", Input).focus()

    def show_form_errors(self, error: DomainError) -> bool:
        """Show FormErrors under their fields (a refused new secret is cleared); False for others."""
        self.set_busy(False)
        if not isinstance(error, FormErrors):
            return False
        self.show_error(error)
        if any(field_error.field in SECRET_FIELDS for field_error in error.errors):
            self.clear_new_secret()
        return True

    def action_back(self) -> None:
        self.app.pop_screen()
