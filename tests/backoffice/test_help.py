"""F1 on every back-office screen: help about that screen and its keys, in the chosen language;
Esc returns to the screen it was opened from, as it was."""

import pytest

from tests import ui
from tests.backoffice.conftest import ANI, advance
from tests.conftest import SITI

SIZE = (80, 24)
TALL = (80, 50)


async def _help(pilot, topic: str, title_key: str, language: str = "id") -> None:
    app = pilot.app
    await ui.keys(pilot, "f1")
    assert ui.at(app, "bo.help.title", language), ui.text(app)
    assert ui.shows(app, ui.t(title_key, language), ui.t("bo.help.common_heading", language))
    assert ui.t(f"bo.help.{topic}", language, attempts=5, minutes=30, reset_minutes=15)[:60] in ui.flat(app)
    assert ui.t("key.help", language) not in ui.keys_offered(app)
    await ui.keys(pilot, "f1")
    assert ui.at(app, "bo.help.title", language)
    await ui.keys(pilot, "escape")
    assert ui.at(app, title_key, language), ui.text(app)


async def test_f1_on_the_login_keeps_what_was_typed(make_bo):
    app = make_bo()
    async with app.run_test(size=TALL) as pilot:
        assert ui.t("key.help") in ui.keys_offered(app)
        await ui.keys(pilot, *"ani")
        await _help(pilot, "login", "bo.login.title")
        assert ui.focused_value(app) == "ani"


async def test_f1_on_each_signed_in_screen_explains_that_screen(make_bo, demo_rt):
    advance(demo_rt, "pembayaran")
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=TALL) as pilot:
        assert ui.t("key.help") not in ui.keys_offered(app)  # the queue's key bar is full: F1 works all the same
        await _help(pilot, "queue", "bo.queue.title")
        await ui.keys(pilot, "enter")
        assert ui.t("key.help") in ui.keys_offered(app)
        await _help(pilot, "detail", "bo.detail.title")
        await ui.keys(pilot, "f6")
        assert ui.t("key.help") in ui.keys_offered(app)
        await _help(pilot, "form", "bo.close.title")
        await ui.keys(pilot, "escape", "escape", "f8")
        assert ui.at(app, "bo.dead.title")
        await _help(pilot, "dead_letters", "bo.dead.title")
        await ui.keys(pilot, "escape", "f5", *SITI.nib)
        assert ui.at(app, "bo.counter.title")
        await _help(pilot, "counter", "bo.counter.title")
        assert ui.focused_value(app) == SITI.nib
        await ui.focus_field(pilot, ui.t("field.ktp_seen"))
        await ui.keys(pilot, "space", "f4")
        assert ui.at(app, "bo.code.title")
        await _help(pilot, "reset_code", "bo.code.title")


async def test_f1_on_the_assess_form_says_why_a_reason_is_asked(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=TALL) as pilot:
        await ui.keys(pilot, "enter", "f3", "ctrl+u", *"4.000.000")
        await _help(pilot, "assess", "bo.assess.title")
        assert ui.row_after(app, ui.t("field.approved_amount")) == "4.000.000"


@pytest.mark.parametrize("language", ["en"])
async def test_help_follows_the_language(make_bo, language):
    app = make_bo(signed_in=ANI, language=language)
    async with app.run_test(size=TALL) as pilot:
        await _help(pilot, "queue", "bo.queue.title", language)
