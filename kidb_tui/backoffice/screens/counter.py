"""Help at the counter, by NIB: unlock a locked account after seeing the KTP, issue a one-time
reset code (shown once on its own screen), block or unblock the participant's card with a reason.
Below, shown only while there are any: the terminals made to wait after repeated failed attempts,
whose wait the officer can end."""

from __future__ import annotations

from datetime import timedelta

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from kidb_tui.backoffice.screens.base import BackofficeScreen
from kidb_tui.backoffice.screens.reset_code import ResetCodeScreen
from kidb_tui.errors import DomainError
from kidb_tui.services import counter, reset_codes
from kidb_tui.services.throttle import CONSOLE
from kidb_tui.widgets.checklist import MarkCheckbox
from kidb_tui.widgets.form_field import FormField


class CounterScreen(BackofficeScreen):
    TITLE_KEY = "bo.counter.title"
    BINDINGS = [
        *BackofficeScreen.BINDINGS,
        Binding("f3", "unlock", "bo.key.unlock"),
        Binding("f4", "reset_code", "bo.key.reset_code"),
        Binding("f6", "card(True)", "bo.key.block"),
        Binding("f7", "card(False)", "bo.key.unblock"),
        Binding("escape", "back", "key.back"),
    ]

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="counter", classes="card"):
            yield Static(self.t("bo.counter.lead"), markup=False, classes="intro")
            yield FormField("nib", Input(id="nib", max_length=20, placeholder=self.t("bo.counter.nib_placeholder")))
            yield Static(self.t("bo.counter.who_empty"), markup=False, id="who")
            yield Static(self.t("bo.counter.unlock_heading"), markup=False, classes="section")
            yield FormField("ktp_seen", MarkCheckbox(self.t("bo.counter.ktp_label"), id="ktp_seen", compact=True))
            with Horizontal(classes="buttons"):
                yield Button(self.t("bo.counter.unlock_button"), id="unlock")
            yield Static(self.t("bo.counter.reset_heading"), markup=False, classes="section")
            yield Static(self.t("bo.counter.reset_hint", minutes=reset_codes.VALID_MINUTES), markup=False)
            with Horizontal(classes="buttons"):
                yield Button(self.t("bo.counter.reset_button"), id="issue-code")
            yield Static(self.t("bo.counter.card_heading"), markup=False, classes="section")
            yield FormField("reason", Input(id="reason", max_length=counter.MAX_REASON,
                                            placeholder=self.t("bo.counter.reason_placeholder")))
            with Horizontal(classes="buttons"):
                yield Button(self.t("bo.counter.block_button"), id="block")
                yield Button(self.t("bo.counter.unblock_button"), id="unblock")
            with Vertical(id="terminals"):
                yield Static(self.t("bo.counter.terminals_heading"), markup=False, classes="section")
                yield OptionList(id="terminal-list", markup=False)
                with Horizontal(classes="buttons"):
                    yield Button(self.t("bo.counter.end_wait_button"), id="end-wait")

    def on_mount(self) -> None:
        self.query_one("#nib", Input).focus()
        self._show_terminals()

    def _terminal_name(self, terminal_id: str) -> str:
        return self.t("bo.counter.terminal_console") if terminal_id == CONSOLE else terminal_id

    def _show_terminals(self) -> None:
        """The waiting terminals, one option each; the section is hidden while none waits."""
        try:
            waiting = counter.waiting_terminals(self.rt)
        except DomainError as error:
            self.report(error)
            waiting = []
        choices = self.query_one("#terminal-list", OptionList)
        choices.clear_options()
        choices.add_options([
            Option(self.t("bo.counter.terminal_line", terminal=self._terminal_name(terminal.terminal_id),
                          failures=terminal.failures, until_at=terminal.until), id=terminal.terminal_id)
            for terminal in waiting
        ])
        if waiting:
            choices.highlighted = 0
        self.query_one("#terminals").display = bool(waiting)

    @on(Button.Pressed, "#end-wait")
    def _end_wait(self) -> None:
        self.clear_errors()
        choices = self.query_one("#terminal-list", OptionList)
        if choices.highlighted is None:
            return
        terminal_id = choices.get_option_at_index(choices.highlighted).id
        assert terminal_id is not None
        try:
            counter.end_terminal_wait(self.rt, self.officer, terminal_id)
        except DomainError as error:
            self.report(error)
            return
        self._show_terminals()
        self.set_status(self.t("bo.counter.wait_ended", terminal=self._terminal_name(terminal_id)))

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    @on(Input.Changed, "#nib")
    def _show_who(self) -> None:
        """Name, masked NIK, birth date and account state of the typed NIB, to check against the KTP."""
        who = self.query_one("#who", Static)
        try:
            card = counter.lookup(self.rt, self._nib())
        except DomainError as error:
            who.update(self.t("bo.counter.who_empty") if not self._nib().strip() else self.message(error))
            return
        who.update(self.t(
            "bo.counter.who", name=card.full_name, nik=card.nik_masked, birth_date=card.birth_date,
            card=self.t(f"bo.counter.card_{card.card_status}"),
            account=self.t("bo.counter.account_yes" if card.has_account else "bo.counter.account_no"),
            lock=self.t("bo.counter.locked_yes" if card.locked else "bo.counter.locked_no"),
        ))

    def after_relabel(self) -> None:
        self._show_who()
        self._show_terminals()

    def _nib(self) -> str:
        return self.query_one("#nib", Input).value

    @on(Button.Pressed, "#unlock")
    def action_unlock(self) -> None:
        self.clear_errors()
        ktp = self.query_one("#ktp_seen", MarkCheckbox)
        try:
            cleared = counter.unlock_account(self.rt, self.officer, self._nib(), ktp.value)
        except DomainError as error:
            self.report(error)
            return
        ktp.value = False
        self.set_status(self.t("bo.counter.unlocked" if cleared else "bo.counter.not_locked", nib=self._nib().strip()))

    @on(Button.Pressed, "#issue-code")
    def action_reset_code(self) -> None:
        self.clear_errors()
        self.set_status(self.t("bo.counter.issuing"))
        self._issue(self._nib())

    @work(thread=True, exclusive=True, group="reset-code")
    def _issue(self, nib: str) -> None:
        try:
            code = reset_codes.issue(self.rt, self.officer, nib)
        except DomainError as error:
            self.app.call_from_thread(self.report, error)
            return
        expires_at = self.rt.now() + timedelta(minutes=reset_codes.VALID_MINUTES)
        self.app.call_from_thread(self._show_code, nib.strip(), code, expires_at)

    def _show_code(self, nib: str, code: str, expires_at) -> None:
        self.set_status("")
        self.app.push_screen(ResetCodeScreen(nib, code, expires_at))

    @on(Button.Pressed, "#block")
    def _block_pressed(self) -> None:
        self.action_card(True)

    @on(Button.Pressed, "#unblock")
    def _unblock_pressed(self) -> None:
        self.action_card(False)

    def action_card(self, blocked: bool) -> None:
        self.clear_errors()
        reason = self.query_one("#reason", Input)
        try:
            counter.set_card_status(self.rt, self.officer, self._nib(), blocked, reason.value)
        except DomainError as error:
            self.report(error)
            return
        reason.value = ""
        self.set_status(self.t("bo.counter.blocked" if blocked else "bo.counter.unblocked", nib=self._nib().strip()))

    def action_back(self) -> None:
        self.app.pop_screen()
