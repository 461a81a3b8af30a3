"""Reference data shipped in `data/`: claim types and banks, synced into their tables."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from kidb_tui.models import Bank, ClaimType
from kidb_tui.resources import data_dir
from kidb_tui.services.runtime import Runtime


@dataclass(frozen=True)
class ClaimTypeInfo:
    code: str
    name_id: str
    name_en: str
    max_share_pct: int
    min_membership_years: int
    min_age: int
    waiting_months: int
    one_time: bool
    full_balance: bool
    documents: tuple[str, ...]

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_id


@dataclass(frozen=True)
class BankInfo:
    code: str
    name: str
    account_length: int


def _load(name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((data_dir() / name).read_text(encoding="utf-8"))
    return rows


def _stored(session: Session, model: type[SQLModel]) -> list[dict[str, Any]]:
    return [row.model_dump() for row in session.exec(select(model))]


def sync_reference_data(rt: Runtime) -> None:
    """Upsert claim types and banks from the shipped JSON files (no write when nothing changed)."""
    types, banks_ = _load("claim_types.json"), _load("banks.json")
    with rt.read() as session:
        stored_types, stored_banks = _stored(session, ClaimType), _stored(session, Bank)
    if all(entry in stored_types for entry in types) and all(entry in stored_banks for entry in banks_):
        return
    with rt.write() as session:
        for entry in types:
            session.merge(ClaimType(**entry))
        for entry in banks_:
            session.merge(Bank(**entry))


def type_info(row: ClaimType) -> ClaimTypeInfo:
    return ClaimTypeInfo(
        row.code, row.name_id, row.name_en, row.max_share_pct, row.min_membership_years,
        row.min_age, row.waiting_months, row.one_time, row.full_balance, tuple(row.documents),
    )


def claim_types(rt: Runtime) -> list[ClaimTypeInfo]:
    with rt.read() as session:
        rows = session.exec(select(ClaimType).order_by(col(ClaimType.sort_order))).all()
        return [type_info(row) for row in rows]


def banks(rt: Runtime) -> list[BankInfo]:
    with rt.read() as session:
        rows = session.exec(select(Bank).order_by(col(Bank.name))).all()
        return [BankInfo(row.code, row.name, row.account_length) for row in rows]
