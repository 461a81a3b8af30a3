"""Dead letters: the messages the outbox gave up on (too many tries, or refused by the server),
newest first, with who they were for and the last error; the officer puts the highlighted one
back in the queue (F3) once the cause is fixed. Reads and writes run in worker threads."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kidb_tui.backoffice.screens.base import BackofficeScreen
from kidb_tui.errors import DomainError
from kidb_tui.services import sender
from kidb_tui.services.sender import DeadLetter


class DeadLettersScreen(BackofficeScreen[tuple[DeadLetter, ...]]):
    TITLE_KEY = "bo.dead.title"
    HELP_TOPIC = "dead_letters"
    BINDINGS = [
        *BackofficeScreen.BINDINGS,
        Binding("f3", "retry", "bo.key.retry"),
        Binding("escape", "back", "key.back"),
    ]

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dead-letters", classes="card"):
            yield self.say("bo.dead.lead", classes="intro")
            yield self.say("bo.dead.none", id="dead-none")
            yield OptionList(id="dead-list", markup=False)

    def load(self) -> tuple[DeadLetter, ...]:
        return tuple(sender.dead_letters(self.rt))

    def show(self, view: tuple[DeadLetter, ...]) -> None:
        choices = self.query_one("#dead-list", OptionList)
        choices.set_options(self._options())
        choices.display = bool(view)
        self.query_one("#dead-none").display = not view
        if view:
            choices.highlighted = 0
            choices.focus()

    def _options(self) -> list[Option]:
        return [
            Option(self.t("bo.dead.line", created_at=letter.created_at, channel=letter.channel,
                          recipient=letter.recipient, kind=letter.kind, attempts=letter.attempts,
                          error=letter.last_error or "-"), id=str(letter.id))
            for letter in self.view or ()
        ]

    def after_relabel(self) -> None:
        choices = self.query_one("#dead-list", OptionList)
        for index, option in enumerate(self._options()):
            choices.replace_option_prompt_at_index(index, option.prompt)

    def action_retry(self) -> None:
        choices = self.query_one("#dead-list", OptionList)
        if choices.highlighted is None or not self.view:
            return
        self._retry(self.view[choices.highlighted].id)

    @work(thread=True, exclusive=True, group="dead_letters")
    def _retry(self, message_id: int) -> None:
        try:
            sender.retry(self.rt, self.officer, message_id)
        except DomainError as error:
            self.app.call_from_thread(self.report, error)
            return
        self.app.call_from_thread(self._retried)

    def _retried(self) -> None:
        self.set_status(self.t("bo.dead.retried"))
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()
