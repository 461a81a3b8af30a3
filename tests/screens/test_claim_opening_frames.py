"""The claim steps open with their finished picture: the form with the starting values the flow
read while the requirements were shown (the holder, the last claim's account and the sentence
saying so) and its amount field focused, the personal data and confirm steps with their first
control focused. The frames Textual draws after the first change nothing a person sees."""

from __future__ import annotations

from kidb_tui.errors import SystemBusy
from kidb_tui.services import claims
from tests import ui
from tests.conftest import BUDI
from tests.screens.claim_steps import LABEL, fill_form, open_requirements
from tests.screens.test_opening_frames import Frames, _cells

TALL = (80, 40)
TYPE = "biaya_pengobatan"
"""A type Budi (who has a claim of another type, paid to his bank account) can claim."""


async def _form(pilot) -> None:
    app = pilot.app
    await ui.until(pilot, lambda: ui.at(app, "menu.title"))
    await open_requirements(pilot, TYPE)
    await ui.keys(pilot, "enter")
    await ui.until(pilot, lambda: ui.at(app, "claim.form_title"))
    await ui.settle(pilot)


async def test_each_claim_step_opens_with_its_finished_picture(make_app):
    app = make_app(signed_in=BUDI)
    frames = Frames(app)
    async with app.run_test(size=TALL) as pilot:
        await _form(pilot)
        form = app.screen
        assert ui.row_after(app, LABEL["account_holder"]).startswith(BUDI.name)
        assert ui.shows(app, ui.t("claim.account_prefilled"))
        assert frames.of(form)[0] == _cells(form), "the form's first frame is not what it shows"
        await fill_form(pilot, TYPE, account_holder=BUDI.name)
        for title in ("claim.personal_title", "claim.confirm_title"):
            await ui.keys(pilot, "f5")
            await ui.until(pilot, lambda title=title: ui.at(app, title))
            await ui.settle(pilot)
            assert app.focused is not None
            assert frames.of(app.screen)[0] == _cells(app.screen), f"{title}: the first frame is not what it shows"


async def test_the_form_reads_its_starting_values_while_the_requirements_are_shown(make_app, monkeypatch):
    read = claims.prefill
    calls: list[str] = []

    def counted(*args, **kwargs):
        calls.append("read")
        return read(*args, **kwargs)

    monkeypatch.setattr(claims, "prefill", counted)
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=TALL) as pilot:
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        await open_requirements(pilot, TYPE)
        await ui.settle(pilot)
        assert calls == ["read"], "read before the form is asked for"
        await ui.keys(pilot, "enter")
        await ui.until(pilot, lambda: ui.at(app, "claim.form_title"))
        await ui.settle(pilot)
        assert calls == ["read"], "the form read them again"
        assert ui.row_after(app, LABEL["account_holder"]).startswith(BUDI.name)


async def test_the_form_reads_its_starting_values_itself_when_the_flows_read_failed(make_app, monkeypatch):
    read = claims.prefill
    calls: list[str] = []

    def busy_once(*args, **kwargs):
        calls.append("read")
        if len(calls) == 1:
            raise SystemBusy()
        return read(*args, **kwargs)

    monkeypatch.setattr(claims, "prefill", busy_once)
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=TALL) as pilot:
        await _form(pilot)
        assert calls == ["read", "read"]
        assert ui.row_after(app, LABEL["account_holder"]).startswith(BUDI.name)
        assert ui.shows(app, ui.t("claim.account_prefilled"))
