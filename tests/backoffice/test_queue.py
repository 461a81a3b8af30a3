"""The review queue: counts, stage keys, branch and type filters, Enter opens, refresh on resume,
pages of claims; read back from the screen."""

from kidb_tui.backoffice.screens.queue import QueueScreen
from kidb_tui.services import review
from tests import ui
from tests.backoffice.conftest import ANI, BAMBANG, claim_of, file_claim, officer
from tests.conftest import BUDI, DEMO, SITI

NAMES = tuple(person.name for person in DEMO.values())


def _names(app) -> list[str]:
    """The participants of the claims the table shows, top to bottom."""
    return [name for row in ui.lines(app) if row.strip().startswith("KIDB-") for name in NAMES if name in row]


def _counts(app) -> str:
    return ui.flat(app)


def _filters(app) -> str:
    return ui.row_after(app, ui.t("bo.queue.branch"))


async def test_counts_and_oldest_first(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert ui.at(app, "bo.queue.title")
        assert _names(app) == ["Budi Santoso", "Joko Susilo"]
        counts = _counts(app)
        assert "[0 Semua: 2]" in counts and "1 Agenda: 1" in counts and "6 Ditolak: 1" in counts


async def test_stage_keys_filter(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "1")
        assert _names(app) == ["Budi Santoso"]
        assert "[1 Agenda: 1]" in _counts(app)
        await ui.keys(pilot, "6")
        assert _names(app) == ["Joko Susilo"]
        await ui.keys(pilot, "2")
        assert _names(app) == []
        assert ui.shows(app, ui.t("bo.queue.empty"))
        await ui.keys(pilot, "0")
        assert len(_names(app)) == 2
        assert not ui.shows(app, ui.t("bo.queue.empty"))


async def test_type_filter_with_keys(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "f4", "enter", "down", "down", "enter")
        assert ui.t("bo.type.biaya_pengobatan") in _filters(app)
        assert _names(app) == ["Joko Susilo"]
        assert "1 Agenda: 0" in _counts(app)


async def test_branch_filter_with_keys(make_bo, demo_rt):
    file_claim(demo_rt, SITI, "biaya_medis", "1.000.000", branch="Bandung")
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert len(_names(app)) == 3
        await ui.keys(pilot, "f3", "enter", "down", "enter")
        assert "Bandung" in _filters(app)
        assert _names(app) == ["Siti Rahayu"]
        assert "[0 Semua: 1]" in _counts(app)


async def test_enter_opens_the_highlighted_claim(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "down", "enter")
        assert ui.at(app, "bo.detail.title")
        assert ui.shows(app, "Joko Susilo")


async def test_queue_refreshes_when_coming_back(make_bo, demo_rt):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "1", "enter")
        claim = claim_of(demo_rt, BUDI.nib)
        review.assess(demo_rt, officer(demo_rt, BAMBANG), claim.id, claim.version, "4.500.000", True)
        await ui.keys(pilot, "escape")
        assert ui.at(app, "bo.queue.title")
        assert _names(app) == []
        assert "2 Penetapan: 1" in _counts(app)


async def test_english_labels(make_bo):
    app = make_bo(signed_in=ANI, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert "1 Received: 1" in _counts(app)
        await ui.keys(pilot, "f2")
        assert "1 Agenda: 1" in _counts(app)
        assert _names(app) == ["Budi Santoso", "Joko Susilo"]


ONE_ROW = (80, 9)
"""A window with room for one claim under the queue's header, counts, filters and key bar."""


async def test_a_page_is_as_many_claims_as_the_window_shows(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=ONE_ROW) as pilot:
        await ui.settle(pilot)
        assert _names(app) == ["Budi Santoso"]
        assert ui.shows(app, "1–1 dari 2")
        offered = ui.keys_offered(app)
        assert ui.t("bo.key.next_page") in offered and ui.t("bo.key.prev_page") not in offered
        await ui.keys(pilot, "f7")
        assert _names(app) == ["Joko Susilo"]
        assert ui.shows(app, "2–2 dari 2")
        assert ui.t("bo.key.next_page") not in ui.keys_offered(app)
        await ui.keys(pilot, "f6")
        assert _names(app) == ["Budi Santoso"]


async def test_a_page_reads_only_the_claims_it_shows(make_bo, monkeypatch):
    limits = []
    real = review.queue
    monkeypatch.setattr(review, "queue", lambda *args, **kwargs: limits.append(kwargs["limit"]) or real(*args, **kwargs))
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        await ui.keys(pilot, "1")
        assert limits == [16, 16]


async def test_a_resize_pages_again_keeping_the_highlighted_claim(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=ONE_ROW) as pilot:
        await ui.settle(pilot)
        await pilot.resize_terminal(80, 24)
        await ui.until(pilot, lambda: _names(app) == ["Budi Santoso", "Joko Susilo"])
        assert not ui.shows(app, "dari 2")
        await ui.keys(pilot, "down")
        await pilot.resize_terminal(*ONE_ROW)
        await ui.until(pilot, lambda: _names(app) == ["Joko Susilo"])
        assert ui.shows(app, "2–2 dari 2")
        await ui.keys(pilot, "enter")
        assert ui.at(app, "bo.detail.title") and ui.shows(app, "Joko Susilo")


async def test_the_cursor_keys_turn_the_page_at_its_edges(make_bo):
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=ONE_ROW) as pilot:
        await ui.settle(pilot)
        await ui.keys(pilot, "down")
        assert _names(app) == ["Joko Susilo"] and ui.shows(app, "2–2 dari 2")
        await ui.keys(pilot, "down")
        assert _names(app) == ["Joko Susilo"]
        await ui.keys(pilot, "up")
        assert _names(app) == ["Budi Santoso"] and ui.shows(app, "1–1 dari 2")
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        await ui.keys(pilot, "down", "down", "enter")
        assert ui.at(app, "bo.detail.title") and ui.shows(app, "Joko Susilo")


async def test_the_lists_of_branches_and_types_are_read_as_the_queue_opens_and_on_return(make_bo, monkeypatch):
    reads = []
    real = review.branches
    monkeypatch.setattr(review, "branches", lambda rt: reads.append(rt) or real(rt))
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=ONE_ROW) as pilot:
        await ui.settle(pilot)
        await ui.keys(pilot, "f7", "1", "0")
        assert _names(app) == ["Budi Santoso"] and len(reads) == 1
        await ui.keys(pilot, "enter")
        await ui.keys(pilot, "escape")
        assert ui.at(app, "bo.queue.title") and len(reads) == 2


async def test_the_queue_is_read_once_as_it_opens_and_again_when_the_officer_comes_back(make_bo, monkeypatch):
    reads = []
    real = review.queue
    monkeypatch.setattr(review, "queue", lambda *args, **kwargs: reads.append(args[1:]) or real(*args, **kwargs))
    opened = []
    real_load = QueueScreen.load
    monkeypatch.setattr(QueueScreen, "load", lambda screen: opened.append(screen) or real_load(screen))
    app = make_bo()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, *ANI[0], "enter", *ANI[1], "enter")
        await ui.until(pilot, lambda: _names(app) == ["Budi Santoso", "Joko Susilo"])
        await ui.settle(pilot)
        assert len(reads) == 1
        assert opened == []  # the login's worker read the first page; the queue read nothing as it opened
        await ui.keys(pilot, "enter")
        assert ui.at(app, "bo.detail.title")
        await ui.keys(pilot, "escape")
        assert ui.at(app, "bo.queue.title") and _names(app) == ["Budi Santoso", "Joko Susilo"]
        assert len(reads) == 2


async def test_drawing_the_queue_never_asks_the_terminal_its_size(make_bo, monkeypatch):
    """Rich asks the operating system for the terminal's size (three ioctls) whenever it measures
    a renderable and its console has no size of its own: hundreds of times for a table."""
    import rich.console

    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        asked = []
        real = rich.console.os.get_terminal_size
        monkeypatch.setattr(rich.console.os, "get_terminal_size", lambda *fd: asked.append(fd) or real(*fd))
        await ui.keys(pilot, "1")
        await ui.keys(pilot, "0")
        assert _names(app) == ["Budi Santoso", "Joko Susilo"]
        assert asked == []
        assert tuple(app.console.size) == (80, 24)
        await pilot.resize_terminal(100, 30)
        await ui.settle(pilot)
        assert tuple(app.console.size) == (100, 30)


async def test_coming_back_with_nothing_changed_redraws_no_row(make_bo, demo_rt, monkeypatch):
    from kidb_tui.backoffice.screens.queue import QueueTable

    added = []
    real = QueueTable.add_row
    monkeypatch.setattr(QueueTable, "add_row",
                        lambda table, *cells, **kwargs: added.append(kwargs["key"]) or real(table, *cells, **kwargs))
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert len(added) == 2
        await ui.keys(pilot, "down", "enter")
        await ui.keys(pilot, "escape")
        assert ui.at(app, "bo.queue.title") and _names(app) == ["Budi Santoso", "Joko Susilo"]
        assert len(added) == 2
        await ui.keys(pilot, "enter")
        assert ui.shows(app, "Joko Susilo")  # the cursor kept its place
        await ui.keys(pilot, "escape")
        claim = claim_of(demo_rt, BUDI.nib)
        review.assess(demo_rt, officer(demo_rt, BAMBANG), claim.id, claim.version, "4.500.000", True)
        await ui.keys(pilot, "enter", "escape")
        assert len(added) == 4 and "2 Penetapan: 1" in _counts(app)
