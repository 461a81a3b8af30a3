"""The participant's screens at 60x20 (every amount whole) and at 100x30 and larger (the space
used: tables as wide as the text, a wide terminal's content centred), read off the drawn screen."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from kidb_tui.models import Claim, ClaimEvent, Participant
from tests import ui
from tests.conftest import BUDI, FROZEN_AT, SITI
from tests.screens import claim_steps as steps

SMALL, LARGE, WIDE = (60, 20), (100, 30), (140, 40)
SIZES = pytest.mark.parametrize("size", [SMALL, LARGE], ids=["60x20", "100x30"])
TYPE_NAME = "JHT: pemutusan hubungan kerja (PHK)"


def whole(app, amount: str) -> bool:
    """Whether `amount` (e.g. `Rp12.500.000`) is drawn uncut: no digit (nor a dot and a digit) right after it."""
    return re.search(rf"{re.escape(amount)}(?!\d|\.\d)", ui.text(app)) is not None


def _claim_of_12_5_million(rt) -> None:
    """A second claim for BUDI, Rp12.500.000, the newest (listed first on Status)."""
    with rt.write() as session:
        participant = session.exec(select(Participant).where(Participant.nib == BUDI.nib)).one()
        later = FROZEN_AT + timedelta(hours=2)
        claim = Claim(
            reference="KIDB-2026-000777", idempotency_key="test-sizes", participant_id=participant.id,
            claim_type_code="jht_phk", amount=12_500_000, bank_code="002", account_number="123456789012345",
            account_holder=BUDI.name, reason="PHK", documents=[], stage="agenda", created_at=later, updated_at=later,
        )
        session.add(claim)
        session.flush()
        session.add(ClaimEvent(claim_id=claim.id, stage="agenda", actor=BUDI.nib, at=later))


async def _open_balance(pilot) -> None:
    await ui.keys(pilot, "3")
    assert ui.at(pilot.app, "balance.title")


async def _open_status(pilot) -> None:
    await ui.keys(pilot, "2")
    assert ui.at(pilot.app, "status.title")


@SIZES
async def test_balance_amounts_whole(make_app, size):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=size) as pilot:
        await _open_balance(pilot)
        for amount in ("Rp42.000.000", "Rp4.500.000", "Rp37.500.000"):
            assert whole(app, amount), ui.text(app)


async def test_balance_table_as_wide_as_its_text_at_100x30(make_app):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=LARGE) as pilot:
        await _open_balance(pilot)
        row = next(row for row in ui.lines(app) if "Rp42.000.000" in row)
        assert len(row) >= LARGE[0] - 2, ui.text(app)


@SIZES
async def test_status_amounts_whole(make_app, demo_rt, size):
    _claim_of_12_5_million(demo_rt)
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=size) as pilot:
        await _open_status(pilot)
        table_row = next(row for row in ui.lines(app) if row.strip().startswith("KIDB-2026-000777  "))
        assert re.search(r"Rp12\.500\.000(?!\d|\.\d)", table_row), ui.text(app)
        assert ui.t("timeline.short.agenda") in table_row
        assert whole(app, "Rp4.500.000")


async def test_status_type_names_whole_at_100x30(make_app, demo_rt):
    _claim_of_12_5_million(demo_rt)
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=LARGE) as pilot:
        await _open_status(pilot)
        table_row = next(row for row in ui.lines(app) if row.strip().startswith("KIDB-2026-000777  "))
        assert TYPE_NAME in table_row


@SIZES
async def test_claim_amounts_whole_from_form_to_receipt(make_app, size):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=size) as pilot:
        await steps.open_form(pilot)
        assert whole(app, "Rp85.000.000") and whole(app, "Rp25.500.000"), ui.text(app)
        await steps.fill_form(pilot, amount="12.500.000")
        assert whole(app, "Rp12.500.000"), ui.text(app)
        await ui.keys(pilot, "f5", "f5")
        assert ui.at(app, "claim.confirm_title"), ui.text(app)
        assert whole(app, "Rp12.500.000"), ui.text(app)
        await steps.save(pilot, SITI.secret)
        assert ui.at(app, "claim.receipt_title"), ui.text(app)
        assert whole(app, "Rp12.500.000"), ui.text(app)


@SIZES
async def test_menu_and_login_whole(make_app, size):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=size) as pilot:
        await ui.settle(pilot)
        for key in "123456780":
            assert any(row.strip().startswith(f"{key}  ") for row in ui.lines(app)), ui.text(app)
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ui.settle(pilot)
        assert ui.shows(app, ui.t("field.nib"), ui.t("field.secret"), ui.t("login.submit"), ui.t("login.activate"))


async def test_wide_terminal_content_is_centred(make_app):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=WIDE) as pilot:
        await _open_balance(pilot)
        rows = [row for row in ui.lines(app)[1:-1] if row.strip()]
        lefts = {len(row) - len(row.lstrip()) for row in rows}
        rights = {len(row) for row in rows}
        assert min(lefts) == (WIDE[0] - 100) // 2 + 1, ui.text(app)
        assert max(rights) == WIDE[0] - (WIDE[0] - 100) // 2 - 1, ui.text(app)


def test_balance_snapshot_60x20(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=BUDI), run_before=_open_balance, terminal_size=SMALL)


def test_balance_snapshot_100x30(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=BUDI), run_before=_open_balance, terminal_size=LARGE)


def test_status_snapshot_60x20(snap_compare, make_app, demo_rt):
    _claim_of_12_5_million(demo_rt)
    assert snap_compare(make_app(signed_in=BUDI), run_before=_open_status, terminal_size=SMALL)


def test_claim_form_snapshot_60x20(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=SITI), run_before=steps.open_form, terminal_size=SMALL)
