"""Claim review: the stage path with its event, version, notification and audit row per step,
the rules of each action, rejection, and the supervisor rule (kidb_tui/services/review.py)."""

import pytest

from kidb_tui.clock import as_utc
from kidb_tui.errors import DomainError, FormErrors
from kidb_tui.models import ClaimEvent
from kidb_tui.services import claims, officers, requirements, review
from kidb_tui.services.review import ConcurrentChange
from tests.backoffice_services.helpers import (
    ANI,
    BAMBANG,
    STEPS,
    TRANSFER,
    audit_rows,
    claim,
    claim_of,
    count,
    file_claim,
    form_errors,
    notifications_of,
    officer,
    participant,
    rows,
    runtime_with,
    walk,
)
from tests.conftest import BUDI, JOKO, SITI

BUDI_AMOUNT = 4_500_000
PATH = (
    ("penetapan", "claim_assessed"),
    ("persetujuan", "claim_approved"),
    ("pembayaran", "claim_paid"),
    ("selesai", "claim_closed"),
)
NOTE = "Kuitansi rumah sakit tidak terbaca: unggah ulang kuitansi asli dari rumah sakit."


@pytest.fixture
def ani(demo_rt):
    return officer(demo_rt, ANI)


@pytest.fixture
def bambang(demo_rt):
    return officer(demo_rt, BAMBANG)


@pytest.fixture
def budi_claim(demo_rt):
    return claim_of(demo_rt, BUDI)


def assert_unchanged(rt, before) -> None:
    after = claim(rt, before.id)
    assert (after.stage, after.version, after.approved_amount) == (before.stage, before.version, before.approved_amount)


def test_the_demo_claim_waits_in_agenda(demo_rt, budi_claim):
    assert (budi_claim.stage, budi_claim.version, budi_claim.amount) == ("agenda", 1, BUDI_AMOUNT)
    assert [item.reference for item in review.queue(demo_rt, "agenda").items] == [budi_claim.reference]


def test_each_step_records_event_version_notification_and_audit(demo_rt, ani, budi_claim):
    current = budi_claim
    for stage, kind in PATH:
        STEPS[current.stage](demo_rt, ani, current, 4_000_000)
        moved = claim(demo_rt, current.id)
        assert (moved.stage, moved.version) == (stage, current.version + 1)
        [event] = rows(demo_rt, ClaimEvent, ClaimEvent.claim_id == current.id, ClaimEvent.stage == stage)
        assert (event.actor, as_utc(event.at)) == ("ani.petugas", demo_rt.now())
        [notice] = notifications_of(demo_rt, BUDI, kind)
        assert notice.params["reference"] == current.reference
        assert notice.read_at is None
        [entry] = audit_rows(demo_rt, f"review.{stage}", current.reference)
        assert entry.actor == "ani.petugas"
        assert entry.details["amount"] == 4_000_000
        assert (entry.details["before"], entry.details["after"], entry.details["role"]) == (
            current.stage, stage, "officer")
        current = moved
    assert (current.approved_amount, current.paid_amount, current.payment_reference) == (4_000_000, 4_000_000, TRANSFER)
    assert (current.assessed_by, current.approved_by, current.documents_seen) == ("ani.petugas", "ani.petugas", True)
    [view] = [c for c in claims.claims_of(demo_rt, participant(demo_rt, BUDI).id) if c.reference == current.reference]
    assert [e.stage for e in view.events] == ["agenda", "penetapan", "persetujuan", "pembayaran", "selesai"]


def test_notifications_carry_the_amounts(demo_rt, ani, budi_claim):
    walk(demo_rt, budi_claim.id, "selesai", ani, approved=4_000_000)
    amounts = {kind: notifications_of(demo_rt, BUDI, kind)[0].params["amount"] for _, kind in PATH}
    assert amounts == dict.fromkeys(("claim_assessed", "claim_approved", "claim_paid", "claim_closed"), 4_000_000)


def test_the_detail_shows_the_claim_masked_with_its_history(demo_rt, ani, budi_claim):
    walk(demo_rt, budi_claim.id, "penetapan", ani)
    shown = review.detail(demo_rt, budi_claim.id)
    assert (shown.stage, shown.version, shown.approved_amount) == ("penetapan", 2, BUDI_AMOUNT)
    assert shown.nik_masked == "*" * 12 + BUDI.nik[-4:]
    assert shown.account_masked == "******7890"
    assert [e.stage for e in shown.events] == ["agenda", "penetapan"]
    assert shown.requirements.can_proceed


def test_assess_refuses_more_than_requested(demo_rt, ani, budi_claim):
    call = lambda: review.assess(demo_rt, ani, budi_claim.id, 1, BUDI_AMOUNT + 1, True)  # noqa: E731
    assert form_errors(call) == {"approved_amount": "approved_above_requested"}
    assert_unchanged(demo_rt, budi_claim)
    assert notifications_of(demo_rt, BUDI, "claim_assessed") == []
    assert audit_rows(demo_rt, "review.penetapan") == []


@pytest.mark.parametrize("approved, rule", [
    ("0", "amount_positive"),
    (0, "amount_positive"),
    (-5, "amount_positive"),
    ("", "required"),
    ("empat juta", "amount_format"),
    ("4.000.000,50", "amount_whole"),
    ("4.0.0", "amount_format"),
])
def test_assess_refuses_a_zero_or_garbage_amount(demo_rt, ani, budi_claim, approved, rule):
    call = lambda: review.assess(demo_rt, ani, budi_claim.id, 1, approved, True)  # noqa: E731
    assert form_errors(call) == {"approved_amount": rule}
    assert_unchanged(demo_rt, budi_claim)


def test_assess_needs_the_documents_seen(demo_rt, ani, budi_claim):
    assert form_errors(lambda: review.assess(demo_rt, ani, budi_claim.id, 1, "4.000.000", False, difference_reason=LOWER)) == {
        "documents_seen": "documents_not_seen"}
    assert_unchanged(demo_rt, budi_claim)


def test_assess_names_every_problem_at_once(demo_rt, ani, budi_claim):
    assert form_errors(lambda: review.assess(demo_rt, ani, budi_claim.id, 1, "9.000.000", False)) == {
        "approved_amount": "approved_above_requested", "documents_seen": "documents_not_seen"}


def test_assess_accepts_grouped_rupiah(demo_rt, ani, budi_claim):
    review.assess(demo_rt, ani, budi_claim.id, 1, "Rp4.250.000", True, difference_reason=LOWER)
    assert claim(demo_rt, budi_claim.id).approved_amount == 4_250_000


ACTIONS = {
    "assess": lambda rt, who, row: review.assess(rt, who, row.id, row.version, 1_000_000, True, difference_reason=LOWER),
    "approve": lambda rt, who, row: review.approve(rt, who, row.id, row.version),
    "record_payment": lambda rt, who, row: review.record_payment(rt, who, row.id, row.version, TRANSFER),
    "close": lambda rt, who, row: review.close(rt, who, row.id, row.version),
    "reject": lambda rt, who, row: review.reject(rt, who, row.id, row.version, "other", NOTE),
}
ALLOWED = {
    "assess": {"agenda"},
    "approve": {"penetapan"},
    "record_payment": {"persetujuan"},
    "close": {"pembayaran"},
    "reject": {"agenda", "penetapan", "persetujuan"},
}
WRONG = [
    (action, stage)
    for action in ACTIONS
    for stage in ("agenda", "penetapan", "persetujuan", "pembayaran", "selesai", "ditolak")
    if stage not in ALLOWED[action]
]


@pytest.mark.parametrize("action, stage", WRONG)
def test_an_action_at_the_wrong_stage_is_refused(demo_rt, ani, budi_claim, action, stage):
    target = claim_of(demo_rt, JOKO) if stage == "ditolak" else walk(demo_rt, budi_claim.id, stage, ani)
    events = count(demo_rt, ClaimEvent)
    with pytest.raises(DomainError) as caught:
        ACTIONS[action](demo_rt, ani, target)
    assert type(caught.value) is DomainError
    assert caught.value.key == "review.wrong_stage"
    assert caught.value.params == {"reference": target.reference, "stage": stage}
    assert_unchanged(demo_rt, target)
    assert count(demo_rt, ClaimEvent) == events


def test_an_unknown_claim_is_not_found(demo_rt, ani):
    with pytest.raises(DomainError) as caught:
        review.approve(demo_rt, ani, 999_999, 1)
    assert caught.value.key == "review.claim_not_found"


@pytest.mark.parametrize("stage", ["agenda", "penetapan", "persetujuan"])
def test_reject_at_an_open_stage(demo_rt, ani, budi_claim, stage):
    before = walk(demo_rt, budi_claim.id, stage, ani)
    review.reject(demo_rt, ani, before.id, before.version, "documents_incomplete", NOTE)
    after = claim(demo_rt, before.id)
    assert (after.stage, after.version) == ("ditolak", before.version + 1)
    assert (after.rejection_code, after.rejection_reason) == ("documents_incomplete", NOTE)
    [event] = rows(demo_rt, ClaimEvent, ClaimEvent.claim_id == before.id, ClaimEvent.stage == "ditolak")
    assert (event.note, event.actor) == (NOTE, "ani.petugas")
    [notice] = notifications_of(demo_rt, BUDI, "claim_rejected")
    assert notice.params == {"reference": before.reference, "reason": NOTE, "reason_code": "documents_incomplete"}
    [entry] = audit_rows(demo_rt, "review.ditolak", before.reference)
    assert entry.details == {
        "before": stage, "after": "ditolak", "role": "officer", "reason_code": "documents_incomplete"}
    [view] = [c for c in claims.claims_of(demo_rt, participant(demo_rt, BUDI).id) if c.reference == before.reference]
    assert (view.stage, view.rejection_reason, view.events[-1].note) == ("ditolak", NOTE, NOTE)


def test_after_a_rejection_the_participant_may_claim_again(demo_rt, ani, budi_claim):
    budi_id = participant(demo_rt, BUDI).id
    blocked = {item.key: item for item in requirements.check(demo_rt, budi_id, "biaya_medis").items}
    assert blocked["no_open_claim"].status == "unmet"
    assert blocked["no_open_claim"].params == {"reference": budi_claim.reference}
    review.reject(demo_rt, ani, budi_claim.id, 1, "holder_name_mismatch", NOTE)
    report = requirements.check(demo_rt, budi_id, "biaya_medis")
    assert {item.key: item.status for item in report.items}["no_open_claim"] == "met"
    assert report.can_proceed
    assert file_claim(demo_rt, BUDI, "biaya_medis", "4.500.000", "budi-again").stage == "agenda"


@pytest.mark.parametrize("code, note, expected", [
    ("not_a_reason", NOTE, {"rejection_code": "rejection_code_unknown"}),
    ("", NOTE, {"rejection_code": "rejection_code_unknown"}),
    ("other", "", {"note": "required"}),
    ("other", "   ", {"note": "required"}),
    ("other", "x" * 501, {"note": "max_length"}),
    ("other", "Lihat\u202e catatan", {"note": "control_characters"}),
    ("nope", "", {"rejection_code": "rejection_code_unknown", "note": "required"}),
])
def test_reject_needs_a_known_code_and_a_note(demo_rt, ani, budi_claim, code, note, expected):
    assert form_errors(lambda: review.reject(demo_rt, ani, budi_claim.id, 1, code, note)) == expected
    assert_unchanged(demo_rt, budi_claim)
    assert participant(demo_rt, BUDI).reserved == BUDI_AMOUNT
    assert notifications_of(demo_rt, BUDI, "claim_rejected") == []


def test_every_listed_reason_is_accepted(demo_rt, ani):
    for number, code in enumerate(review.REJECTION_CODES):
        row = file_claim(demo_rt, SITI, "biaya_medis", "1.000.000", f"siti-{number}")
        review.reject(demo_rt, ani, row.id, row.version, code, NOTE)
        assert claim(demo_rt, row.id).rejection_code == code


@pytest.fixture
def siti_jht(demo_rt):
    """Siti's full-balance JHT claim of Rp85.000.000, above the default supervisor threshold."""
    return file_claim(demo_rt, SITI, "jht_mengundurkan_diri", "85.000.000", "siti-jht")


def supervisor_error(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_above_the_threshold_an_officer_may_not_approve(demo_rt, ani, siti_jht):
    review.assess(demo_rt, ani, siti_jht.id, 1, siti_jht.amount, True)
    error = supervisor_error(lambda: review.approve(demo_rt, ani, siti_jht.id, 2))
    assert (error.key, error.params) == ("review.needs_supervisor", {"threshold_amount": 50_000_000})
    assert claim(demo_rt, siti_jht.id).stage == "penetapan"
    assert notifications_of(demo_rt, SITI, "claim_approved") == []


def test_the_assessing_supervisor_may_not_approve_too(demo_rt, bambang, siti_jht):
    review.assess(demo_rt, bambang, siti_jht.id, 1, siti_jht.amount, True)
    assert supervisor_error(lambda: review.approve(demo_rt, bambang, siti_jht.id, 2)).key == "review.four_eyes"
    assert (claim(demo_rt, siti_jht.id).stage, claim(demo_rt, siti_jht.id).approved_by) == ("penetapan", "")


def test_a_supervisor_approves_what_an_officer_assessed(demo_rt, ani, bambang, siti_jht):
    review.assess(demo_rt, ani, siti_jht.id, 1, siti_jht.amount, True)
    review.approve(demo_rt, bambang, siti_jht.id, 2)
    row = claim(demo_rt, siti_jht.id)
    assert (row.stage, row.assessed_by, row.approved_by) == ("persetujuan", "ani.petugas", "bambang.supervisor")
    assert audit_rows(demo_rt, "review.persetujuan", row.reference)[0].details["role"] == "supervisor"


def test_another_supervisor_approves_what_a_supervisor_assessed(demo_rt, bambang, siti_jht):
    officers.add_officer(demo_rt, "citra.supervisor", "Loket-Tiga-Bandung-9", "supervisor")
    citra = officers.login(demo_rt, "citra.supervisor", "Loket-Tiga-Bandung-9").officer
    review.assess(demo_rt, bambang, siti_jht.id, 1, siti_jht.amount, True)
    review.approve(demo_rt, citra, siti_jht.id, 2)
    assert claim(demo_rt, siti_jht.id).approved_by == "citra.supervisor"


@pytest.mark.parametrize("approved, key", [
    (50_000_000, None),
    (49_999_999, None),
    (50_000_001, "review.needs_supervisor"),
])
def test_the_threshold_counts_the_approved_amount(demo_rt, ani, siti_jht, approved, key):
    review.assess(demo_rt, ani, siti_jht.id, 1, approved, True, difference_reason=LOWER)
    if key is None:
        review.approve(demo_rt, ani, siti_jht.id, 2)
        assert claim(demo_rt, siti_jht.id).stage == "persetujuan"
    else:
        assert supervisor_error(lambda: review.approve(demo_rt, ani, siti_jht.id, 2)).key == key


@pytest.mark.parametrize("threshold, key", [
    (BUDI_AMOUNT, None),
    (BUDI_AMOUNT - 1, "review.needs_supervisor"),
])
def test_the_threshold_is_a_setting(settings, clock, demo_rt, ani, budi_claim, threshold, key):
    with runtime_with(demo_rt.settings, clock, supervisor_threshold=threshold) as strict:
        review.assess(strict, ani, budi_claim.id, 1, BUDI_AMOUNT, True)
        if key is None:
            review.approve(strict, ani, budi_claim.id, 2)
            assert claim(strict, budi_claim.id).stage == "persetujuan"
        else:
            error = supervisor_error(lambda: review.approve(strict, ani, budi_claim.id, 2))
            assert (error.key, error.params) == (key, {"threshold_amount": threshold})


def test_a_stale_version_is_refused_before_the_stage(demo_rt, ani, budi_claim):
    walk(demo_rt, budi_claim.id, "penetapan", ani)
    with pytest.raises(ConcurrentChange) as caught:
        review.assess(demo_rt, ani, budi_claim.id, 1, 1_000_000, True, difference_reason=LOWER)
    assert caught.value.key == "review.changed_elsewhere"


LOWER = "Kuitansi kedua tidak dapat diganti: hanya kuitansi rawat inap yang dihitung."


def test_status_shows_requested_approved_and_paid_amounts_with_the_reason(demo_rt, ani, bambang, budi_claim):
    review.assess(demo_rt, ani, budi_claim.id, 1, "4.000.000", True, difference_reason=LOWER)
    review.approve(demo_rt, bambang, budi_claim.id, 2)
    review.record_payment(demo_rt, bambang, budi_claim.id, 3, TRANSFER)
    [view] = claims.claims_of(demo_rt, budi_claim.participant_id)
    assert (view.amount, view.approved_amount, view.paid_amount) == (BUDI_AMOUNT, 4_000_000, 4_000_000)
    assert (view.current_amount, view.amount_changed, view.difference_reason) == (4_000_000, True, LOWER)


def test_a_claim_not_yet_assessed_shows_only_the_requested_amount(demo_rt, budi_claim):
    [view] = claims.claims_of(demo_rt, budi_claim.participant_id)
    assert (view.approved_amount, view.paid_amount, view.current_amount, view.amount_changed) == (
        None, None, BUDI_AMOUNT, False)


def test_a_reason_given_for_the_full_amount_is_not_kept(demo_rt, ani, budi_claim):
    review.assess(demo_rt, ani, budi_claim.id, 1, BUDI_AMOUNT, True, difference_reason=LOWER)
    [view] = claims.claims_of(demo_rt, budi_claim.participant_id)
    assert (view.current_amount, view.amount_changed, view.difference_reason) == (BUDI_AMOUNT, False, "")


def test_the_difference_reason_is_checked_like_any_text(demo_rt, ani, budi_claim):
    assert form_errors(lambda: review.assess(demo_rt, ani, budi_claim.id, 1, 4_000_000, True,
                                             difference_reason="a\x1b[31m")) == {"difference_reason": "control_characters"}
    assert claim(demo_rt, budi_claim.id).stage == "agenda"


def refusal(found):
    return None if found is None else (found.key, found.params)


def test_may_approve_says_why_before_setujui_is_offered(demo_rt, ani, bambang, siti_jht):
    review.assess(demo_rt, ani, siti_jht.id, 1, siti_jht.amount, True)
    assert refusal(review.may_approve(demo_rt, ani, siti_jht.id)) == (
        "review.needs_supervisor", {"threshold_amount": 50_000_000})
    assert review.may_approve(demo_rt, bambang, siti_jht.id) is None
    review.approve(demo_rt, bambang, siti_jht.id, 2)


def test_may_approve_names_the_four_eyes_rule(demo_rt, bambang, siti_jht):
    review.assess(demo_rt, bambang, siti_jht.id, 1, siti_jht.amount, True)
    assert refusal(review.may_approve(demo_rt, bambang, siti_jht.id)) == ("review.four_eyes", {})


def test_may_approve_below_the_threshold_and_only_at_penetapan(demo_rt, ani, budi_claim):
    assert refusal(review.may_approve(demo_rt, ani, budi_claim.id))[0] == "review.wrong_stage"
    review.assess(demo_rt, ani, budi_claim.id, 1, BUDI_AMOUNT, True)
    assert review.may_approve(demo_rt, ani, budi_claim.id) is None


def test_the_paying_officer_sees_the_full_account_number_and_it_is_audited(demo_rt, ani, bambang, budi_claim):
    with pytest.raises(DomainError) as caught:
        review.payment_account(demo_rt, ani, budi_claim.id)
    assert caught.value.key == "review.wrong_stage"
    walk(demo_rt, budi_claim.id, "persetujuan", bambang)
    assert review.payment_account(demo_rt, ani, budi_claim.id) == "1234567890"
    [entry] = audit_rows(demo_rt, "review.account_shown", budi_claim.reference)
    assert entry.actor == "ani.petugas"
    assert review.detail(demo_rt, budi_claim.id).account_masked != "1234567890"


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_lower_amount_needs_the_reason_the_participant_reads(demo_rt, ani, budi_claim, reason):
    call = lambda: review.assess(demo_rt, ani, budi_claim.id, 1, "4.000.000", True, difference_reason=reason)  # noqa: E731
    with pytest.raises(FormErrors) as caught:
        call()
    [error] = caught.value.errors
    assert (error.field, error.rule, error.params) == (
        "difference_reason", "difference_reason_required", {"requested_amount": BUDI_AMOUNT})
    assert_unchanged(demo_rt, budi_claim)
    assert notifications_of(demo_rt, BUDI, "claim_assessed") == []


def test_the_whole_amount_needs_no_reason(demo_rt, ani, budi_claim):
    review.assess(demo_rt, ani, budi_claim.id, 1, BUDI_AMOUNT, True)
    assert (claim(demo_rt, budi_claim.id).stage, claim(demo_rt, budi_claim.id).approved_amount) == ("penetapan", BUDI_AMOUNT)


def test_the_missing_reason_is_named_with_the_other_problems(demo_rt, ani, budi_claim):
    assert form_errors(lambda: review.assess(demo_rt, ani, budi_claim.id, 1, "4.000.000", False)) == {
        "difference_reason": "difference_reason_required", "documents_seen": "documents_not_seen"}


@pytest.mark.parametrize("stage", [None, "agenda"])
def test_a_queue_page_is_read_in_index_order_not_sorted_whole(sqlite_demo_rt, stage):
    """The page query walks an index oldest first and stops after the page (migration 0008);
    without one, SQLite sorts every matching claim in a temporary B-tree for each page."""
    from sqlalchemy import event

    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(sqlite_demo_rt.engine, "before_cursor_execute", capture)
    try:
        review.queue(sqlite_demo_rt, stage, limit=16, offset=0)
    finally:
        event.remove(sqlite_demo_rt.engine, "before_cursor_execute", capture)
    [(page, parameters)] = [(sql, params) for sql, params in statements if "ORDER BY" in sql]
    with sqlite_demo_rt.engine.connect() as connection:
        plan = " / ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {page}", parameters))
    assert "TEMP B-TREE" not in plan
    assert ("ix_claim_stage_created" if stage else "ix_claim_created") in plan
