"""The outbox (services/outbox.py, sender.py, verification.py): every notifying event writes
its message in the transaction of the change, a real SMTP server (aiosmtpd, STARTTLS) receives
them, a retry after a crash keeps the Message-ID, a refusal makes a dead letter, and the email
code proves the address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from kidb_tui.delivery import runner
from kidb_tui.delivery.mail_render import render
from kidb_tui.errors import AuthError, DomainError, RequirementError
from kidb_tui.models import Claim, EmailCode, OutboxMessage
from kidb_tui.services import profile, requirements, reset_codes, review, sender, verification
from kidb_tui.services.auth import activate, login
from kidb_tui.services.claims import submit_claim
from kidb_tui.services.profile import Contact
from tests.backoffice_services.helpers import ANI, LOWER, officer
from tests.conftest import RINA, SITI, sign_in
from tests.services.helpers import all_rows, contact_of, draft, participant_row, update_participant


def outbox(rt, *conditions) -> list[OutboxMessage]:
    return sorted(all_rows(rt, OutboxMessage, *conditions), key=lambda row: row.id)


def verified(rt, person) -> None:
    update_participant(rt, person, email_verified_at=rt.now())


def unverified(rt, person) -> None:
    update_participant(rt, person, email_verified_at=None)


def file_claim(rt, person, key="key-1"):
    identity = sign_in(rt, person)
    return submit_claim(rt, identity, draft(rt, person, "biaya_medis", "1.500.000"), contact_of(rt, person),
                        person.secret, key)


def code_in(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return next(word for word in body.split() if word.isdigit() and len(word) == 6)


@pytest.fixture
def mail(smtp_server, demo_rt):
    """The demo database with mail going to the test's SMTP server: (rt, server)."""
    return smtp_server.runtime(demo_rt), smtp_server


def test_without_mail_nothing_is_queued(demo_rt):
    verified(demo_rt, SITI)
    file_claim(demo_rt, SITI)
    assert outbox(demo_rt) == []


def test_receipt_reaches_the_participant_after_simpan(mail):
    rt, server = mail
    verified(rt, SITI)
    receipt = file_claim(rt, SITI)
    [row] = outbox(rt)
    assert (row.kind, row.status, row.recipient) == ("claim_received", "pending", participant_row(rt, SITI).email)
    assert runner.run_once(rt, server.transports(rt)) == sender.Outcome(sent=1)
    [message] = server.mailbox.received
    assert message["Message-ID"] == row.message_id
    assert receipt.reference in message["Subject"]
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Rp1.500.000" in plain and "Rp1.500.000" in html and "Yth. Peserta" in plain
    assert "1234567890" not in message.as_string()
    [sent] = outbox(rt)
    assert sent.status == "sent" and sent.sent_at is not None and sent.attempts == 1


def test_a_new_email_at_the_claim_step_files_the_claim_and_sends_a_code(mail):
    rt, server = mail
    verified(rt, SITI)
    identity = sign_in(rt, SITI)
    contact = contact_of(rt, SITI)
    new = Contact(contact.address, contact.postal_code, contact.phone, "siti.lain@example.com")
    receipt = submit_claim(rt, identity, draft(rt, SITI, "biaya_medis", "1.500.000"), new, SITI.secret, "key-1")
    assert receipt.reference and participant_row(rt, SITI).email_verified_at is None
    runner.run_once(rt, server.transports(rt))
    subjects = sorted(m["Subject"] for m in server.mailbox.to("siti.lain@example.com"))
    assert "Kode verifikasi email KIDB" in subjects and f"Klaim {receipt.reference} diterima" in subjects


def test_a_refused_claim_queues_nothing(mail):
    rt, _ = mail
    unverified(rt, SITI)
    with pytest.raises(RequirementError):
        file_claim(rt, SITI)
    assert outbox(rt) == []


def test_demo_participants_with_an_account_have_a_verified_email(demo_rt):
    assert participant_row(demo_rt, SITI).email_verified_at is not None


def test_stage_change_after_an_officer_acts_in_english(mail):
    rt, server = mail
    verified(rt, SITI)
    update_participant(rt, SITI, language="en")
    file_claim(rt, SITI)
    runner.run_once(rt, server.transports(rt))
    [claim_row] = all_rows(rt, Claim, Claim.participant_id == participant_row(rt, SITI).id)
    review.assess(rt, officer(rt, ANI), claim_row.id, claim_row.version, "1.000.000", True, difference_reason=LOWER)
    runner.run_once(rt, server.transports(rt))
    last = server.mailbox.received[-1]
    assert last["Subject"] == f"Claim {claim_row.reference} assessed"
    assert "Rp1.000.000" in last.get_body(("plain",)).get_content()


def test_new_email_gets_a_code_and_the_old_one_is_told(mail):
    rt, server = mail
    old = participant_row(rt, SITI).email
    identity = sign_in(rt, SITI)
    contact = contact_of(rt, SITI)
    new = Contact(contact.address, contact.postal_code, contact.phone, "siti.baru@example.com")
    profile.update_contact(rt, identity, new, SITI.secret)
    assert participant_row(rt, SITI).email_verified_at is None
    runner.run_once(rt, server.transports(rt))
    assert [m["Subject"] for m in server.mailbox.to(old)] == ["Email diperbarui"]
    kinds = sorted(m["Subject"] for m in server.mailbox.to("siti.baru@example.com"))
    assert kinds == ["Email diperbarui", "Kode verifikasi email KIDB"]
    code = code_in(next(m for m in server.mailbox.to("siti.baru@example.com") if "Kode" in m["Subject"]))
    [code_row] = all_rows(rt, EmailCode)
    assert code not in code_row.code_hash
    assert all("code" not in row.params for row in outbox(rt)), "the code is dropped once sent"
    verification.verify(rt, identity.participant_id, code)
    assert participant_row(rt, SITI).email_verified_at is not None


def test_no_duplicate_after_a_sender_dies_between_send_and_mark(mail):
    rt, server = mail
    verified(rt, SITI)
    file_claim(rt, SITI)
    transports = server.transports(rt)
    [row] = sender.claim(rt, "dying-sender", ["email"])
    transports["email"].send(row, render(row, rt.settings.timezone))
    assert runner.run_once(rt, transports) == sender.Outcome(), "the dead sender's lease still holds"
    rt.clock.advance(seconds=sender.LEASE.total_seconds() + 1)
    assert runner.run_once(rt, transports) == sender.Outcome(sent=1)
    assert len(server.mailbox.received) == 2
    assert list(server.mailbox.delivered) == [row.message_id]
    assert not sender.mark_sent(rt, row, "dying-sender"), "a late mark by the dead sender changes nothing"


def test_dead_letter_after_refusal_and_retry(mail):
    rt, server = mail
    verified(rt, SITI)
    file_claim(rt, SITI)
    server.mailbox.refusing = True
    assert runner.run_once(rt, server.transports(rt)) == sender.Outcome(dead=1)
    [letter] = sender.dead_letters(rt)
    assert letter.kind == "claim_received" and letter.last_error.startswith("550")
    server.mailbox.refusing = False
    sender.retry(rt, officer(rt, ANI), letter.id)
    assert runner.run_once(rt, server.transports(rt)) == sender.Outcome(sent=1)
    assert sender.dead_letters(rt) == []


def test_server_down_backs_off_then_dead_letter(mail):
    rt, server = mail
    rt = type(rt)(rt.engine, rt.settings.with_(smtp_url="smtp://localhost:1", notify_max_attempts=3), rt.clock, rt.hasher)
    verified(rt, SITI)
    file_claim(rt, SITI)
    transports = server.transports(rt)
    assert runner.run_once(rt, transports) == sender.Outcome(retried=1)
    [row] = outbox(rt)
    assert row.attempts == 1
    assert row.next_attempt_at.replace(tzinfo=None) == (rt.now() + timedelta(seconds=60)).replace(tzinfo=None)
    assert runner.run_once(rt, transports) == sender.Outcome(), "not due yet"
    rt.clock.advance(seconds=60)
    assert runner.run_once(rt, transports) == sender.Outcome(retried=1)
    rt.clock.advance(seconds=120)
    assert runner.run_once(rt, transports) == sender.Outcome(dead=1)
    assert outbox(rt)[0].status == "dead"


def test_two_senders_never_take_the_same_row(mail):
    rt, _ = mail
    verified(rt, SITI)
    file_claim(rt, SITI)
    contact = contact_of(rt, SITI)
    profile.update_contact(rt, sign_in(rt, SITI), Contact("Jl. Baru 2", contact.postal_code, contact.phone,
                                                          contact.email))
    first = sender.claim(rt, "a", ["email"], limit=1)
    second = sender.claim(rt, "b", ["email"])
    assert len(first) == len(second) == 1 and first[0].id != second[0].id
    assert sender.claim(rt, "c", ["email"]) == []


def test_every_notifying_event_writes_its_message(mail):
    rt, _ = mail
    reset_codes.issue(rt, officer(rt, ANI), SITI.nib, ktp_seen=True)
    for _ in range(rt.settings.lock_threshold):
        login(rt, SITI.nib, "000000")
    kinds = [row.kind for row in outbox(rt)]
    assert kinds == ["reset_code_issued", "account_locked"]
    assert all("code" not in row.params for row in outbox(rt))


def test_activation_sends_a_code_to_the_email_on_record(mail):
    rt, server = mail
    rina = participant_row(rt, RINA)
    activate(rt, RINA.nib, RINA.nik, RINA.birth_date.strftime("%d-%m-%Y"), "pin", "802461", "802461")
    runner.run_once(rt, server.transports(rt))
    subjects = sorted(m["Subject"] for m in server.mailbox.to(rina.email))
    assert subjects == ["Akun KIDB diaktifkan", "Kode verifikasi email KIDB"]
    [code_row] = all_rows(rt, EmailCode)
    assert code_row.email == rina.email
    verification.verify(rt, rina.id, code_in(next(m for m in server.mailbox.received if "Kode" in m["Subject"])))
    assert participant_row(rt, RINA).email_verified_at is not None


def test_code_rules(mail):
    rt, server = mail
    unverified(rt, SITI)
    participant_id = participant_row(rt, SITI).id
    verification.send_code(rt, participant_id, "en")
    with pytest.raises(DomainError) as waited:
        verification.send_code(rt, participant_id)
    assert waited.value.key == "verify.resend_wait"
    runner.run_once(rt, server.transports(rt))
    [message] = server.mailbox.received
    assert message["Subject"] == "KIDB email verification code"
    code = code_in(message)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(AuthError) as error:
            verification.verify(rt, participant_id, wrong)
        assert error.value.params == {"left": left}
    with pytest.raises(AuthError) as error:
        verification.verify(rt, participant_id, wrong)
    assert error.value.key == "verify.too_many_attempts"
    with pytest.raises(AuthError):
        verification.verify(rt, participant_id, code)
    rt.clock.advance(seconds=61)
    verification.send_code(rt, participant_id)
    runner.run_once(rt, server.transports(rt))
    fresh = code_in(server.mailbox.received[-1])
    rt.clock.advance(minutes=11)
    with pytest.raises(AuthError) as error:
        verification.verify(rt, participant_id, fresh)
    assert error.value.key == "verify.no_live_code"
    assert participant_row(rt, SITI).email_verified_at is None


def test_requirement_is_verified_email_with_mail_else_well_formed(mail, demo_rt):
    rt, _ = mail
    unverified(rt, SITI)
    participant_id = participant_row(rt, SITI).id
    def keys(runtime):
        return {i.key: i.status for i in requirements.check(runtime, participant_id, "biaya_medis").items}
    assert keys(demo_rt)["email_valid"] == requirements.MET
    assert keys(rt)["email_verified"] == requirements.UNMET
    verified(rt, SITI)
    assert keys(rt)["email_verified"] == requirements.MET


def test_no_mail_server_says_so(demo_rt):
    with pytest.raises(DomainError) as error:
        verification.send_code(demo_rt, participant_row(demo_rt, SITI).id)
    assert error.value.key == "verify.no_mail"
    assert all_rows(demo_rt, EmailCode) == []


def test_a_dead_code_message_is_not_sent_again(mail):
    rt, server = mail
    unverified(rt, SITI)
    verification.send_code(rt, participant_row(rt, SITI).id)
    server.mailbox.refusing = True
    assert runner.run_once(rt, server.transports(rt)) == sender.Outcome(dead=1)
    [letter] = sender.dead_letters(rt)
    assert "code" not in outbox(rt)[0].params
    with pytest.raises(DomainError) as error:
        sender.retry(rt, officer(rt, ANI), letter.id)
    assert error.value.key == "outbox.code_not_resent"


def test_skip_locked_while_another_sender_holds_a_row(mail):
    rt, _ = mail
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: a second sender waits for the first's transaction")
    verified(rt, SITI)
    file_claim(rt, SITI)
    contact = contact_of(rt, SITI)
    profile.update_contact(rt, sign_in(rt, SITI), Contact("Jl. Baru 2", contact.postal_code, contact.phone,
                                                          contact.email))
    with rt.write() as first:
        [held] = first.exec(select(OutboxMessage).order_by(OutboxMessage.id).limit(1).with_for_update()).all()
        taken = sender.claim(rt, "other", ["email"])
    assert taken and held.id not in {row.id for row in taken}
