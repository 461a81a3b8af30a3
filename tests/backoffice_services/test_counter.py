"""Help at the counter: unlocking an account after the KTP was seen, blocking and unblocking a
card with a reason, each audited with the officer (kidb_tui/services/counter.py)."""

import pytest

from kidb_tui.errors import AuthError, DomainError, ValidationError
from kidb_tui.models import LoginThrottle
from kidb_tui.services import auth, counter, reset_codes
from tests.backoffice_services.helpers import (
    ANI,
    audit_rows,
    form_errors,
    notifications_of,
    officer,
    participant,
    rows,
    runtime_with,
)
from tests.conftest import DEWI, RINA, SITI

REASON = "Kartu dilaporkan hilang oleh peserta di loket."


@pytest.fixture
def ani(demo_rt):
    return officer(demo_rt, ANI)


def lock_out(rt, person) -> None:
    for _ in range(rt.settings.lock_threshold):
        assert auth.login(rt, person.nib, "000000").error_key == "auth.failed"
    assert auth.login(rt, person.nib, person.secret).error_key == "auth.failed"


def throttle_keys(rt) -> set[str]:
    """The keys of participants' failures (not the terminal's)."""
    return {row.key for row in rows(rt, LoginThrottle) if not row.key.startswith("terminal:")}


def test_unlock_lets_the_right_pin_in_again(demo_rt, ani):
    lock_out(demo_rt, SITI)
    assert counter.unlock_account(demo_rt, ani, SITI.nib, ktp_seen=True) is True
    assert SITI.nib not in throttle_keys(demo_rt)
    assert auth.login(demo_rt, SITI.nib, SITI.secret).ok
    [entry] = audit_rows(demo_rt, "counter.unlocked", SITI.nib)
    assert entry.actor == "ani.petugas"
    assert entry.details == {"ktp_seen": True, "had_lock": True}


def test_unlock_needs_the_ktp_seen(demo_rt, ani):
    lock_out(demo_rt, SITI)
    assert form_errors(lambda: counter.unlock_account(demo_rt, ani, SITI.nib, ktp_seen=False)) == {
        "ktp_seen": "ktp_not_seen"}
    assert SITI.nib in throttle_keys(demo_rt)
    assert auth.login(demo_rt, SITI.nib, SITI.secret).error_key == "auth.failed"
    assert audit_rows(demo_rt, "counter.unlocked") == []


def test_unlock_clears_activation_and_reset_code_failures_too(demo_rt, ani, clock):
    with runtime_with(demo_rt.settings, clock, terminal_failure_limit=100) as rt:  # 14 failures here
        with pytest.raises(AuthError):
            auth.activate(rt, RINA.nib, "3201015512950007", "15-12-1995", "pin", "304918", "304918")
        lock_out(rt, RINA)
        with pytest.raises(AuthError):
            reset_codes.redeem(rt, RINA.nib, "AAAAAAAA", "pin", "304918", "304918")
        assert {RINA.nib, f"act:{RINA.nib}", f"reset:{RINA.nib}"} <= throttle_keys(rt)
        lock_out(rt, SITI)
    counter.unlock_account(demo_rt, ani, RINA.nib, ktp_seen=True)
    assert throttle_keys(demo_rt) == {SITI.nib}


def test_unlock_without_a_lock_is_still_recorded(demo_rt, ani):
    assert counter.unlock_account(demo_rt, ani, " 2601 0000 001 ", ktp_seen=True) is False
    [entry] = audit_rows(demo_rt, "counter.unlocked", SITI.nib)
    assert entry.details["had_lock"] is False


def test_unlock_checks_the_nib(demo_rt, ani):
    with pytest.raises(ValidationError) as caught:
        counter.unlock_account(demo_rt, ani, "2601", ktp_seen=True)
    assert (caught.value.field, caught.value.rule) == ("nib", "nib_format")


def test_blocking_a_card_refuses_the_right_pin_with_the_reason_sent(demo_rt, ani):
    counter.set_card_status(demo_rt, ani, SITI.nib, blocked=True, reason=REASON)
    assert participant(demo_rt, SITI).card_status == "blocked"
    assert auth.login(demo_rt, SITI.nib, SITI.secret).error_key == "auth.card_blocked"
    assert auth.login(demo_rt, SITI.nib, "000000").error_key == "auth.failed"
    [notice] = notifications_of(demo_rt, SITI, "card_blocked")
    assert notice.params == {"reason": REASON}
    [entry] = audit_rows(demo_rt, "counter.card_blocked", SITI.nib)
    assert entry.actor == "ani.petugas"
    assert entry.details == {"before": "active", "after": "blocked", "reason": REASON}


def test_unblocking_a_card_lets_the_participant_in(demo_rt, ani):
    assert auth.login(demo_rt, DEWI.nib, DEWI.secret).error_key == "auth.card_blocked"
    counter.set_card_status(demo_rt, ani, DEWI.nib, blocked=False, reason="KTP dan kartu asli sudah diperiksa.")
    assert participant(demo_rt, DEWI).card_status == "active"
    assert auth.login(demo_rt, DEWI.nib, DEWI.secret).ok
    [notice] = notifications_of(demo_rt, DEWI, "card_unblocked")
    assert notice.params == {"reason": "KTP dan kartu asli sudah diperiksa."}
    [entry] = audit_rows(demo_rt, "counter.card_unblocked", DEWI.nib)
    assert (entry.details["before"], entry.details["after"]) == ("blocked", "active")


@pytest.mark.parametrize("reason, rule", [("", "required"), ("  ", "required"), ("x" * 301, "max_length"),
                                          ("hilang\x1b[31m", "control_characters")])
def test_a_card_change_needs_a_reason(demo_rt, ani, reason, rule):
    with pytest.raises(ValidationError) as caught:
        counter.set_card_status(demo_rt, ani, SITI.nib, blocked=True, reason=reason)
    assert (caught.value.field, caught.value.rule) == ("reason", rule)
    assert participant(demo_rt, SITI).card_status == "active"
    assert notifications_of(demo_rt, SITI, "card_blocked") == []


def test_an_unknown_participant_is_not_found(demo_rt, ani):
    with pytest.raises(DomainError) as caught:
        counter.set_card_status(demo_rt, ani, "99999999999", blocked=True, reason=REASON)
    assert caught.value.key == "counter.participant_not_found"
    assert audit_rows(demo_rt, "counter.card_blocked") == []


def test_after_unlock_the_counter_reports_the_account_unlocked(demo_rt, ani):
    lock_out(demo_rt, SITI)
    assert counter.lookup(demo_rt, SITI.nib).locked is True
    counter.unlock_account(demo_rt, ani, SITI.nib, ktp_seen=True)
    assert counter.lookup(demo_rt, SITI.nib).locked is False


def test_the_full_nik_is_shown_only_after_the_ktp_tick_and_audited(demo_rt, ani):
    assert form_errors(lambda: counter.full_nik(demo_rt, ani, SITI.nib, ktp_seen=False)) == {"ktp_seen": "ktp_not_seen"}
    assert audit_rows(demo_rt, "counter.nik_shown") == []
    assert counter.full_nik(demo_rt, ani, SITI.nib, ktp_seen=True) == SITI.nik
    [entry] = audit_rows(demo_rt, "counter.nik_shown", SITI.nib)
    assert (entry.actor, entry.details) == ("ani.petugas", {"ktp_seen": True})
    assert SITI.nik not in str(entry.details)
