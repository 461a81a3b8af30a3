"""Snapshots at 80x24 of every Daftar Pencairan screen, on the demo data with the frozen clock."""

from textual.widgets import Input

from tests.conftest import AGUS, BUDI, SITI, settle
from tests.screens.claim_steps import fill_form, open_form, open_requirements, to_confirm


def steady(run_before):
    """After `run_before`, stop the input cursors blinking: the picture must not depend on timing."""

    async def run(pilot):
        await run_before(pilot)
        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False
        await pilot.pause()

    return run


def test_claim_type_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=SITI), press=["1"], terminal_size=(80, 24))


def test_requirements_met_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=SITI), press=["1", "enter"], terminal_size=(80, 24))


def test_requirements_waiting_period_snapshot(snap_compare, make_app):
    async def resignation(pilot):
        await open_requirements(pilot, "jht_mengundurkan_diri")

    assert snap_compare(make_app(signed_in=AGUS), run_before=steady(resignation), terminal_size=(80, 24))


def test_requirements_open_claim_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=BUDI), press=["1", "enter"], terminal_size=(80, 24))


def test_form_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=SITI), run_before=steady(open_form), terminal_size=(80, 24))


def test_form_filled_english_snapshot(snap_compare, make_app):
    async def filled(pilot):
        await open_form(pilot)
        await fill_form(pilot)
        await pilot.press("f2")
        await pilot.pause()

    assert snap_compare(make_app(signed_in=SITI), run_before=steady(filled), terminal_size=(80, 24))


def test_form_errors_snapshot(snap_compare, make_app):
    async def bad_input(pilot):
        await open_form(pilot)
        await fill_form(pilot, amount="30.000.000", account_number="12345", account_holder="Budi Santoso",
                        documents=False)
        await pilot.press("f5")
        await settle(pilot)

    assert snap_compare(make_app(signed_in=SITI), run_before=steady(bad_input), terminal_size=(80, 24))


def test_personal_data_snapshot(snap_compare, make_app):
    async def personal(pilot):
        await open_form(pilot)
        await fill_form(pilot)
        await pilot.press("f5")
        await pilot.pause()

    assert snap_compare(make_app(signed_in=SITI), run_before=steady(personal), terminal_size=(80, 24))


def test_confirm_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=SITI), run_before=steady(to_confirm), terminal_size=(80, 24))


def test_confirm_wrong_pin_snapshot(snap_compare, make_app):
    async def wrong_pin(pilot):
        await to_confirm(pilot)
        await pilot.press(*"999999", "enter")
        await settle(pilot)

    assert snap_compare(make_app(signed_in=SITI), run_before=steady(wrong_pin), terminal_size=(80, 24))


def test_receipt_snapshot(snap_compare, make_app):
    async def saved(pilot):
        await to_confirm(pilot)
        await pilot.press(*SITI.secret, "enter")
        await settle(pilot)

    assert snap_compare(make_app(signed_in=SITI), run_before=steady(saved), terminal_size=(80, 24))



def test_discard_question_snapshot(snap_compare, make_app):
    async def asked(pilot):
        await open_form(pilot)
        await pilot.press(*"5000000", "escape")
        await settle(pilot)

    assert snap_compare(make_app(signed_in=SITI), run_before=steady(asked), terminal_size=(80, 24))
