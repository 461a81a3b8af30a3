"""Contact data as the participant reads it on Profil and the claim's contact step (issue 11): the
phone echoed in national form (`0812-3456-7801`) while the database keeps E.164, and, once a claim
saved a new email, the same word as Profil gives on where to type its code."""

from sqlmodel import select

from kidb_tui.models import Participant
from tests import ui
from tests.conftest import BUDI, SITI
from tests.screens.claim_steps import LABEL, participant, save, to_personal_data

TALL = (80, 40)
STORED, SHOWN = "+6281234567801", "0812-3456-7801"


async def test_contact_step_shows_the_phone_as_written_and_keeps_it_e164(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await to_personal_data(pilot)
        assert ui.row_after(app, LABEL["phone"]) == SHOWN
        assert ui.shows(app, ui.t("claim.personal_unchanged")), "the national form is the stored number"
        await ui.keys(pilot, "f5")
        assert ui.at(app, "claim.confirm_title")
        assert ui.row_after(app, LABEL["phone"]) == SHOWN
        await save(pilot, SITI.secret)
        assert ui.at(app, "claim.receipt_title")
        assert not ui.shows(app, ui.t("profile.confirmed")), "nothing changed, nothing said"
    assert participant(demo_rt, SITI).phone == STORED


async def test_profile_shows_the_phone_as_written_and_esc_leaves_at_once(make_app, demo_rt):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "4")
        assert ui.row_after(app, LABEL["phone"]) == "0812-3456-7802"
        await ui.keys(pilot, "f5")
        assert ui.shows(app, ui.t("profile.confirmed"))
        assert ui.row_after(app, LABEL["phone"]) == "0812-3456-7802"
        await ui.keys(pilot, "escape")
        assert ui.at(app, "menu.title"), "an unchanged profile asks nothing"
    with demo_rt.read() as session:
        assert session.exec(select(Participant.phone).where(Participant.nib == BUDI.nib)).one() == "+6281234567802"


async def test_a_new_email_in_the_claim_says_where_to_type_its_code(make_app, demo_rt, smtp_server):
    demo_rt.settings = smtp_server.runtime(demo_rt).settings
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await to_personal_data(pilot)
        await ui.put(pilot, LABEL["email"], "siti.baru@example.co.id")
        await ui.keys(pilot, "f5")
        await save(pilot, SITI.secret)
        assert ui.at(app, "claim.receipt_title"), ui.text(app)
        assert ui.shows(app, ui.t("profile.saved_code_sent", fields=ui.t("field.email"))), ui.text(app)
    row = participant(demo_rt, SITI)
    assert (row.email, row.email_verified_at) == ("siti.baru@example.co.id", None)


async def test_a_changed_phone_in_the_claim_is_named_on_the_receipt(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=TALL) as pilot:
        await to_personal_data(pilot)
        await ui.put(pilot, LABEL["phone"], "0813 1111 2222")
        await ui.keys(pilot, "f5")
        await save(pilot, SITI.secret)
        assert ui.shows(app, ui.t("profile.saved", fields=ui.t("field.phone"))), ui.text(app)
    assert participant(demo_rt, SITI).phone == "+6281311112222"
