"""Text that came from participants, terminals and imports is drawn exactly as written in the
back office (queue, claim detail, counter help): square brackets are text, never markup.
Checked on the rendered screen."""

from sqlmodel import select

from kidb_tui.models import Claim, Participant
from tests import ui
from tests.backoffice.conftest import ANI
from tests.conftest import BUDI

NAME = "Budi [b]Santoso[/b]"
HOLDER = "Budi [red]Santoso[/red]"
REASON = "Rawat [i]inap[/i] [@click=app.quit]x[/]"
BRANCH = "[b]JK"
TALL = (80, 60)


def _mark_up_budi(rt) -> None:
    with rt.write() as session:
        budi = session.exec(select(Participant).where(Participant.nib == BUDI.nib)).one()
        budi.full_name = NAME
        session.add(budi)
        claim = session.exec(select(Claim).where(Claim.participant_id == budi.id)).one()
        claim.account_holder, claim.reason, claim.branch = HOLDER, REASON, BRANCH
        session.add(claim)


async def test_queue_shows_name_and_branch_as_written(make_bo, demo_rt):
    _mark_up_budi(demo_rt)
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(100, 24)) as pilot:
        await ui.settle(pilot)
        assert ui.at(app, "bo.queue.title")
        assert ui.shows(app, "Budi [b]Sa")
        assert ui.shows(app, BRANCH)


async def test_detail_shows_name_holder_and_reason_as_written(make_bo, demo_rt):
    _mark_up_budi(demo_rt)
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=TALL) as pilot:
        await ui.keys(pilot, "enter")
        assert ui.at(app, "bo.detail.title")
        assert ui.shows(app, NAME, HOLDER, REASON, BRANCH)
    assert app.return_code in (0, None)


async def test_counter_shows_the_looked_up_name_as_written(make_bo, demo_rt):
    _mark_up_budi(demo_rt)
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=TALL) as pilot:
        await ui.keys(pilot, "f5")
        assert ui.at(app, "bo.counter.title")
        await ui.keys(pilot, *BUDI.nib)
        assert ui.shows(app, NAME)
