"""Lockout that holds under parallel attempts, and per-terminal throttling (kidb_tui/services/throttle.py
through auth, reset codes and officer login): an attempt is counted before its secret is checked,
so after four failures eight simultaneous attempts get one guess between them, on SQLite and
PostgreSQL, from threads and from processes; a terminal spraying one PIN across many NIBs waits."""

import contextlib
import dataclasses
import multiprocessing
import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlmodel import select

from kidb_tui.clock import FrozenClock, as_utc
from kidb_tui.errors import AuthError
from kidb_tui.masked import reveal
from kidb_tui.models import AuditEvent, KioskAccount, LoginThrottle, Officer, Participant, ResetCode
from kidb_tui.services import auth, counter, officers, reset_codes, throttle
from kidb_tui.services.auth import login, reauthenticate
from kidb_tui.services.runtime import Runtime
from tests.backoffice_services.helpers import ANI, JOIN_TIMEOUT, officer, run_together
from tests.conftest import FROZEN_AT, RINA, SITI, sign_in
from tests.services.helpers import account_row, all_rows, audit_dump

WRONG = ["000001", "000002", "000003", "000004", "000005", "000006", "000007"]
NOBODY = [f"9999999{n:04d}" for n in range(40)]  # NIBs with no participant


def at_terminal(rt, terminal_id: str) -> Runtime:
    """The same database, clock and hasher, serving another terminal."""
    return dataclasses.replace(rt, settings=rt.settings.with_(terminal_id=terminal_id))


def roomy(rt) -> Runtime:
    """The same runtime with the terminal's own limit lifted, for tests of a key's limit alone."""
    return dataclasses.replace(rt, settings=rt.settings.with_(terminal_failure_limit=100))


def throttle_row(rt, key: str) -> LoginThrottle | None:
    with rt.read() as session:
        return session.get(LoginThrottle, key)


def fail(rt, nib: str, times: int) -> None:
    for _ in range(times):
        assert login(rt, nib, "999999").error_key == "auth.failed"


def watch_checks(rt, monkeypatch, stored_hash: str) -> list[str]:
    """Every secret checked against `stored_hash` (the dummy hash is not counted), in order."""
    checked: list[str] = []
    real_verify = rt.hasher.verify

    def verify(stored, secret):
        if stored == stored_hash:
            checked.append(reveal(secret))
        return real_verify(stored, secret)

    monkeypatch.setattr(rt.hasher, "verify", verify)
    return checked


def logins_of(rt, nib: str) -> list[AuditEvent]:
    return all_rows(rt, AuditEvent, AuditEvent.action == "auth.login", AuditEvent.subject == nib)


# the attempt is counted before its secret is checked


def test_the_attempt_is_counted_before_the_secret_is_checked(demo_rt, monkeypatch):
    seen = []
    real_verify = demo_rt.hasher.verify

    def verify(stored, secret):
        seen.append(throttle_row(demo_rt, SITI.nib).failures)
        return real_verify(stored, secret)

    monkeypatch.setattr(demo_rt.hasher, "verify", verify)
    fail(demo_rt, SITI.nib, 2)
    assert login(demo_rt, SITI.nib, SITI.secret).ok
    assert seen == [1, 2, 3]
    assert throttle_row(demo_rt, SITI.nib) is None


def test_eight_wrong_pins_at_once_after_four_failures_get_one_guess(demo_rt, monkeypatch):
    rt = roomy(demo_rt)
    fail(rt, SITI.nib, 4)
    checked = watch_checks(rt, monkeypatch, account_row(rt, SITI).secret_hash)
    outcomes = run_together([lambda pin=pin: login(rt, SITI.nib, pin) for pin in [*WRONG, "000008"]])
    assert [o.error_key for o in outcomes] == ["auth.failed"] * 8
    assert len(checked) == 1
    row = throttle_row(rt, SITI.nib)
    assert row.failures == 5 and as_utc(row.locked_until) == FROZEN_AT + timedelta(minutes=30)
    assert login(rt, SITI.nib, SITI.secret).error_key == "auth.failed"
    assert len(checked) == 1


def test_seven_wrong_and_the_right_pin_at_once_give_the_right_one_no_extra_guess(demo_rt, monkeypatch):
    """Whichever attempt reserves the fifth guess is the only one checked: the right PIN gets in
    only if it was that one, and is otherwise refused unchecked."""
    rt = roomy(demo_rt)
    fail(rt, SITI.nib, 4)
    checked = watch_checks(rt, monkeypatch, account_row(rt, SITI).secret_hash)
    outcomes = run_together([lambda pin=pin: login(rt, SITI.nib, pin) for pin in [*WRONG, SITI.secret]])
    right_went_first = checked[0] == SITI.secret
    assert outcomes[-1].ok == right_went_first
    assert len(logins_of(rt, SITI.nib)) == (1 if right_went_first else 0)
    if not right_went_first:
        assert len(checked) == 1
        assert all(o.error_key == "auth.failed" for o in outcomes)


def _hold_the_first_check(rt, monkeypatch, stored_hash: str):
    """The first check against `stored_hash` waits for `release`; `polling` names the threads
    that meanwhile waited to learn its outcome."""
    checked, checking, release = [], threading.Event(), threading.Event()
    polling: set[str] = set()
    real_verify, real_sleep = rt.hasher.verify, time.sleep

    def verify(stored, secret):
        if stored == stored_hash:
            checked.append(reveal(secret))
            if len(checked) == 1:
                checking.set()
                release.wait(JOIN_TIMEOUT)
        return real_verify(stored, secret)

    def sleep(seconds):
        polling.add(threading.current_thread().name)
        real_sleep(seconds)

    monkeypatch.setattr(rt.hasher, "verify", verify)
    monkeypatch.setattr(throttle, "time", SimpleNamespace(monotonic=time.monotonic, sleep=sleep))
    return SimpleNamespace(checked=checked, checking=checking, release=release, polling=polling)


def _start(name: str, call, outcomes: dict) -> threading.Thread:
    thread = threading.Thread(target=lambda: outcomes.__setitem__(name, call()), name=name)
    thread.start()
    return thread


def _wait_for(condition) -> None:
    deadline = time.monotonic() + JOIN_TIMEOUT
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_the_right_pin_behind_an_undecided_wrong_one_is_refused_unchecked(demo_rt, monkeypatch):
    rt = roomy(demo_rt)
    fail(rt, SITI.nib, 4)
    held = _hold_the_first_check(rt, monkeypatch, account_row(rt, SITI).secret_hash)
    outcomes: dict = {}
    threads = [_start("wrong-0", lambda: login(rt, SITI.nib, WRONG[0]), outcomes)]
    assert held.checking.wait(JOIN_TIMEOUT)
    threads.append(_start("right", lambda: login(rt, SITI.nib, SITI.secret), outcomes))
    threads += [_start(f"wrong-{n}", lambda pin=pin: login(rt, SITI.nib, pin), outcomes)
                for n, pin in enumerate(WRONG[1:], start=1)]
    _wait_for(lambda: "right" in held.polling)
    held.release.set()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert held.checked == [WRONG[0]]
    assert {name: result.error_key for name, result in outcomes.items()} == {
        name: "auth.failed" for name in ["right", *(f"wrong-{n}" for n in range(7))]}
    assert logins_of(rt, SITI.nib) == []
    assert throttle_row(rt, SITI.nib).failures == 5


def test_a_right_pin_behind_an_undecided_right_one_gets_in_after_it(demo_rt, monkeypatch):
    """The same participant at two kiosks at once: the second waits for the first, which frees the NIB."""
    fail(demo_rt, SITI.nib, 4)
    held = _hold_the_first_check(demo_rt, monkeypatch, account_row(demo_rt, SITI).secret_hash)
    outcomes: dict = {}
    first = _start("first", lambda: login(demo_rt, SITI.nib, SITI.secret), outcomes)
    assert held.checking.wait(JOIN_TIMEOUT)
    second = _start("second", lambda: login(demo_rt, SITI.nib, SITI.secret), outcomes)
    _wait_for(lambda: "second" in held.polling)
    held.release.set()
    first.join(JOIN_TIMEOUT)
    second.join(JOIN_TIMEOUT)
    assert outcomes["first"].ok and outcomes["second"].ok
    assert held.checked == [SITI.secret, SITI.secret]
    assert len(logins_of(demo_rt, SITI.nib)) == 2


def test_an_attempt_never_decided_counts_as_failed_after_a_minute(demo_rt, clock):
    """A session that died between reserving and checking leaves the key undecided, not stuck."""
    fail(demo_rt, SITI.nib, 4)
    throttle.reserve(demo_rt, SITI.nib)
    clock.advance(minutes=2)
    assert login(demo_rt, SITI.nib, SITI.secret).error_key == "auth.failed"
    assert as_utc(throttle_row(demo_rt, SITI.nib).locked_until) == FROZEN_AT + timedelta(minutes=30)
    clock.advance(minutes=29)
    assert login(demo_rt, SITI.nib, SITI.secret).ok


def _ani_hash(rt) -> str:
    with rt.read() as session:
        return session.exec(select(Officer.password_hash).where(Officer.username == ANI[0])).one()


def _code_hash(rt) -> str:
    with rt.read() as session:
        return session.exec(select(ResetCode.code_hash)).one()


@pytest.mark.parametrize("kind", ["reauthenticate", "reset", "officer"])
def test_every_secret_gets_one_guess_after_four_failures(demo_rt, monkeypatch, kind):
    rt = roomy(demo_rt)
    identity = sign_in(rt, SITI)
    reset_codes.issue(rt, officer(rt, ANI), SITI.nib, ktp_seen=True)
    guess, stored_hash, key = {
        "reauthenticate": (lambda n: reauthenticate(rt, identity, f"10000{n}"),
                           account_row(rt, SITI).secret_hash, SITI.nib),
        "reset": (lambda n: reset_codes.redeem(rt, SITI.nib, f"WRONG{n:03d}", "pin", "583920", "583920"),
                  _code_hash(rt), f"reset:{SITI.nib}"),
        "officer": (lambda n: officers.login(rt, ANI[0], f"Wrong-Password-{n}"), _ani_hash(rt), "officer:ani.petugas"),
    }[kind]
    for n in range(4):
        with contextlib.suppress(AuthError):
            guess(n)
    checked = watch_checks(rt, monkeypatch, stored_hash)
    run_together([lambda n=n: guess(n) for n in range(10, 18)])
    assert len(checked) == 1
    assert throttle_row(rt, key).failures == 5


def test_eight_activations_at_once_after_four_mismatches_compare_one(demo_rt):
    """The right NIK and birth date among seven wrong ones creates the account only if it came first."""
    rt = roomy(demo_rt)

    def activate(birth_date):
        return auth.activate(rt, RINA.nib, RINA.nik, birth_date, "pin", "304918", "304918")

    for day in range(1, 5):
        with pytest.raises(AuthError):
            activate(f"0{day}-01-1990")
    wrong = [f"0{day}-02-1990" for day in range(1, 8)]
    outcomes = run_together([lambda day=day: activate(day) for day in [*wrong, "15-12-1995"]])
    created = account_row(rt, RINA) is not None
    assert created == isinstance(outcomes[-1], auth.Identity)
    if not created:
        assert all(getattr(o, "key", None) == "activation.mismatch" for o in outcomes)
        assert throttle_row(rt, f"act:{RINA.nib}").failures == 5


def _wrong_pin_in_a_process(settings, siti_hash: str, start, results) -> None:
    """One kiosk process: its own engine on the shared SQLite file, one wrong PIN."""
    rt = Runtime.create(settings, FrozenClock(FROZEN_AT))
    checked = []
    real_verify = rt.hasher.verify
    rt.hasher.verify = lambda stored, secret: (stored == siti_hash and checked.append(1)) or real_verify(stored, secret)
    start.wait(JOIN_TIMEOUT)
    result = login(rt, SITI.nib, "000000")
    results.put((result.error_key, len(checked)))
    rt.engine.dispose()


def test_eight_processes_after_four_failures_get_one_guess(sqlite_demo_rt, monkeypatch):
    rt = roomy(sqlite_demo_rt)
    fail(rt, SITI.nib, 4)
    siti_hash = account_row(rt, SITI).secret_hash
    rt.engine.dispose()
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(8), context.Queue()
    processes = [context.Process(target=_wrong_pin_in_a_process, args=(rt.settings, siti_hash, start, results))
                 for _ in range(8)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=JOIN_TIMEOUT) for _ in processes]
    for process in processes:
        process.join(JOIN_TIMEOUT)
    assert [process.exitcode for process in processes] == [0] * 8
    assert [key for key, _ in outcomes] == ["auth.failed"] * 8
    assert sum(checks for _, checks in outcomes) == 1
    assert throttle_row(rt, SITI.nib).failures == 5
    checked = watch_checks(rt, monkeypatch, siti_hash)
    assert login(rt, SITI.nib, SITI.secret).error_key == "auth.failed"
    assert checked == []


# per-terminal throttling


def test_one_pin_sprayed_across_nibs_makes_the_terminal_wait(demo_rt, monkeypatch):
    kiosk = at_terminal(demo_rt, "JKT-01")
    results = [login(kiosk, nib, "123456") for nib in NOBODY[:10]]
    assert [r.error_key for r in results] == ["auth.failed"] * 9 + ["auth.terminal_wait"]
    assert results[-1].wait_minutes == 1
    checked = []
    monkeypatch.setattr(demo_rt.hasher, "verify_dummy", lambda secret: checked.append(secret) or False)
    eleventh = login(kiosk, NOBODY[10], "123456")
    assert (eleventh.error_key, eleventh.wait_minutes, checked) == ("auth.terminal_wait", 1, [])
    assert throttle_row(demo_rt, NOBODY[10]) is None
    row = throttle_row(demo_rt, "terminal:JKT-01")
    assert row.failures == 10 and as_utc(row.locked_until) == FROZEN_AT + timedelta(minutes=1)
    assert login(at_terminal(demo_rt, "JKT-02"), SITI.nib, SITI.secret).ok
    [event] = all_rows(demo_rt, AuditEvent, AuditEvent.action == "auth.terminal_wait")
    assert (event.subject, event.terminal_id) == ("terminal:JKT-01", "JKT-01")
    assert event.details == {"failures": 10, "minutes": 1}


def test_the_wait_doubles_with_each_further_failure_up_to_thirty_minutes(demo_rt, clock):
    kiosk = at_terminal(demo_rt, "JKT-01")
    for nib in NOBODY[:9]:
        login(kiosk, nib, "123456")
    waits = []
    for nib in NOBODY[9:17]:
        result = login(kiosk, nib, "123456")
        waits.append(result.wait_minutes)
        clock.advance(minutes=result.wait_minutes)
    assert waits == [1, 2, 4, 8, 16, 30, 30, 30]


def test_while_waiting_the_message_says_how_long_is_left(demo_rt, clock):
    kiosk = at_terminal(demo_rt, "JKT-01")
    for nib in NOBODY[:10]:
        login(kiosk, nib, "123456")
    clock.advance(minutes=1)
    assert login(kiosk, NOBODY[10], "123456").wait_minutes == 2
    clock.advance(seconds=30)
    assert login(kiosk, NOBODY[11], "123456").wait_minutes == 2
    clock.advance(seconds=31)
    assert login(kiosk, NOBODY[12], "123456").wait_minutes == 1


def test_failures_older_than_the_window_do_not_count(demo_rt, clock):
    kiosk = at_terminal(demo_rt, "JKT-01")
    for nib in NOBODY[:9]:
        login(kiosk, nib, "123456")
    clock.advance(minutes=10)
    assert login(kiosk, NOBODY[9], "123456").error_key == "auth.failed"
    assert throttle_row(demo_rt, "terminal:JKT-01").failures == 1


def test_the_limit_and_window_are_settings(demo_rt, clock):
    kiosk = dataclasses.replace(demo_rt, settings=demo_rt.settings.with_(
        terminal_id="JKT-01", terminal_failure_limit=3, terminal_window_minutes=2))
    assert [login(kiosk, nib, "123456").error_key for nib in NOBODY[:3]] == ["auth.failed"] * 2 + ["auth.terminal_wait"]
    clock.advance(minutes=3)
    assert login(kiosk, NOBODY[3], "123456").error_key == "auth.failed"


def test_a_success_does_not_wipe_the_terminals_failures(demo_rt):
    kiosk = at_terminal(demo_rt, "JKT-01")
    for nib in NOBODY[:9]:
        login(kiosk, nib, "123456")
    assert login(kiosk, SITI.nib, SITI.secret).ok
    assert throttle_row(demo_rt, "terminal:JKT-01").failures == 9
    assert login(kiosk, NOBODY[9], "123456").error_key == "auth.terminal_wait"


def test_failures_of_every_kind_count_for_the_terminal(demo_rt):
    ani = officer(demo_rt, ANI)
    kiosk = at_terminal(demo_rt, "JKT-01")
    for nib in NOBODY[:3]:
        login(kiosk, nib, "123456")
    for nik in ("3201015512950001", "3201015512950002"):
        with pytest.raises(AuthError):
            auth.activate(kiosk, RINA.nib, nik, "15-12-1995", "pin", "304918", "304918")
    reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)
    for code in ("AAAA2222", "BBBB3333"):
        with pytest.raises(AuthError):
            reset_codes.redeem(kiosk, SITI.nib, code, "pin", "583920", "583920")
    identity = sign_in(demo_rt, SITI)
    with pytest.raises(AuthError):
        reauthenticate(kiosk, identity, "999999")
    assert officers.login(kiosk, "nobody.here", "Wrong-Password-123").error_key == "auth.failed"
    assert officers.login(kiosk, ANI[0], "Wrong-Password-123").error_key == "auth.terminal_wait"
    with pytest.raises(AuthError) as caught:
        auth.activate(kiosk, RINA.nib, RINA.nik, "15-12-1995", "pin", "304918", "304918")
    assert (caught.value.key, caught.value.params) == ("auth.terminal_wait", {"minutes": 1})
    with pytest.raises(AuthError) as caught:
        reset_codes.redeem(kiosk, SITI.nib, "CCCC4444", "pin", "583920", "583920")
    assert caught.value.key == "auth.terminal_wait"
    with pytest.raises(AuthError) as caught:
        reauthenticate(kiosk, identity, SITI.secret)
    assert caught.value.key == "auth.terminal_wait"


def test_the_local_console_has_a_terminal_key_of_its_own(demo_rt):
    for nib in NOBODY[:10]:
        login(demo_rt, nib, "123456")
    assert throttle_row(demo_rt, "terminal:-").failures == 10
    assert login(demo_rt, SITI.nib, SITI.secret).error_key == "auth.terminal_wait"


def test_an_officer_sees_waiting_terminals_and_ends_a_wait(demo_rt, clock):
    ani = officer(demo_rt, ANI)
    for terminal, count, later in (("JKT-01", 10, 30), ("JKT-02", 10, 0), ("JKT-03", 4, 0)):
        kiosk = at_terminal(demo_rt, terminal)
        for nib in NOBODY[:count]:
            login(kiosk, nib, "123456")
        clock.advance(seconds=later)
    waiting = counter.waiting_terminals(demo_rt)
    assert [(w.terminal_id, w.failures, w.until) for w in waiting] == [
        ("JKT-02", 10, FROZEN_AT + timedelta(seconds=90)), ("JKT-01", 10, FROZEN_AT + timedelta(seconds=60))]
    assert counter.end_terminal_wait(demo_rt, ani, "JKT-02") is True
    assert [w.terminal_id for w in counter.waiting_terminals(demo_rt)] == ["JKT-01"]
    assert login(at_terminal(demo_rt, "JKT-02"), SITI.nib, SITI.secret).ok
    [entry] = all_rows(demo_rt, AuditEvent, AuditEvent.action == "counter.terminal_cleared")
    assert (entry.actor, entry.subject, entry.details) == ("ani.petugas", "terminal:JKT-02", {"had_wait": True})
    clock.advance(seconds=30)
    assert counter.waiting_terminals(demo_rt) == []


# blocked cards are refused at activation and reset as at login


def _block(rt, nib: str) -> None:
    with rt.write() as session:
        row = session.exec(select(Participant).where(Participant.nib == nib)).one()
        row.card_status = "blocked"
        session.add(row)


def test_activation_of_a_blocked_card_is_refused_once_the_identity_is_proven(demo_rt):
    _block(demo_rt, RINA.nib)
    with pytest.raises(AuthError) as wrong:
        auth.activate(demo_rt, RINA.nib, RINA.nik, "16-12-1995", "pin", "304918", "304918")
    assert wrong.value.key == "activation.mismatch"
    with pytest.raises(AuthError) as right:
        auth.activate(demo_rt, RINA.nib, RINA.nik, "15-12-1995", "pin", "304918", "304918")
    assert right.value.key == "auth.card_blocked"
    assert account_row(demo_rt, RINA) is None
    assert throttle_row(demo_rt, f"act:{RINA.nib}") is None
    [event] = all_rows(demo_rt, AuditEvent, AuditEvent.action == "auth.refused_card_blocked")
    assert (event.subject, event.details) == (RINA.nib, {"during": "activation"})


def test_reset_of_a_blocked_card_is_refused_once_the_code_is_proven(demo_rt):
    code = reset_codes.issue(demo_rt, officer(demo_rt, ANI), SITI.nib, ktp_seen=True)
    _block(demo_rt, SITI.nib)
    before = account_row(demo_rt, SITI).secret_hash
    with pytest.raises(AuthError) as wrong:
        reset_codes.redeem(demo_rt, SITI.nib, "AAAA2222", "pin", "583920", "583920")
    assert wrong.value.key == "reset.invalid_code"
    with pytest.raises(AuthError) as right:
        reset_codes.redeem(demo_rt, SITI.nib, code, "pin", "583920", "583920")
    assert right.value.key == "auth.card_blocked"
    assert account_row(demo_rt, SITI).secret_hash == before
    with demo_rt.read() as session:
        assert session.exec(select(ResetCode.used_at)).one() is None
    [event] = all_rows(demo_rt, AuditEvent, AuditEvent.action == "auth.refused_card_blocked")
    assert event.details == {"during": "reset"}


def test_reset_of_an_inactive_account_is_refused_as_at_login(demo_rt):
    code = reset_codes.issue(demo_rt, officer(demo_rt, ANI), SITI.nib, ktp_seen=True)
    with demo_rt.write() as session:
        session.get(KioskAccount, account_row(demo_rt, SITI).id).status = "inactive"
    with pytest.raises(AuthError) as caught:
        reset_codes.redeem(demo_rt, SITI.nib, code, "pin", "583920", "583920")
    assert caught.value.key == "auth.account_inactive"
    assert login(demo_rt, SITI.nib, SITI.secret).error_key == "auth.account_inactive"


# an unknown officer name is never stored


def test_a_username_that_names_no_officer_is_never_stored(demo_rt, monkeypatch):
    typed = "Rahasia-Sandi-Ani-77"  # a password typed into the username field
    dummies = []
    real_dummy = demo_rt.hasher.verify_dummy
    monkeypatch.setattr(demo_rt.hasher, "verify_dummy", lambda secret: dummies.append(secret) or real_dummy(secret))
    for _ in range(6):
        assert officers.login(demo_rt, typed, "anything-at-all").error_key == "auth.failed"
    assert len(dummies) == 6
    with demo_rt.read() as session:
        keys = [row.key for row in session.exec(select(LoginThrottle)).all()]
    assert keys == ["terminal:-"]
    assert not any(typed.lower() in line.lower() for line in audit_dump(demo_rt))
    failed = all_rows(demo_rt, AuditEvent, AuditEvent.action == "officer.login_failed")
    assert [(e.actor, e.subject, e.details) for e in failed] == [("backoffice", "", {})] * 6


@pytest.mark.parametrize(("failures", "locked", "ends_wait", "left"), [
    (1, False, False, None),  # nothing left to remember: the row goes
    (3, False, False, (2, False)),  # earlier failures are kept
    (1, True, False, (0, True)),  # a wait this attempt did not begin stays
    (1, True, True, None),  # the wait this attempt began ends with it
    (2, True, True, (1, False)),
])
@pytest.mark.parametrize("keyed", [True, False])
def test_a_success_gives_back_the_terminals_reservation_and_forgets_what_is_left_with_nothing(
        demo_rt, failures, locked, ends_wait, left, keyed):
    until = as_utc(FROZEN_AT) + timedelta(minutes=5) if locked else None
    with demo_rt.write() as session:
        session.add(LoginThrottle(key="terminal:T1", failures=failures, last_failure_at=FROZEN_AT, locked_until=until))
        session.add(LoginThrottle(key=SITI.nib, failures=2, last_failure_at=FROZEN_AT))
        session.add(LoginThrottle(key="terminal:T2", failures=0, last_failure_at=FROZEN_AT))
    attempt = throttle.Attempt(SITI.nib if keyed else None, "terminal:T1", 2, failures, wait_minutes=5 if ends_wait else 0)
    with demo_rt.transaction() as connection:
        throttle.succeeded(connection, demo_rt, attempt)
    row = throttle_row(demo_rt, "terminal:T1")
    assert (None if row is None else (row.failures, row.locked_until is not None)) == left
    assert (throttle_row(demo_rt, SITI.nib) is None) == keyed
    assert throttle_row(demo_rt, "terminal:T2").failures == 0  # another terminal's row is not touched
