"""The steps of Daftar Pencairan as a participant takes them with the keyboard, from the menu,
and the database rows the flow tests check. Shared by the flow, bad-input, snapshot and fuzz tests."""

from __future__ import annotations

from sqlmodel import func, select

from kidb_tui.models import Claim, Participant
from kidb_tui.services import reference
from tests import ui
from tests.conftest import settle

MEDIS_DOCUMENTS = ("ktp", "kartu_peserta", "buku_tabungan", "kuitansi_rs", "surat_dokter")
TYPE_INDEX = {"biaya_medis": 0, "biaya_pengobatan": 1, "jht_habis_kontrak": 4, "jht_mengundurkan_diri": 5,
              "jht_sebagian_10": 10}
LABEL = {name: ui.t(f"field.{name}") for name in (
    "amount", "bank", "account_number", "account_holder", "reason", "documents",
    "address", "postal_code", "phone", "email", "secret")}


def participant(rt, person) -> Participant:
    with rt.read() as session:
        return session.exec(select(Participant).where(Participant.nib == person.nib)).one()


def claims_of(rt, person) -> list[Claim]:
    with rt.read() as session:
        row = session.exec(select(Participant).where(Participant.nib == person.nib)).one()
        return list(session.exec(select(Claim).where(Claim.participant_id == row.id)).all())


def claim_count(rt) -> int:
    with rt.read() as session:
        return session.exec(select(func.count()).select_from(Claim)).one()


async def open_requirements(pilot, type_code: str = "biaya_medis") -> None:
    """From the menu: "1", arrow down to the type, Enter."""
    await ui.keys(pilot, "1")
    assert ui.at(pilot.app, "claim.type_title"), ui.text(pilot.app)
    await ui.keys(pilot, *["down"] * TYPE_INDEX[type_code], "enter")
    assert ui.at(pilot.app, "claim.req_title"), ui.text(pilot.app)


async def open_form(pilot, type_code: str = "biaya_medis") -> None:
    await open_requirements(pilot, type_code)
    await ui.keys(pilot, "enter")
    assert ui.at(pilot.app, "claim.form_title"), ui.text(pilot.app)


def documents_of(rt, type_code: str) -> tuple[str, ...]:
    return next(info.documents for info in reference.claim_types(rt) if info.code == type_code)


async def type_form(pilot, amount: str = "5.000.000", account: str = "1234567890", holder: str = "Siti Rahayu",
                    reason: str = "Biaya rawat inap anak", documents: int = len(MEDIS_DOCUMENTS)) -> None:
    """Fill the open claim form with keys only: Enter moves on, the bank list opens with Enter."""
    await ui.keys(pilot, *amount, "enter")
    await ui.keys(pilot, "enter", "down", "enter")
    await ui.keys(pilot, *account, "enter")
    await ui.keys(pilot, "ctrl+u", *holder, "enter")
    await ui.keys(pilot, *reason, "enter")
    for index in range(documents):
        await ui.keys(pilot, "space", *(["tab"] if index < documents - 1 else []))


async def fill_form(pilot, type_code: str = "biaya_medis", **changes: object) -> None:
    """Fill the open claim form field by field, found by their labels; `changes` override
    the values (`bank=""` leaves the bank unchosen, `documents=False` leaves the boxes empty,
    `amount=None` for a type that shows its amount instead of asking, `reason=None` keeps what
    is typed there)."""
    values = {"amount": "5.000.000", "bank": "BCA", "account_number": "1234567890",
              "account_holder": "Siti Rahayu", "reason": "Biaya rawat inap anak", "documents": True, **changes}
    if values["amount"] is not None:
        await ui.put(pilot, LABEL["amount"], str(values["amount"]))
    if values["bank"]:
        await ui.focus_field(pilot, LABEL["bank"])
        await ui.keys(pilot, "enter")
        await ui.keys(pilot, *values["bank"])
        await ui.keys(pilot, "enter")
    for name in ("account_number", "account_holder", "reason"):
        if values[name] is not None:
            await ui.put(pilot, LABEL[name], str(values[name]))
    if values["documents"]:
        await ui.focus_field(pilot, LABEL["documents"])
        count = len(documents_of(pilot.app.rt, type_code))
        for index in range(count):
            await ui.keys(pilot, "space", *(["tab"] if index < count - 1 else []))


async def to_personal_data(pilot, type_code: str = "biaya_medis", **form: object) -> None:
    await open_form(pilot, type_code)
    await fill_form(pilot, type_code, **form)
    await ui.keys(pilot, "f5")
    assert ui.at(pilot.app, "claim.personal_title"), ui.status(pilot.app)


async def to_confirm(pilot, type_code: str = "biaya_medis", **form: object) -> None:
    await to_personal_data(pilot, type_code, **form)
    await ui.keys(pilot, "f5")
    assert ui.at(pilot.app, "claim.confirm_title"), ui.status(pilot.app)


async def save(pilot, secret: str) -> None:
    await ui.keys(pilot, *secret, "enter")
    await settle(pilot)
