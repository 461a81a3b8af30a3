"""Each claim action driven with keys: the database, the money and the participant's notification."""

import pytest
from sqlmodel import select

from kidb_tui.backoffice.screens.actions import ApproveForm, AssessForm, PaymentForm, RejectForm
from kidb_tui.backoffice.screens.detail import ClaimDetailScreen
from kidb_tui.models import AuditEvent, Notification, Participant
from tests.backoffice.conftest import (
    ANI,
    advance,
    claim_of,
    field_error,
    notification_kinds,
    participant_of,
    screen_text,
    status_text,
)

SIZE = (80, 24)


async def _open_budi(pilot) -> None:
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ClaimDetailScreen)


def _keys(app) -> set[str]:
    return {binding.description for _, binding, enabled, _ in app.screen.active_bindings.values() if enabled}


async def test_detail_masks_the_nik_and_offers_only_this_stage_s_actions(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        text = screen_text(app)
        assert "NIK ************0002" in text
        assert "3273011708780002" not in text
        assert "Kartu peserta aktif." in text
        assert "Kuitansi rumah sakit" in text
        assert "bo.key.assess" in _keys(app) and "bo.key.reject" in _keys(app)
        assert not {"bo.key.approve", "bo.key.pay", "bo.key.close"} & _keys(app)
        await pilot.press("f4", "f5", "f6")
        assert isinstance(app.screen, ClaimDetailScreen)


async def test_assess_with_keys(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        await pilot.press("f3")
        assert isinstance(app.screen, AssessForm)
        assert app.screen.query_one("#approved_amount").value == "4.500.000"
        await pilot.press("ctrl+u", *"4.000.000", "enter", "space", "f10")
        await pilot.pause()
        assert isinstance(app.screen, ClaimDetailScreen)
        assert "Penetapan KIDB-2026-000001 tersimpan" in status_text(app)
        assert app.screen.detail.stage == "penetapan"
        assert "bo.key.approve" in _keys(app) and "bo.key.assess" not in _keys(app)
    claim = claim_of(demo_rt)
    assert (claim.stage, claim.approved_amount, claim.documents_seen, claim.assessed_by, claim.version) == (
        "penetapan", 4_000_000, True, "ani.petugas", 2,
    )
    assert notification_kinds(demo_rt)[-1] == "claim_assessed"


async def test_assess_refuses_more_than_requested_and_unseen_documents(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        await pilot.press("f3", "ctrl+u", *"5.000.000", "f10")
        await pilot.pause()
        assert isinstance(app.screen, AssessForm)
        assert "tidak boleh melebihi jumlah yang diminta (Rp4.500.000)" in field_error(app, "approved_amount")
        assert "memeriksa dokumen asli" in field_error(app, "documents_seen")
        assert "2 isian" in status_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ClaimDetailScreen)
    assert claim_of(demo_rt).stage == "agenda"
    assert "claim_assessed" not in notification_kinds(demo_rt)


async def test_walk_from_agenda_to_selesai(make_bo, demo_rt):
    before = participant_of(demo_rt)
    assert (before.balance, before.reserved) == (42_000_000, 4_500_000)
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        await pilot.press("f3", "ctrl+u", *"4.000.000", "enter", "space", "f10")
        await pilot.pause()
        await pilot.press("f4")
        assert isinstance(app.screen, ApproveForm)
        await pilot.press("f10")
        await pilot.pause()
        assert "disetujui" in status_text(app)
        assert claim_of(demo_rt).approved_by == "ani.petugas"
        await pilot.press("f5")
        assert isinstance(app.screen, PaymentForm)
        await pilot.press("f10")
        await pilot.pause()
        assert "wajib diisi" in field_error(app, "payment_reference")
        assert claim_of(demo_rt).stage == "persetujuan"
        await pilot.press(*"TRF-BCA-778899", "f10")
        await pilot.pause()
        assert "Pembayaran KIDB-2026-000001 dicatat" in status_text(app)
        paid = participant_of(demo_rt)
        assert (paid.balance, paid.reserved) == (38_000_000, 0)
        await pilot.press("f6", "f10")
        await pilot.pause()
        assert "selesai" in status_text(app)
        assert "tidak ada tindakan lagi" in screen_text(app)
        assert not {"bo.key.assess", "bo.key.approve", "bo.key.pay", "bo.key.close", "bo.key.reject"} & _keys(app)
    claim = claim_of(demo_rt)
    assert (claim.stage, claim.paid_amount, claim.payment_reference) == ("selesai", 4_000_000, "TRF-BCA-778899")
    assert notification_kinds(demo_rt)[-4:] == ["claim_assessed", "claim_approved", "claim_paid", "claim_closed"]
    with demo_rt.read() as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.subject == "KIDB-2026-000001")).all()
    assert {"review.penetapan", "review.persetujuan", "review.pembayaran", "review.selesai"} <= set(actions)


@pytest.mark.parametrize("stage", ["agenda", "persetujuan"])
async def test_reject_releases_the_reservation_and_tells_the_participant(make_bo, demo_rt, stage):
    if stage != "agenda":
        advance(demo_rt, stage)
    app = make_bo(signed_in=ANI)
    note = "Kuitansi rumah sakit tidak terbaca: bawa kuitansi asli ke cabang."
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        await pilot.press("f8")
        assert isinstance(app.screen, RejectForm)
        await pilot.press("enter", "down", "enter", "tab", *note, "f10")
        await pilot.pause()
        assert isinstance(app.screen, ClaimDetailScreen)
        assert "ditolak" in status_text(app)
        assert "Dokumen tidak lengkap. Catatan untuk peserta: " + note in screen_text(app)
    claim = claim_of(demo_rt)
    assert (claim.stage, claim.rejection_code, claim.rejection_reason) == ("ditolak", "documents_incomplete", note)
    participant = participant_of(demo_rt)
    assert (participant.balance, participant.reserved) == (42_000_000, 0)
    with demo_rt.read() as session:
        notice = session.exec(
            select(Notification).where(Notification.participant_id == participant.id).order_by(Notification.id.desc())
        ).first()
    assert notice.kind == "claim_rejected"
    assert notice.params["reason"] == note and notice.params["reason_code"] == "documents_incomplete"


async def test_reject_needs_a_reason_and_a_note(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        await pilot.press("f8", "f10")
        await pilot.pause()
        assert isinstance(app.screen, RejectForm)
        assert "pilih salah satu alasan" in field_error(app, "rejection_code")
        assert "wajib diisi" in field_error(app, "note")
    assert claim_of(demo_rt).stage == "agenda"
    with demo_rt.read() as session:
        assert session.exec(select(Participant).where(Participant.nib == "26010000002")).one().reserved == 4_500_000


async def test_payment_refused_when_the_balance_is_too_low(make_bo, demo_rt):
    advance(demo_rt, "persetujuan")
    with demo_rt.write() as session:
        row = session.exec(select(Participant).where(Participant.nib == "26010000002")).one()
        row.balance = 1_000
        session.add(row)
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        await pilot.press("f5", *"TRF-1", "f10")
        await pilot.pause()
        assert isinstance(app.screen, PaymentForm)
        assert "Saldo peserta (Rp1.000) kurang" in status_text(app)
    claim = claim_of(demo_rt)
    assert (claim.stage, claim.payment_reference) == ("persetujuan", "")
    assert participant_of(demo_rt).balance == 1_000


async def test_language_switch_in_a_form_keeps_what_was_typed(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        await pilot.press("f3", "ctrl+u", *"4.100.000", "enter", "space", "f2")
        await pilot.pause()
        assert isinstance(app.screen, AssessForm)
        assert "Assess claim" in str(app.screen.query_one("#title-bar").render())
        assert app.screen.query_one("#approved_amount").value == "4.100.000"
        assert app.screen.query_one("#documents_seen").value is True
        await pilot.press("f10")
        await pilot.pause()
        assert "Assessment of KIDB-2026-000001 saved" in status_text(app)
        assert "stage Assessed · version 2" in screen_text(app)
    assert claim_of(demo_rt).approved_amount == 4_100_000
