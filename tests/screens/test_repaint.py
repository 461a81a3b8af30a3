"""What a key makes the kiosk write to the terminal: only the cells that change. A character
typed into a form field repaints that field's control and its hint, not its label nor another
field; moving the cursor to the next field repaints the two fields, not the whole screen
(bench/flow_bytes.py measures the bytes; these check where they go)."""

from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate

from kidb_tui.widgets.form_field import LABEL_WIDTH
from tests import ui
from tests.conftest import SITI
from tests.screens.claim_steps import LABEL, open_form, open_requirements


def _watch(app) -> list[CompositorUpdate]:
    """The updates the app writes to the terminal from now on."""
    written: list[CompositorUpdate] = []
    display = app._display

    def spy(screen, update):
        written.append(update)
        return display(screen, update)

    app._display = spy
    return written


def _row_of(app, label: str) -> int:
    return next(y for y, row in enumerate(ui.lines(app)) if row.strip().startswith(label))


async def test_a_character_typed_repaints_the_control_and_its_hint_only(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot)
        assert ui.focused_label(app) == LABEL["amount"]
        row = _row_of(app, LABEL["amount"])
        written = _watch(app)
        await ui.keys(pilot, "5")
        assert ui.shows(app, "= Rp5")
        assert written and all(isinstance(update, ChopsUpdate) for update in written)
        spans = [span for update in written for span in update.spans]
        assert {y for y, _start, _end in spans} == {row}
        assert min(start for _y, start, _end in spans) > LABEL_WIDTH


async def test_moving_to_the_next_field_does_not_repaint_the_whole_screen(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot)
        await ui.keys(pilot, *"5000000")
        written = _watch(app)
        await ui.keys(pilot, "enter")
        assert ui.focused_label(app) == LABEL["bank"]
        assert written and all(isinstance(update, ChopsUpdate) for update in written)
        rows = {y for update in written for y, _start, _end in update.spans}
        assert rows <= {_row_of(app, LABEL["amount"]), _row_of(app, LABEL["bank"]), len(ui.lines(app)) - 1}


async def test_a_field_drawn_by_a_whole_frame_is_not_drawn_again_by_its_next_key(make_app):
    """A widget's repaint request that a whole-screen frame has drawn is done: Textual kept it
    until the widget's next own repaint, so the first key after a layout (the form opening, a
    resize) repainted the whole field, label included (this test's first one failed one run in
    about eight, when the field's request and the screen's frame came in that order)."""
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot)
        row = _row_of(app, LABEL["amount"])
        app.screen.query_one("#field-amount")._set_dirty()  # requested, as a layout leaves it
        app.screen.refresh()
        await pilot.pause()
        written = _watch(app)
        await ui.keys(pilot, "5")
        spans = [span for update in written for span in update.spans]
        assert {y for y, _start, _end in spans} == {row}
        assert min(start for _y, start, _end in spans) > LABEL_WIDTH


async def test_a_field_whose_frame_a_batch_update_dropped_is_drawn_by_its_next_key(make_app):
    """Textual writes no frame during a batch update (a mode switch holds one): a widget's repaint
    request that such a frame would have drawn stands, and is drawn with the widget's next repaint
    (forgetting it left the login screen's first frame without its key bar now and then)."""
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot)
        row = _row_of(app, LABEL["amount"])
        screen = app.screen
        with app.batch_update():
            screen.query_one("#field-amount")._set_dirty()
            screen._compositor._dirty_regions.add(screen._compositor.size.region)
            screen._compositor_refresh()  # made and dropped
        written = _watch(app)
        await ui.keys(pilot, "5")
        spans = [span for update in written for span in update.spans]
        assert any(y == row and start <= 1 for y, start, _end in spans)  # the label too


async def test_the_form_s_first_frame_has_every_field_where_it_stays(make_app):
    """Each field's height is known before the form's first layout: a field that set it on its
    first resize (the reason's three rows) moved every field under it after the first frame,
    and the form was laid out and drawn whole again."""
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_requirements(pilot)
        layouts: list[dict[str, object]] = []
        display = app._display

        def spy(screen, update):
            if isinstance(update, LayoutUpdate) and screen is app.screen:
                layouts.append({widget.id: geometry.region for widget, geometry in screen._compositor.full_map.items()
                                if widget.id})
            return display(screen, update)

        app._display = spy
        await ui.keys(pilot, "enter")
        assert ui.at(app, "claim.form_title")
        assert layouts and "field-reason" in layouts[0]
        assert all(layout == layouts[0] for layout in layouts[1:])
