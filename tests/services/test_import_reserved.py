"""Re-importing a participant may not lower the balance below what open claims reserve."""

from sqlmodel import select

from kidb_tui.models import Participant
from kidb_tui.services import participants
from kidb_tui.services.demo import demo_csv
from tests.conftest import BUDI


def test_balance_below_reserved_is_refused_and_nothing_changes(demo_rt):
    text = demo_csv(demo_rt.now().date()).replace(",42000000,", ",1000000,")
    report = participants.import_text(demo_rt, text)
    assert [str(error) for error in report.errors] == ["line 3: balance: below_amount_reserved_by_open_claims"]
    assert (report.created, report.updated) == (0, 0)
    with demo_rt.read() as session:
        budi = session.exec(select(Participant).where(Participant.nib == BUDI.nib)).one()
    assert budi.balance == 42_000_000
