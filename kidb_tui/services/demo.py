"""The demo database behind `kidb demo`: six participants, one per case worth showing, and
two back-office officers.

Dates are set relative to today so that waiting periods and the 6-month contact rule
show the same way whenever the demo is started.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, select

from kidb_tui.models import Claim, KioskAccount, Participant, stored_id
from kidb_tui.services import auth, participants, review
from kidb_tui.services.claims import ClaimDraft, submit_claim
from kidb_tui.services.officers import OfficerIdentity, add_officer
from kidb_tui.services.profile import get_profile
from kidb_tui.services.reference import claim_types
from kidb_tui.services.runtime import Runtime


@dataclass(frozen=True)
class DemoPerson:
    nib: str
    nik: str
    name: str
    birth_date: date
    secret_kind: str
    secret: str
    case: str


PEOPLE = (
    DemoPerson("26010000001", "3171016204850003", "Siti Rahayu", date(1985, 4, 22), "pin", "258147",
               "meets every requirement: file any claim end to end"),
    DemoPerson("26010000002", "3273011708780002", "Budi Santoso", date(1978, 8, 17), "password", "Kopi-Tubruk-2026",
               "password login; an open medical claim, unread notifications, contact data older than 6 months"),
    DemoPerson("26010000003", "3578014301900004", "Dewi Lestari", date(1990, 1, 3), "pin", "135792",
               "card blocked: explained only after a correct PIN"),
    DemoPerson("26010000004", "3174020909930005", "Agus Wijaya", date(1993, 9, 9), "pin", "975318",
               "resigned 10 days ago: JHT waiting period with the date it ends; partial JHT not yet"),
    DemoPerson("26010000005", "3201015512950006", "Rina Marlina", date(1995, 12, 15), "", "",
               "no kiosk account yet: activate with NIB + NIK + birth date 15-12-1995"),
    DemoPerson("26010000006", "3374012506700007", "Joko Susilo", date(1970, 6, 25), "pin", "736251",
               "an earlier claim rejected with the reason to act on"),
)


OFFICERS = (
    ("ani.petugas", "Kantor-Cabang-Jkt-77", "officer", "Jakarta Pusat"),
    ("bambang.supervisor", "Supervisor-Jkt-2026!", "supervisor", "Jakarta Pusat"),
)


def _rows(today: date) -> list[dict[str, str]]:
    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    extra = {
        "26010000001": ("siti.rahayu@example.co.id", "081234567801", "Jl. Merdeka No. 10, Jakarta Pusat", "10110",
                        "85000000", "inactive", "active", "2012-03-01", ago(120)),
        "26010000002": ("budi.santoso@example.co.id", "081234567802", "Jl. Asia Afrika No. 8, Bandung", "40111",
                        "42000000", "active", "active", "2010-07-01", ""),
        "26010000003": ("dewi.lestari@example.co.id", "081234567803", "Jl. Pemuda No. 3, Surabaya", "60271",
                        "15000000", "active", "blocked", "2016-01-01", ""),
        "26010000004": ("agus.wijaya@example.co.id", "081234567804", "Jl. Sudirman No. 45, Jakarta Selatan", "12190",
                        "9000000", "inactive", "active", "2023-02-01", ago(10)),
        "26010000005": ("rina.marlina@example.co.id", "081234567805", "Jl. Pajajaran No. 1, Bogor", "16143",
                        "6500000", "active", "active", "2019-05-01", ""),
        "26010000006": ("joko.susilo@example.co.id", "081234567806", "Jl. Pandanaran No. 12, Semarang", "50134",
                        "30000000", "active", "active", "2008-09-01", ""),
    }
    rows = []
    for person in PEOPLE:
        email, phone, address, postal, balance, membership, card, start, end = extra[person.nib]
        rows.append({
            "nib": person.nib, "nik": person.nik, "full_name": person.name,
            "birth_date": person.birth_date.isoformat(), "email": email, "phone": phone, "address": address,
            "postal_code": postal, "balance": balance, "membership_status": membership, "card_status": card,
            "membership_start": start, "employment_end": end,
        })
    return rows


def demo_csv(today: date) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*participants.HEADER, "employment_end"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(_rows(today))
    return buffer.getvalue()


def _set_card_status(rt: Runtime, nib: str, status: str) -> str:
    """Set the card status directly (demo set-up only); returns the one it replaced."""
    with rt.write() as session:
        participant = _participant(session, nib)
        before, participant.card_status = participant.card_status, status
        session.add(participant)
        return before


def _create_account(rt: Runtime, person: DemoPerson) -> None:
    """Activate as at the kiosk. Activation refuses a blocked card, so a card imported blocked
    gets its account first and its block back afterwards."""
    imported = _set_card_status(rt, person.nib, "active")
    auth.activate(rt, person.nib, person.nik, person.birth_date.strftime("%d-%m-%Y"),
                  person.secret_kind, person.secret, person.secret)
    _set_card_status(rt, person.nib, imported)


def _participant(session: Session, nib: str) -> Participant:
    return session.exec(select(Participant).where(Participant.nib == nib)).one()


def _confirm_contacts(rt: Runtime, days_ago: dict[str, int]) -> None:
    with rt.write() as session:
        for person in PEOPLE:
            participant = _participant(session, person.nib)
            participant.contact_confirmed_at = rt.now() - timedelta(days=days_ago.get(person.nib, 30))
            if person.secret_kind:
                participant.email_verified_at = participant.contact_confirmed_at
            session.add(participant)


def _identity(rt: Runtime, nib: str) -> auth.Identity:
    with rt.read() as session:
        row = _participant(session, nib)
        account = session.exec(select(KioskAccount).where(KioskAccount.participant_id == row.id)).one()
        return auth.Identity(stored_id(row.id), stored_id(account.id), nib, row.full_name)


def _file(rt: Runtime, person: DemoPerson, type_code: str, amount: str, key: str) -> None:
    identity = _identity(rt, person.nib)
    contact = get_profile(rt, identity.participant_id).contact
    documents = next(t.documents for t in claim_types(rt) if t.code == type_code)
    draft = ClaimDraft(type_code, amount, "014", "1234567890", person.name, "Biaya rawat inap", documents)
    submit_claim(rt, identity, draft, contact, person.secret, key)


def _reject_first_claim(rt: Runtime, officer: OfficerIdentity, nib: str) -> None:
    with rt.read() as session:
        participant = _participant(session, nib)
        claim = session.exec(select(Claim).where(Claim.participant_id == participant.id)).first()
    assert claim is not None, "the demo gives this participant a claim first"
    note = "Nama di buku tabungan berbeda dengan nama peserta: ajukan lagi dengan rekening atas nama sendiri."
    review.reject(rt, officer, stored_id(claim.id), claim.version, "holder_name_mismatch", note)


def seed(rt: Runtime) -> None:
    """Fill an empty, migrated database with the demo participants, accounts and claims."""
    report = participants.import_text(rt, demo_csv(rt.today()), actor="demo")
    if not report.ok:
        raise RuntimeError("; ".join(str(error) for error in report.errors))
    for person in PEOPLE:
        if person.secret:
            _create_account(rt, person)
    _confirm_contacts(rt, {"26010000002": 400})
    budi, joko = PEOPLE[1], PEOPLE[5]
    _file(rt, budi, "biaya_medis", "4.500.000", "demo-budi-medis")
    _confirm_contacts(rt, {"26010000002": 400})
    _file(rt, joko, "biaya_pengobatan", "2.000.000", "demo-joko-pengobatan")
    officer, _ = (add_officer(rt, *entry, actor="demo") for entry in OFFICERS)
    _reject_first_claim(rt, officer, joko.nib)
