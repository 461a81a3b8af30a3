"""Officer login: username and masked password, checked in a worker thread with the same
uniform failure message (under the password, saying what to do), progressive delay and lockout
as participant logins. The dummy hash for
unknown names is made as soon as the screen is up. Once the officer is known, the same worker
reads the queue's first page, which the queue then shows in its first frame."""

from __future__ import annotations

import time
from contextlib import suppress

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input

from kidb_tui.backoffice.screens import queue
from kidb_tui.backoffice.screens.base import BackofficeScreen
from kidb_tui.errors import SystemBusy
from kidb_tui.masked import SecretStr, masked
from kidb_tui.screens.base import BACKGROUND
from kidb_tui.screens.messages import SignedIn
from kidb_tui.services import officers
from kidb_tui.services.officers import OfficerLogin
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.text import KeyButton


class OfficerLoginScreen(BackofficeScreen[None]):
    TITLE_KEY = "bo.login.title"
    HELP_TOPIC = "login"

    def compose_body(self) -> ComposeResult:
        with Vertical(id="officer-login", classes="card"):
            yield self.say("bo.login.welcome", classes="lead")
            yield self.say("bo.login.instructions", classes="hint")
            yield FormField("username", Input(id="username", max_length=40), placeholder_key="bo.login.username_placeholder")
            yield FormField("password", Input(id="password", password=True, max_length=128))
            with Horizontal(classes="buttons"):
                yield KeyButton("bo.login.submit", id="login", variant="primary")
            yield self.say("bo.login.forgot", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#username", Input).focus()
        self._prepare_dummy()

    @work(thread=True, group=BACKGROUND)
    def _prepare_dummy(self) -> None:
        self.rt.hasher.prepare_dummy()

    @on(Input.Submitted, "#username")
    def _username_entered(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#login")
    def submit(self) -> None:
        username = self.query_one("#username", Input).value
        self.clear_errors()
        if not username.strip() or not self.query_one("#password", Input).value:
            self.refuse("username" if not username.strip() else "password", lambda: self.t("bo.login.fill_both"))
            return
        self._busy(True)
        self.set_status(self.t("bo.login.checking"))
        self._verify(username, masked(self.query_one("#password", Input).value))

    @work(thread=True, exclusive=True, group="officer-login")
    def _verify(self, username: str, password: SecretStr) -> None:
        result = officers.login(self.rt, username, password)
        if result.delay:
            time.sleep(result.delay)
        first = None
        if result.officer is not None:
            with suppress(SystemBusy):  # the queue then reads it itself, and says so if still busy
                first = queue.read(self.rt, queue.QueueRequest(limit=queue.page_rows(self.app.size)))
        self.app.call_from_thread(self._finish, result, first)

    def _finish(self, result: OfficerLogin, first: queue.QueueView | None = None) -> None:
        if result.officer is not None:
            self.office.first_queue = first
            self.post_message(SignedIn(result.officer))
            return
        self._busy(False)
        password = self.query_one("#password", Input)
        password.value = ""
        settings = self.rt.settings
        params = {"attempts": settings.lock_threshold, "minutes": result.wait_minutes or settings.lock_minutes}
        key = f"bo.{result.error_key or 'auth.failed'}"
        # under the password, whatever the reason: a failed login never says whether the officer exists
        self.refuse("password", lambda: self.t(key, **params))

    def _busy(self, busy: bool) -> None:
        for widget in self.query("Input, Button"):
            widget.disabled = busy
