"""Main menu: snapshots at 80x24 and the keys (or a click) that open Bantuan, Ganti PIN and Notifikasi or log out."""

from tests import ui
from tests.conftest import BUDI, SITI


def test_menu_snapshot_budi_with_unread(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=BUDI), terminal_size=(80, 24))


def test_menu_snapshot_siti(snap_compare, make_app):
    assert snap_compare(make_app(signed_in=SITI), terminal_size=(80, 24))


async def test_unread_count_is_shown_for_budi(make_app):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert ui.shows(app, "5  Notifikasi (2 belum dibaca)")


async def test_key_6_opens_help_and_escape_returns(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "6")
        assert ui.at(app, "help.title")
        await ui.keys(pilot, "escape")
        assert ui.at(app, "menu.title")
        assert SITI.name in ui.title(app)


async def test_a_click_on_a_line_opens_it(make_app):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        [(y, row)] = [(y, row) for y, row in enumerate(ui.lines(app)) if "5  Notifikasi" in row]
        await pilot.click(offset=(row.index("5  Notifikasi") + 3, y))
        await ui.settle(pilot)
        assert ui.at(app, "inbox.title")


async def test_key_7_opens_change_pin_and_escape_returns(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "7")
        assert ui.at(app, "change.title")
        await ui.keys(pilot, "escape")
        assert ui.at(app, "menu.title")


async def _assert_fresh_login(pilot) -> None:
    """The login screen, nothing typed, nobody named, and nothing of the session under it."""
    app = pilot.app
    assert ui.at(app, "login.title")
    assert "Siti" not in ui.text(app)
    assert ui.focused_label(app) == ui.t("field.nib")
    assert ui.focused_value(app) == ui.t("login.nib_placeholder")
    await ui.keys(pilot, "escape", "escape")
    assert ui.at(app, "login.title")


async def test_key_0_logs_out_to_a_fresh_login(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "0")
        await _assert_fresh_login(pilot)


async def test_escape_on_menu_logs_out(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "escape")
        await _assert_fresh_login(pilot)


async def test_logout_from_a_screen_opened_from_the_menu_leaves_nothing_behind(make_app):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "6", "escape", "0")
        await _assert_fresh_login(pilot)


async def test_the_menu_reads_the_unread_count_once_as_it_opens_and_again_on_return(make_app, monkeypatch):
    """Its first resume follows its data by a moment: no second read (and no second frame) then;
    back from a screen above it, the count is read again (it may have changed there)."""
    from kidb_tui.services import notifications

    reads: list[int] = []
    count = notifications.unread_count

    def counted(rt, participant_id):
        reads.append(participant_id)
        return count(rt, participant_id)

    monkeypatch.setattr(notifications, "unread_count", counted)
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert ui.shows(app, "5  Notifikasi (2 belum dibaca)")
        assert len(reads) == 1
        await ui.keys(pilot, "6")
        assert ui.at(app, "help.title")
        await ui.keys(pilot, "escape")
        await ui.settle(pilot)
        assert ui.at(app, "menu.title")
        assert len(reads) == 2
