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


KEY_ORDER = ("F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "Enter", "Esc")


def _in_fixed_order(app) -> bool:
    offered = [key for key in ui.keys_offered(app).values() if key in KEY_ORDER]
    return offered == sorted(offered, key=KEY_ORDER.index)


async def test_f1_opens_help_from_every_signed_in_screen_and_the_key_bar_keeps_one_order(make_app):
    from tests.conftest import SITI

    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        for opened in ([], ["1"], ["2"], ["3"]):
            await ui.keys(pilot, *opened)
            await ui.settle(pilot)
            assert ui.keys_offered(app).get(ui.t("key.help")) == "F1", ui.key_bar(app)
            assert _in_fixed_order(app), ui.key_bar(app)
            where = ui.title(app)
            await ui.keys(pilot, "f1")
            assert ui.at(app, "help.title"), where
            assert ui.t("key.help") not in ui.keys_offered(app)
            await ui.keys(pilot, "escape")
            assert ui.title(app) == where
            if opened:
                await ui.keys(pilot, "escape")
            await ui.settle(pilot)


async def test_login_says_how_to_switch_between_pin_and_password(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.settle(pilot)
        assert ui.shows(app, ui.t("login.secret_hint"))
        assert _in_fixed_order(app) and next(iter(ui.keys_offered(app).values())) == "F1"
