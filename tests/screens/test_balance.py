"""Saldo: snapshot at 80x24; the three amounts match the ledger in Rp format."""

from sqlmodel import select

from kidb_tui.models import Participant
from kidb_tui.screens.account.balance import BalanceScreen
from tests.conftest import BUDI, JOKO, settle


async def _open_balance(pilot) -> None:
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)


def _amounts(screen) -> dict[str, str]:
    return {
        row.id.removeprefix("balance-"): str(row.query_one(".balance-amount").render())
        for row in screen.query(".balance-row")
    }


def test_balance_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=BUDI), run_before=_open_balance, terminal_size=(80, 24))


async def test_open_claim_is_reserved_and_not_available(make_app):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_balance(pilot)
        assert isinstance(app.screen, BalanceScreen)
        assert _amounts(app.screen) == {"balance": "Rp42.000.000", "reserved": "Rp4.500.000", "available": "Rp37.500.000"}
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, BalanceScreen)


async def test_rejected_claim_reserves_nothing(make_app):
    app = make_app(signed_in=JOKO)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_balance(pilot)
        assert _amounts(app.screen) == {"balance": "Rp30.000.000", "reserved": "Rp0", "available": "Rp30.000.000"}


async def test_reserved_above_balance_shows_nothing_available(make_app, demo_rt):
    with demo_rt.write() as session:
        participant = session.exec(select(Participant).where(Participant.nib == JOKO.nib)).one()
        participant.reserved = participant.balance + 1_000
        session.add(participant)
    app = make_app(signed_in=JOKO)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_balance(pilot)
        assert _amounts(app.screen)["available"] == "Rp0"


async def test_balance_in_english(make_app):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_balance(pilot)
        await pilot.press("f2")
        await pilot.pause()
        labels = " ".join(str(label.render()) for label in app.screen.query(".balance-label"))
        assert "Reserved for claims in progress" in labels
        assert _amounts(app.screen)["available"] == "Rp37.500.000"
