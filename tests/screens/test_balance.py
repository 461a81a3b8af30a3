"""Saldo: snapshot at 80x24; the three amounts match the ledger in Rp format."""

from sqlmodel import select

from kidb_tui.models import Participant
from tests import ui
from tests.conftest import BUDI, JOKO


async def _open_balance(pilot) -> None:
    await ui.keys(pilot, "3")
    assert ui.at(pilot.app, "balance.title")


def _amounts(app, language: str = "id") -> dict[str, str]:
    """Each line of the table as a person reads it: the amount at the end of the labelled row."""
    rows = [row.strip() for row in ui.lines(app) if row.strip().endswith(tuple("0123456789"))]
    return {name: next(row.split()[-1] for row in rows if row.startswith(ui.t(f"balance.{name}", language)))
            for name in ("balance", "reserved", "available")}


def test_balance_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=BUDI), run_before=_open_balance, terminal_size=(80, 24))


async def test_open_claim_is_reserved_and_not_available(make_app):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_balance(pilot)
        assert _amounts(app) == {"balance": "Rp42.000.000", "reserved": "Rp4.500.000", "available": "Rp37.500.000"}
        await ui.keys(pilot, "escape")
        assert ui.at(app, "menu.title")


async def test_rejected_claim_reserves_nothing(make_app):
    app = make_app(signed_in=JOKO)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_balance(pilot)
        assert _amounts(app) == {"balance": "Rp30.000.000", "reserved": "Rp0", "available": "Rp30.000.000"}


async def test_reserved_above_balance_shows_nothing_available(make_app, demo_rt):
    with demo_rt.write() as session:
        participant = session.exec(select(Participant).where(Participant.nib == JOKO.nib)).one()
        participant.reserved = participant.balance + 1_000
        session.add(participant)
    app = make_app(signed_in=JOKO)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_balance(pilot)
        assert _amounts(app)["available"] == "Rp0"


async def test_balance_in_english(make_app):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_balance(pilot)
        await ui.keys(pilot, "f2")
        assert ui.at(app, "balance.title", "en")
        assert ui.shows(app, "Reserved for claims in progress")
        assert _amounts(app, "en")["available"] == "Rp37.500.000"
