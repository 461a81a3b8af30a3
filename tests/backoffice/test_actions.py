"""Each claim action driven with keys: the database, the money and the participant's notification."""

import pytest
from sqlmodel import select

from kidb_tui.models import AuditEvent, Notification, Participant
from tests import ui
from tests.backoffice.conftest import ANI, advance, claim_of, notification_kinds, participant_of
from tests.conftest import BUDI

SIZE = (80, 24)
TALL = (80, 60)
REASON = "Kuitansi kedua tidak sah"
ACTIONS = {name: ui.t(f"bo.key.{name}") for name in ("assess", "approve", "pay", "close", "reject")}


async def _open_budi(pilot) -> None:
    await ui.keys(pilot, "enter")
    assert ui.at(pilot.app, "bo.detail.title"), ui.text(pilot.app)


def _keys(app) -> set[str]:
    """The claim actions the key bar offers now."""
    return {name for name, label in ACTIONS.items() if label in ui.keys_offered(app)}


def _head(stage: str, version: int) -> str:
    return ui.t("bo.detail.head", reference="KIDB-2026-000001", stage=ui.t(f"bo.stage.{stage}"), version=version)


async def test_detail_masks_the_nik_and_offers_only_this_stage_s_actions(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=TALL) as pilot:
        await _open_budi(pilot)
        assert ui.shows(app, "NIK ************0002", "Kartu peserta aktif.", "Kuitansi rumah sakit")
        assert "3273011708780002" not in ui.text(app)
        assert _keys(app) == {"assess", "reject"}
        await ui.keys(pilot, "f4", "f5", "f6")
        assert ui.at(app, "bo.detail.title")


async def test_assess_with_keys(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        await ui.keys(pilot, "f3")
        assert ui.at(app, "bo.assess.title")
        assert ui.focused_label(app) == ui.t("field.approved_amount")
        assert ui.focused_value(app) == "4.500.000"
        await ui.keys(pilot, "ctrl+u", *"4.000.000", "enter", *REASON, "enter", "space", "f10")
        assert ui.at(app, "bo.detail.title")
        assert "Penetapan KIDB-2026-000001 tersimpan" in ui.status(app)
        assert ui.shows(app, _head("penetapan", 2))
        assert _keys(app) == {"approve", "reject"}
    claim = claim_of(demo_rt)
    assert (claim.stage, claim.approved_amount, claim.documents_seen, claim.assessed_by, claim.version) == (
        "penetapan", 4_000_000, True, "ani.petugas", 2,
    )
    assert notification_kinds(demo_rt)[-1] == "claim_assessed"


async def test_assess_refuses_more_than_requested_and_unseen_documents(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        await ui.keys(pilot, "f3", "ctrl+u", *"5.000.000", "f10")
        assert ui.at(app, "bo.assess.title")
        assert "tidak boleh melebihi jumlah yang diminta (Rp4.500.000)" in ui.field_error(
            app, ui.t("field.approved_amount"))
        assert "memeriksa dokumen asli" in ui.field_error(app, ui.t("field.documents_seen"))
        assert "2 isian" in ui.status(app)
        await ui.keys(pilot, "escape")
        assert ui.at(app, "bo.detail.title")
    assert claim_of(demo_rt).stage == "agenda"
    assert "claim_assessed" not in notification_kinds(demo_rt)


async def test_a_lower_amount_needs_a_reason_which_the_participant_reads_on_status(make_bo, make_app, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        await ui.keys(pilot, "f3", "ctrl+u", *"4.000.000", "enter")
        assert ui.focused_label(app) == ui.t("bo.assess.reason_label")
        await ui.keys(pilot, "enter", "space", "f10")
        assert ui.at(app, "bo.assess.title")
        assert ui.field_error(app, ui.t("bo.assess.reason_label")) == (
            f"{ui.t('field.difference_reason')}: {ui.t('rule.difference_reason_required', requested_amount=4_500_000)}")
        assert claim_of(demo_rt).stage == "agenda"
        await ui.keys(pilot, *REASON, "f10")
        assert ui.at(app, "bo.detail.title")
        assert ui.shows(app, _head("penetapan", 2))
    assert claim_of(demo_rt).approved_amount == 4_000_000
    kiosk = make_app(signed_in=BUDI)
    async with kiosk.run_test(size=TALL) as pilot:
        await ui.keys(pilot, "2")
        assert ui.at(kiosk, "status.title")
        assert ui.shows(kiosk, ui.t("status.requested", amount=4_500_000), ui.t("status.approved", amount=4_000_000),
                        ui.t("status.difference_reason", reason=REASON))


async def test_the_whole_amount_needs_no_reason(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        await ui.keys(pilot, "f3", "enter", "enter", "space", "f10")
        assert ui.at(app, "bo.detail.title")
    assert (claim_of(demo_rt).stage, claim_of(demo_rt).approved_amount) == ("penetapan", 4_500_000)


async def test_walk_from_agenda_to_selesai(make_bo, demo_rt):
    before = participant_of(demo_rt)
    assert (before.balance, before.reserved) == (42_000_000, 4_500_000)
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        await ui.keys(pilot, "f3", "ctrl+u", *"4.000.000", "enter", *REASON, "enter", "space", "f10")
        await ui.keys(pilot, "f4")
        assert ui.at(app, "bo.approve.title")
        await ui.keys(pilot, "f10")
        assert "disetujui" in ui.status(app)
        assert claim_of(demo_rt).approved_by == "ani.petugas"
        await ui.keys(pilot, "f5")
        assert ui.at(app, "bo.pay.title")
        await ui.keys(pilot, "f10")
        assert "wajib diisi" in ui.field_error(app, ui.t("field.payment_reference"))
        assert claim_of(demo_rt).stage == "persetujuan"
        await ui.keys(pilot, *"TRF-BCA-778899", "f10")
        assert "Pembayaran KIDB-2026-000001 dicatat" in ui.status(app)
        paid = participant_of(demo_rt)
        assert (paid.balance, paid.reserved) == (38_000_000, 0)
        await ui.keys(pilot, "f6", "f10")
        assert "selesai" in ui.status(app)
        await ui.keys(pilot, "end")
        assert ui.shows(app, "tidak ada tindakan lagi")
        assert _keys(app) == set()
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
    async with app.run_test(size=TALL) as pilot:
        await _open_budi(pilot)
        await ui.keys(pilot, "f8")
        assert ui.at(app, "bo.reject.title")
        assert ui.focused_label(app) == ui.t("field.rejection_code")
        await ui.keys(pilot, "enter", "down", "enter")
        assert ui.focused_label(app) == ui.t("field.note")
        await ui.keys(pilot, *note, "f10")
        assert ui.at(app, "bo.detail.title")
        assert "ditolak" in ui.status(app)
        assert ui.shows(app, "Dokumen tidak lengkap. Catatan untuk peserta: " + note)
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
        await ui.keys(pilot, "f8", "f10")
        assert ui.at(app, "bo.reject.title")
        assert "pilih salah satu alasan" in ui.field_error(app, ui.t("field.rejection_code"))
        assert "wajib diisi" in ui.field_error(app, ui.t("field.note"))
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
        await ui.keys(pilot, "f5", *"TRF-1", "f10")
        assert ui.at(app, "bo.pay.title")
        assert "Saldo peserta (Rp1.000) kurang" in ui.status(app)
    claim = claim_of(demo_rt)
    assert (claim.stage, claim.payment_reference) == ("persetujuan", "")
    assert participant_of(demo_rt).balance == 1_000


async def test_language_switch_in_a_form_keeps_what_was_typed(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        await ui.keys(pilot, "f3", "ctrl+u", *"4.100.000", "enter", *REASON, "enter", "space", "f2")
        assert ui.at(app, "bo.assess.title", "en")
        assert ui.row_after(app, ui.t("field.approved_amount", "en")) == "4.100.000"
        assert "[x]" in ui.row_after(app, ui.t("field.documents_seen", "en"))
        await ui.keys(pilot, "f10")
        assert "Assessment of KIDB-2026-000001 saved" in ui.status(app)
        assert ui.shows(app, "stage Assessed · version 2")
    assert claim_of(demo_rt).approved_amount == 4_100_000


async def test_the_paying_officer_sees_the_whole_account_number(make_bo, demo_rt):
    advance(demo_rt, "persetujuan")
    account = claim_of(demo_rt).account_number
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        assert account not in ui.text(app)
        await ui.keys(pilot, "f5")
        await ui.until(pilot, lambda: ui.shows(app, account))
        assert ui.at(app, "bo.pay.title")
    with demo_rt.read() as session:
        shown = session.exec(select(AuditEvent).where(AuditEvent.action == "review.account_shown")).all()
    assert [(row.actor, row.subject) for row in shown] == [("ani.petugas", "KIDB-2026-000001")]
