"""Officer accounts: the password policy, argon2id with pepper, uniform login failures with
equal delays, and the lockout with its expiry (kidb_tui/services/officers.py)."""

from datetime import date

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlmodel import select

from kidb_tui.clock import as_utc
from kidb_tui.models import AuditEvent, LoginThrottle, Officer
from kidb_tui.services.hashing import SecretHasher
from kidb_tui.services.officers import add_officer, login
from kidb_tui.services.secret_policy import check_secret
from tests.backoffice_services.helpers import ANI, BAMBANG, audit_rows, count, form_errors, rows, runtime_with
from tests.conftest import FAST_ARGON2
from tests.frames import plain_in_frames

CITRA, CITRA_PASSWORD = "citra.dewi", "Loket-Tiga-Bandung-9"


def officer_row(rt, username: str) -> Officer | None:
    with rt.read() as session:
        return session.exec(select(Officer).where(Officer.username == username)).first()


def test_add_officer_stores_the_role_and_branch(rt):
    added = add_officer(rt, "Citra.Dewi", CITRA_PASSWORD, "supervisor", "Bandung")
    row = officer_row(rt, CITRA)
    assert (added.username, added.role, added.branch, added.is_supervisor) == (CITRA, "supervisor", "Bandung", True)
    assert (row.id, row.role, row.branch, row.status) == (added.id, "supervisor", "Bandung", "active")
    [event] = audit_rows(rt, "officer.added", CITRA)
    assert (event.actor, event.details) == ("cli", {"role": "supervisor", "branch": "Bandung"})


def test_the_default_role_is_officer(rt):
    assert add_officer(rt, CITRA, CITRA_PASSWORD).role == "officer"
    assert officer_row(rt, CITRA).role == "officer"


def test_the_password_is_stored_as_peppered_argon2id(rt):
    add_officer(rt, CITRA, CITRA_PASSWORD)
    stored = officer_row(rt, CITRA).password_hash
    assert stored.startswith("$argon2id$")
    assert CITRA_PASSWORD not in stored
    assert rt.hasher.verify(stored, CITRA_PASSWORD)
    assert not SecretHasher(b"another-pepper", FAST_ARGON2).verify(stored, CITRA_PASSWORD)
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(stored, CITRA_PASSWORD)
    assert login(rt, CITRA, CITRA_PASSWORD).officer is not None


@pytest.mark.parametrize("password, rule", [
    ("Short-pw-19", "password_length"),
    ("x" * 129, "password_length"),
    ("aaaaaaaaaaaa", "secret_repeated"),
    ("abababababab", "secret_repeated"),
    ("abcdefghijkl", "secret_sequential"),
    ("LMNOPQRSTUVW", "secret_sequential"),
    ("LeaveMeAlone", "secret_common"),
    ("qwerty123456", "secret_common"),
    ("Citra.Dewi-2026!", "password_contains_username"),
    ("loket-CITRA.DEWI", "password_contains_username"),
    ("Kantor\x07Cabang-Bdg", "control_characters"),
    ("Kantor\u202eCabang-Bdg", "control_characters"),
    ("password1234", "password_weak_common"),
    ("Password1234!", "password_weak_common"),
    ("DewiCitra2026!", "password_weak_personal"),
    ("Jakarta2024!", "password_weak_common"),
])
def test_weak_passwords_are_refused_with_the_rule(rt, password, rule):
    assert form_errors(lambda: add_officer(rt, CITRA, password)) == {"password": rule}
    assert officer_row(rt, CITRA) is None
    assert count(rt, AuditEvent) == 0


def test_officers_need_zxcvbn_score_four_where_participants_need_three(rt):
    """`Jakarta2024!` scores 3: good enough for a participant's password, not an officer's."""
    check_secret("Jakarta2024!", "password", nib="26010000009", nik="3171016204850009", birth_date=date(1990, 1, 1))
    assert form_errors(lambda: add_officer(rt, CITRA, "Jakarta2024!")) == {"password": "password_weak_common"}


def test_the_branch_counts_as_the_officers_own_data(rt):
    assert form_errors(lambda: add_officer(rt, CITRA, "BogorKotaHujan", branch="Bogor Kota Hujan")) == {
        "password": "password_weak_personal"}
    assert add_officer(rt, CITRA, "BogorKotaHujan", branch="Bandung").branch == "Bandung"


def test_the_actor_is_recorded_as_given(rt):
    add_officer(rt, CITRA, CITRA_PASSWORD, actor="cli:alice")
    [event] = audit_rows(rt, "officer.added", CITRA)
    assert event.actor == "cli:alice"


@pytest.mark.parametrize("username", ["", "   ", "citra dewi", "citra;drop", "c" * 41])
def test_malformed_usernames_are_refused(rt, username):
    assert form_errors(lambda: add_officer(rt, username, CITRA_PASSWORD)) == {"username": "username_format"}
    assert rows(rt, Officer) == []


def test_an_unknown_role_is_refused(rt):
    assert form_errors(lambda: add_officer(rt, CITRA, CITRA_PASSWORD, "admin")) == {"role": "role_unknown"}
    assert officer_row(rt, CITRA) is None


@pytest.mark.parametrize("again", ["citra.dewi", "  CITRA.Dewi "])
def test_a_username_is_taken_once(rt, again):
    add_officer(rt, CITRA, CITRA_PASSWORD)
    assert form_errors(lambda: add_officer(rt, again, "Another-Strong-Pass-7")) == {"username": "username_taken"}
    assert count(rt, Officer) == 1
    assert rt.hasher.verify(officer_row(rt, CITRA).password_hash, CITRA_PASSWORD)


def test_login_returns_the_identity_and_is_audited(demo_rt):
    result = login(demo_rt, " Ani.Petugas ", ANI[1])
    assert result.error_key is None
    assert (result.officer.username, result.officer.role, result.officer.branch) == ("ani.petugas", "officer", ANI[3])
    assert not result.officer.is_supervisor
    assert as_utc(officer_row(demo_rt, "ani.petugas").last_login_at) == demo_rt.now()
    assert audit_rows(demo_rt, "officer.login", "ani.petugas")
    assert login(demo_rt, BAMBANG[0], BAMBANG[1]).officer.is_supervisor


@pytest.mark.parametrize("username, password", [
    ("ani.petugas", "Kantor-Cabang-Jkt-78"),
    ("ani.petugas", BAMBANG[1]),
    ("nobody.here", ANI[1]),
    ("", ANI[1]),
])
def test_every_failure_looks_the_same(demo_rt, username, password):
    result = login(demo_rt, username, password)
    assert (result.officer, result.error_key) == (None, "auth.failed")
    assert audit_rows(demo_rt, "officer.login_failed")


def test_equal_failure_counts_give_equal_delays(clock, demo_rt):
    """The delay grows with the terminal's failures, so a known name and a name that is no
    officer's (which has no count of its own) are delayed alike."""
    slow = {"failure_delay_base": 0.25, "failure_delay_max": 10.0}
    with runtime_with(demo_rt.settings, clock, terminal_id="BO-1", **slow) as one, \
            runtime_with(demo_rt.settings, clock, terminal_id="BO-2", **slow) as two:
        wrong = [login(one, "ani.petugas", "Wrong-Password-123").delay for _ in range(4)]
        unknown = [login(two, "nobody.here", "Wrong-Password-123").delay for _ in range(4)]
    assert wrong == unknown == [0.25, 0.5, 1.0, 2.0]


def test_five_failures_lock_the_officer_for_thirty_minutes(demo_rt, clock):
    for _ in range(5):
        assert login(demo_rt, "ani.petugas", "Wrong-Password-123").error_key == "auth.failed"
    assert login(demo_rt, "ani.petugas", ANI[1]).error_key == "auth.failed"
    assert audit_rows(demo_rt, "auth.locked", "officer:ani.petugas")
    assert login(demo_rt, BAMBANG[0], BAMBANG[1]).officer is not None
    clock.advance(minutes=29)
    assert login(demo_rt, "ani.petugas", ANI[1]).error_key == "auth.failed"
    clock.advance(minutes=1)
    assert login(demo_rt, "ani.petugas", ANI[1]).officer is not None
    with demo_rt.read() as session:
        assert session.get(LoginThrottle, "officer:ani.petugas") is None


def test_four_failures_then_success_start_the_count_again(demo_rt):
    for _ in range(4):
        login(demo_rt, "ani.petugas", "Wrong-Password-123")
    assert login(demo_rt, "ani.petugas", ANI[1]).officer is not None
    for _ in range(4):
        login(demo_rt, "ani.petugas", "Wrong-Password-123")
    assert login(demo_rt, "ani.petugas", ANI[1]).officer is not None


def test_a_disabled_officer_is_told_only_after_the_right_password(demo_rt):
    with demo_rt.write() as session:
        row = session.exec(select(Officer).where(Officer.username == "ani.petugas")).one()
        row.status = "disabled"
        session.add(row)
    assert login(demo_rt, "ani.petugas", "Wrong-Password-123").error_key == "auth.failed"
    assert login(demo_rt, "ani.petugas", ANI[1]).error_key == "auth.account_inactive"
    assert audit_rows(demo_rt, "officer.refused_inactive", "ani.petugas")


def test_locking_one_long_username_leaves_another_alone(rt):
    first, second = "petugas.cabang.jakarta.pusat.loket01", "petugas.cabang.jakarta.pusat.loket02"
    add_officer(rt, first, CITRA_PASSWORD)
    add_officer(rt, second, CITRA_PASSWORD)
    for _ in range(5):
        login(rt, first, "Wrong-Password-123")
    assert login(rt, second, CITRA_PASSWORD).officer is not None



def test_no_frame_holds_the_typed_password_in_plain_text(demo_rt, monkeypatch):
    class HashingStopped(Exception):
        pass

    def stop(*args):
        raise HashingStopped

    monkeypatch.setattr(demo_rt.hasher, "verify", stop)
    with pytest.raises(HashingStopped) as caught:
        login(demo_rt, "ani.petugas", "Typed-Password-Here-1")
    assert plain_in_frames(caught.value, "Typed-Password-Here-1") == []


def test_a_typed_name_is_not_cut_down_to_an_officers_name(rt):
    """Whatever follows a 40-character officer name in the username field is not ignored."""
    name = "petugas.cabang.jakarta.pusat.loket.01234"
    add_officer(rt, name, CITRA_PASSWORD)
    assert login(rt, name + "9", CITRA_PASSWORD).officer is None
    assert login(rt, name, CITRA_PASSWORD).officer is not None
