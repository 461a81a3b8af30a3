"""Login: success, uniform failures, per-NIB throttling, progressive delay, lockout and unlock,
blocked cards, rehashing, and no secrets in the audit trail (kidb_tui/services/auth.py)."""

import sqlite3
from datetime import timedelta
from types import SimpleNamespace

import pytest

from kidb_tui.config import Argon2Params
from kidb_tui.masked import reveal
from kidb_tui.models import AuditEvent, KioskAccount, LoginThrottle
from kidb_tui.services import auth
from kidb_tui.services.auth import login, unlock
from kidb_tui.services.hashing import SecretHasher
from tests.conftest import AGUS, BUDI, DEWI, FROZEN_AT, JOKO, RINA, SITI
from tests.frames import plain_in_frames
from tests.services.conftest import TEMPLATE_PEPPER
from tests.services.helpers import account_row, all_rows, audit_dump, participant_row, runtime_with

UNKNOWN_NIB = "99999999999"
OLD_PARAMS_HASHER = SecretHasher(TEMPLATE_PEPPER, Argon2Params(2048, 1, 1))


def throttle(rt, key: str) -> LoginThrottle | None:
    with rt.read() as session:
        return session.get(LoginThrottle, key)


def write_lock_held(rt) -> bool:
    """Whether some connection holds the database's write lock right now."""
    other = sqlite3.connect(rt.engine.url.database, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        other.close()
    return False


def fail(rt, nib: str, times: int) -> list:
    return [login(rt, nib, "000000") for _ in range(times)]


def test_login_with_the_right_pin(demo_rt):
    result = login(demo_rt, SITI.nib, SITI.secret)
    assert result.ok and result.error_key is None
    assert (result.identity.nib, result.identity.full_name) == (SITI.nib, SITI.name)
    assert account_row(demo_rt, SITI).last_login_at is not None
    [event] = all_rows(demo_rt, AuditEvent, AuditEvent.action == "auth.login", AuditEvent.subject == SITI.nib)
    assert event.actor == SITI.nib


def test_login_with_a_password(demo_rt):
    assert login(demo_rt, BUDI.nib, BUDI.secret).ok


def test_malformed_nib_is_named_and_not_counted(demo_rt):
    result = login(demo_rt, "2601", SITI.secret)
    assert (result.identity, result.error_key) == (None, "auth.nib_format")
    assert all_rows(demo_rt, LoginThrottle) == []


@pytest.mark.parametrize("nib, secret", [
    (SITI.nib, "999999"),
    (UNKNOWN_NIB, SITI.secret),
    (RINA.nib, "258147"),
    (DEWI.nib, "999999"),
])
def test_every_failure_looks_the_same(demo_rt, nib, secret):
    result = login(demo_rt, nib, secret)
    assert (result.identity, result.error_key) == (None, "auth.failed")


def test_failures_are_counted_per_typed_nib_even_unknown(demo_rt):
    fail(demo_rt, UNKNOWN_NIB, 2)
    fail(demo_rt, SITI.nib, 1)
    assert throttle(demo_rt, UNKNOWN_NIB).failures == 2
    assert throttle(demo_rt, SITI.nib).failures == 1
    assert throttle(demo_rt, BUDI.nib) is None


def test_unknown_nib_runs_argon2_against_the_dummy_hash(demo_rt, monkeypatch):
    dummy_calls, verify_calls = [], []
    real_dummy, real_verify = demo_rt.hasher.verify_dummy, demo_rt.hasher.verify
    monkeypatch.setattr(demo_rt.hasher, "verify_dummy", lambda s: dummy_calls.append(s) or real_dummy(s))
    monkeypatch.setattr(demo_rt.hasher, "verify", lambda h, s: verify_calls.append(h) or real_verify(h, s))
    login(demo_rt, UNKNOWN_NIB, "123789")
    login(demo_rt, RINA.nib, "123789")
    assert [reveal(secret) for secret in dummy_calls] == ["123789", "123789"]
    login(demo_rt, SITI.nib, "123789")
    assert len(dummy_calls) == 2
    assert len(verify_calls) == 3


def test_delays_grow_and_are_equal_for_equal_failure_counts(demo_rt, settings, clock):
    """Per typed NIB (the terminal's own limit is lifted here: 17 failures from one terminal)."""
    changes = {"failure_delay_base": 1.0, "failure_delay_max": 8.0, "terminal_failure_limit": 100}
    with runtime_with(demo_rt.settings, clock, **changes) as rt:
        wrong = [r.delay for r in fail(rt, SITI.nib, 5)]
        unknown = [r.delay for r in fail(rt, UNKNOWN_NIB, 5)]
        no_account = [login(rt, RINA.nib, "000000").delay for _ in range(5)]
        assert wrong == unknown == no_account == [1.0, 2.0, 4.0, 8.0, 8.0]
        locked_with_right_pin = login(rt, SITI.nib, SITI.secret)
        sixth_unknown = login(rt, UNKNOWN_NIB, SITI.secret)
        assert locked_with_right_pin.error_key == sixth_unknown.error_key == "auth.failed"
        assert locked_with_right_pin.delay == sixth_unknown.delay == 8.0


def test_success_resets_the_count(demo_rt):
    fail(demo_rt, SITI.nib, 4)
    assert login(demo_rt, SITI.nib, SITI.secret).ok
    assert throttle(demo_rt, SITI.nib) is None
    fail(demo_rt, SITI.nib, 4)
    assert login(demo_rt, SITI.nib, SITI.secret).ok


def test_five_failures_lock_even_the_right_pin_out(demo_rt):
    fail(demo_rt, SITI.nib, 5)
    row = throttle(demo_rt, SITI.nib)
    assert row.failures == 5
    assert row.locked_until.replace(tzinfo=None) == (FROZEN_AT + timedelta(minutes=30)).replace(tzinfo=None)
    result = login(demo_rt, SITI.nib, SITI.secret)
    assert (result.identity, result.error_key) == (None, "auth.failed")
    assert len(all_rows(demo_rt, AuditEvent, AuditEvent.action == "auth.locked")) == 1


def test_lock_threshold_is_configurable(demo_rt, settings, clock):
    fail(demo_rt, AGUS.nib, 3)
    assert login(demo_rt, AGUS.nib, AGUS.secret).ok
    with runtime_with(demo_rt.settings, clock, lock_threshold=3) as rt:
        fail(rt, JOKO.nib, 3)
        assert not login(rt, JOKO.nib, JOKO.secret).ok


def test_lock_expires_after_thirty_minutes(demo_rt, clock):
    fail(demo_rt, SITI.nib, 5)
    clock.advance(minutes=29)
    assert not login(demo_rt, SITI.nib, SITI.secret).ok
    clock.advance(minutes=2)
    assert login(demo_rt, SITI.nib, SITI.secret).ok
    assert throttle(demo_rt, SITI.nib) is None


def test_failures_after_an_expired_lock_start_from_one(demo_rt, clock):
    fail(demo_rt, SITI.nib, 5)
    clock.advance(minutes=31)
    fail(demo_rt, SITI.nib, 1)
    row = throttle(demo_rt, SITI.nib)
    assert row.failures == 1 and row.locked_until is None


def test_officer_unlock_clears_the_lock(demo_rt):
    fail(demo_rt, SITI.nib, 5)
    assert unlock(demo_rt, SITI.nib, actor="petugas-01") is True
    assert throttle(demo_rt, SITI.nib) is None
    assert login(demo_rt, SITI.nib, SITI.secret).ok
    unlocked = all_rows(demo_rt, AuditEvent, AuditEvent.action == "auth.unlocked")
    assert [(a.actor, a.subject) for a in unlocked] == [("petugas-01", SITI.nib)]
    assert unlock(demo_rt, SITI.nib, actor="petugas-01") is False


def test_blocked_card_is_explained_only_after_the_right_pin(demo_rt):
    assert login(demo_rt, DEWI.nib, "999999").error_key == "auth.failed"
    result = login(demo_rt, DEWI.nib, DEWI.secret)
    assert (result.identity, result.error_key) == (None, "auth.card_blocked")
    assert all_rows(demo_rt, AuditEvent, AuditEvent.action == "auth.refused_card_blocked")


def test_inactive_account_is_explained_only_after_the_right_pin(demo_rt):
    with demo_rt.write() as session:
        account = session.get(KioskAccount, account_row(demo_rt, SITI).id)
        account.status = "inactive"
        session.add(account)
    assert login(demo_rt, SITI.nib, "999999").error_key == "auth.failed"
    assert login(demo_rt, SITI.nib, SITI.secret).error_key == "auth.account_inactive"


def test_login_upgrades_an_old_hash(demo_rt):
    old_hash = OLD_PARAMS_HASHER.hash(SITI.secret)
    with demo_rt.write() as session:
        account = session.get(KioskAccount, account_row(demo_rt, SITI).id)
        account.secret_hash = old_hash
        session.add(account)
    assert login(demo_rt, SITI.nib, SITI.secret).ok
    new_hash = account_row(demo_rt, SITI).secret_hash
    assert "$m=2048,t=1,p=1$" in old_hash
    assert new_hash != old_hash and "$m=1024,t=1,p=1$" in new_hash
    assert demo_rt.hasher.verify(new_hash, SITI.secret)
    assert all_rows(demo_rt, AuditEvent, AuditEvent.action == "auth.rehashed")


def test_argon2_never_runs_while_the_write_lock_is_held(sqlite_demo_rt, monkeypatch):
    """The module's promise: a slow hash must not hold up every other kiosk's writes."""
    held = []

    def watched(name, real):
        def call(*args):
            held.append((name, write_lock_held(sqlite_demo_rt)))
            return real(*args)
        return call

    for name in ("hash", "verify", "verify_dummy"):
        monkeypatch.setattr(sqlite_demo_rt.hasher, name, watched(name, getattr(sqlite_demo_rt.hasher, name)))
    old_hash, account_id = OLD_PARAMS_HASHER.hash(SITI.secret), account_row(sqlite_demo_rt, SITI).id
    with sqlite_demo_rt.write() as session:
        session.get(KioskAccount, account_id).secret_hash = old_hash
    assert login(sqlite_demo_rt, SITI.nib, SITI.secret).ok
    login(sqlite_demo_rt, UNKNOWN_NIB, "000000")
    assert [name for name, locked in held if locked] == []
    assert {name for name, _ in held} == {"hash", "verify", "verify_dummy"}


def test_login_keeps_a_current_hash(demo_rt):
    before = account_row(demo_rt, SITI).secret_hash
    assert login(demo_rt, SITI.nib, SITI.secret).ok
    assert account_row(demo_rt, SITI).secret_hash == before


def test_failed_logins_never_write_the_typed_secret(demo_rt):
    typed = ["482915", "Rahasia-Sekali-9", SITI.nik]
    for secret in typed:
        login(demo_rt, SITI.nib, secret)
        login(demo_rt, UNKNOWN_NIB, secret)
    login(demo_rt, SITI.nib, SITI.secret)
    dump = "\n".join(audit_dump(demo_rt))
    for secret in [*typed, SITI.secret]:
        assert secret not in dump


def test_failure_delay_doubles_up_to_the_cap(settings):
    rt = SimpleNamespace(settings=settings.with_(failure_delay_base=0.5, failure_delay_max=3.0))
    assert [auth.failure_delay(rt, n) for n in range(7)] == [0.0, 0.5, 1.0, 2.0, 3.0, 3.0, 3.0]




def siti(rt) -> auth.Identity:
    account = account_row(rt, SITI)
    return auth.Identity(account.participant_id, account.id, SITI.nib, SITI.name)


class HashingStopped(Exception):
    pass


def _stop(*args):
    raise HashingStopped


@pytest.mark.parametrize("call, plain", [
    (lambda rt: login(rt, SITI.nib, "482915"), "482915"),
    (lambda rt: login(rt, UNKNOWN_NIB, "482915"), "482915"),
    (lambda rt: auth.reauthenticate(rt, siti(rt), "482915"), "482915"),
    (lambda rt: auth.change_secret(rt, siti(rt), "482915", "pin", "304918", "304918"), "482915"),
])
def test_no_frame_holds_a_typed_secret_in_plain_text(demo_rt, monkeypatch, call, plain):
    """Secrets travel as SecretStr from the service's first line: a crash report that shows
    local variables shows asterisks."""
    for name in ("verify", "verify_dummy", "hash"):
        monkeypatch.setattr(demo_rt.hasher, name, _stop)
    with pytest.raises(HashingStopped) as caught:
        call(demo_rt)
    assert plain_in_frames(caught.value, plain) == []


def test_no_frame_holds_the_new_secret_of_an_activation_in_plain_text(demo_rt, monkeypatch):
    monkeypatch.setattr(demo_rt.hasher, "hash", _stop)
    with pytest.raises(HashingStopped) as caught:
        auth.activate(demo_rt, RINA.nib, RINA.nik, "15-12-1995", "pin", "304918", "304918")
    assert plain_in_frames(caught.value, "304918") == []


def test_login_records_the_kiosk_language_for_messages(demo_rt):
    assert login(demo_rt, SITI.nib, SITI.secret).identity is not None
    assert participant_row(demo_rt, SITI).language == "id"
    assert login(demo_rt, SITI.nib, SITI.secret, "en").identity is not None
    assert participant_row(demo_rt, SITI).language == "en"
    assert login(demo_rt, SITI.nib, "999999", "id").identity is None
    assert participant_row(demo_rt, SITI).language == "en"
