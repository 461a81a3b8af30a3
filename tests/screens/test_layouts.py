"""How often a screen is laid out (each layout arranges every widget, and is followed by a
frame): a new screen once, and once more when Textual's wait for its mount ends, not again for
the layouts its own layout asks for nor when the terminal repeats its size; a key typed into a
login field never (the CPU of a crowd of
terminals logging in at once, bench/ssh_profile.py). The screens still look as before: their
snapshots, including a form that grows a scrollbar after its errors (test_claim_screens.py)."""

from textual import events
from textual.screen import Screen

from kidb_tui.screens.base import TerminalScreen
from tests import ui
from tests.conftest import SITI

NIB_LABEL = "NIB (nomor peserta)"


def _count_layouts(monkeypatch) -> list[str]:
    """The class name of each screen laid out from now on."""
    laid_out: list[str] = []
    layout = Screen._refresh_layout

    def counted(self, size=None, scroll=False):
        if not scroll:
            laid_out.append(type(self).__name__)
        return layout(self, size, scroll)

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    return laid_out


async def test_the_login_screen_is_laid_out_twice(make_app, monkeypatch):
    laid_out = _count_layouts(monkeypatch)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, lambda: NIB_LABEL in ui.text(app))
        await pilot.pause()
        await pilot.pause()
        assert laid_out == ["LoginScreen", "LoginScreen"]


async def test_the_menu_is_laid_out_at_most_three_times_after_signing_in(make_app, monkeypatch):
    """Once as it is shown, once when Textual's wait for its mount ends, once more as its data
    arrives or its welcome appears (the menu's list relabels itself)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, lambda: NIB_LABEL in ui.text(app))
        laid_out = _count_layouts(monkeypatch)
        await ui.keys(pilot, *SITI.nib, "enter", *SITI.secret, "enter")
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert laid_out.count("MenuScreen") <= 3


async def test_typing_into_the_login_fields_lays_nothing_out(make_app, monkeypatch):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, lambda: NIB_LABEL in ui.text(app))
        laid_out = _count_layouts(monkeypatch)
        await ui.keys(pilot, *SITI.nib)
        assert ui.row_after(app, NIB_LABEL) == SITI.nib
        assert laid_out == []


async def test_a_terminal_repeating_its_size_lays_nothing_out(make_app, monkeypatch):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, lambda: NIB_LABEL in ui.text(app))
        laid_out = _count_layouts(monkeypatch)
        app.post_message(events.Resize(app.size, app.size))
        await pilot.pause()
        await pilot.pause()
        assert laid_out == []
        app.post_message(events.Resize(app.size.with_width(100), app.size.with_width(100)))
        await ui.until(pilot, lambda: laid_out == ["LoginScreen"])
        assert isinstance(app.screen, TerminalScreen)
        assert app.screen.size.width == 100


async def test_a_new_screen_s_first_layout_is_its_only_whole_frame_until_the_next_layout(make_app, monkeypatch):
    """The layout as a screen resumes draws it whole; Textual then asked for a whole repaint of
    the same picture, drawn before anything else had changed (the layout Textual asks for when
    its wait for the screen's mount ends, which may draw it whole again, is not this test's)."""
    from textual._compositor import LayoutUpdate

    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        await ui.settle(pilot)
        events_seen: list[str] = []
        display = app._display
        layout = Screen._refresh_layout

        def spy(screen, update):
            if isinstance(update, LayoutUpdate):
                events_seen.append("whole")
            return display(screen, update)

        def counted(self, size=None, scroll=False):
            events_seen.append("layout")
            return layout(self, size, scroll)

        app._display = spy
        monkeypatch.setattr(Screen, "_refresh_layout", counted)
        await ui.keys(pilot, "3")
        await ui.until(pilot, lambda: ui.at(app, "balance.title"))
        await ui.settle(pilot)
        first = events_seen.index("layout")
        following = events_seen.index("layout", first + 1) if "layout" in events_seen[first + 1:] else len(events_seen)
        assert events_seen[first:following].count("whole") == 1


async def test_a_status_line_of_the_same_height_is_drawn_without_a_layout(make_app, monkeypatch):
    """What the status line says as Enter is pressed ("checking", a saving notice) repaints the
    line; a message that needs more lines lays the screen out, so all of it shows."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, lambda: NIB_LABEL in ui.text(app))
        laid_out = _count_layouts(monkeypatch)
        app.screen.set_status("Sebentar, sedang diperiksa")
        await ui.until(pilot, lambda: "Sebentar, sedang diperiksa" in ui.text(app))
        await pilot.pause()
        assert laid_out == []
        long = " ".join(["pesan-panjang"] * 9)
        app.screen.set_status(long)
        await ui.until(pilot, lambda: "pesan-panjang" in ui.text(app) and laid_out == ["LoginScreen"])
        assert ui.text(app).count("pesan-panjang") == 9
