"""The review queue: counts, stage keys, branch and type filters, Enter opens, refresh on resume."""

from kidb_tui.backoffice.screens.detail import ClaimDetailScreen
from kidb_tui.backoffice.screens.queue import QueueScreen
from kidb_tui.services import review
from tests.backoffice.conftest import ANI, BAMBANG, claim_of, file_claim, officer
from tests.conftest import BUDI, SITI, settle


def _names(app) -> list[str]:
    return [item.participant_name for item in app.screen.items]


def _counts(app) -> str:
    return str(app.screen.query_one("#stage-counts").render())


async def test_counts_and_oldest_first(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        assert _names(app) == ["Budi Santoso", "Joko Susilo"]
        counts = _counts(app)
        assert "[0 Semua: 2]" in counts and "1 Agenda: 1" in counts and "6 Ditolak: 1" in counts


async def test_stage_keys_filter(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("1")
        assert _names(app) == ["Budi Santoso"]
        assert "[1 Agenda: 1]" in _counts(app)
        await pilot.press("6")
        assert _names(app) == ["Joko Susilo"]
        await pilot.press("2")
        assert _names(app) == []
        assert app.screen.query_one("#queue-empty").display
        await pilot.press("0")
        assert len(_names(app)) == 2


async def test_type_filter_with_keys(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f4", "enter", "down", "down", "enter")
        await pilot.pause()
        assert app.screen.query_one("#type_code").value == "biaya_pengobatan"
        assert _names(app) == ["Joko Susilo"]
        assert "1 Agenda: 0" in _counts(app)


async def test_branch_filter_with_keys(make_bo, demo_rt):
    file_claim(demo_rt, SITI, "biaya_medis", "1.000.000", branch="Bandung")
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert len(_names(app)) == 3
        await pilot.press("f3", "enter", "down", "enter")
        await pilot.pause()
        assert app.screen.query_one("#branch").value == "Bandung"
        assert _names(app) == ["Siti Rahayu"]
        assert "[0 Semua: 1]" in _counts(app)


async def test_enter_opens_the_highlighted_claim(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ClaimDetailScreen)
        assert app.screen.detail.participant_name == "Joko Susilo"


async def test_queue_refreshes_when_coming_back(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("1", "enter")
        await pilot.pause()
        claim = claim_of(demo_rt, BUDI.nib)
        review.assess(demo_rt, officer(demo_rt, BAMBANG), claim.id, claim.version, "4.500.000", True)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert _names(app) == []
        assert "2 Penetapan: 1" in _counts(app)


async def test_english_labels(make_bo):
    app = make_bo(signed_in=ANI, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "1 Received: 1" in _counts(app)
        await pilot.press("f2")
        await pilot.pause()
        assert "1 Agenda: 1" in _counts(app)
        assert _names(app) == ["Budi Santoso", "Joko Susilo"]
