"""Verifikasi email (menu 8): snapshots at 80x24 with and without a mail server, and the code
asked for at the kiosk, received by a real SMTP server and typed back, checked in the database."""

from sqlmodel import select

from kidb_tui.delivery import runner
from kidb_tui.models import Participant
from tests import ui
from tests.conftest import RINA, SITI
from tests.screens import claim_steps
from tests.services.helpers import update_participant


def with_mail(demo_rt, smtp_server) -> None:
    demo_rt.settings = smtp_server.runtime(demo_rt).settings


def participant_of(rt, person) -> Participant:
    with rt.read() as session:
        return session.exec(select(Participant).where(Participant.nib == person.nib)).one()


def siti(rt) -> Participant:
    return participant_of(rt, SITI)


async def open_verify(pilot) -> None:
    await ui.keys(pilot, "8")
    await ui.until(pilot, lambda: ui.at(pilot.app, "verify.title"))


def test_verify_snapshot_unverified_with_mail(snap_compare, make_app, demo_rt, smtp_server):
    with_mail(demo_rt, smtp_server)
    update_participant(demo_rt, SITI, email_verified_at=None)
    assert snap_compare(make_app(signed_in=SITI), run_before=open_verify, terminal_size=(80, 24))


def test_verify_snapshot_without_mail_server(snap_compare, make_app, demo_rt):
    update_participant(demo_rt, SITI, email_verified_at=None)
    assert snap_compare(make_app(signed_in=SITI), run_before=open_verify, terminal_size=(80, 24))


async def test_code_sent_received_and_typed_back(make_app, demo_rt, smtp_server):
    with_mail(demo_rt, smtp_server)
    update_participant(demo_rt, SITI, email_verified_at=None)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_verify(pilot)
        assert ui.shows(app, "belum diverifikasi")
        await ui.keys(pilot, "tab", "tab", "enter")
        await ui.until(pilot, lambda: "Kode dikirim" in ui.status(app))
        assert runner.run_once(demo_rt, smtp_server.transports(demo_rt)).sent == 1
        [message] = smtp_server.mailbox.received
        assert message["To"] == siti(demo_rt).email
        body = message.get_body(("plain",)).get_content()
        code = next(word for word in body.split() if word.isdigit() and len(word) == 6)
        await ui.keys(pilot, "shift+tab", "shift+tab", *("000000" if code != "000000" else "111111"), "enter")
        await ui.until(pilot, lambda: "sisa 4" in ui.status(app))
        assert siti(demo_rt).email_verified_at is None
        await ui.keys(pilot, *code, "enter")
        await ui.until(pilot, lambda: "sudah diverifikasi" in ui.status(app))
        assert ui.shows(app, "Email ini sudah diverifikasi")
    assert siti(demo_rt).email_verified_at is not None


async def test_without_mail_server_the_kiosk_says_so(make_app, demo_rt):
    update_participant(demo_rt, SITI, email_verified_at=None)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_verify(pilot)
        assert ui.shows(app, "belum memiliki server email")


async def test_simpan_at_the_kiosk_mails_the_receipt(make_app, demo_rt, smtp_server):
    with_mail(demo_rt, smtp_server)
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 40)) as pilot:
        await claim_steps.to_confirm(pilot)
        await claim_steps.save(pilot, SITI.secret)
        assert ui.at(app, "claim.receipt_title")
    assert runner.run_once(demo_rt, smtp_server.transports(demo_rt)).sent == 1
    [message] = smtp_server.mailbox.received
    [claim] = claim_steps.claims_of(demo_rt, SITI)
    assert message["To"] == siti(demo_rt).email and message["Subject"] == f"Klaim {claim.reference} diterima"
    assert "Rp5.000.000" in message.get_body(("plain",)).get_content()
    assert "1234567890" not in message.as_string()


async def test_new_email_in_the_profile_sends_a_code(make_app, demo_rt, smtp_server):
    with_mail(demo_rt, smtp_server)
    old = siti(demo_rt).email
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "4")
        await ui.until(pilot, lambda: ui.at(app, "profile.title"))
        await ui.retype(pilot, ui.t("field.email"), "siti.baru@example.com")
        await ui.keys(pilot, "f5", *SITI.secret, "enter")
        await ui.until(pilot, lambda: "menu 8" in ui.status(app))
    assert siti(demo_rt).email == "siti.baru@example.com" and siti(demo_rt).email_verified_at is None
    runner.run_once(demo_rt, smtp_server.transports(demo_rt))
    assert [m["Subject"] for m in smtp_server.mailbox.to(old)] == ["Email diperbarui"]
    assert "Kode verifikasi email KIDB" in [m["Subject"] for m in smtp_server.mailbox.to("siti.baru@example.com")]


async def test_activation_shows_the_email_on_record_and_takes_its_code(make_app, demo_rt, smtp_server):
    with_mail(demo_rt, smtp_server)
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ui.keys(pilot, "f3")
        await ui.keys(pilot, *RINA.nib, "enter", *RINA.nik, "enter", *"15-12-1995", "enter")
        await ui.keys(pilot, "enter", *"802461", "enter", *"802461", "enter")
        await ui.until(pilot, lambda: ui.at(app, "verify.title"))
        rina = participant_of(demo_rt, RINA)
        assert ui.shows(app, rina.email, "Kode 6 angka sudah dikirim", "Perbaiki di menu 4 Profil")
        assert "Akun aktif" in ui.text(app)
        runner.run_once(demo_rt, smtp_server.transports(demo_rt))
        message = next(m for m in smtp_server.mailbox.to(rina.email) if "Kode" in m["Subject"])
        code = next(word for word in message.get_body(("plain",)).get_content().split() if word.isdigit() and len(word) == 6)
        await ui.keys(pilot, *code, "enter")
        await ui.until(pilot, lambda: "sudah diverifikasi" in ui.status(app))
        await ui.keys(pilot, "escape")
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
    assert participant_of(demo_rt, RINA).email_verified_at is not None


async def test_activation_without_mail_goes_to_the_menu(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ui.keys(pilot, "f3")
        await ui.keys(pilot, *RINA.nib, "enter", *RINA.nik, "enter", *"15-12-1995", "enter")
        await ui.keys(pilot, "enter", *"802461", "enter", *"802461", "enter")
        await ui.until(pilot, lambda: ui.at(app, "menu.title"))
        assert ui.shows(app, "Akun KIDB Anda sudah aktif")
