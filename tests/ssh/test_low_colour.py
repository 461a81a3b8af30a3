"""Low-colour terminals over SSH (TERM=xterm: 16 colours; TERM=linux: the console): the login,
the menu and the requirement marks read as text, and no 256-colour or true-colour codes are sent."""

from __future__ import annotations

import re

import pytest

from tests.conftest import SITI
from tests.ssh import flows
from tests.ssh.harness import terminal
from tests.ssh.terminal import ENTER

RICH_COLOUR = re.compile(rb"\x1b\[[0-9;]*[34]8;[25];")


@pytest.mark.parametrize("term_type", ["xterm", "linux"])
async def test_login_menu_and_marks_readable(shared_serve, term_type):
    server, key = shared_serve
    async with terminal(server.port, key, term_type=term_type) as (term, _conn, _chan):
        await flows.login_screen(term)
        screen = term.text()
        for text in ("KIDB · Masuk", "Selamat datang di Kios KIDB", "NIB (nomor peserta)", "PIN / kata sandi",
                     "Aktivasi akun (F3)", "F1 Bantuan"):
            assert text in screen, screen
        await flows.login(term, SITI.nib, SITI.secret, SITI.name)
        for text in ("KIDB · Menu utama  —  Siti Rahayu", "1  Daftar Pencairan", "5  Notifikasi (1 belum dibaca)",
                     "0  Keluar", "Esc Keluar"):
            await term.wait_text(text)
        term.send("1")
        await term.wait_text("Daftar Pencairan: jenis klaim")
        term.send(ENTER)
        await term.wait_text("[x] terpenuhi   [ ] belum terpenuhi   [~] dilengkapi dalam pengajuan ini")
        assert "[x] Kartu peserta aktif." in term.text()
        assert "Semua syarat dapat dipenuhi." in term.text()
    assert not RICH_COLOUR.search(bytes(term.raw))
