"""The personal-data step opens with the contact data on record in its first frame: the form's
worker reads it with the form's check, so the step has no load of its own (and no loading frame
of empty fields when the database is slow)."""

import time

from textual._compositor import LayoutUpdate

from kidb_tui.services import profile
from tests import ui
from tests.conftest import SITI
from tests.screens.claim_steps import LABEL, fill_form, open_form

SHOWN_PHONE = "0812-3456-7801"


def _phone_row(app) -> str:
    try:
        return ui.row_after(app, LABEL["phone"])
    except AssertionError:
        return "(no phone row)"


async def test_a_slow_contact_read_shows_no_empty_fields(make_app, monkeypatch):
    read = profile.get_profile

    def slow_read(*args, **kwargs):
        time.sleep(0.4)  # a busy database, longer than a screen waits for its data (base.WAIT_SECONDS)
        return read(*args, **kwargs)

    monkeypatch.setattr(profile, "get_profile", slow_read)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 40)) as pilot:
        await open_form(pilot)
        await fill_form(pilot, "biaya_medis")
        frames: list[str] = []
        display = app._display

        def spy(screen, update):
            result = display(screen, update)
            if isinstance(update, LayoutUpdate) and ui.at(app, "claim.personal_title"):
                frames.append(_phone_row(app))
            return result

        app._display = spy
        await ui.keys(pilot, "f5")
        await ui.until(pilot, lambda: ui.at(app, "claim.personal_title"), seconds=5)
        await ui.settle(pilot)
        assert frames and frames == [SHOWN_PHONE] * len(frames)
        assert ui.row_after(app, LABEL["phone"]) == SHOWN_PHONE
