"""Claim registration: one claim per key, the amount reserved in the same transaction, every
field checked, nothing written on refusal; claim and balance views (kidb_tui/services/claims.py)."""

import re
from datetime import date

import pytest
from sqlalchemy import text

from kidb_tui.errors import AuthError, FormErrors, NotFound, RequirementError
from kidb_tui.models import AuditEvent, Claim, ClaimEvent, Notification, Participant
from kidb_tui.services import claims
from kidb_tui.services.claims import add_working_days, balance_of, claims_of, next_stage, submit_claim
from kidb_tui.services.profile import Contact
from tests.conftest import AGUS, BUDI, JOKO, SITI, sign_in
from tests.services.helpers import (
    BCA_ACCOUNT,
    all_rows,
    audit_dump,
    contact_of,
    count,
    draft,
    participant_row,
    runtime_with,
)

SITI_MEDIS_MAX = 25_500_000


def submit(rt, person, type_code="biaya_medis", amount="1.500.000", key="key-1", secret=None, contact=None, **changes):
    identity = sign_in(rt, person)
    return submit_claim(
        rt, identity, draft(rt, person, type_code, amount, **changes), contact or contact_of(rt, person),
        person.secret if secret is None else secret, key,
    )


def form_errors(call) -> dict[str, tuple[str, dict]]:
    with pytest.raises(FormErrors) as caught:
        call()
    return {error.field: (error.rule, error.params) for error in caught.value.errors}


def snapshot(rt) -> tuple:
    """What a refused submission must leave untouched."""
    return (
        [(c.id, c.amount) for c in all_rows(rt, Claim)],
        [(p.nib, p.reserved, p.address, p.phone, p.contact_confirmed_at) for p in all_rows(rt, Participant)],
        count(rt, ClaimEvent),
        count(rt, Notification),
        count(rt, AuditEvent, AuditEvent.action.like("claim.%")),
        count(rt, AuditEvent, AuditEvent.action.like("profile.%")),
    )


def test_submit_creates_one_claim_and_reserves_the_amount(demo_rt):
    receipt = submit(demo_rt, SITI)
    siti = participant_row(demo_rt, SITI)
    [claim] = all_rows(demo_rt, Claim, Claim.participant_id == siti.id)
    assert re.fullmatch(r"KIDB-2026-\d{6}", receipt.reference)
    assert claim.reference == receipt.reference == f"KIDB-2026-{claim.id:06d}"
    assert (claim.stage, claim.amount, claim.claim_type_code) == ("agenda", 1_500_000, "biaya_medis")
    assert (claim.bank_code, claim.account_number, claim.account_holder) == ("014", BCA_ACCOUNT, SITI.name)
    assert siti.reserved == 1_500_000
    assert [(e.stage, e.actor) for e in all_rows(demo_rt, ClaimEvent, ClaimEvent.claim_id == claim.id)] == [
        ("agenda", SITI.nib)]
    [notice] = all_rows(demo_rt, Notification, Notification.participant_id == siti.id,
                        Notification.kind == "claim_received")
    assert notice.params == {"reference": claim.reference, "amount": 1_500_000}
    [audit] = all_rows(demo_rt, AuditEvent, AuditEvent.subject == claim.reference)
    assert audit.action == "claim.submitted"
    assert audit.details == {"type": "biaya_medis", "amount": 1_500_000, "bank": "014", "account": "******7890"}
    assert not any(BCA_ACCOUNT in row for row in audit_dump(demo_rt))


def test_reference_is_set_by_the_insert_and_grows_past_six_digits(demo_rt):
    """The claim's insert gives it its reference (no update after it): the id the database would
    have chosen, zero-padded to six digits and longer once the ids pass 999,999."""
    first = submit(demo_rt, SITI)
    if demo_rt.engine.dialect.name == "postgresql":
        with demo_rt.write() as session:
            session.execute(text("SELECT setval(pg_get_serial_sequence('claim', 'id'), 1234566)"))
    else:
        [claim] = all_rows(demo_rt, Claim, Claim.reference == first.reference)
        with demo_rt.write() as session:
            session.add(Claim(**{**claim.model_dump(), "id": 1234566, "idempotency_key": "copy", "reference": "copy"}))
    receipt = submit(demo_rt, AGUS, key="key-2")
    assert first.reference == f"KIDB-2026-{all_rows(demo_rt, Claim, Claim.reference == first.reference)[0].id:06d}"
    assert receipt.reference == "KIDB-2026-1234567"
    assert [c.id for c in all_rows(demo_rt, Claim, Claim.reference == receipt.reference)] == [1234567]


def test_receipt_names_the_next_stage_and_service_level(demo_rt):
    receipt = submit(demo_rt, SITI)
    assert (receipt.stage, receipt.next_stage, receipt.amount, receipt.type_code) == (
        "agenda", "penetapan", 1_500_000, "biaya_medis")
    assert (receipt.service_days, receipt.expected_by) == (5, date(2026, 12, 2))


def test_small_balances_get_one_working_day(demo_rt):
    receipt = submit(demo_rt, AGUS, amount="500.000")
    assert (receipt.service_days, receipt.expected_by) == (1, date(2026, 11, 26))


def test_terminal_and_branch_come_from_settings(demo_rt, settings, clock):
    with runtime_with(demo_rt.settings, clock, terminal_id="KIOSK-07", branch="Jakarta Pusat") as rt:
        receipt = submit(rt, SITI)
        [claim] = all_rows(rt, Claim, Claim.reference == receipt.reference)
        assert (claim.terminal_id, claim.branch) == ("KIOSK-07", "Jakarta Pusat")
        [audit] = all_rows(rt, AuditEvent, AuditEvent.subject == receipt.reference)
        assert (audit.terminal_id, audit.branch) == ("KIOSK-07", "Jakarta Pusat")


def test_same_key_twice_gives_one_claim_and_the_same_receipt(demo_rt):
    first = submit(demo_rt, SITI, key="form-opened-once")
    second = submit(demo_rt, SITI, key="form-opened-once", amount="2.000.000")
    assert first == second
    assert count(demo_rt, Claim, Claim.participant_id == participant_row(demo_rt, SITI).id) == 1
    assert participant_row(demo_rt, SITI).reserved == 1_500_000
    assert claims.receipt_for_key(demo_rt, sign_in(demo_rt, SITI), "form-opened-once") == first
    assert claims.receipt_for_key(demo_rt, sign_in(demo_rt, SITI), "never-used") is None


def test_a_key_of_someone_else_is_refused(demo_rt):
    submit(demo_rt, SITI, key="shared-key")
    with pytest.raises(NotFound) as caught:
        submit(demo_rt, JOKO, key="shared-key")
    assert caught.value.key == "claim.key_conflict"


def test_amount_above_the_types_maximum(demo_rt):
    before = snapshot(demo_rt)
    errors = form_errors(lambda: submit(demo_rt, SITI, amount="25.500.001"))
    assert errors == {"amount": ("amount_max", {"max_amount": SITI_MEDIS_MAX})}
    assert snapshot(demo_rt) == before
    assert submit(demo_rt, SITI, amount="25.500.000").amount == SITI_MEDIS_MAX


def test_full_balance_types_take_exactly_the_available_amount(demo_rt):
    errors = form_errors(lambda: submit(demo_rt, SITI, "jht_mengundurkan_diri", "1.000.000"))
    assert errors == {"amount": ("amount_full_balance", {"max_amount": 85_000_000})}
    assert submit(demo_rt, SITI, "jht_mengundurkan_diri", "85.000.000").amount == 85_000_000
    assert participant_row(demo_rt, SITI).reserved == 85_000_000


@pytest.mark.parametrize("changes, field, rule", [
    ({"account_holder": "Budi Santoso"}, "account_holder", "holder_mismatch"),
    ({"account_number": "123456789"}, "account_number", "account_length"),
    ({"bank_code": "002"}, "account_number", "account_length"),
    ({"account_number": "12345abcde"}, "account_number", "account_digits"),
    ({"documents": ("ktp",)}, "documents", "documents_missing"),
    ({"reason": ""}, "reason", "required"),
    ({"reason": "x" * 501}, "reason", "max_length"),
    ({"reason": "rawat\u202einap"}, "reason", "control_characters"),
    ({"bank_code": "999"}, "bank", "required"),
])
def test_each_bad_field_is_named_and_nothing_written(demo_rt, changes, field, rule):
    before = snapshot(demo_rt)
    assert form_errors(lambda: submit(demo_rt, SITI, **changes))[field][0] == rule
    assert snapshot(demo_rt) == before


def test_an_account_number_s_characters_are_checked_before_a_bank_is_chosen(demo_rt):
    """Its length depends on the bank, its digits do not: both mistakes are said at once."""
    before = snapshot(demo_rt)
    errors = form_errors(lambda: submit(demo_rt, SITI, bank_code="", account_number="12ab"))
    assert (errors["bank"][0], errors["account_number"][0]) == ("required", "account_digits")
    assert "account_number" not in form_errors(lambda: submit(demo_rt, SITI, bank_code="", account_number="12"))
    assert snapshot(demo_rt) == before


def test_account_length_names_the_bank(demo_rt):
    errors = form_errors(lambda: submit(demo_rt, SITI, bank_code="002"))
    assert errors["account_number"] == ("account_length", {"bank": "BRI", "length": 15})
    assert submit(demo_rt, SITI, bank_code="002", account_number="1234 5678 9012 345").amount == 1_500_000


def test_every_bad_field_is_listed_at_once(demo_rt):
    errors = form_errors(lambda: submit(
        demo_rt, SITI, amount="satu juta", bank_code="", account_holder="Orang Lain", reason=" ", documents=()))
    assert {field: rule for field, (rule, _) in errors.items()} == {
        "amount": "amount_format", "bank": "required", "account_holder": "holder_mismatch",
        "reason": "required", "documents": "documents_missing"}
    assert errors["documents"][1] == {"count": 5}


def test_bad_contact_data_is_refused_before_anything(demo_rt):
    before = snapshot(demo_rt)
    bad = Contact("Jl. Merdeka 10", "01234", "021-5551234", "siti@")
    with pytest.raises(FormErrors) as caught:
        submit(demo_rt, SITI, contact=bad)
    assert {e.field for e in caught.value.errors} == {"postal_code", "phone", "email"}
    assert snapshot(demo_rt) == before


def test_receipt_names_the_contact_fields_the_claim_changed(demo_rt):
    moved = Contact("Jl. Merdeka No. 10, Jakarta Pusat", "10110", "0812-3456-7899", "siti.baru@example.co.id")
    assert submit(demo_rt, SITI, contact=moved).contact_changed == ("phone", "email")
    assert participant_row(demo_rt, SITI).phone == "+6281234567899"
    assert submit(demo_rt, SITI, contact=moved).contact_changed == (), "the same key reads the first claim back"


def test_wrong_secret_writes_no_claim_and_no_contact_change(demo_rt):
    moved = Contact("Jl. Baru No. 1, Jakarta", "10110", "081234567899", "siti.baru@example.co.id")
    before = snapshot(demo_rt)
    with pytest.raises(AuthError) as caught:
        submit(demo_rt, SITI, secret="999999", contact=moved)
    assert caught.value.key == "auth.reauth_failed"
    assert snapshot(demo_rt) == before


def test_unmet_requirement_at_submit_writes_nothing_not_even_the_contact(demo_rt):
    moved = Contact("Jl. Kemang Raya No. 2, Jakarta Selatan", "12730", "081234567804", "agus.wijaya@example.co.id")
    before = snapshot(demo_rt)
    with pytest.raises(RequirementError) as caught:
        submit(demo_rt, AGUS, "jht_mengundurkan_diri", "9.000.000", contact=moved)
    assert caught.value.key == "req.waiting_period.unmet"
    assert caught.value.params["eligible_date"] == date(2026, 12, 15)
    assert snapshot(demo_rt) == before


def test_open_claim_of_the_same_type_is_refused_at_submit(demo_rt):
    before = snapshot(demo_rt)
    with pytest.raises(RequirementError) as caught:
        submit(demo_rt, BUDI, "biaya_medis", "1.000.000")
    assert caught.value.key == "req.no_open_claim.unmet"
    assert snapshot(demo_rt) == before


def test_second_claim_cannot_exceed_what_is_left(demo_rt):
    submit(demo_rt, SITI, "biaya_medis", "25.500.000", key="first")
    errors = form_errors(lambda: submit(demo_rt, SITI, "jht_mengundurkan_diri", "85.000.000", key="second"))
    assert errors == {"amount": ("amount_full_balance", {"max_amount": 59_500_000})}
    assert participant_row(demo_rt, SITI).reserved == 25_500_000


def test_reservation_is_checked_inside_the_write_transaction(demo_rt, monkeypatch):
    """As if both forms were validated before either claim was saved."""
    monkeypatch.setattr(claims, "validate_draft", lambda *args: None)
    submit(demo_rt, SITI, "jht_mengundurkan_diri", "85.000.000", key="full")
    before = snapshot(demo_rt)
    with pytest.raises((FormErrors, RequirementError)):
        submit(demo_rt, SITI, "biaya_medis", "25.500.000", key="share")
    assert snapshot(demo_rt) == before
    siti = participant_row(demo_rt, SITI)
    assert siti.reserved == siti.balance == 85_000_000


def test_claims_of_lists_newest_first_with_masked_account(demo_rt):
    submit(demo_rt, SITI, "biaya_medis", key="a")
    submit(demo_rt, SITI, "biaya_pengobatan", "2.000.000", key="b",
           documents=("ktp", "kartu_peserta", "buku_tabungan", "resep_pengobatan", "surat_dokter"))
    views = claims_of(demo_rt, participant_row(demo_rt, SITI).id)
    assert [v.type_code for v in views] == ["biaya_pengobatan", "biaya_medis"]
    assert {(v.bank_name, v.account_masked, v.stage) for v in views} == {("BCA", "******7890", "agenda")}
    assert [e.stage for e in views[0].events] == ["agenda"]


def test_claims_of_shows_the_rejection(demo_rt):
    [view] = claims_of(demo_rt, participant_row(demo_rt, JOKO).id)
    assert view.stage == "ditolak" and view.rejection_reason
    assert [e.stage for e in view.events] == ["agenda", "ditolak"]
    assert view.events[-1].note == view.rejection_reason


def test_balance_of(demo_rt):
    view = balance_of(demo_rt, participant_row(demo_rt, BUDI).id)
    assert (view.balance_amount, view.reserved_amount, view.available_amount) == (42_000_000, 4_500_000, 37_500_000)
    with pytest.raises(NotFound):
        balance_of(demo_rt, 9999)


@pytest.mark.parametrize("start, days, expected", [
    (date(2026, 11, 25), 1, date(2026, 11, 26)),
    (date(2026, 11, 25), 5, date(2026, 12, 2)),
    (date(2026, 11, 27), 1, date(2026, 11, 30)),
    (date(2026, 11, 28), 1, date(2026, 11, 30)),
    (date(2026, 11, 29), 5, date(2026, 12, 4)),
    (date(2026, 11, 25), 0, date(2026, 11, 25)),
])
def test_add_working_days_skips_weekends(start, days, expected):
    assert add_working_days(start, days) == expected


@pytest.mark.parametrize("stage, expected", [
    ("agenda", "penetapan"), ("penetapan", "persetujuan"), ("persetujuan", "pembayaran"),
    ("pembayaran", "selesai"), ("selesai", ""), ("ditolak", ""),
])
def test_next_stage(stage, expected):
    assert next_stage(stage) == expected


def test_prefill_holder_is_the_participant_and_no_account_before_a_first_claim(demo_rt):
    assert claims.prefill(demo_rt, sign_in(demo_rt, SITI)) == claims.ClaimPrefill("Siti Rahayu", "", "")


def test_prefill_offers_the_bank_account_of_the_last_claim(demo_rt):
    siti = sign_in(demo_rt, SITI)
    submit_claim(demo_rt, siti, draft(demo_rt, SITI, "biaya_medis", "1.000.000", bank_code="002",
                                      account_number="123456789012345"), contact_of(demo_rt, SITI), SITI.secret, "k1")
    submit_claim(demo_rt, siti, draft(demo_rt, SITI, "biaya_pengobatan", "1.000.000"), contact_of(demo_rt, SITI),
                 SITI.secret, "k2")
    assert claims.prefill(demo_rt, siti) == claims.ClaimPrefill("Siti Rahayu", "014", "1234567890")


def test_prefill_skips_a_rejected_claims_account(demo_rt):
    assert claims.prefill(demo_rt, sign_in(demo_rt, JOKO)) == claims.ClaimPrefill("Joko Susilo", "", "")
    assert claims.prefill(demo_rt, sign_in(demo_rt, BUDI)) == claims.ClaimPrefill("Budi Santoso", "014", "1234567890")


def _counting_evaluations(monkeypatch) -> list[int]:
    calls: list[int] = []
    evaluate = claims.requirements.evaluate

    def counted(*args, **kwargs):
        calls.append(1)
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(claims.requirements, "evaluate", counted)
    return calls


def test_the_requirements_are_checked_once_when_nothing_changed_after_the_pin(demo_rt, monkeypatch):
    identity, form, contact = sign_in(demo_rt, SITI), draft(demo_rt, SITI, "biaya_medis", "1.500.000"), contact_of(demo_rt, SITI)
    calls, before = _counting_evaluations(monkeypatch), count(demo_rt, Claim)
    receipt = submit_claim(demo_rt, identity, form, contact, SITI.secret, "key-1")
    assert len(calls) == 1
    assert [claim.reference for claim in all_rows(demo_rt, Claim, Claim.idempotency_key == "key-1")] == [receipt.reference]
    assert count(demo_rt, Claim) == before + 1


def test_the_requirements_are_checked_again_when_the_participant_changed_after_the_pin(demo_rt, monkeypatch):
    identity, form, contact = sign_in(demo_rt, SITI), draft(demo_rt, SITI, "biaya_medis", "1.500.000"), contact_of(demo_rt, SITI)
    prove = claims.auth.prove

    def prove_then_block_the_card(rt, who, *args):
        attempt = prove(rt, who, *args)
        with rt.write() as session:
            participant = session.get(Participant, who.participant_id)
            participant.card_status = "blocked"
            session.add(participant)
        return attempt

    monkeypatch.setattr(claims.auth, "prove", prove_then_block_the_card)
    calls, before = _counting_evaluations(monkeypatch), count(demo_rt, Claim)
    with pytest.raises(RequirementError) as refused:
        submit_claim(demo_rt, identity, form, contact, SITI.secret, "key-1")
    assert refused.value.key == "req.card_active.unmet"
    assert len(calls) == 2
    assert count(demo_rt, Claim) == before


def test_the_claim_context_finds_claims_through_their_indexes(demo_rt):
    """Both claim joins are plain index searches (one join on either condition made PostgreSQL
    scan every claim for each submission once the table had grown, a BitmapOr at best)."""
    if demo_rt.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan")
    siti = participant_row(demo_rt, SITI)
    statement = claims._CONTEXT.compile(dialect=demo_rt.engine.dialect)
    params = {"participant_id": siti.id, "type_code": "biaya_medis", "bank_code": "014", "key": "key-1"}
    with demo_rt.engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", params))
    assert "Index Cond: (participant_id = " in plan
    assert "Index Cond: ((idempotency_key)::text = " in plan
    assert " OR " not in plan  # no condition the planner can only meet by scanning, or by a BitmapOr
