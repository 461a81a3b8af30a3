"""An account screen's first frame is already the finished picture: its data, the control the
cursor is in drawn focused (the claims table's cursor row, the inbox's highlighted line, the
profile's address with its text selected), so the frames Textual draws after it as the screen
settles change nothing a person sees, and none waits for the screen's next update tick."""

from __future__ import annotations

import pytest
from textual._compositor import CompositorUpdate

from tests import ui
from tests.conftest import BUDI, SITI


def _cells(screen) -> list[list[tuple[str, object]]]:
    """Every cell of `screen` as drawn now: its character and its style."""
    return [[(segment.text, segment.style) for segment in strip] for strip in screen._compositor.render_strips()]


class Frames:
    """The picture of each frame the app sends for the screen on top, when it sends it."""

    def __init__(self, app) -> None:
        self.pictures: list[tuple[object, list]] = []
        display = app._display

        def spy(screen, update):
            if isinstance(update, CompositorUpdate):
                self.pictures.append((screen, _cells(screen)))
            return display(screen, update)

        app._display = spy

    def of(self, screen) -> list[list]:
        return [picture for shown, picture in self.pictures if shown is screen]


@pytest.mark.parametrize(("key", "title_key"), [("2", "status.title"), ("3", "balance.title"),
                                                ("4", "profile.title"), ("5", "inbox.title")])
async def test_the_first_frame_of_an_account_screen_is_its_finished_picture(make_app, key, title_key):
    app = make_app(signed_in=BUDI)
    frames = Frames(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        await ui.keys(pilot, key)
        await ui.until(pilot, lambda: ui.at(app, title_key))
        await ui.settle(pilot)
        pictures = frames.of(app.screen)
        assert pictures, "the screen was never drawn"
        assert app.focused is not None or title_key == "balance.title"
        assert pictures[0] == _cells(app.screen)
        if key in ("2", "3"):  # four or more while the repaints its first layout drew were sent again
            assert len(pictures) <= 3


async def test_a_terminal_resized_after_the_screen_opened_still_lays_it_out_again(make_app):
    """The Resize a screen's own first layout sends it is skipped; a real one is not: the claims
    table takes the new width (the claim type's column grows) and the key bar the new bottom row."""
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(60, 20)) as pilot:
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        await ui.keys(pilot, "2")
        await ui.until(pilot, lambda: ui.at(app, "status.title"))
        await ui.settle(pilot)
        narrow = [row for row in ui.lines(app) if row.strip().startswith("KIDB-")]
        await pilot.resize_terminal(100, 30)
        await ui.settle(pilot)
        rows = ui.lines(app)
        wide = [row for row in rows if row.strip().startswith("KIDB-")]
        assert len(rows) == 30
        assert ui.key_bar(app) == rows[-1].strip() != ""
        assert len(wide[0].rstrip()) > len(narrow[0].rstrip())
        assert "…" in narrow[0] and "…" not in wide[0]


async def test_the_first_frames_of_the_claim_type_and_requirements_screens_are_their_finished_pictures(make_app):
    """The list and the requirements' button are focused before the first frame (`focus_now`):
    with `focus()` the screen was drawn unfocused, then again (the requirements: its card focused,
    then its button, 21 rows drawn again about 9 ms after the screen looked finished)."""
    from tests.screens.claim_steps import open_requirements

    app = make_app(signed_in=SITI)
    frames = Frames(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        await ui.settle(pilot)
        await open_requirements(pilot)
        await ui.settle(pilot)
        screens = [screen for screen, _picture in frames.pictures]
        claim_type, requirements = list(dict.fromkeys(screens))[-2:]
        assert type(claim_type).__name__ == "ClaimTypeScreen"
        assert app.focused is not None and app.focused.id == "next"
        for screen in (claim_type, requirements):
            pictures = frames.of(screen)
            assert pictures[0] == pictures[-1]
