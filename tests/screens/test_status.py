"""Status Pencairan: snapshots of an open, a rejected and no claim; the timeline follows the cursor."""

from datetime import timedelta

from sqlmodel import select

from kidb_tui.models import Claim, ClaimEvent, Participant
from tests import ui
from tests.conftest import BUDI, FROZEN_AT, JOKO, SITI

MARKUP = "[bold]x[/bold] [@click=app.quit]"
TALL = (80, 40)


def _timeline(app) -> list[str]:
    """The timeline rows: from the first stage mark to the end of the screen."""
    rows = [row.strip() for row in ui.lines(app)]
    start = next(index for index, row in enumerate(rows) if row[:3] in ("[x]", "[>]", "[!]"))
    return rows[start:]


def _summary(app) -> str:
    """The line under the claims table that sums up the highlighted claim."""
    rows = ui.lines(app)
    start = next(index for index, row in enumerate(rows) if row.strip().startswith("KIDB-") and " · " in row)
    return " ".join(row.strip() for row in rows[start:start + 2])


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
    await ui.keys(pilot, "2")
    assert ui.at(pilot.app, "status.title") or ui.at(pilot.app, "status.title", "en")


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
    async with app.run_test(size=TALL) as pilot:
        await _open_status(pilot)
        timeline = "\n".join(_timeline(app))
        assert "[>] Agenda" in timeline
        assert "25 Nov 2026 10.00 WIB" in timeline
        assert "[ ] Selesai" in timeline
        assert "menunggu" in timeline
        assert "Rp4.500.000" in _summary(app)
        await ui.keys(pilot, "escape")
        assert ui.at(app, "menu.title")


async def test_timeline_shows_each_reached_stage_with_its_time(make_app, demo_rt):
    _advance_budi(demo_rt, "penetapan", "persetujuan")
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=TALL) as pilot:
        await _open_status(pilot)
        rows = _timeline(app)
        assert rows[0].startswith("[x] Agenda") and "25 Nov 2026 10.00 WIB" in rows[0]
        assert rows[1].startswith("[x] Penetapan") and "26 Nov 2026 10.00 WIB" in rows[1]
        assert rows[2].startswith("[>] Persetujuan") and "27 Nov 2026 10.00 WIB" in rows[2]
        assert rows[3].startswith("[ ] Pembayaran")


async def test_claims_newest_first_and_timeline_follows_the_cursor(make_app, demo_rt):
    _second_budi_claim(demo_rt)
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=TALL) as pilot:
        await _open_status(pilot)
        table = [row.strip() for row in ui.lines(app) if row.strip().startswith("KIDB-") and " · " not in row]
        assert [row.split()[0] for row in table] == ["KIDB-2026-000777", "KIDB-2026-000001"]
        assert "KIDB-2026-000777" in _summary(app)
        assert "Rp12.345.678" in _summary(app)
        await ui.keys(pilot, "down")
        assert "KIDB-2026-000001" in _summary(app)
        assert "Rp4.500.000" in _summary(app)


async def test_rejected_claim_gives_reason_and_what_to_do(make_app):
    app = make_app(signed_in=JOKO)
    async with app.run_test(size=TALL) as pilot:
        await _open_status(pilot)
        rows = _timeline(app)
        timeline = " ".join(rows)
        assert "[!] Ditolak" in timeline
        assert "Alasan penolakan:" in timeline
        assert "ajukan klaim baru" in timeline
        assert "[>]" not in rows[0]


async def test_markup_in_rejection_reason_is_shown_literally(make_app, demo_rt):
    with demo_rt.write() as session:
        participant = session.exec(select(Participant).where(Participant.nib == JOKO.nib)).one()
        claim = session.exec(select(Claim).where(Claim.participant_id == participant.id)).one()
        claim.rejection_reason = MARKUP
        session.add(claim)
    app = make_app(signed_in=JOKO)
    async with app.run_test(size=TALL) as pilot:
        await _open_status(pilot)
        assert ui.shows(app, MARKUP)
        assert app.is_running


async def test_empty_status_says_how_to_file_a_claim(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_status(pilot)
        assert ui.shows(app, "belum punya klaim", "Daftar Pencairan")


async def test_language_switch_keeps_the_highlighted_claim(make_app, demo_rt):
    _second_budi_claim(demo_rt)
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=TALL) as pilot:
        await _open_status(pilot)
        await ui.keys(pilot, "down", "f2")
        assert ui.at(app, "status.title", "en")
        assert "KIDB-2026-000001" in _summary(app)
        table = [row.strip() for row in ui.lines(app) if row.strip().startswith("KIDB-") and " · " not in row]
        assert table[1].endswith("Received")
        assert ui.shows(app, "current stage")
