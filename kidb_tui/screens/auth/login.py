"""Login: NIB and masked PIN/password; links to account activation, PIN reset and help. The
dummy hash for unknown NIBs is made as soon as the screen is up (or, behind a kiosk's first
screen, once its runtime is prepared), so the first login of a process costs no more. The
first screen of a kiosk: it imports no service (nor, under them, the database layer), which
its worker threads import once the runtime is ready."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input

from kidb_tui.masked import SecretStr, masked
from kidb_tui.screens.base import BACKGROUND, KioskScreen
from kidb_tui.screens.messages import SignedIn
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.line_input import LineInput
from kidb_tui.widgets.text import KeyButton

if TYPE_CHECKING:
    from kidb_tui.services.auth import LoginResult


class LoginScreen(KioskScreen[None]):
    TITLE_KEY = "login.title"
    KEYS_AT_ONCE = True
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("f3", "activate", "key.activate"),
        Binding("f4", "reset", "key.reset"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.checking = False
        """A login is being checked: a second Enter or click waits for its answer. The fields stay
        as they are drawn (disabling them restyled and redrew the screen on its way to the menu);
        keys typed meanwhile wait for the check (kidb_tui/type_ahead.py)."""

    def compose_body(self) -> ComposeResult:
        with Vertical(id="login-box", classes="card"):
            yield self.say("login.welcome", classes="lead")
            yield self.say("login.instructions", classes="hint")
            yield FormField("nib", LineInput(id="nib", max_length=20), placeholder_key="login.nib_placeholder")
            yield FormField("secret", LineInput(id="secret", password=True, max_length=128),
                            placeholder_key="login.secret_placeholder")
            yield self.say("login.secret_hint", classes="hint", id="secret-hint")
            with Horizontal(classes="buttons"):
                yield KeyButton("login.submit", id="login", variant="primary")
                yield KeyButton("login.activate", id="activate")
            yield self.say("login.forgot", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#nib", Input).focus()
        if self.terminal.runtime_ready:
            self._prepare_dummy()

    @work(thread=True, group=BACKGROUND)
    def _prepare_dummy(self) -> None:
        self.rt.hasher.prepare_dummy()

    @on(Input.Submitted, "#nib")
    def _nib_entered(self) -> None:
        self.query_one("#secret", Input).focus()

    @on(Input.Submitted, "#secret")
    @on(Button.Pressed, "#login")
    def submit(self) -> None:
        if self.checking:
            return
        nib = self.query_one("#nib", Input).value
        self.clear_errors()
        if not nib.strip() or not self.query_one("#secret", Input).value:
            self.refuse("nib" if not nib.strip() else "secret", lambda: self.t("login.fill_both"))
            return
        self._busy(True)
        self.set_status(self.t("login.checking"))
        self._verify(nib, masked(self.query_one("#secret", Input).value), self.terminal.language)

    @work(thread=True, exclusive=True, group="login")
    def _verify(self, nib: str, secret: SecretStr, language: str) -> None:
        rt = self.rt  # waits while the database is still being prepared behind this screen
        from kidb_tui.services import auth

        result = auth.login(rt, nib, secret, language)
        if result.delay:
            time.sleep(result.delay)
        self.app.call_from_thread(self._finish, result)

    def _finish(self, result: LoginResult) -> None:
        if result.identity is not None:
            self.post_message(SignedIn(result.identity))
            return
        self._busy(False)
        self.query_one("#secret", Input).value = ""
        key = result.error_key or "auth.failed"
        settings = self.rt.settings
        params = {"attempts": settings.lock_threshold, "minutes": result.wait_minutes or settings.lock_minutes}
        if key == "auth.failed":  # under the PIN: a failed login never says whether the NIB exists
            self.refuse("secret", lambda: f"{self.t('login.failed')} {self.t('login.failed_todo', **params)}")
        else:
            self.refuse("nib" if key == "auth.nib_format" else "secret", lambda: self.t(key, **params))

    def _busy(self, busy: bool) -> None:
        self.checking = busy

    def system_busy(self) -> None:
        self._busy(False)
        super().system_busy()

    @on(Button.Pressed, "#activate")
    def action_activate(self) -> None:
        from kidb_tui.screens.auth.activation import ActivationScreen

        self.app.push_screen(ActivationScreen())

    def action_reset(self) -> None:
        from kidb_tui.screens.auth.reset import ResetScreen

        self.app.push_screen(ResetScreen())
