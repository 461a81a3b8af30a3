"""The same service code on a real PostgreSQL server: migrations, demo, login, claims, concurrency."""

from concurrent.futures import ThreadPoolExecutor

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func
from sqlmodel import SQLModel, select

from kidb_tui.errors import DomainError
from kidb_tui.models import Claim, Participant
from kidb_tui.services import claims, demo, profile
from kidb_tui.services.claims import ClaimDraft
from kidb_tui.services.reference import claim_types
from tests.conftest import SITI, sign_in

MEDIS_DOCS = ("ktp", "kartu_peserta", "buku_tabungan", "kuitansi_rs", "surat_dokter")


def _draft(amount: str) -> ClaimDraft:
    return ClaimDraft("biaya_medis", amount, "014", "1234567890", SITI.name, "Rawat inap", MEDIS_DOCS)


def test_migrated_schema_matches_models(pg_rt):
    with pg_rt.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_submit_claim_reserves_and_is_idempotent(pg_rt):
    demo.seed(pg_rt)
    identity = sign_in(pg_rt, SITI)
    contact = profile.get_profile(pg_rt, identity.participant_id).contact
    first = claims.submit_claim(pg_rt, identity, _draft("1.000.000"), contact, SITI.secret, "pg-key-1")
    again = claims.submit_claim(pg_rt, identity, _draft("1.000.000"), contact, SITI.secret, "pg-key-1")
    assert first.reference == again.reference
    with pg_rt.read() as session:
        assert session.exec(select(func.count()).select_from(Claim).where(Claim.idempotency_key == "pg-key-1")).one() == 1
        assert session.get(Participant, identity.participant_id).reserved == 1_000_000


def test_concurrent_claims_never_exceed_the_balance(pg_rt):
    demo.seed(pg_rt)
    identity = sign_in(pg_rt, SITI)
    contact = profile.get_profile(pg_rt, identity.participant_id).contact
    documents = {info.code: info.documents for info in claim_types(pg_rt)}
    plans = [("jht_mengundurkan_diri", "85.000.000"), ("biaya_medis", "25.000.000"), ("biaya_pengobatan", "25.000.000")] * 2

    def attempt(index: int):
        code, amount = plans[index]
        draft = ClaimDraft(code, amount, "014", "1234567890", SITI.name, "Rawat inap", documents[code])
        try:
            return claims.submit_claim(pg_rt, identity, draft, contact, SITI.secret, f"race-{index}")
        except DomainError:
            return None

    with ThreadPoolExecutor(max_workers=6) as pool:
        made = [receipt for receipt in pool.map(attempt, range(len(plans))) if receipt is not None]
    with pg_rt.read() as session:
        participant = session.get(Participant, identity.participant_id)
        rows = session.exec(select(Claim).where(Claim.participant_id == participant.id)).all()
    assert made
    assert participant.reserved <= participant.balance
    assert participant.reserved == sum(row.amount for row in rows)
    assert sorted(row.reference for row in rows) == sorted(receipt.reference for receipt in made)
