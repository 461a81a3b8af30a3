"""The tamper-evident audit log: rows signed by their writer and chained by the sealer with
HMAC-SHA256 and the audit key, `verify_chain` naming the first edited, deleted, inserted or moved
row (an edit of any one column), the migrations that chain rows written before the chain existed,
re-key an unkeyed chain and turn the id-ordered chain into the sealed one, and no secret or full
identity number in any row (kidb_tui/services/audit.py, audit_seal.py, kidb_tui/audit_chain.py)."""

import itertools
import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import col, select

from kidb_tui import migrate
from kidb_tui.audit_chain import (
    FORGED as UNSIGNED,
)
from kidb_tui.audit_chain import (
    GENESIS,
    OUT_OF_PLACE,
    AuditKeyMissing,
    first_break,
    keyed_digest,
    legacy_digest,
    row_hash,
)
from kidb_tui.db import make_engine
from kidb_tui.errors import AuthError
from kidb_tui.models import AuditEvent
from kidb_tui.services import audit, auth, counter, officers, reset_codes, review
from kidb_tui.services.audit import ChainBreak, verify_chain
from kidb_tui.services.audit_seal import seal_pending
from kidb_tui.services.demo import OFFICERS, PEOPLE
from kidb_tui.services.export import export_claims
from kidb_tui.services.runtime import Runtime
from tests.backoffice_services.helpers import (
    ANI,
    BAMBANG,
    LOWER,
    OLD_ROWS,
    claim_of,
    file_claim,
    insert_old_rows,
    officer,
    walk,
)
from tests.conftest import AUDIT_KEY, BUDI, RINA, SITI

FORGED = "f" * 64


def audit_ids(rt) -> list[int]:
    """Row ids in chain order (sealed rows first), then the unsealed ones in id order."""
    with rt.read() as session:
        return list(session.exec(
            select(AuditEvent.id).order_by(col(AuditEvent.seq).is_(None), col(AuditEvent.seq), col(AuditEvent.id))
        ).all())


@pytest.fixture
def sealed_rt(demo_rt):
    """The demo database with every audit row sealed."""
    seal_pending(demo_rt)
    return demo_rt


def raw(rt, sql: str, **params: object) -> None:
    with rt.engine.begin() as connection:
        connection.execute(text(sql), params)


def last_row(rt) -> AuditEvent:
    """The last sealed row."""
    with rt.read() as session:
        return session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()


def test_a_fresh_demo_database_verifies(demo_rt):
    assert len(audit_ids(demo_rt)) > 10
    assert verify_chain(demo_rt) is None


def test_an_empty_log_verifies(rt):
    assert audit_ids(rt) == []
    assert verify_chain(rt) is None


def test_each_row_links_to_the_one_before(sealed_rt):
    with sealed_rt.read() as session:
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all()
    assert [event.seq for event in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.row_hash
    for event in events:
        content = (event.id, event.at, event.actor, event.action, event.subject, event.details,
                   event.terminal_id, event.branch, event.prev_hash)
        assert event.row_hash == row_hash(keyed_digest(AUDIT_KEY), *content)
        assert event.row_hash != row_hash(legacy_digest, *content)


@pytest.mark.parametrize("column, value", [
    ("details", json.dumps({"role": "supervisor", "branch": "Bandung"})),
    ("actor", "someone.else"),
    ("action", "officer.removed"),
    ("subject", "26010000009"),
    ("at", "2026-11-24 03:00:00.000000"),
    ("details", "not json at all"),
    ("details", "[1, 2]"),
    ("at", "yesterday"),
])
def test_an_edited_row_is_named(sealed_rt, column, value):
    target = audit_ids(sealed_rt)[5]
    if sealed_rt.engine.dialect.name == "postgresql" and value == "not json at all":
        with pytest.raises(DataError):
            raw(sealed_rt, f"UPDATE audit_event SET {column} = :value WHERE id = :id", value=value, id=target)
        assert verify_chain(sealed_rt) is None
        return
    raw(sealed_rt, f"UPDATE audit_event SET {column} = :value WHERE id = :id", value=value, id=target)
    problem = verify_chain(sealed_rt)
    assert isinstance(problem, ChainBreak)
    assert problem.row_id == target
    assert "edited" in problem.problem
    assert str(problem).startswith(f"audit row {target}: ")


EVERY_COLUMN = [
    ("at", "2026-11-24 03:00:00.000000"),
    ("actor", "someone.else"),
    ("action", "officer.removed"),
    ("subject", "26010000009"),
    ("details", json.dumps({"created": 7})),
    ("terminal_id", "loket-09"),
    ("branch", "Surabaya"),
    ("prev_hash", FORGED),
    ("row_hash", FORGED),
    ("nonce", "0" * 32),
    ("entry_mac", FORGED),
]


@pytest.mark.parametrize("column, value", EVERY_COLUMN, ids=[column for column, _ in EVERY_COLUMN])
def test_an_edit_of_any_one_column_is_named(sealed_rt, column, value):
    target = audit_ids(sealed_rt)[5]
    assert verify_chain(sealed_rt) is None
    raw(sealed_rt, f"UPDATE audit_event SET {column} = :value WHERE id = :id", value=value, id=target)
    problem = verify_chain(sealed_rt)
    assert problem.row_id == target
    assert str(problem).startswith(f"audit row {target}: ")


def test_an_edit_of_the_id_is_named(sealed_rt):
    last = audit_ids(sealed_rt)[-1]
    raw(sealed_rt, "UPDATE audit_event SET id = :value WHERE id = :id", value=last + 7, id=last)
    assert verify_chain(sealed_rt) == ChainBreak(last + 7, "content does not match its hash (the row was edited)")


def test_no_row_is_written_or_checked_without_an_audit_key(demo_rt):
    before = audit_ids(demo_rt)
    keyless = Runtime(demo_rt.engine, demo_rt.settings.with_(audit_key=b""), demo_rt.clock, demo_rt.hasher)
    with pytest.raises(AuditKeyMissing, match="KIDB_AUDIT_KEY"), keyless.write() as session:
        audit.record(session, keyless, "cli", "test.keyless")
    assert audit_ids(demo_rt) == before
    with pytest.raises(AuditKeyMissing):
        verify_chain(keyless)


def test_another_key_does_not_verify_the_chain(sealed_rt):
    other = Runtime(sealed_rt.engine, sealed_rt.settings.with_(audit_key=b"another-audit-key-0123456789abcdef"),
                    sealed_rt.clock, sealed_rt.hasher)
    assert verify_chain(other).row_id == audit_ids(sealed_rt)[0]


def test_an_edited_hash_is_named(sealed_rt):
    target = audit_ids(sealed_rt)[3]
    raw(sealed_rt, "UPDATE audit_event SET row_hash = :value WHERE id = :id", value=FORGED, id=target)
    assert verify_chain(sealed_rt).row_id == target


def test_a_deleted_middle_row_names_the_row_after_it(sealed_rt):
    ids = audit_ids(sealed_rt)
    middle = len(ids) // 2
    raw(sealed_rt, "DELETE FROM audit_event WHERE id = :id", id=ids[middle])
    problem = verify_chain(sealed_rt)
    assert problem.row_id == ids[middle + 1]
    assert "deleted" in problem.problem


def test_a_deleted_first_row_is_noticed(sealed_rt):
    ids = audit_ids(sealed_rt)
    raw(sealed_rt, "DELETE FROM audit_event WHERE id = :id", id=ids[0])
    assert verify_chain(sealed_rt).row_id == ids[1]


FORGE = (
    "INSERT INTO audit_event (id, at, actor, action, subject, details, terminal_id, branch, prev_hash, row_hash,"
    " seq, nonce, entry_mac) VALUES (:id, :at, 'bambang.supervisor', 'review.persetujuan', 'KIDB-2026-000001',"
    " '{}', '', '', :prev, :hash, :seq, :nonce, :mac)"
)


@pytest.mark.parametrize("sealed", [True, False], ids=["as-sealed", "as-unsealed"])
@pytest.mark.parametrize("follows_the_last_row", [True, False])
def test_an_inserted_forged_row_is_named(sealed_rt, follows_the_last_row, sealed):
    last = last_row(sealed_rt)
    forged_id = last.id + 1
    raw(
        sealed_rt, FORGE, id=forged_id, at="2026-11-25 03:00:00.000000",
        prev=last.row_hash if follows_the_last_row else "a" * 64, hash=FORGED,
        seq=last.seq + 1 if sealed else None, nonce="1" * 32, mac=FORGED,
    )
    problem = verify_chain(sealed_rt)
    assert problem.row_id == forged_id
    assert str(problem).startswith(f"audit row {forged_id}: ")
    assert (problem.problem == UNSIGNED) is not sealed


def test_a_forged_unsealed_row_is_left_out_of_the_chain_by_the_sealer(sealed_rt, caplog):
    raw(sealed_rt, FORGE.replace("(id, ", "(").replace("(:id, ", "("), at="2026-11-25 03:00:00.000000", prev="",
        hash="", seq=None, nonce="1" * 32, mac=FORGED)
    forged = audit_ids(sealed_rt)[-1]
    with sealed_rt.write() as session:
        audit.record(session, sealed_rt, "cli", "test.after_the_forgery")
    genuine = audit_ids(sealed_rt)[-1]
    done = seal_pending(sealed_rt)
    assert (done.rows, done.refused) == (1, (forged,))
    assert f"audit rows {forged} not sealed" in caplog.text
    assert audit_ids(sealed_rt)[-2:] == [genuine, forged]
    assert verify_chain(sealed_rt) == ChainBreak(forged, UNSIGNED)


def test_a_copied_row_is_refused_or_named(sealed_rt):
    """A signed row copied as a new one: with its nonce the database refuses it; with another
    nonce its signature no longer holds."""
    with sealed_rt.write() as session:
        audit.record(session, sealed_rt, "cli", "test.original")
    copy = ("INSERT INTO audit_event (at, actor, action, subject, details, terminal_id, branch, prev_hash, row_hash,"
            " nonce, entry_mac) SELECT at, actor, action, subject, details, terminal_id, branch, '', '', {nonce},"
            " entry_mac FROM audit_event WHERE action = 'test.original'")
    with pytest.raises(IntegrityError):
        raw(sealed_rt, copy.format(nonce="nonce"))
    raw(sealed_rt, copy.format(nonce="'" + "2" * 32 + "'"))
    copied = audit_ids(sealed_rt)[-1]
    assert verify_chain(sealed_rt) == ChainBreak(copied, UNSIGNED)


def test_sealed_rows_swapped_or_renumbered_are_named(sealed_rt):
    ids = audit_ids(sealed_rt)

    def place(row_id: int, seq: int) -> None:
        raw(sealed_rt, "UPDATE audit_event SET seq = :seq WHERE id = :id", seq=seq, id=row_id)

    place(ids[4], -5)
    place(ids[5], 5)
    place(ids[4], 6)
    assert verify_chain(sealed_rt).row_id == ids[5]
    place(ids[5], -6)
    place(ids[4], 5)
    place(ids[5], 6)
    assert verify_chain(sealed_rt) is None
    raw(sealed_rt, "UPDATE audit_event SET seq = seq + 1000 WHERE seq >= 6")
    assert verify_chain(sealed_rt) == ChainBreak(ids[5], OUT_OF_PLACE)


def test_new_rows_continue_a_verified_chain(demo_rt):
    ani = officer(demo_rt, ANI)
    walk(demo_rt, claim_of(demo_rt, BUDI).id, "selesai", ani)
    for _ in range(3):
        auth.login(demo_rt, SITI.nib, "000000")
    assert verify_chain(demo_rt) is None


@pytest.mark.parametrize("key", ["secret", "pin", "password", "nik", "account_number", "code"])
def test_unmasked_detail_keys_are_refused(demo_rt, key):
    before = audit_ids(demo_rt)
    with pytest.raises(ValueError, match=key), demo_rt.write() as session:
        audit.record(session, demo_rt, "cli", "test.leak", "", **{key: "x"})
    assert audit_ids(demo_rt) == before


def test_the_migration_chains_rows_written_before_the_chain(settings, clock):
    engine = make_engine(settings.database_url)
    try:
        migrate.upgrade(engine, "0001")
        insert_old_rows(engine)
        migrate.upgrade(engine, audit_key=settings.audit_key)
        rt = Runtime.create(settings, clock, engine)
        assert verify_chain(rt) is None
        with rt.read() as session:
            events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
        assert [e.action for e in events] == [values["action"] for values in OLD_ROWS]
        assert events[0].prev_hash == GENESIS
        assert all(len(e.row_hash) == 64 for e in events)
        with rt.write() as session:
            audit.record(session, rt, "cli", "officer.added", "ani.petugas", role="officer", branch="")
        assert verify_chain(rt) is None
        raw(rt, "UPDATE audit_event SET branch = 'Surabaya' WHERE id = :id", id=events[1].id)
        assert verify_chain(rt).row_id == events[1].id
    finally:
        engine.dispose()


@pytest.fixture
def unkeyed_chain(settings):
    """An engine on a database at 0003 whose audit rows carry the unkeyed SHA-256 chain."""
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine, "0001")
    insert_old_rows(engine)
    migrate.upgrade(engine, "0003")
    with engine.connect() as connection:
        assert first_break(connection, legacy_digest) is None
    yield engine
    engine.dispose()


def test_the_upgrade_re_keys_an_unkeyed_chain(unkeyed_chain, settings, clock):
    migrate.upgrade(unkeyed_chain, audit_key=settings.audit_key)
    rt = Runtime.create(settings, clock, unkeyed_chain)
    assert verify_chain(rt) is None
    with unkeyed_chain.connect() as connection:
        assert first_break(connection, legacy_digest).row_id == audit_ids(rt)[0]
    migrate.downgrade(unkeyed_chain, "0003", audit_key=settings.audit_key)
    with unkeyed_chain.connect() as connection:
        assert first_break(connection, legacy_digest) is None


def test_the_upgrade_keeps_a_break_of_the_unkeyed_chain(unkeyed_chain, settings, clock):
    edited = 2
    with unkeyed_chain.begin() as connection:
        connection.execute(text("UPDATE audit_event SET actor = 'someone.else' WHERE id = :id"), {"id": edited})
    migrate.upgrade(unkeyed_chain, audit_key=settings.audit_key)
    assert verify_chain(Runtime.create(settings, clock, unkeyed_chain)).row_id == edited


def test_the_upgrade_needs_the_key_when_audit_rows_exist(unkeyed_chain):
    with pytest.raises(AuditKeyMissing):
        migrate.upgrade(unkeyed_chain)
    with unkeyed_chain.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0003"
        assert first_break(connection, legacy_digest) is None


def full_scenario(rt, export_path) -> list[str]:
    """Every kind of audited action; returns the secrets and identity numbers used on the way."""
    ani, bambang = officer(rt, ANI), officer(rt, BAMBANG)
    officers.add_officer(rt, "citra.dewi", "Loket-Tiga-Bandung-9", "supervisor")
    officers.login(rt, "citra.dewi", "Loket-Tiga-Bandung-8")
    for _ in range(6):
        auth.login(rt, SITI.nib, "000000")
    counter.unlock_account(rt, ani, SITI.nib, ktp_seen=True)
    auth.activate(rt, RINA.nib, RINA.nik, "15-12-1995", "pin", "304918", "304918")
    jht = file_claim(rt, SITI, "jht_mengundurkan_diri", "85.000.000", "siti-jht")
    review.assess(rt, ani, jht.id, 1, "80.000.000", True, difference_reason=LOWER)
    review.approve(rt, bambang, jht.id, 2)
    walk(rt, jht.id, "selesai", ani)
    budi_claim = claim_of(rt, BUDI)
    review.reject(rt, bambang, budi_claim.id, 1, "holder_name_mismatch", "Rekening bukan atas nama peserta.")
    code = reset_codes.issue(rt, ani, BUDI.nib, ktp_seen=True)
    with pytest.raises(AuthError):
        reset_codes.redeem(rt, BUDI.nib, "WRONG222", "pin", "604172", "604172")
    reset_codes.redeem(rt, BUDI.nib, code, "pin", "604172", "604172")
    counter.set_card_status(rt, ani, BUDI.nib, blocked=True, reason="Kartu hilang")
    counter.set_card_status(rt, ani, BUDI.nib, blocked=False, reason="Kartu ditemukan")
    export_claims(rt, "selesai", export_path, actor="ani.petugas")
    return [
        code, "Loket-Tiga-Bandung-9", "Loket-Tiga-Bandung-8", "304918", "604172", "1234567890",
        *(entry[1] for entry in OFFICERS), *(p.secret for p in PEOPLE if p.secret), *(p.nik for p in PEOPLE),
    ]


def test_no_secret_or_full_identity_number_in_any_row(demo_rt, tmp_path):
    secrets = full_scenario(demo_rt, tmp_path / "selesai.csv")
    with demo_rt.read() as session:
        events = session.exec(select(AuditEvent)).all()
    actions = {event.action for event in events}
    assert {"counter.reset_code_issued", "auth.secret_reset", "review.selesai", "review.ditolak", "counter.unlocked",
            "counter.card_blocked", "officer.added", "officer.login_failed", "claims.exported"} <= actions
    dump = [
        " ".join((e.actor, e.action, e.subject, e.terminal_id, e.branch, json.dumps(e.details, ensure_ascii=False)))
        for e in events
    ]
    leaks = [(secret, line) for secret in secrets for line in dump if secret in line]
    assert leaks == []
    assert verify_chain(demo_rt) is None
