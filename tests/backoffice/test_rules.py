"""Two officers on one claim, and the supervisor rule above the threshold, through the UI."""

from kidb_tui.services import review
from tests import ui
from tests.backoffice.conftest import ANI, BAMBANG, advance, claim_of, notification_kinds, officer, participant_of

SIZE = (80, 24)
TALL = (80, 60)


async def _open_budi(pilot) -> None:
    await ui.keys(pilot, "enter")
    assert ui.at(pilot.app, "bo.detail.title")


def _head(app) -> str:
    return ui.lines(app)[1].strip()


async def test_second_officer_gets_changed_elsewhere_and_nothing_is_overwritten(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        assert _head(app).endswith("tahap Agenda · versi 1")
        claim = claim_of(demo_rt)
        review.assess(demo_rt, officer(demo_rt, BAMBANG), claim.id, claim.version, "3.000.000", True,
                      difference_reason="Satu kuitansi tidak sah.")
        await ui.keys(pilot, "f3", "ctrl+u", *"4.000.000", "enter", "space", "f10")
        assert ui.at(app, "bo.detail.title")
        assert "baru saja diubah petugas lain" in ui.status(app)
        assert _head(app).endswith("tahap Penetapan · versi 2")
    claim = claim_of(demo_rt)
    assert (claim.approved_amount, claim.assessed_by, claim.version) == (3_000_000, "bambang.supervisor", 2)
    assert notification_kinds(demo_rt).count("claim_assessed") == 1


async def test_two_rejections_release_the_money_once(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        claim = claim_of(demo_rt)
        review.reject(demo_rt, officer(demo_rt, BAMBANG), claim.id, claim.version, "duplicate_claim", "Sudah ada klaim lain.")
        await ui.keys(pilot, "f8", "enter", "down", "enter", *"Dokumen kurang.", "f10")
        assert "baru saja diubah petugas lain" in ui.status(app)
        assert "tahap Ditolak" in _head(app)
    claim = claim_of(demo_rt)
    assert (claim.rejection_code, claim.rejection_reason) == ("duplicate_claim", "Sudah ada klaim lain.")
    assert participant_of(demo_rt).reserved == 0
    assert notification_kinds(demo_rt).count("claim_rejected") == 1


async def test_officer_is_told_before_that_they_may_not_approve_above_the_threshold(make_bo, demo_rt):
    demo_rt.settings = demo_rt.settings.with_(supervisor_threshold=1_000_000)
    advance(demo_rt, "penetapan", assessor=ANI)
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=TALL) as pilot:
        await _open_budi(pilot)
        assert ui.t("bo.key.approve") not in ui.keys_offered(app)
        assert ui.shows(app, "Anda tidak dapat menyetujui klaim ini:", "hanya dapat disetujui oleh supervisor")
        await ui.keys(pilot, "f4")
        assert ui.at(app, "bo.detail.title")
    assert claim_of(demo_rt).stage == "penetapan"
    assert "claim_approved" not in notification_kinds(demo_rt)


async def test_supervisor_who_assessed_is_told_before_to_ask_another(make_bo, demo_rt):
    demo_rt.settings = demo_rt.settings.with_(supervisor_threshold=1_000_000)
    advance(demo_rt, "penetapan", assessor=BAMBANG)
    app = make_bo(signed_in=BAMBANG)
    async with app.run_test(size=TALL) as pilot:
        await _open_budi(pilot)
        assert ui.t("bo.key.approve") not in ui.keys_offered(app)
        assert ui.shows(app, "minta supervisor lain")
        await ui.keys(pilot, "f4")
        assert ui.at(app, "bo.detail.title")
    assert claim_of(demo_rt).stage == "penetapan"


async def test_another_supervisor_approves_above_the_threshold(make_bo, demo_rt):
    demo_rt.settings = demo_rt.settings.with_(supervisor_threshold=1_000_000)
    advance(demo_rt, "penetapan", assessor=ANI)
    app = make_bo(signed_in=BAMBANG)
    async with app.run_test(size=SIZE) as pilot:
        await _open_budi(pilot)
        await ui.keys(pilot, "f4", "f10")
        assert ui.at(app, "bo.detail.title")
        assert "disetujui" in ui.status(app)
    claim = claim_of(demo_rt)
    assert (claim.stage, claim.approved_by) == ("persetujuan", "bambang.supervisor")
    assert notification_kinds(demo_rt)[-1] == "claim_approved"
