"""Help at the counter, by NIB: unlock a locked account after seeing the KTP, issue a one-time
reset code (shown once on its own screen), block or unblock the participant's card with a reason.
Below, shown only while there are any: the terminals made to wait after repeated failed attempts,
whose wait the officer can end. Every read and write runs in a worker thread."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, OptionList
from textual.widgets.option_list import Option

from kidb_tui.backoffice.screens.base import BackofficeScreen
from kidb_tui.backoffice.screens.reset_code import ResetCodeScreen
from kidb_tui.errors import DomainError
from kidb_tui.services import counter, reset_codes
from kidb_tui.services.counter import ParticipantCard, WaitingTerminal
from kidb_tui.services.throttle import CONSOLE
from kidb_tui.widgets.checklist import MarkCheckbox
from kidb_tui.widgets.form_field import FormField
from kidb_tui.widgets.text import KeyButton, Say, Shown


class CounterScreen(BackofficeScreen[tuple[WaitingTerminal, ...]]):
    TITLE_KEY = "bo.counter.title"
    HELP_TOPIC = "counter"
    BINDINGS = [
        Binding("f1", "app.help", "key.help", show=False),  # hides the F1 of BackofficeScreen (no room), still works
        Binding("f3", "unlock", "bo.key.unlock"),
        Binding("f4", "reset_code", "bo.key.reset_code"),
        Binding("f6", "card(True)", "bo.key.block"),
        Binding("f7", "card(False)", "bo.key.unblock"),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._revealed: dict[str, str] = {}
        """The whole NIK of each NIB already shown on this screen (its reading audited once):
        typing on in the NIB field or ticking "KTP seen" again reads and audits nothing more."""

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="counter", classes="card", can_focus=False):
            yield self.say("bo.counter.lead", classes="intro")
            yield FormField("nib", Input(id="nib", max_length=20), placeholder_key="bo.counter.nib_placeholder")
            yield self.say("bo.counter.who_empty", id="who")
            yield self.say("bo.counter.unlock_heading", classes="section")
            yield FormField("ktp_seen", MarkCheckbox(lambda: self.t("bo.counter.ktp_label"), id="ktp_seen"))
            with Horizontal(classes="buttons"):
                yield KeyButton("bo.counter.unlock_button", id="unlock")
            yield self.say("bo.counter.reset_heading", classes="section")
            yield self.say("bo.counter.reset_hint", minutes=reset_codes.VALID_MINUTES)
            with Horizontal(classes="buttons"):
                yield KeyButton("bo.counter.reset_button", id="issue-code")
            yield self.say("bo.counter.card_heading", classes="section")
            yield FormField("reason", Input(id="reason", max_length=counter.MAX_REASON),
                            placeholder_key="bo.counter.reason_placeholder")
            with Horizontal(classes="buttons"):
                yield KeyButton("bo.counter.block_button", id="block")
                yield KeyButton("bo.counter.unblock_button", id="unblock")
            with Vertical(id="terminals"):
                yield self.say("bo.counter.terminals_heading", classes="section")
                yield OptionList(id="terminal-list", markup=False)
                with Horizontal(classes="buttons"):
                    yield KeyButton("bo.counter.end_wait_button", id="end-wait")

    def on_mount(self) -> None:
        self.query_one("#terminals").display = False
        self.query_one("#nib", Input).focus()

    def load(self) -> tuple[WaitingTerminal, ...]:
        return tuple(counter.waiting_terminals(self.rt))

    def show(self, view: tuple[WaitingTerminal, ...]) -> None:
        """The waiting terminals, one option each; the section is hidden while none waits."""
        choices = self.query_one("#terminal-list", OptionList)
        choices.set_options(self._terminal_options())
        if view:
            choices.highlighted = 0
        self.query_one("#terminals").display = bool(view)

    def _terminal_options(self) -> list[Option]:
        return [
            Option(self.t("bo.counter.terminal_line", terminal=self._terminal_name(terminal.terminal_id),
                          failures=terminal.failures, until_at=terminal.until), id=terminal.terminal_id)
            for terminal in self.view or ()
        ]

    def after_relabel(self) -> None:
        choices = self.query_one("#terminal-list", OptionList)
        for index, option in enumerate(self._terminal_options()):
            choices.replace_option_prompt_at_index(index, option.prompt)

    def _terminal_name(self, terminal_id: str) -> str:
        return self.t("bo.counter.terminal_console") if terminal_id == CONSOLE else terminal_id

    def _nib(self) -> str:
        return self.query_one("#nib", Input).value

    def _run(self, call: Callable[[], Shown]) -> None:
        """Run a service call in a worker; its answer (a status text) or its refusal is shown here."""
        self.clear_errors()
        self._act(call)

    @work(thread=True, exclusive=True, group="counter")
    def _act(self, call: Callable[[], Shown]) -> None:
        try:
            answer = call()
        except DomainError as error:
            self.app.call_from_thread(self.report, error)
            return
        self.app.call_from_thread(self.set_status, answer)

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    @on(Input.Changed, "#nib")
    def _nib_changed(self) -> None:
        """Name, masked NIK, birth date and account state of the typed NIB, to check against the KTP."""
        self._look_up(self._nib(), self.query_one("#ktp_seen", MarkCheckbox).value)

    @on(Checkbox.Changed, "#ktp_seen")
    def _ktp_ticked(self) -> None:
        """With the KTP in hand the officer compares the whole NIK (audited the first time it is shown)."""
        self._look_up(self._nib(), self.query_one("#ktp_seen", MarkCheckbox).value)

    @work(thread=True, exclusive=True, group="lookup")
    def _look_up(self, nib: str, ktp_seen: bool = False) -> None:
        """The card of `nib` read again; the whole NIK only while "KTP seen" is ticked."""
        if not nib.strip():
            self.app.call_from_thread(self._who, lambda: self.t("bo.counter.who_empty"))
            return
        try:
            card = counter.lookup(self.rt, nib)
            nik = self._whole_nik(card) if ktp_seen else card.nik_masked
        except DomainError as error:
            self.app.call_from_thread(self._who, lambda refused=error: self.message(refused))
            return
        self.app.call_from_thread(self._who, lambda: self._card_text(card, nik))

    def _whole_nik(self, card: ParticipantCard) -> str:
        """The card's whole NIK, read (and audited) the first time this screen shows it."""
        if card.nib not in self._revealed:
            self._revealed[card.nib] = counter.full_nik(self.rt, self.officer, card.nib, True)
        return self._revealed[card.nib]

    def _who(self, text: Shown) -> None:
        self.query_one("#who", Say).say(text)

    def _card_text(self, card: ParticipantCard, nik: str) -> str:
        return self.t(
            "bo.counter.who", name=card.full_name, nik=nik, birth_date=card.birth_date,
            card=self.t(f"bo.counter.card_{card.card_status}"),
            account=self.t("bo.counter.account_yes" if card.has_account else "bo.counter.account_no"),
            lock=self.t("bo.counter.locked_yes" if card.locked else "bo.counter.locked_no"),
        )

    @on(Button.Pressed, "#unlock")
    def action_unlock(self) -> None:
        rt, officer, nib = self.rt, self.officer, self._nib()
        ktp = self.query_one("#ktp_seen", MarkCheckbox)
        seen = ktp.value

        def unlock() -> Shown:
            cleared = counter.unlock_account(rt, officer, nib, seen)
            self.app.call_from_thread(setattr, ktp, "value", False)
            self.app.call_from_thread(self._look_up, nib)
            return lambda: self.t("bo.counter.unlocked" if cleared else "bo.counter.not_locked", nib=nib.strip())

        self._run(unlock)

    @on(Button.Pressed, "#issue-code")
    def action_reset_code(self) -> None:
        self.clear_errors()
        self.set_status(self.t("bo.counter.issuing"))
        self._issue(self._nib(), self.query_one("#ktp_seen", MarkCheckbox).value)

    @work(thread=True, exclusive=True, group="reset-code")
    def _issue(self, nib: str, ktp_seen: bool) -> None:
        try:
            code = reset_codes.issue(self.rt, self.officer, nib, ktp_seen)
        except DomainError as error:
            self.app.call_from_thread(self.report, error)
            return
        expires_at = self.rt.now() + timedelta(minutes=reset_codes.VALID_MINUTES)
        self.app.call_from_thread(self._show_code, nib.strip(), code, expires_at)

    def _show_code(self, nib: str, code: str, expires_at: datetime) -> None:
        self.set_status("")
        self.app.push_screen(ResetCodeScreen(nib, code, expires_at))

    @on(Button.Pressed, "#block")
    def _block_pressed(self) -> None:
        self.action_card(True)

    @on(Button.Pressed, "#unblock")
    def _unblock_pressed(self) -> None:
        self.action_card(False)

    def action_card(self, blocked: bool) -> None:
        rt, officer, nib = self.rt, self.officer, self._nib()
        reason = self.query_one("#reason", Input)
        text = reason.value

        def set_card() -> Shown:
            counter.set_card_status(rt, officer, nib, blocked, text)
            self.app.call_from_thread(setattr, reason, "value", "")
            return lambda: self.t("bo.counter.blocked" if blocked else "bo.counter.unblocked", nib=nib.strip())

        self._run(set_card)

    @on(Button.Pressed, "#end-wait")
    def _end_wait(self) -> None:
        choices = self.query_one("#terminal-list", OptionList)
        if choices.highlighted is None:
            return
        terminal_id = choices.get_option_at_index(choices.highlighted).id or ""
        rt, officer, name = self.rt, self.officer, self._terminal_name(terminal_id)

        def end_wait() -> Shown:
            counter.end_terminal_wait(rt, officer, terminal_id)
            self.app.call_from_thread(self.reload)
            return lambda: self.t("bo.counter.wait_ended", terminal=name)

        self._run(end_wait)

    def action_back(self) -> None:
        self.app.pop_screen()
