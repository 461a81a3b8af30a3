"""Audit rows: written in the caller's transaction, masked, signed by their writer and chained by
the sealer; no secret, full NIK or full account number anywhere after a whole kiosk journey
(kidb_tui/services/audit.py, audit_seal.py, masking.py)."""

import itertools

import pytest
from sqlalchemy import text

from kidb_tui.audit_chain import FORGED, GENESIS
from kidb_tui.models import AuditEvent
from kidb_tui.services import audit
from kidb_tui.services.audit_seal import seal_pending
from kidb_tui.services.auth import activate, change_secret, login
from kidb_tui.services.claims import submit_claim
from kidb_tui.services.demo import OFFICERS, PEOPLE
from kidb_tui.services.masking import mask_email, mask_phone, mask_tail
from kidb_tui.services.profile import Contact, update_contact
from tests.conftest import BUDI, DEWI, RINA, SITI, sign_in
from tests.services.helpers import BCA_ACCOUNT, all_rows, audit_dump, contact_of, draft, runtime_with


def test_record_writes_one_row_with_terminal_and_branch(rt, settings, clock):
    with runtime_with(rt.settings, clock, terminal_id="KIOSK-02", branch="Bandung") as other, other.write() as session:
        audit.record(session, other, "petugas-01", "test.action", "26010000001", count=2)
    [row] = all_rows(rt, AuditEvent)
    assert (row.actor, row.action, row.subject) == ("petugas-01", "test.action", "26010000001")
    assert row.details == {"count": 2}
    assert (row.terminal_id, row.branch) == ("KIOSK-02", "Bandung")
    assert row.at.replace(tzinfo=None) == clock.now().replace(tzinfo=None)
    assert (row.seq, row.prev_hash, row.row_hash) == (None, "", "")
    assert len(row.nonce) == 32 and len(row.entry_mac) == 64
    seal_pending(rt)
    [row] = all_rows(rt, AuditEvent)
    assert (row.seq, row.prev_hash, len(row.row_hash)) == (1, GENESIS, 64)


def test_record_is_part_of_the_callers_transaction(rt):
    with pytest.raises(RuntimeError), rt.write() as session:
        audit.record(session, rt, "kiosk", "test.action")
        raise RuntimeError("the change failed")
    assert all_rows(rt, AuditEvent) == []


@pytest.mark.parametrize("key", ["secret", "pin", "password", "nik", "account_number", "code"])
def test_unmasked_detail_keys_are_refused(rt, key):
    with pytest.raises(ValueError), rt.write() as session:
        audit.record(session, rt, "kiosk", "test.action", **{key: "x"})
    assert all_rows(rt, AuditEvent) == []


def test_masks():
    assert mask_tail("1234567890") == "******7890"
    assert mask_tail("123") == "***"
    assert mask_phone("+6281234567801") == "+6281******801"
    assert mask_email("siti.rahayu@example.co.id") == "s***@example.co.id"
    assert mask_email("not-an-email") == "********mail"


def test_chain_holds_and_links_each_row_to_the_one_before(demo_rt):
    assert audit.verify_chain(demo_rt) is None
    seal_pending(demo_rt)
    rows = sorted(all_rows(demo_rt, AuditEvent), key=lambda row: row.seq)
    assert audit.verify_chain(demo_rt) is None
    assert [row.seq for row in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.row_hash for earlier, later in itertools.pairwise(rows))


@pytest.mark.parametrize("sealed", [False, True], ids=["unsealed", "sealed"])
def test_edited_row_breaks_the_chain(demo_rt, sealed):
    if sealed:
        seal_pending(demo_rt)
    target = all_rows(demo_rt, AuditEvent)[3]
    with demo_rt.write() as session:
        session.execute(text("UPDATE audit_event SET actor = 'someone-else' WHERE id = :id"), {"id": target.id})
    problem = audit.verify_chain(demo_rt)
    assert problem is not None and problem.row_id == target.id
    assert (problem.problem == FORGED) is not sealed


def test_deleted_row_breaks_the_chain(demo_rt):
    seal_pending(demo_rt)
    rows = sorted(all_rows(demo_rt, AuditEvent), key=lambda row: row.seq)
    with demo_rt.write() as session:
        session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": rows[2].id})
    problem = audit.verify_chain(demo_rt)
    assert problem is not None and problem.row_id == rows[3].id


def test_no_secret_full_nik_or_account_number_after_a_whole_journey(demo_rt):
    activate(demo_rt, RINA.nib, RINA.nik, "15-12-1995", "pin", "304918", "304918")
    login(demo_rt, SITI.nib, "482915")
    login(demo_rt, DEWI.nib, DEWI.secret)
    siti = sign_in(demo_rt, SITI)
    moved = Contact("Jl. Baru 1", "10110", "081398765432", "siti.baru@example.co.id")
    update_contact(demo_rt, siti, moved, SITI.secret)
    submit_claim(demo_rt, siti, draft(demo_rt, SITI, "biaya_medis", "2.000.000", account_number="9876543210"),
                 contact_of(demo_rt, SITI), SITI.secret, "journey")
    change_secret(demo_rt, siti, SITI.secret, "password", "Nasi-Uduk-Pagi", "Nasi-Uduk-Pagi")
    sign_in(demo_rt, BUDI)
    dump = "\n".join(audit_dump(demo_rt))
    forbidden = {person.secret for person in PEOPLE if person.secret} | {person.nik for person in PEOPLE}
    forbidden |= {password for _, password, _, _ in OFFICERS}
    forbidden |= {"304918", "482915", "Nasi-Uduk-Pagi", "9876543210", BCA_ACCOUNT, "081398765432", "6281398765432"}
    assert [value for value in sorted(forbidden) if value in dump] == []
    assert audit.verify_chain(demo_rt) is None
