"""Dead letters in the back office (F8 from the queue): snapshot at 80x24, and F3 puts the
highlighted one back in the queue, after which the sender delivers it to a real SMTP server."""

from kidb_tui.delivery import runner
from kidb_tui.models import OutboxMessage
from kidb_tui.services import profile
from tests import ui
from tests.backoffice.conftest import ANI
from tests.conftest import SITI, sign_in
from tests.services.helpers import all_rows, contact_of


def dead_letter(demo_rt, smtp_server) -> None:
    """A refused message for Siti: mail on, her contact data confirmed, the server refusing."""
    demo_rt.settings = smtp_server.runtime(demo_rt).settings
    contact = contact_of(demo_rt, SITI)
    profile.update_contact(demo_rt, sign_in(demo_rt, SITI), profile.Contact(
        "Jl. Melati 9", contact.postal_code, contact.phone, contact.email))
    smtp_server.mailbox.refusing = True
    assert runner.run_once(demo_rt, smtp_server.transports(demo_rt)).dead == 1
    smtp_server.mailbox.refusing = False


async def open_dead(pilot) -> None:
    await ui.keys(pilot, "f8")
    await ui.until(pilot, lambda: ui.at(pilot.app, "bo.dead.title"))


def test_dead_letters_snapshot(snap_compare, make_bo, demo_rt, smtp_server):
    dead_letter(demo_rt, smtp_server)
    assert snap_compare(make_bo(signed_in=ANI), run_before=open_dead, terminal_size=(80, 24))


async def test_retry_puts_it_back_and_it_is_delivered(make_bo, demo_rt, smtp_server):
    dead_letter(demo_rt, smtp_server)
    app = make_bo(signed_in=ANI)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dead(pilot)
        assert ui.shows(app, "550 5.1.1")
        await ui.keys(pilot, "f3")
        await ui.until(pilot, lambda: "antrean kirim" in ui.status(app))
        await ui.until(pilot, lambda: ui.shows(app, "Tidak ada pesan gagal"))
    [row] = all_rows(demo_rt, OutboxMessage)
    assert (row.status, row.attempts) == ("pending", 0)
    assert runner.run_once(demo_rt, smtp_server.transports(demo_rt)).sent == 1
    assert [m["Subject"] for m in smtp_server.mailbox.received] == ["Alamat diperbarui"]
