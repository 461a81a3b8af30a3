"""The test terminal reads the same text as pyte's own screen, wide characters included, and
again after each change."""

from __future__ import annotations

import pyte

from tests.ssh.terminal import Term

OUTPUT = ("\x1b[2J\x1b[HKIDB · Masuk\r\n\x1b[1mNIB\x1b[0m 2601•••\r\n漢字 and ✓ done\r\n"
          "\x1b[3;5HX\x1b[24;1HJKT-01 Jakarta Pusat  F1 Bantuan").encode()


def test_the_screen_text_is_pytes_and_follows_each_change():
    term = Term(lambda data: None)
    reference = pyte.Screen(80, 24)
    stream = pyte.ByteStream(reference)
    for chunk in (OUTPUT[:40], OUTPUT[40:90], OUTPUT[90:]):
        term.feed(chunk)
        stream.feed(chunk)
        assert term.screen.display == reference.display
    assert "漢字" in term.text() and "✓ done" in term.text() and term.screen.display[-1].startswith("JKT-01 ")
    term.resize(100, 30)
    reference.resize(30, 100)
    assert term.screen.display == reference.display
