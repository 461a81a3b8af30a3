"""A first-time participant in Daftar Pencairan and Profil (issue 11): nothing typed is lost to
one Esc, the receipt stays until asked to go, old errors go when the field changes, the figures
of the form, and the keys a whole claim takes."""

import re

import pytest
from sqlmodel import select

from kidb_tui.models import Claim, ClaimEvent, Participant
from tests import ui
from tests.conftest import BUDI, FROZEN_AT, SITI
from tests.screens.claim_steps import LABEL, claims_of, fill_form, open_form, to_confirm, to_personal_data

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


@pytest.mark.parametrize("how", ["enter", "click"])
async def test_the_receipts_button_goes_back_to_the_menu(make_app, demo_rt, how):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await to_confirm(pilot)
        await ui.keys(pilot, *SITI.secret, "enter")
        assert ui.at(app, "claim.receipt_title")
        if how == "enter":
            await ui.keys(pilot, "tab")
            assert ui.focused_value(app) == ui.t("claim.menu_button")
            await ui.keys(pilot, "enter")
        else:
            await pilot.click("#done")
            await ui.settle(pilot)
        assert ui.at(app, "menu.title"), ui.title(app)
        await ui.keys(pilot, "2")
        assert ui.at(app, "status.title"), "the menu answers: nothing is left waiting"


async def test_a_fields_old_error_goes_when_the_field_changes(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await open_form(pilot)
        await ui.keys(pilot, "f5")
        assert ui.field_error(app, LABEL["amount"]) and ui.field_error(app, LABEL["reason"])
        await ui.retype(pilot, LABEL["amount"], "5.000.000")
        assert ui.field_error(app, LABEL["amount"]) == ""
        assert ui.field_error(app, LABEL["reason"]), "a field not touched keeps its error"
        await ui.focus_field(pilot, LABEL["documents"])
        await ui.keys(pilot, "space")
        assert ui.field_error(app, LABEL["documents"]) == ""


async def test_form_states_the_limit_prefills_the_holder_and_previews_large_amounts(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await ui.keys(pilot, "1")
        assert ui.shows(app, "maks. 30% saldo tersedia")
        assert not re.search(r"saldo(?! tersedia)", ui.flat(app))
        await ui.keys(pilot, "enter")
        sentence = ui.t("claim.limit_rule_share", pct=30, available_amount=85_000_000, max_amount=25_500_000)
        assert ui.shows(app, sentence)
        await ui.keys(pilot, "enter")
        assert ui.shows(app, sentence)
        assert ui.row_after(app, LABEL["account_holder"]) == "Siti Rahayu"
        await ui.keys(pilot, *"1000000000")
        assert "= Rp1.000.000.000" in ui.row_after(app, LABEL["amount"])


async def test_whole_balance_type_shows_its_amount_and_confirm_shows_tax_and_the_full_account(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await open_form(pilot, "jht_habis_kontrak")
        assert ui.shows(app, ui.t("claim.amount_fixed", max_amount=85_000_000))
        assert not any(row.strip().startswith(LABEL["amount"]) for row in ui.lines(app))
        await fill_form(pilot, "jht_habis_kontrak", amount=None)
        await ui.keys(pilot, "f5", "f5")
        assert ui.at(app, "claim.confirm_title"), ui.status(app)
        assert ui.shows(app, "BCA · rekening 1234567890", ui.t("claim.payout_tax", tax_amount=1_750_000),
                        ui.t("claim.payout_net", net_amount=83_250_000))
        await ui.keys(pilot, *SITI.secret, "enter")
        assert ui.at(app, "claim.receipt_title")
    [claim] = [claim for claim in claims_of(demo_rt, SITI) if claim.claim_type_code == "jht_habis_kontrak"]
    assert claim.amount == 85_000_000


async def test_status_shows_requested_assessed_paid_and_the_reason(make_app, demo_rt):
    with demo_rt.write() as session:
        participant = session.exec(select(Participant).where(Participant.nib == BUDI.nib)).one()
        claim = session.exec(select(Claim).where(Claim.participant_id == participant.id)).one()
        requested = claim.amount
        claim.approved_amount = claim.paid_amount = requested - 1_000_000
        claim.stage = "pembayaran"
        session.add(ClaimEvent(claim_id=claim.id, stage="penetapan", actor="officer", at=FROZEN_AT,
                               note="Kuitansi kedua tidak sah"))
        session.add(claim)
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=TALL) as pilot:
        await ui.keys(pilot, "2")
        assert ui.at(app, "status.title")
        assert ui.shows(app, ui.t("status.requested", amount=requested), ui.t("status.approved", amount=requested - 1_000_000),
                        ui.t("status.paid", amount=requested - 1_000_000),
                        ui.t("status.difference_reason", reason="Kuitansi kedua tidak sah"))


def whole_claim(reason_and_documents: list[str]) -> list[list[str]]:
    """Siti's keys from the login screen to the receipt; the reason and documents step given."""
    return [
        [*SITI.nib, "enter", *SITI.secret, "enter"],
        ["1", "enter", "enter"],
        [*"5000000", "enter"],
        ["enter", "down", "enter"],
        [*"1234567890", "enter"],
        ["enter"],
        reason_and_documents,
        ["f5"],
        [*SITI.secret, "enter"],
    ]


async def file_claim(app, steps: list[list[str]]) -> None:
    async with app.run_test(size=SIZE) as pilot:
        for step in steps:
            await ui.keys(pilot, *step)
        assert ui.at(app, "claim.receipt_title"), ui.text(app)
        await ui.keys(pilot, "f10")
        assert ui.at(app, "menu.title")


async def test_a_whole_claim_from_login_to_receipt_takes_at_most_80_keys(make_app, demo_rt):
    steps = whole_claim([*"Rawat inap", "enter", "f6", "f5"])
    await file_claim(make_app(), steps)
    assert sum(map(len, steps)) + 1 <= 80
    [claim] = claims_of(demo_rt, SITI)
    assert (claim.amount, claim.account_holder, claim.reason) == (5_000_000, "Siti Rahayu", "Rawat inap")
    assert len(claim.documents) == 5


async def test_f6_in_the_reason_area_ticks_every_document(make_app, demo_rt):
    """Textual's TextArea binds F6 (select the line): the form's F6 goes first, wherever the focus is."""
    await file_claim(make_app(), whole_claim([*"Rawat inap", "f6", "f5"]))
    [claim] = claims_of(demo_rt, SITI)
    assert (claim.reason, len(claim.documents)) == ("Rawat inap", 5)


async def test_unchanged_contact_step_is_one_enter(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await to_personal_data(pilot)
        assert ui.t("claim.personal_unchanged")[:40] in ui.status(app)
        await ui.keys(pilot, "enter")
        assert ui.at(app, "claim.confirm_title"), ui.text(app)


async def test_number_keys_choose_a_line_of_the_claim_type_list(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await ui.keys(pilot, "1")
        await ui.keys(pilot, "5", "enter")
        assert ui.at(app, "claim.req_title")
        assert ui.shows(app, "JHT: habis kontrak kerja")
        await ui.keys(pilot, "escape", "1", "1", "enter")
        assert ui.shows(app, "JHT sebagian 10%")
