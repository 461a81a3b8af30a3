"""Status Pencairan: snapshots of an open, a rejected and no claim; the timeline follows the cursor."""

from datetime import timedelta

from sqlmodel import select
from textual.widgets import DataTable

from kidb_tui.models import Claim, ClaimEvent, Participant
from kidb_tui.screens.account.status import StatusScreen
from kidb_tui.widgets.timeline import StageTimeline
from tests.conftest import BUDI, FROZEN_AT, JOKO, SITI, settle

MARKUP = "[bold]x[/bold] [@click=app.quit]"


def _text(screen, selector: str) -> str:
    return "\n".join(str(widget.render()) for widget in screen.query(selector))


def _timeline(screen) -> str:
    return _text(screen.query_one(StageTimeline), "Static")


def _advance_budi(rt, *stages: str) -> None:
    """Move BUDI's claim through `stages`, a day apart, as the back office would."""
    with rt.write() as session:
        participant = session.exec(select(Participant).where(Participant.nib == BUDI.nib)).one()
        claim = session.exec(select(Claim).where(Claim.participant_id == participant.id)).one()
        for day, stage in enumerate(stages, start=1):
            session.add(ClaimEvent(claim_id=claim.id, stage=stage, actor="officer", at=FROZEN_AT + timedelta(days=day)))
            claim.stage = stage
        session.add(claim)


def _second_budi_claim(rt) -> None:
    with rt.write() as session:
        participant = session.exec(select(Participant).where(Participant.nib == BUDI.nib)).one()
        later = FROZEN_AT + timedelta(hours=2)
        claim = Claim(
            reference="KIDB-2026-000777", idempotency_key="test-second", participant_id=participant.id,
            claim_type_code="jht_phk", amount=12_345_678, bank_code="002", account_number="123456789012345",
            account_holder=BUDI.name, reason="PHK", documents=[], stage="agenda", created_at=later, updated_at=later,
        )
        session.add(claim)
        session.flush()
        session.add(ClaimEvent(claim_id=claim.id, stage="agenda", actor=BUDI.nib, at=later))


async def _open_status(pilot) -> None:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)


def test_status_open_claim_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=BUDI), run_before=_open_status, terminal_size=(80, 24))


def test_status_rejected_claim_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=JOKO), run_before=_open_status, terminal_size=(80, 24))


def test_status_empty_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=SITI), run_before=_open_status, terminal_size=(80, 24))


def test_status_advanced_claim_snapshot_english(snap_compare, make_app, demo_rt):
    _advance_budi(demo_rt, "penetapan", "persetujuan")
    assert snap_compare(make_app(signed_in=BUDI), run_before=_open_status, press=["f2"], terminal_size=(80, 24))


async def test_open_claim_shows_current_stage_and_what_is_pending(make_app):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_status(pilot)
        assert isinstance(app.screen, StatusScreen)
        timeline = _timeline(app.screen)
        assert "[>] Agenda" in timeline
        assert "25 Nov 2026 10.00 WIB" in timeline
        assert "[ ] Selesai" in timeline
        assert "menunggu" in timeline
        assert "Rp4.500.000" in _text(app.screen, "#claim-summary")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, StatusScreen)


async def test_timeline_shows_each_reached_stage_with_its_time(make_app, demo_rt):
    _advance_budi(demo_rt, "penetapan", "persetujuan")
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_status(pilot)
        rows = _timeline(app.screen).splitlines()
        assert rows[0].startswith("[x] Agenda") and "25 Nov 2026 10.00 WIB" in rows[0]
        assert rows[1].startswith("[x] Penetapan") and "26 Nov 2026 10.00 WIB" in rows[1]
        assert rows[2].startswith("[>] Persetujuan") and "27 Nov 2026 10.00 WIB" in rows[2]
        assert rows[3].startswith("[ ] Pembayaran")


async def test_claims_newest_first_and_timeline_follows_the_cursor(make_app, demo_rt):
    _second_budi_claim(demo_rt)
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_status(pilot)
        assert [claim.reference for claim in app.screen.claims] == ["KIDB-2026-000777", "KIDB-2026-000001"]
        assert "KIDB-2026-000777" in _text(app.screen, "#claim-summary")
        assert "Rp12.345.678" in _text(app.screen, "#claim-summary")
        await pilot.press("down")
        await pilot.pause()
        assert "KIDB-2026-000001" in _text(app.screen, "#claim-summary")
        assert "Rp4.500.000" in _text(app.screen, "#claim-summary")


async def test_rejected_claim_gives_reason_and_what_to_do(make_app):
    app = make_app(signed_in=JOKO)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_status(pilot)
        timeline = _timeline(app.screen)
        assert "[!] Ditolak" in timeline
        assert "Alasan penolakan:" in timeline
        assert "ajukan klaim baru" in timeline
        assert "[>]" not in timeline.splitlines()[0]


async def test_markup_in_rejection_reason_is_shown_literally(make_app, demo_rt):
    with demo_rt.write() as session:
        participant = session.exec(select(Participant).where(Participant.nib == JOKO.nib)).one()
        claim = session.exec(select(Claim).where(Claim.participant_id == participant.id)).one()
        claim.rejection_reason = MARKUP
        session.add(claim)
    app = make_app(signed_in=JOKO)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_status(pilot)
        assert MARKUP in _timeline(app.screen)
        assert app.is_running


async def test_empty_status_says_how_to_file_a_claim(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_status(pilot)
        text = _text(app.screen, "#status-body Static")
        assert "belum punya klaim" in text
        assert "Daftar Pencairan" in text


async def test_language_switch_keeps_the_highlighted_claim(make_app, demo_rt):
    _second_budi_claim(demo_rt)
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_status(pilot)
        await pilot.press("down", "f2")
        await settle(pilot)
        assert "KIDB-2026-000001" in _text(app.screen, "#claim-summary")
        assert app.screen.query_one("#claims", DataTable).get_row_at(1)[3].plain == "Received"
        assert "current stage" in _timeline(app.screen)
