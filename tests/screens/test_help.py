"""Bantuan: snapshot at 80x24, reachable from the login screen (F1), scrollable, Esc back."""

from tests import ui


def test_help_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(), press=["f1"], terminal_size=(80, 24))


def test_help_snapshot_english(snap_compare, make_app):
    assert snap_compare(make_app(), press=["f1", "f2"], terminal_size=(80, 24))


async def test_help_from_login_names_every_way_to_get_help(make_app):
    app = make_app()
    async with app.run_test(size=(80, 80)) as pilot:
        await ui.keys(pilot, "f1")
        assert ui.at(app, "help.title")
        for part in ("175", "care@bpjsketenagakerjaan.go.id", "Senin–Jumat 08.00–15.00", "periksa jadwal cabang",
                     "5 kali", "30 menit", "blokir", "NIK seperti di KTP", "petugas cabang",
                     "khusus untuk KIDB", "Profil"):
            assert ui.shows(app, part), part


async def test_help_scrolls_with_the_keyboard_and_escape_returns(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "f1")
        first = ui.lines(app)[3]
        assert not ui.shows(app, "khusus untuk KIDB")
        await ui.keys(pilot, "pagedown")
        assert ui.lines(app)[3] != first
        await ui.keys(pilot, "end")
        assert ui.shows(app, "Profil")
        await ui.keys(pilot, "escape")
        assert ui.at(app, "login.title")
