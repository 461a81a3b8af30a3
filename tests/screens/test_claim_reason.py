"""The claim form's reason is a multi-line area (issue 11): Enter moves on as in every field,
Ctrl+J starts a new line (said beside the area, with the characters left), typing stops at 500
and a longer paste is refused with the field's rule; line breaks are kept and markup is shown
literally on confirm. And the prefilled bank account says it is the one of the last claim."""

from datetime import timedelta

from sqlmodel import select

from kidb_tui.models import Claim, Participant
from tests import ui
from tests.conftest import FROZEN_AT, SITI
from tests.screens.claim_steps import LABEL, claims_of, fill_form, open_form, save

TALL = (80, 40)
MARKUP = "[b]x[/b]"


def _area_rows(app) -> list[str]:
    """The reason field's three rows: the label column and the area's text, one pair each."""
    rows = ui.lines(app)
    start = next(index for index, row in enumerate(rows) if row.strip().startswith(LABEL["reason"]))
    return [row.strip() for row in rows[start:start + 3]]


def _row_below(app, label: str) -> str:
    """The row under the one that starts with `label` (a value's second line)."""
    rows = [row.strip() for row in ui.lines(app)]
    return rows[next(index for index, row in enumerate(rows) if row.startswith(label)) + 1]


async def test_enter_moves_on_and_ctrl_j_starts_a_new_line(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await open_form(pilot)
        await ui.focus_field(pilot, LABEL["reason"])
        assert ui.shows(app, ui.t("claim.reason_new_line"), ui.t("claim.reason_left", count=500))
        await ui.keys(pilot, *"Rawat", "ctrl+j", *"inap")
        rows = _area_rows(app)
        assert rows[0].endswith("Rawat") and rows[1].endswith("inap"), rows
        assert ui.t("claim.reason_left", count=490) in rows[2]
        await ui.keys(pilot, "enter")
        assert ui.focused_label(app) == LABEL["documents"], "Enter goes on to the next field"
        await fill_form(pilot, reason=None)
        await ui.keys(pilot, "f5", "f5")
        assert ui.at(app, "claim.confirm_title"), ui.text(app)
        assert ui.row_after(app, LABEL["reason"]) == "Rawat"
        assert _row_below(app, LABEL["reason"]) == "inap"
        await save(pilot, SITI.secret)
        assert ui.at(app, "claim.receipt_title")
    [claim] = claims_of(demo_rt, SITI)
    assert claim.reason == "Rawat\ninap"


async def test_typing_stops_at_500_and_a_longer_paste_is_refused_by_name(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await open_form(pilot)
        await ui.put(pilot, LABEL["reason"], "x" * 499)
        await ui.keys(pilot, *["pagedown"] * 6, "end", *"abc", "ctrl+j")
        assert app.focused.text == "x" * 499 + "a"
        assert ui.t("claim.reason_left", count=0) in ui.flat(app)
        await fill_form(pilot, reason="y" * 501)
        await ui.keys(pilot, "f5")
        assert ui.at(app, "claim.form_title")
        assert ui.field_error(app, LABEL["reason"]) == f"{LABEL['reason']}: {ui.t('rule.max_length', max=500)}"
    assert claims_of(demo_rt, SITI) == []


async def test_markup_over_two_lines_is_shown_literally_on_confirm(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await open_form(pilot)
        await fill_form(pilot, reason=f"{MARKUP}\n[@click=app.quit]y")
        await ui.keys(pilot, "f5", "f5")
        assert ui.at(app, "claim.confirm_title"), ui.text(app)
        assert ui.row_after(app, LABEL["reason"]) == MARKUP
        assert _row_below(app, LABEL["reason"]) == "[@click=app.quit]y"
        await save(pilot, SITI.secret)
    [claim] = claims_of(demo_rt, SITI)
    assert claim.reason == f"{MARKUP}\n[@click=app.quit]y"


def _paid_claim_for_siti(rt) -> None:
    with rt.write() as session:
        participant = session.exec(select(Participant).where(Participant.nib == SITI.nib)).one()
        earlier = FROZEN_AT - timedelta(days=90)
        session.add(Claim(
            reference="KIDB-2026-000500", idempotency_key="test-last-account", participant_id=participant.id,
            claim_type_code="biaya_medis", amount=1_000_000, bank_code="002", account_number="123456789012345",
            account_holder=SITI.name, reason="Rawat", documents=[], stage="selesai", created_at=earlier,
            updated_at=earlier,
        ))


async def test_the_prefilled_account_says_it_is_the_last_claims(make_app, demo_rt):
    _paid_claim_for_siti(demo_rt)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await open_form(pilot)
        assert ui.row_after(app, LABEL["account_number"]).startswith("123456789012345")
        assert ui.shows(app, ui.t("claim.account_prefilled"))
        await ui.retype(pilot, LABEL["account_number"], "999888777666555")
        assert not ui.shows(app, ui.t("claim.account_prefilled")), "a changed account is no longer the last one"


async def test_no_last_claim_no_sentence(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await open_form(pilot)
        assert not ui.shows(app, ui.t("claim.account_prefilled"))
