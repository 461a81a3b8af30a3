"""One-time reset codes: issued by an officer, stored only hashed, valid 15 minutes, single use,
superseded by a newer code, locked after repeated wrong codes (kidb_tui/services/reset_codes.py)."""

import json

import pytest
from sqlalchemy import text

from kidb_tui.errors import AuthError, DomainError
from kidb_tui.models import ResetCode
from kidb_tui.services import auth, reset_codes
from tests.backoffice_services.helpers import (
    ANI,
    audit_rows,
    form_errors,
    notifications_of,
    officer,
    rows,
    run_together,
)
from tests.conftest import RINA, SITI
from tests.frames import plain_in_frames

NEW_PIN = "483920"


@pytest.fixture
def ani(demo_rt):
    return officer(demo_rt, ANI)


def redeem(rt, code: str, pin: str = NEW_PIN, confirmation: str | None = None):
    return reset_codes.redeem(rt, SITI.nib, code, "pin", pin, pin if confirmation is None else confirmation)


def refused(call) -> AuthError:
    with pytest.raises(AuthError) as caught:
        call()
    assert caught.value.key == "reset.invalid_code"
    return caught.value


def test_a_code_is_eight_characters_from_the_alphabet(demo_rt, ani):
    codes = {reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True) for _ in range(5)}
    assert len(codes) == 5
    for code in codes:
        assert len(code) == 8
        assert set(code) <= set(reset_codes.ALPHABET)
    assert not set("O0I1") & set(reset_codes.ALPHABET)


def test_only_a_hash_of_the_code_is_stored(demo_rt, ani):
    code = reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)
    [row] = rows(demo_rt, ResetCode)
    assert row.code_hash.startswith("$argon2id$")
    assert demo_rt.hasher.verify(row.code_hash, code)
    assert row.issued_by == "ani.petugas"
    with demo_rt.engine.connect() as connection:
        stored = [json.dumps(list(map(str, r))) for table in ("reset_code", "audit_event", "notification")
                  for r in connection.execute(text(f"SELECT * FROM {table}"))]
    assert stored
    assert not [line for line in stored if code in line]
    [entry] = audit_rows(demo_rt, "counter.reset_code_issued", SITI.nib)
    assert (entry.actor, entry.details) == ("ani.petugas", {"ktp_seen": True, "valid_minutes": 15})


def test_the_right_code_sets_the_new_pin(demo_rt, ani):
    code = reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)
    identity = redeem(demo_rt, code)
    assert (identity.nib, identity.full_name) == (SITI.nib, SITI.name)
    assert auth.login(demo_rt, SITI.nib, NEW_PIN).ok
    assert auth.login(demo_rt, SITI.nib, SITI.secret).error_key == "auth.failed"
    assert len(notifications_of(demo_rt, SITI, "password_reset")) == 1
    [entry] = audit_rows(demo_rt, "auth.secret_reset", SITI.nib)
    assert entry.details == {"kind": "pin", "issued_by": "ani.petugas"}
    assert rows(demo_rt, ResetCode)[0].used_at is not None


def test_a_code_works_once(demo_rt, ani):
    code = reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)
    redeem(demo_rt, code)
    assert refused(lambda: redeem(demo_rt, code, "604172")).params == {"minutes": 15}
    assert auth.login(demo_rt, SITI.nib, NEW_PIN).ok


@pytest.mark.parametrize("minutes, works", [(14, True), (16, False)])
def test_a_code_expires_after_fifteen_minutes(demo_rt, ani, clock, minutes, works):
    code = reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)
    clock.advance(minutes=minutes)
    if works:
        assert redeem(demo_rt, code).nib == SITI.nib
    else:
        refused(lambda: redeem(demo_rt, code))
        assert auth.login(demo_rt, SITI.nib, SITI.secret).ok


def test_a_newer_code_replaces_the_older(demo_rt, ani):
    older = reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)
    newer = reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)
    refused(lambda: redeem(demo_rt, older))
    redeem(demo_rt, newer)
    assert auth.login(demo_rt, SITI.nib, NEW_PIN).ok


def test_five_wrong_codes_lock_even_the_right_one(demo_rt, ani):
    code = reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)
    wrong = "".join("A" if ch != "A" else "B" for ch in code)
    for _ in range(5):
        refused(lambda: redeem(demo_rt, wrong))
    refused(lambda: redeem(demo_rt, code))
    assert auth.login(demo_rt, SITI.nib, SITI.secret).ok
    assert audit_rows(demo_rt, "auth.locked", f"reset:{SITI.nib}")


def test_four_wrong_codes_still_leave_the_right_one(demo_rt, ani):
    code = reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)
    for _ in range(4):
        refused(lambda: redeem(demo_rt, "ZZZZ2222"))
    redeem(demo_rt, code)
    assert auth.login(demo_rt, SITI.nib, NEW_PIN).ok


@pytest.mark.parametrize("pin, confirmation, expected", [
    ("111111", None, {"secret": "secret_repeated"}),
    ("123456", None, {"secret": "secret_sequential"}),
    ("220485", None, {"secret": "secret_birth_date"}),
    ("48392", None, {"secret": "pin_format"}),
    (NEW_PIN, "483921", {"secret_confirm": "secret_mismatch"}),
])
def test_a_weak_new_pin_is_refused_and_the_code_stays_usable(demo_rt, ani, pin, confirmation, expected):
    code = reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)
    assert form_errors(lambda: redeem(demo_rt, code, pin, confirmation)) == expected
    assert auth.login(demo_rt, SITI.nib, SITI.secret).ok
    redeem(demo_rt, code)
    assert auth.login(demo_rt, SITI.nib, NEW_PIN).ok


def test_the_typed_code_may_be_lowercase_with_dashes(demo_rt, ani):
    code = reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)
    redeem(demo_rt, f" {code[:4].lower()}-{code[4:].lower()} ")
    assert auth.login(demo_rt, SITI.nib, NEW_PIN).ok


def test_a_code_is_bound_to_its_participant(demo_rt, ani):
    code = reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)
    refused(lambda: reset_codes.redeem(demo_rt, "26010000002", code, "pin", NEW_PIN, NEW_PIN))
    redeem(demo_rt, code)


def test_redeeming_clears_a_login_lock(demo_rt, ani):
    for _ in range(5):
        auth.login(demo_rt, SITI.nib, "000000")
    code = reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)
    redeem(demo_rt, code)
    assert auth.login(demo_rt, SITI.nib, NEW_PIN).ok


@pytest.mark.parametrize("nib, key", [
    ("99999999999", "counter.participant_not_found"),
    (RINA.nib, "counter.no_account"),
])
def test_no_code_without_an_account(demo_rt, ani, nib, key):
    with pytest.raises(DomainError) as caught:
        reset_codes.issue(demo_rt, ani, nib, ktp_seen=True)
    assert caught.value.key == key
    assert rows(demo_rt, ResetCode) == []


def test_one_code_redeemed_from_many_threads_sets_one_pin(demo_rt, ani):
    code = reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)
    pins = ["483920", "604172", "729305", "815064"]
    outcomes = run_together([lambda pin=pin: redeem(demo_rt, code, pin) for pin in pins])
    winners = [pin for pin, outcome in zip(pins, outcomes, strict=True) if not isinstance(outcome, Exception)]
    assert len(winners) == 1, outcomes
    assert all(o.key == "reset.invalid_code" for o in outcomes if isinstance(o, AuthError)), outcomes
    assert [auth.login(demo_rt, SITI.nib, pin).ok for pin in pins] == [pin in winners for pin in pins]
    assert len(notifications_of(demo_rt, SITI, "password_reset")) == 1


class HashingStopped(Exception):
    pass




@pytest.mark.parametrize("stopped, plain", [("verify", "the code"), ("hash", NEW_PIN)])
def test_no_frame_holds_the_code_or_the_new_pin_in_plain_text(demo_rt, ani, monkeypatch, stopped, plain):
    code = reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=True)

    def stop(*args):
        raise HashingStopped

    monkeypatch.setattr(demo_rt.hasher, stopped, stop)
    with pytest.raises(HashingStopped) as caught:
        redeem(demo_rt, f" {code.lower()} ")
    assert plain_in_frames(caught.value, code if plain == "the code" else plain) == []
    assert plain_in_frames(caught.value, f" {code.lower()} ") == []


def test_a_code_needs_the_ktp_seen_like_an_unlock(demo_rt, ani):
    assert form_errors(lambda: reset_codes.issue(demo_rt, ani, SITI.nib, ktp_seen=False)) == {"ktp_seen": "ktp_not_seen"}
    assert form_errors(lambda: reset_codes.issue(demo_rt, ani, SITI.nib)) == {"ktp_seen": "ktp_not_seen"}
    assert rows(demo_rt, ResetCode) == []
    assert audit_rows(demo_rt, "counter.reset_code_issued") == []
