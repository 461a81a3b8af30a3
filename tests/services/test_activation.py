"""Account activation, re-authentication and "Ganti PIN" (kidb_tui/services/auth.py)."""

from datetime import UTC, datetime

import pytest

from kidb_tui.errors import AuthError, FormErrors
from kidb_tui.models import AuditEvent, KioskAccount, LoginThrottle, Notification
from kidb_tui.services.auth import activate, change_secret, login, reauthenticate
from tests.conftest import BUDI, RINA, SITI, sign_in
from tests.services.helpers import account_row, all_rows, audit_dump, count, participant_row

RINA_BIRTH = "15-12-1995"
RINA_PIN = "304918"


def activate_rina(rt, **changes):
    values = {"nib_text": RINA.nib, "nik_text": RINA.nik, "birth_date_text": RINA_BIRTH,
              "secret_kind": "pin", "secret": RINA_PIN, "confirmation": RINA_PIN}
    values.update(changes)
    return activate(rt, **values)


def form_errors(call) -> dict[str, str]:
    with pytest.raises(FormErrors) as caught:
        call()
    return {error.field: error.rule for error in caught.value.errors}


def auth_error(call) -> AuthError:
    with pytest.raises(AuthError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("birth_date", ["15-12-1995", "15/12/1995", "1995-12-15"])
def test_activation_creates_the_account(demo_rt, birth_date):
    identity = activate_rina(demo_rt, birth_date_text=birth_date)
    account = account_row(demo_rt, RINA)
    assert (identity.nib, identity.full_name, identity.account_id) == (RINA.nib, RINA.name, account.id)
    assert (account.secret_kind, account.status) == ("pin", "active")
    assert demo_rt.hasher.verify(account.secret_hash, RINA_PIN)
    rina_id = participant_row(demo_rt, RINA).id
    assert [n.kind for n in all_rows(demo_rt, Notification, Notification.participant_id == rina_id)] == [
        "account_activated"]
    assert login(demo_rt, RINA.nib, RINA_PIN).ok
    activated = all_rows(demo_rt, AuditEvent, AuditEvent.action == "auth.activated", AuditEvent.subject == RINA.nib)
    assert len(activated) == 1


def test_activation_with_a_password(demo_rt):
    activate_rina(demo_rt, secret_kind="password", secret="Bogor-Hujan-77", confirmation="Bogor-Hujan-77")
    assert account_row(demo_rt, RINA).secret_kind == "password"
    assert login(demo_rt, RINA.nib, "Bogor-Hujan-77").ok


@pytest.mark.parametrize("changes", [
    {"nik_text": SITI.nik},
    {"birth_date_text": "16-12-1995"},
    {"nib_text": "99999999999"},
])
def test_identity_mismatch_is_refused_and_counted(demo_rt, changes):
    assert auth_error(lambda: activate_rina(demo_rt, **changes)).key == "activation.mismatch"
    assert account_row(demo_rt, RINA) is None
    nib = changes.get("nib_text", RINA.nib)
    with demo_rt.read() as session:
        assert session.get(LoginThrottle, f"act:{nib}").failures == 1


def test_repeated_mismatches_lock_activation(demo_rt):
    for _ in range(5):
        auth_error(lambda: activate_rina(demo_rt, birth_date_text="01-01-1990"))
    assert auth_error(lambda: activate_rina(demo_rt)).key == "activation.mismatch"
    assert account_row(demo_rt, RINA) is None


def test_already_active(demo_rt):
    before = account_row(demo_rt, SITI).secret_hash
    error = auth_error(lambda: activate(demo_rt, SITI.nib, SITI.nik, "22-04-1985", "pin", "304918", "304918"))
    assert error.key == "activation.already_active"
    assert account_row(demo_rt, SITI).secret_hash == before


@pytest.mark.parametrize("secret, rule", [
    ("123456", "secret_sequential"),
    ("151295", "secret_birth_date"),
    ("260100", "secret_from_nib"),
    ("123123", "secret_common"),
    ("30491", "pin_format"),
])
def test_weak_secret_is_refused_with_the_rule(demo_rt, secret, rule):
    assert form_errors(lambda: activate_rina(demo_rt, secret=secret, confirmation=secret)) == {"secret": rule}
    assert account_row(demo_rt, RINA) is None


def test_confirmation_must_match(demo_rt):
    assert form_errors(lambda: activate_rina(demo_rt, confirmation="304919")) == {"secret_confirm": "secret_mismatch"}
    assert account_row(demo_rt, RINA) is None


def test_unknown_secret_kind(demo_rt):
    assert form_errors(lambda: activate_rina(demo_rt, secret_kind="")) == {"secret_kind": "secret_kind"}


def test_every_malformed_field_is_listed(demo_rt):
    errors = form_errors(lambda: activate_rina(demo_rt, nib_text="2601", nik_text="abc", birth_date_text="31-02-1995"))
    assert errors == {"nib": "nib_format", "nik": "nik_format", "birth_date": "date_invalid"}
    assert count(demo_rt, LoginThrottle) == 0


def test_birth_date_in_the_future(demo_rt):
    assert form_errors(lambda: activate_rina(demo_rt, birth_date_text="01-01-2030")) == {"birth_date": "date_future"}


def test_birth_date_checked_against_the_branch_date(demo_rt, clock):
    """At 01.00 WIB on 26 November it is still the 25th in UTC: the 26th is today, not the future."""
    clock.current = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    assert auth_error(lambda: activate_rina(demo_rt, birth_date_text="26-11-2026")).key == "activation.mismatch"
    assert form_errors(lambda: activate_rina(demo_rt, birth_date_text="27-11-2026")) == {"birth_date": "date_future"}


def test_reauthenticate_accepts_the_secret_and_clears_failures(demo_rt):
    identity = sign_in(demo_rt, SITI)
    login(demo_rt, SITI.nib, "999999")
    reauthenticate(demo_rt, identity, SITI.secret)
    with demo_rt.read() as session:
        assert session.get(LoginThrottle, SITI.nib) is None


def test_reauthenticate_counts_down_then_locks(demo_rt):
    identity = sign_in(demo_rt, SITI)
    errors = [auth_error(lambda: reauthenticate(demo_rt, identity, "999999")) for _ in range(5)]
    assert [(e.key, e.params) for e in errors] == [
        ("auth.reauth_failed", {"left": 4}),
        ("auth.reauth_failed", {"left": 3}),
        ("auth.reauth_failed", {"left": 2}),
        ("auth.reauth_failed", {"left": 1}),
        ("auth.reauth_locked", {"minutes": 30}),
    ]
    assert auth_error(lambda: reauthenticate(demo_rt, identity, SITI.secret)).key == "auth.reauth_locked"
    assert login(demo_rt, SITI.nib, SITI.secret).error_key == "auth.failed"


def test_change_secret(demo_rt):
    identity = sign_in(demo_rt, SITI)
    change_secret(demo_rt, identity, SITI.secret, "password", "Nasi-Uduk-Pagi", "Nasi-Uduk-Pagi")
    account = account_row(demo_rt, SITI)
    assert account.secret_kind == "password"
    assert login(demo_rt, SITI.nib, "Nasi-Uduk-Pagi").ok
    assert login(demo_rt, SITI.nib, SITI.secret).error_key == "auth.failed"
    assert count(demo_rt, Notification, Notification.kind == "secret_changed") == 1
    changed = all_rows(demo_rt, AuditEvent, AuditEvent.action == "auth.secret_changed")
    assert [a.details for a in changed] == [{"kind": "password"}]


def test_change_secret_needs_the_current_one(demo_rt):
    identity = sign_in(demo_rt, SITI)
    before = account_row(demo_rt, SITI).secret_hash
    error = auth_error(lambda: change_secret(demo_rt, identity, "999999", "pin", "304918", "304918"))
    assert (error.key, error.params) == ("auth.reauth_failed", {"left": 4})
    assert account_row(demo_rt, SITI).secret_hash == before


@pytest.mark.parametrize("new, confirmation, expected", [
    ("654321", "654321", {"secret": "secret_sequential"}),
    ("304918", "304981", {"secret_confirm": "secret_mismatch"}),
    (SITI.secret, SITI.secret, {"secret": "secret_unchanged"}),
])
def test_change_secret_refusals_write_nothing(demo_rt, new, confirmation, expected):
    identity = sign_in(demo_rt, SITI)
    before = account_row(demo_rt, SITI).secret_hash
    assert form_errors(lambda: change_secret(demo_rt, identity, SITI.secret, "pin", new, confirmation)) == expected
    assert account_row(demo_rt, SITI).secret_hash == before
    assert count(demo_rt, Notification, Notification.kind == "secret_changed") == 0


def test_no_secret_or_full_nik_in_any_audit_row(demo_rt):
    auth_error(lambda: activate_rina(demo_rt, nik_text=BUDI.nik))
    activate_rina(demo_rt)
    identity = sign_in(demo_rt, SITI)
    change_secret(demo_rt, identity, SITI.secret, "password", "Nasi-Uduk-Pagi", "Nasi-Uduk-Pagi")
    login(demo_rt, BUDI.nib, "Salah-Sandi-123")
    dump = "\n".join(audit_dump(demo_rt))
    for secret in (RINA_PIN, SITI.secret, "Nasi-Uduk-Pagi", "Salah-Sandi-123", BUDI.secret):
        assert secret not in dump
    for nik in (SITI.nik, BUDI.nik, RINA.nik):
        assert nik not in dump
    assert count(demo_rt, KioskAccount) == 6
