"""Bantuan: snapshot at 80x24, reachable from the login screen (F1), scrollable, Esc back."""

from textual.containers import VerticalScroll

from kidb_tui.screens.auth.login import LoginScreen
from kidb_tui.screens.help import HelpScreen


def _help_text(screen) -> str:
    return "\n".join(str(widget.render()) for widget in screen.query(".help-text"))


def test_help_snapshot(snap_compare, make_app):
    assert snap_compare(make_app(), press=["f1"], terminal_size=(80, 24))


def test_help_snapshot_english(snap_compare, make_app):
    assert snap_compare(make_app(), press=["f1", "f2"], terminal_size=(80, 24))


async def test_help_from_login_names_every_way_to_get_help(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = _help_text(app.screen)
        for part in ("175", "care@bpjsketenagakerjaan.go.id", "Senin–Jumat 08.00–15.00", "periksa jadwal cabang",
                     "5 kali", "30 menit", "blokir", "NIK seperti di KTP", "petugas cabang",
                     "khusus untuk KIDB", "Profil"):
            assert part in text


async def test_help_scrolls_with_the_keyboard_and_escape_returns(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        body = app.screen.query_one("#help-body", VerticalScroll)
        assert app.focused is body
        assert body.max_scroll_y > 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y > 0
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
