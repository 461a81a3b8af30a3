"""A first-time participant in Daftar Pencairan and Profil (issue 11): nothing typed is lost to
one Esc, the receipt stays until asked to go, old errors go when the field changes, the figures
of the form, and the keys a whole claim takes."""

from tests import ui
from tests.conftest import SITI
from tests.screens.claim_steps import LABEL, claims_of, open_form

SIZE = (80, 24)
TALL = (80, 40)


async def test_esc_on_a_filled_claim_form_asks_first_and_no_keeps_it(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await open_form(pilot)
        await ui.keys(pilot, "escape")
        assert ui.at(app, "claim.req_title"), "an untouched form leaves at once"
        await ui.keys(pilot, "enter")
        await ui.keys(pilot, *"5000000")
        await ui.keys(pilot, "escape")
        assert ui.shows(app, "Batalkan pengisian?")
        await ui.keys(pilot, "enter")
        assert ui.at(app, "claim.form_title")
        assert "5000000" in ui.row_after(app, LABEL["amount"])
        await ui.keys(pilot, "escape", "y")
        assert ui.at(app, "claim.req_title")


async def test_esc_on_a_changed_profile_asks_first(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await ui.keys(pilot, "4")
        await ui.retype(pilot, LABEL["address"], "Jl. Baru 1")
        await ui.keys(pilot, "escape")
        assert ui.shows(app, "Batalkan pengisian?")
        await ui.keys(pilot, "n")
        assert ui.at(app, "profile.title")
        assert "Jl. Baru 1" in ui.row_after(app, LABEL["address"])
        await ui.keys(pilot, "escape", "y")
        assert ui.at(app, "menu.title")
