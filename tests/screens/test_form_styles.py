"""The claim form's style work as it opens: Textual parses its whole style sheet again whenever a
widget class it has not met before is registered; the form's new classes (fields, bank chooser,
reason area, document list) are added in one go, so the sheet is parsed once, not at each level
of the form (kidb_tui/widgets/css.py). The look is the snapshots' (test_claim_screens.py)."""

from kidb_tui.screens.claim.form import NEW_CLASSES
from kidb_tui.widgets.css import add_default_css
from tests import ui
from tests.conftest import SITI
from tests.screens.claim_steps import open_requirements


async def test_opening_the_form_parses_the_style_sheet_once(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_requirements(pilot)
        parses = []
        parse = app.stylesheet.parse

        def counted() -> None:
            parses.append(1)
            parse()

        app.stylesheet.parse = counted
        await ui.keys(pilot, "enter")
        assert ui.at(app, "claim.form_title")
        assert ui.shows(app, ui.t("field.reason"), ui.t("doc.ktp"))
        assert len(parses) == 1


async def test_adding_a_class_s_css_again_keeps_the_sheet_as_it_was(make_app):
    """A class whose CSS is in the sheet already (the form opened before) changes nothing: no new
    source, no parse, the rules in the same order."""
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_requirements(pilot)
        await ui.keys(pilot, "enter")
        assert ui.at(app, "claim.form_title")
        sources = list(app.stylesheet.source)
        rules = app.stylesheet.rules
        add_default_css(app, NEW_CLASSES)
        assert list(app.stylesheet.source) == sources
        assert app.stylesheet.rules is rules
