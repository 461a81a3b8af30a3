"""The claim form's bank list and documents by the keys a person uses: the list opens with Enter,
letters move in it, Esc closes it without a change; Tab and Shift+Tab go through the documents
one by one, Space ticks the one the cursor is on; the mouse opens the list and chooses in it."""

from tests import ui
from tests.conftest import SITI
from tests.screens.claim_steps import LABEL, open_form

SIZE = (80, 40)


def _document_rows(app) -> list[str]:
    return [" ".join(row.split()) for row in ui.lines(app) if row.strip().startswith(("[x]", "[ ]"))]


async def test_the_bank_list_finds_a_bank_by_letters_and_esc_closes_it_unchanged(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await ui.focus_field(pilot, LABEL["bank"])
        await ui.keys(pilot, "enter", *"man", "enter")
        assert ui.row_after(app, LABEL["bank"]).startswith("Mandiri")
        assert ui.focused_label(app) == LABEL["account_number"], "choosing moves on to the next field"
        await ui.keys(pilot, "shift+tab", "enter", *"bca", "escape")
        assert ui.at(app, "claim.form_title"), "Esc in the open list only closes it"
        assert ui.row_after(app, LABEL["bank"]).startswith("Mandiri")
        assert ui.focused_label(app) == LABEL["bank"]


async def test_tab_goes_through_the_documents_and_shift_tab_comes_back_to_the_last(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await ui.focus_field(pilot, LABEL["documents"])
        await ui.keys(pilot, "space", "tab", "tab", "space")
        rows = _document_rows(app)
        assert [row[:3] for row in rows] == ["[x]", "[ ]", "[x]", "[ ]", "[ ]"], rows
        await ui.keys(pilot, "tab", "tab", "tab")
        assert ui.focused_value(app) == ui.t("claim.next_button")
        await ui.keys(pilot, "shift+tab", "space")
        assert _document_rows(app)[-1] == f"[x] {ui.t('doc.surat_dokter')}"
        await ui.keys(pilot, "f6")
        assert all(row.startswith("[x]") for row in _document_rows(app))


async def test_f2_relabels_only_the_screen_in_view_and_the_one_below_when_it_is_back(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        below = app.screen_stack[-2]
        relabelled = []
        below.relabel = lambda: relabelled.append(below)  # the requirements screen, under the form
        await ui.keys(pilot, "f2")
        assert ui.at(app, "claim.form_title", "en")
        assert relabelled == [], "F2 on the form redrew the requirements screen under it"
        del below.relabel
        await ui.keys(pilot, "escape")
        assert ui.at(app, "claim.req_title", "en")
        assert ui.shows(app, ui.t("claim.req_legend", "en"))


async def test_the_bank_list_opens_and_chooses_by_mouse(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await pilot.click("#bank")
        await pilot.pause()
        [mandiri] = [y for y, row in enumerate(ui.lines(app)) if "▊ Mandiri " in row]
        bank_row = next(y for y, row in enumerate(ui.lines(app)) if row.strip().startswith(LABEL["bank"]))
        assert mandiri > bank_row, "the list opens under the bank's line"
        column = ui.lines(app)[mandiri].index("Mandiri")
        await pilot.click(offset=(column, mandiri))
        await pilot.pause()
        assert ui.row_after(app, LABEL["bank"]).startswith("Mandiri")
        assert not any("▊ Mandiri " in row for row in ui.lines(app)), "the list is closed"
