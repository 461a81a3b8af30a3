"""A claim reason written over several lines (the kiosk's reason area, issue 11) is shown in the
claim detail line by line, each under the other in the value column, markup as written."""

from sqlmodel import select

from kidb_tui.models import Claim, Participant
from tests import ui
from tests.backoffice.conftest import ANI
from tests.conftest import BUDI

REASON = "Rawat [b]inap[/b]\n[@click=app.quit]x[/]"


async def test_detail_shows_each_line_of_the_reason(make_bo, demo_rt):
    with demo_rt.write() as session:
        budi = session.exec(select(Participant).where(Participant.nib == BUDI.nib)).one()
        claim = session.exec(select(Claim).where(Claim.participant_id == budi.id)).one()
        claim.reason = REASON
        session.add(claim)
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 60)) as pilot:
        await ui.keys(pilot, "enter")
        assert ui.at(app, "bo.detail.title")
        rows = ui.lines(app)
        first = next(index for index, row in enumerate(rows) if row.rstrip().endswith("Rawat [b]inap[/b]"))
        column = rows[first].index("Rawat")
        assert rows[first + 1][column:].rstrip() == "[@click=app.quit]x[/]", "\n".join(rows)
        assert rows[first + 1][:column].strip() == ""
