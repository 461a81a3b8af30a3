"""A first-time participant in Daftar Pencairan and Profil (issue 11): nothing typed is lost to
one Esc, the receipt stays until asked to go, old errors go when the field changes, the figures
of the form, and the keys a whole claim takes."""

from tests import ui
from tests.conftest import SITI
from tests.screens.claim_steps import LABEL, claims_of, open_form, to_confirm

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


async def test_receipt_stays_on_a_stray_enter_and_says_the_number_goes_by_email(make_app, demo_rt, smtp_server):
    demo_rt.settings = smtp_server.runtime(demo_rt).settings
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await to_confirm(pilot)
        await ui.burst(pilot, *SITI.secret, "enter", "enter")
        assert ui.at(app, "claim.receipt_title"), ui.text(app)
        [claim] = claims_of(demo_rt, SITI)
        assert ui.shows(app, claim.reference, ui.t("claim.receipt_mail", email="siti.rahayu@example.co.id"))
        await ui.keys(pilot, "enter", "space")
        assert ui.at(app, "claim.receipt_title")
        assert ui.keys_offered(app)[ui.t("claim.key_menu")] == "F10"
        await ui.keys(pilot, "f10")
        assert ui.at(app, "menu.title")
