"""Personal data: validation naming every bad field, the PIN asked again for a new phone or email,
one notification per changed field, audit with field names only (kidb_tui/services/profile.py)."""

import pytest

from kidb_tui.errors import AuthError, FormErrors, NotFound
from kidb_tui.models import AuditEvent, Notification
from kidb_tui.services.profile import (
    Contact,
    contact_unchanged,
    get_profile,
    needs_reauth,
    update_contact,
    validate_contact,
)
from tests.conftest import FROZEN_AT, SITI, sign_in
from tests.services.helpers import all_rows, audit_dump, contact_of, count, participant_row

NEW_PHONE, NEW_EMAIL = "0813-9876-5432", "Siti.Baru@Example.co.id"


def moved(rt, **changes) -> Contact:
    current = contact_of(rt, SITI)
    return Contact(**{**current.__dict__, **changes})


def notices(rt) -> list[Notification]:
    return all_rows(rt, Notification, Notification.kind == "contact_changed")


def test_validate_contact_normalises():
    clean = validate_contact(Contact(" Jl.  Merdeka No. 10 ", "10110", "0812 3456 7801", "Siti@Example.CO.ID"))
    assert clean == Contact("Jl. Merdeka No. 10", "10110", "+6281234567801", "Siti@example.co.id")


def test_validate_contact_lists_every_bad_field():
    with pytest.raises(FormErrors) as caught:
        validate_contact(Contact("", "0123", "021-5551234", "siti@"))
    assert {e.field: e.rule for e in caught.value.errors} == {
        "address": "required", "postal_code": "postal_code_format", "phone": "phone_invalid", "email": "email_invalid"}
    assert caught.value.params == {"count": 4}


def test_confirming_unchanged_data_needs_no_secret(demo_rt, clock):
    clock.advance(hours=2)
    notices_before = count(demo_rt, Notification)
    assert update_contact(demo_rt, sign_in(demo_rt, SITI), contact_of(demo_rt, SITI)) == []
    assert participant_row(demo_rt, SITI).contact_confirmed_at.replace(tzinfo=None) == clock.now().replace(tzinfo=None)
    assert count(demo_rt, Notification) == notices_before
    [confirmed] = all_rows(demo_rt, AuditEvent, AuditEvent.subject == SITI.nib, AuditEvent.action.like("profile.%"))
    assert confirmed.action == "profile.confirmed"
    assert (confirmed.subject, confirmed.details) == (SITI.nib, {"fields": []})


def test_same_phone_and_email_typed_differently_are_no_change(demo_rt):
    raw = moved(demo_rt, phone="0812 3456 7801", email=" siti.rahayu@EXAMPLE.CO.ID ")
    assert not needs_reauth(demo_rt, participant_row(demo_rt, SITI).id, validate_contact(raw))
    assert update_contact(demo_rt, sign_in(demo_rt, SITI), raw) == []


def test_address_change_needs_no_secret(demo_rt):
    raw = moved(demo_rt, address="Jl. Baru No. 5", postal_code="10120")
    changed = update_contact(demo_rt, sign_in(demo_rt, SITI), raw)
    assert changed == ["address", "postal_code"]
    row = participant_row(demo_rt, SITI)
    assert (row.address, row.postal_code) == ("Jl. Baru No. 5", "10120")
    assert [n.params for n in notices(demo_rt)] == [{"field": "address"}, {"field": "postal_code"}]


@pytest.mark.parametrize("changes", [{"phone": NEW_PHONE}, {"email": NEW_EMAIL}])
def test_phone_or_email_change_asks_for_the_secret(demo_rt, changes):
    before = contact_of(demo_rt, SITI)
    assert needs_reauth(demo_rt, participant_row(demo_rt, SITI).id, validate_contact(moved(demo_rt, **changes)))
    with pytest.raises(AuthError) as caught:
        update_contact(demo_rt, sign_in(demo_rt, SITI), moved(demo_rt, **changes))
    assert caught.value.key == "profile.reauth_required"
    assert contact_of(demo_rt, SITI) == before
    assert notices(demo_rt) == []


def test_wrong_secret_writes_nothing(demo_rt):
    before, confirmed = contact_of(demo_rt, SITI), participant_row(demo_rt, SITI).contact_confirmed_at
    with pytest.raises(AuthError) as caught:
        update_contact(demo_rt, sign_in(demo_rt, SITI), moved(demo_rt, phone=NEW_PHONE, address="Jl. Lain"), "999999")
    assert caught.value.key == "auth.reauth_failed"
    assert contact_of(demo_rt, SITI) == before
    assert participant_row(demo_rt, SITI).contact_confirmed_at == confirmed
    assert notices(demo_rt) == []
    assert count(demo_rt, AuditEvent, AuditEvent.action.like("profile.%"), AuditEvent.subject == SITI.nib) == 0


def test_bad_field_writes_nothing(demo_rt):
    before = contact_of(demo_rt, SITI)
    with pytest.raises(FormErrors):
        update_contact(demo_rt, sign_in(demo_rt, SITI), moved(demo_rt, address="Jl.\u202eBaru"), SITI.secret)
    assert contact_of(demo_rt, SITI) == before


def test_full_change_with_the_secret(demo_rt, clock):
    clock.advance(minutes=5)
    raw = moved(demo_rt, address="Jl. Kebon Sirih No. 7", phone=NEW_PHONE, email=NEW_EMAIL)
    changed = update_contact(demo_rt, sign_in(demo_rt, SITI), raw, SITI.secret)
    assert changed == ["address", "phone", "email"]
    view = get_profile(demo_rt, participant_row(demo_rt, SITI).id)
    assert view.contact == Contact("Jl. Kebon Sirih No. 7", "10110", "+6281398765432", "Siti.Baru@example.co.id")
    assert view.contact_confirmed_at == clock.now()
    assert [n.params["field"] for n in notices(demo_rt)] == ["address", "phone", "email"]
    [updated] = all_rows(demo_rt, AuditEvent, AuditEvent.action == "profile.updated", AuditEvent.subject == SITI.nib)
    assert updated.details == {"fields": ["address", "phone", "email"]}
    dump = "\n".join(audit_dump(demo_rt))
    for value in ("6281398765432", "Siti.Baru", "Kebon Sirih", SITI.secret):
        assert value not in dump


def test_get_profile(demo_rt):
    view = get_profile(demo_rt, participant_row(demo_rt, SITI).id)
    assert (view.nib, view.full_name, view.birth_date) == (SITI.nib, SITI.name, SITI.birth_date)
    assert view.contact.phone == "+6281234567801"
    assert view.contact_confirmed_at.tzinfo is not None and view.contact_confirmed_at < FROZEN_AT
    with pytest.raises(NotFound):
        get_profile(demo_rt, 9999)


def test_contact_unchanged_when_the_stored_data_is_typed_again_in_any_form(demo_rt):
    siti = participant_row(demo_rt, SITI).id
    stored = contact_of(demo_rt, SITI)
    assert contact_unchanged(demo_rt, siti, stored)
    assert contact_unchanged(demo_rt, siti, moved(demo_rt, phone="0812-3456-7801", email="siti.rahayu@EXAMPLE.CO.ID"))


@pytest.mark.parametrize("changes", [{"address": "Jl. Thamrin No. 1, Jakarta"}, {"phone": "081299998888"},
                                     {"email": "bukan-email"}])
def test_contact_changed_or_invalid_is_not_unchanged(demo_rt, changes):
    assert not contact_unchanged(demo_rt, participant_row(demo_rt, SITI).id, moved(demo_rt, **changes))
