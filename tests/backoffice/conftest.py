"""Back-office fixtures: the officer app on the demo database, officers signed in, claim helpers."""

from __future__ import annotations

import pytest
from sqlmodel import select

from kidb_tui.backoffice.app import BackofficeApp
from kidb_tui.models import Claim, Notification, Participant
from kidb_tui.services import officers, review
from kidb_tui.services.officers import OfficerIdentity
from kidb_tui.terminal_app import SIGNED_IN
from tests.conftest import BUDI

ANI = ("ani.petugas", "Kantor-Cabang-Jkt-77")
BAMBANG = ("bambang.supervisor", "Supervisor-Jkt-2026!")


def officer(rt, who: tuple[str, str]) -> OfficerIdentity:
    result = officers.login(rt, *who)
    assert result.officer is not None, result.error_key
    return result.officer


class SignedInApp(BackofficeApp):
    """The back office with an officer already signed in: it starts in the signed-in mode."""

    DEFAULT_MODE = SIGNED_IN

    def __init__(self, rt, language: str, officer_identity: OfficerIdentity) -> None:
        super().__init__(rt, language)
        self.accept(officer_identity)
        self.timer.start(rt.now())


@pytest.fixture
def make_bo(demo_rt):
    """`make_bo()` starts at the officer login; `make_bo(signed_in=ANI)` starts at the queue."""

    def build(signed_in: tuple[str, str] | None = None, language: str = "id") -> BackofficeApp:
        if signed_in is None:
            return BackofficeApp(demo_rt, language)
        return SignedInApp(demo_rt, language, officer(demo_rt, signed_in))

    return build


def claim_of(rt, nib: str = BUDI.nib) -> Claim:
    """The participant's first claim, as stored now."""
    with rt.read() as session:
        participant = session.exec(select(Participant).where(Participant.nib == nib)).one()
        return session.exec(select(Claim).where(Claim.participant_id == participant.id).order_by(Claim.id)).first()


def participant_of(rt, nib: str = BUDI.nib) -> Participant:
    with rt.read() as session:
        return session.exec(select(Participant).where(Participant.nib == nib)).one()


def notification_kinds(rt, nib: str = BUDI.nib) -> list[str]:
    with rt.read() as session:
        participant = session.exec(select(Participant).where(Participant.nib == nib)).one()
        rows = session.exec(select(Notification).where(Notification.participant_id == participant.id).order_by(Notification.id))
        return [row.kind for row in rows]


def advance(rt, stage: str, assessor: tuple[str, str] = ANI, approver: tuple[str, str] = BAMBANG) -> Claim:
    """Move Budi's claim from agenda up to `stage` with direct service calls."""
    steps = ["penetapan", "persetujuan", "pembayaran", "selesai"]
    for step in steps[: steps.index(stage) + 1]:
        claim = claim_of(rt)
        if step == "penetapan":
            review.assess(rt, officer(rt, assessor), claim.id, claim.version, "4.000.000", True,
                          difference_reason="Satu kuitansi tidak dapat diganti.")
        elif step == "persetujuan":
            review.approve(rt, officer(rt, approver), claim.id, claim.version)
        elif step == "pembayaran":
            review.record_payment(rt, officer(rt, approver), claim.id, claim.version, "TRF-2026-0001")
        else:
            review.close(rt, officer(rt, approver), claim.id, claim.version)
    return claim_of(rt)


def status_text(app) -> str:
    return str(app.screen.query_one("#status-line").render())


def field_error(app, name: str) -> str:
    return str(app.screen.query_one(f"#field-{name} .field-error").render())


def screen_text(app) -> str:
    """Every Static on the active screen as plain text, one per line."""
    return "\n".join(str(widget.render()) for widget in app.screen.query("Static"))


def file_claim(rt, person, type_code: str, amount: str, branch: str = "") -> None:
    """A claim filed the way the kiosk files it, at the given branch."""
    from kidb_tui.services import reference
    from kidb_tui.services.claims import ClaimDraft, submit_claim
    from kidb_tui.services.profile import get_profile
    from tests.conftest import sign_in

    rt.settings = rt.settings.with_(branch=branch)
    identity = sign_in(rt, person)
    contact = get_profile(rt, identity.participant_id).contact
    documents = next(info.documents for info in reference.claim_types(rt) if info.code == type_code)
    draft = ClaimDraft(type_code, amount, "014", "1234567890", person.name, "Biaya rawat jalan", documents)
    submit_claim(rt, identity, draft, contact, person.secret, f"test-{person.nib}-{type_code}")
    rt.settings = rt.settings.with_(branch="")
