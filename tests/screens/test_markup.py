"""Text that comes from people or from imports (names, addresses, reasons, officer notes,
reference data) is drawn exactly as written on every kiosk screen that shows it: square brackets
are text, never Rich/Textual markup. Checked on the rendered screen, not on widget values."""

from sqlmodel import select

from kidb_tui.models import Claim, ClaimType, Participant
from tests import ui
from tests.conftest import JOKO, SITI
from tests.screens.claim_steps import LABEL, fill_form, open_form, save

NAME = "Siti [b]Rahayu[/b]"
ADDRESS = "Jl. [red]Merdeka[/red] No. 10 [@click=app.quit]x[/]"
REASON = "Rawat [i]inap[/i] [link=https://example.com]anak[/link]"
TYPE_NAME = "Biaya [b]medis[/b]"
NOTE = "Kuitansi [bold]tidak[/bold] terbaca [@click=app.quit]klik[/]"
TALL = (80, 40)


def _mark_up_siti(rt) -> None:
    """Siti's name and address, and the medical claim type's name, written with brackets."""
    with rt.write() as session:
        siti = session.exec(select(Participant).where(Participant.nib == SITI.nib)).one()
        siti.full_name, siti.address = NAME, ADDRESS
        session.add(siti)
        medis = session.get(ClaimType, "biaya_medis")
        medis.name_id = TYPE_NAME
        session.add(medis)


async def test_menu_greeting_and_title_show_a_bracketed_name_as_written(make_app, demo_rt):
    _mark_up_siti(demo_rt)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert ui.at(app, "menu.title")
        assert NAME in ui.title(app)
        assert ui.shows(app, ui.t("menu.greeting", name=NAME, nib=SITI.nib))


async def test_profile_shows_name_and_address_as_written(make_app, demo_rt):
    _mark_up_siti(demo_rt)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await ui.keys(pilot, "4")
        assert ui.at(app, "profile.title")
        assert ui.row_after(app, ui.t("field.full_name")) == NAME
        await ui.keys(pilot, "f2")
        assert ui.row_after(app, ui.t("field.full_name", "en")) == NAME
    assert app.return_code in (0, None)


async def test_confirm_and_receipt_show_typed_and_imported_text_as_written(make_app, demo_rt):
    _mark_up_siti(demo_rt)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await open_form(pilot)
        assert ui.shows(app, TYPE_NAME)
        await fill_form(pilot, account_holder=NAME, reason=REASON)
        await ui.keys(pilot, "f5", "f5")
        assert ui.at(app, "claim.confirm_title"), ui.status(app)
        assert ui.row_after(app, ui.t("field.claim_type")) == TYPE_NAME
        assert ui.row_after(app, ui.t("field.account_holder")) == NAME
        assert ui.shows(app, REASON, ADDRESS)
        await save(pilot, SITI.secret)
        assert ui.at(app, "claim.receipt_title")
        assert ui.row_after(app, ui.t("field.claim_type")) == TYPE_NAME
    with demo_rt.read() as session:
        claim = session.exec(select(Claim).where(Claim.reason == REASON)).one()
    assert claim.account_holder == NAME


async def test_status_shows_the_officer_note_and_type_name_as_written(make_app, demo_rt):
    with demo_rt.write() as session:
        joko = session.exec(select(Participant).where(Participant.nib == JOKO.nib)).one()
        claim = session.exec(select(Claim).where(Claim.participant_id == joko.id)).one()
        claim.rejection_reason = NOTE
        session.add(claim)
        kind = session.get(ClaimType, claim.claim_type_code)
        kind.name_id = TYPE_NAME
        session.add(kind)
    app = make_app(signed_in=JOKO)
    async with app.run_test(size=TALL) as pilot:
        await ui.keys(pilot, "2")
        assert ui.at(app, "status.title")
        assert ui.shows(app, NOTE)
        assert ui.shows(app, "Biaya [b]")
    assert app.return_code in (0, None)
