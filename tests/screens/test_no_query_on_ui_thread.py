"""Every screen transition reads and writes the database off Textual's UI thread (in the
screen's worker), and F2 (the language) reads nothing at all: SQL statements are counted by the
thread that runs them (SQLAlchemy's `before_cursor_execute` event)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from tests import ui
from tests.conftest import SITI
from tests.screens import claim_steps


class StatementsByThread:
    def __init__(self) -> None:
        self.ui_thread = threading.get_ident()
        self.counts: Counter[int] = Counter()

    def __call__(self, *_args: object) -> None:
        self.counts[threading.get_ident()] += 1

    @property
    def on_ui_thread(self) -> int:
        return self.counts[self.ui_thread]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> None:
        self.counts.clear()


@pytest.fixture
def statements(demo_rt) -> Iterator[StatementsByThread]:
    counter = StatementsByThread()
    event.listen(demo_rt.engine, "before_cursor_execute", counter)
    yield counter
    event.remove(demo_rt.engine, "before_cursor_execute", counter)


async def _step(pilot, statements: StatementsByThread, title_key: str, *keys: str) -> int:
    """Press `keys`, check the screen `title_key` is reached with no statement on the UI thread;
    then F2 there redraws the screen in English (and back) without any statement. The number of
    statements (all in worker threads) the keys ran."""
    statements.reset()
    await ui.keys(pilot, *keys)
    assert ui.at(pilot.app, title_key), ui.text(pilot.app)
    assert statements.on_ui_thread == 0, f"{statements.on_ui_thread} statements on the UI thread reaching {title_key}"
    ran = statements.total
    statements.reset()
    await ui.keys(pilot, "f2")
    assert ui.at(pilot.app, title_key, "en"), ui.text(pilot.app)
    await ui.keys(pilot, "f2")
    assert statements.total == 0, f"F2 on {title_key} ran {statements.total} statements"
    return ran


async def test_the_claim_flow_runs_no_statement_on_the_ui_thread(make_app, statements, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        await ui.keys(pilot, *SITI.nib, "enter")
        assert await _step(pilot, statements, "menu.title", *SITI.secret, "enter") > 0
        await _step(pilot, statements, "claim.type_title", "1")
        assert await _step(pilot, statements, "claim.req_title", "enter") > 0
        await ui.keys(pilot, "enter")
        assert ui.at(app, "claim.form_title")
        await claim_steps.fill_form(pilot)
        await _step(pilot, statements, "claim.form_title")
        await _step(pilot, statements, "claim.personal_title", "f5")
        await _step(pilot, statements, "claim.confirm_title", "f5")
        assert await _step(pilot, statements, "claim.receipt_title", *SITI.secret, "enter") > 0
    assert len(claim_steps.claims_of(demo_rt, SITI)) == 1


@pytest.mark.parametrize(("key", "title_key"), [
    ("2", "status.title"), ("3", "balance.title"), ("4", "profile.title"), ("5", "inbox.title"),
])
async def test_account_screens_run_no_statement_on_the_ui_thread(make_app, statements, key, title_key):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert await _step(pilot, statements, title_key, key) > 0
        await _step(pilot, statements, "menu.title", "escape")
