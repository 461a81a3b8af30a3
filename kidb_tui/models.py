"""SQLModel tables. Money is integer rupiah; times are UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Table, UniqueConstraint, text
from sqlmodel import AutoString, Field, SQLModel


def table(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for statements written without the ORM (SQLModel sets
    `__table__` on each table class without declaring it)."""
    found: Table = model.__table__  # type: ignore[attr-defined]
    return found


def stored_id(row_id: int | None) -> int:
    """The id of a row the database has given one (SQLModel types every id as optional, for
    rows not yet flushed)."""
    if row_id is None:
        raise ValueError("the row has no id yet: flush it first")
    return row_id


def _utc_column(nullable: bool = False) -> Column[Any]:
    return Column(DateTime(timezone=True), nullable=nullable)


def _money_column() -> Column[Any]:
    return Column(BigInteger, nullable=False, default=0)


class Participant(SQLModel, table=True):
    __tablename__ = "participant"

    id: int | None = Field(default=None, primary_key=True)
    nib: str = Field(max_length=11, unique=True, index=True)
    nik: str = Field(max_length=16, unique=True, index=True)
    full_name: str = Field(max_length=120)
    birth_date: date
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=20)
    address: str = Field(default="", max_length=300)
    postal_code: str = Field(default="", max_length=5)
    balance: int = Field(sa_column=_money_column())
    reserved: int = Field(sa_column=_money_column())
    membership_status: str = Field(default="active", max_length=10)
    card_status: str = Field(default="active", max_length=10)
    membership_start: date
    employment_end: date | None = None
    contact_confirmed_at: datetime | None = Field(default=None, sa_column=_utc_column(True))
    email_verified_at: datetime | None = Field(default=None, sa_column=_utc_column(True))
    language: str = Field(default="id", sa_column=Column(AutoString(2), nullable=False, server_default="id"))
    created_at: datetime = Field(sa_column=_utc_column())
    updated_at: datetime = Field(sa_column=_utc_column())


class KioskAccount(SQLModel, table=True):
    __tablename__ = "kiosk_account"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", unique=True)
    secret_hash: str = Field(max_length=255)
    secret_kind: str = Field(max_length=10)
    status: str = Field(default="active", max_length=10)
    created_at: datetime = Field(sa_column=_utc_column())
    secret_changed_at: datetime = Field(sa_column=_utc_column())
    last_login_at: datetime | None = Field(default=None, sa_column=_utc_column(True))


class LoginThrottle(SQLModel, table=True):
    """Consecutive failures per key: a typed NIB (whether or not such a participant exists),
    `act:NIB`, `officer:NAME` of an existing officer, or a terminal."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=80)
    failures: int = 0
    last_failure_at: datetime | None = Field(default=None, sa_column=_utc_column(True))
    locked_until: datetime | None = Field(default=None, sa_column=_utc_column(True))


class ClaimType(SQLModel, table=True):
    __tablename__ = "claim_type"

    code: str = Field(primary_key=True, max_length=30)
    name_id: str = Field(max_length=80)
    name_en: str = Field(max_length=80)
    max_share_pct: int
    min_membership_years: int = 0
    min_age: int = 0
    waiting_months: int = 0
    one_time: bool = False
    one_time_group: str = Field(default="", max_length=30)
    full_balance: bool = False
    requires_employment_end: bool = False
    documents: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sort_order: int = 0


class Bank(SQLModel, table=True):
    __tablename__ = "bank"

    code: str = Field(primary_key=True, max_length=3)
    name: str = Field(max_length=60)
    account_length: int


class Claim(SQLModel, table=True):
    __tablename__ = "claim"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_claim_idempotency_key"),
        # The back office's queue, oldest first: a page is read in index order (migration 0008).
        Index("ix_claim_created", "created_at", "id"),
        Index("ix_claim_stage_created", "stage", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str | None = Field(default=None, max_length=20, unique=True)
    idempotency_key: str = Field(max_length=64)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    claim_type_code: str = Field(foreign_key="claim_type.code", max_length=30)
    amount: int = Field(sa_column=_money_column())
    bank_code: str = Field(foreign_key="bank.code", max_length=3)
    account_number: str = Field(max_length=20)
    account_holder: str = Field(max_length=120)
    reason: str = Field(max_length=500)
    documents: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stage: str = Field(default="agenda", max_length=12)
    rejection_reason: str = Field(default="", max_length=500)
    rejection_code: str = Field(default="", max_length=40)
    approved_amount: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    paid_amount: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    payment_reference: str = Field(default="", max_length=60)
    documents_seen: bool = False
    assessed_by: str = Field(default="", max_length=60)
    approved_by: str = Field(default="", max_length=60)
    terminal_id: str = Field(default="", max_length=40)
    branch: str = Field(default="", max_length=80)
    version: int = 1
    created_at: datetime = Field(sa_column=_utc_column())
    updated_at: datetime = Field(sa_column=_utc_column())


class ClaimEvent(SQLModel, table=True):
    """One row per stage a claim entered: the participant's timeline."""

    __tablename__ = "claim_event"

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    stage: str = Field(max_length=12)
    note: str = Field(default="", max_length=500)
    actor: str = Field(max_length=60)
    at: datetime = Field(sa_column=_utc_column())


class Notification(SQLModel, table=True):
    """A message to a participant, stored as a translation key plus parameters."""

    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    kind: str = Field(max_length=40)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=_utc_column())
    read_at: datetime | None = Field(default=None, sa_column=_utc_column(True))


class AuditEvent(SQLModel, table=True):
    """Who did what to whom; details are masked (no secrets, NIKs or account numbers).

    Tamper-evident: the writer signs the content with `entry_mac`, an HMAC-SHA256 keyed with the
    audit key kept outside the database, over the content and a random `nonce`; a sealer later
    gives the row its place `seq` in the chain and `row_hash`, an HMAC over every column of the
    row and `prev_hash`, the hash of the row sealed before it (services/audit_seal.py).
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        UniqueConstraint("seq", name="uq_audit_event_seq"),
        UniqueConstraint("nonce", name="uq_audit_event_nonce"),
        # Partial on both databases; PostgreSQL's `WHERE` is in migration 0006 only, so that a
        # SQLite run never loads the PostgreSQL dialect to check a `postgresql_where` argument.
        Index("ix_audit_event_unsealed", "id", sqlite_where=text("seq IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_utc_column())
    actor: str = Field(max_length=60)
    action: str = Field(max_length=60, index=True)
    subject: str = Field(default="", max_length=60)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    terminal_id: str = Field(default="", max_length=40)
    branch: str = Field(default="", max_length=80)
    prev_hash: str = Field(default="", max_length=64)
    row_hash: str = Field(default="", max_length=64)
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    nonce: str = Field(max_length=32)
    entry_mac: str = Field(max_length=64)


class AuditSeal(SQLModel, table=True):
    """One batch of audit rows chained by a sealer: positions `first_seq`..`last_seq`, and the
    chain's hash after it."""

    __tablename__ = "audit_seal"
    __table_args__ = (UniqueConstraint("first_seq", name="uq_audit_seal_first_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    first_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    head_hash: str = Field(max_length=64)
    sealed_at: datetime = Field(sa_column=_utc_column())
    sealer: str = Field(default="", max_length=80)


class Officer(SQLModel, table=True):
    """A branch officer of the back office; `role` is officer or supervisor."""

    __tablename__ = "officer"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(default="officer", max_length=12)
    branch: str = Field(default="", max_length=80)
    status: str = Field(default="active", max_length=10)
    created_at: datetime = Field(sa_column=_utc_column())
    last_login_at: datetime | None = Field(default=None, sa_column=_utc_column(True))


class ResetCode(SQLModel, table=True):
    """A one-time code an officer issues so a participant can choose a new PIN (stored hashed)."""

    __tablename__ = "reset_code"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    code_hash: str = Field(max_length=255)
    issued_by: str = Field(max_length=40)
    created_at: datetime = Field(sa_column=_utc_column())
    expires_at: datetime = Field(sa_column=_utc_column())
    used_at: datetime | None = Field(default=None, sa_column=_utc_column(True))


class ExportBatch(SQLModel, table=True):
    """One `kidb claims export`: the stage, when, who, how many claims and their sums (the
    control line of its file)."""

    __tablename__ = "export_batch"

    id: int | None = Field(default=None, primary_key=True)
    stage: str = Field(max_length=12)
    created_at: datetime = Field(sa_column=_utc_column())
    actor: str = Field(max_length=60)
    row_count: int
    amount_total: int = Field(sa_column=_money_column())
    approved_total: int = Field(sa_column=_money_column())


class ClaimExport(SQLModel, table=True):
    """A claim written in an export batch: once per stage, so a second export of a stage leaves
    it out (`--again BATCH` writes a batch again)."""

    __tablename__ = "claim_export"
    __table_args__ = (UniqueConstraint("claim_id", "stage", name="uq_claim_export_claim_stage"),)

    batch_id: int = Field(foreign_key="export_batch.id", primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", primary_key=True)
    stage: str = Field(max_length=12)


class OutboxMessage(SQLModel, table=True):
    """A message to send, written in the transaction of the change it reports (kind + params,
    rendered in `language` when sent). `status`: pending, sent or dead (a dead letter after too
    many tries). A sender claims a row by setting `claimed_by` until `claimed_until`."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    channel: str = Field(max_length=10)
    recipient: str = Field(max_length=254)
    language: str = Field(default="id", max_length=2)
    kind: str = Field(max_length=40)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    message_id: str = Field(max_length=120, unique=True)
    status: str = Field(default="pending", max_length=8, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=_utc_column())
    claimed_by: str = Field(default="", max_length=80)
    claimed_until: datetime | None = Field(default=None, sa_column=_utc_column(True))
    last_error: str = Field(default="", max_length=300)
    created_at: datetime = Field(sa_column=_utc_column())
    sent_at: datetime | None = Field(default=None, sa_column=_utc_column(True))


class EmailCode(SQLModel, table=True):
    """A 6-digit code sent to `email` to prove it is the participant's (stored as an HMAC)."""

    __tablename__ = "email_code"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    email: str = Field(max_length=254)
    code_hash: str = Field(max_length=64)
    attempts: int = 0
    created_at: datetime = Field(sa_column=_utc_column())
    expires_at: datetime = Field(sa_column=_utc_column())
    used_at: datetime | None = Field(default=None, sa_column=_utc_column(True))
