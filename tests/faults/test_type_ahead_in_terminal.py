"""Type-ahead through a real terminal: every key of a login (or of an activation) is written to
the pseudo-terminal in ONE write, as a paste or a lagging link delivers them, and each key still
lands in the field the keys before it moved to. Every frame the kiosk draws is checked."""

from __future__ import annotations

import os

from tests.conftest import RINA, SITI
from tests.faults.test_crash_in_terminal import PtyKiosk, data_dir, start_kiosk  # noqa: F401  (fixtures used by name)

F3 = "\x1bOR"


def _row(kiosk: PtyKiosk, label: str) -> str:
    """The text right of `label` on the screen row that starts with it ("" when none does)."""
    for row in kiosk.screen.display:
        text = row.strip()
        if text.startswith(label):
            return text[len(label):].strip()
    return ""


def _watch(kiosk: PtyKiosk, until: str, label: str, never: str) -> None:
    """Read frames until `until` is on the screen, failing if the field labelled `label` ever
    shows `never`."""
    frames = 0
    while until not in kiosk.text():
        kiosk.pump()
        frames += 1
        assert never not in _row(kiosk, label), f"{label!r} showed {never!r}:\n{kiosk.text()}"
        assert frames < 1200, f"{until!r} never appeared:\n{kiosk.text()}"


def test_nib_tab_pin_enter_in_one_write_signs_in_and_never_shows_the_pin(data_dir, start_kiosk):
    kiosk = start_kiosk("plain")
    kiosk.wait_for("NIB (nomor peserta)")
    os.write(kiosk.master, f"{SITI.nib}\t{SITI.secret}\r".encode())
    _watch(kiosk, "Menu utama", "NIB (nomor peserta)", SITI.secret[:2])
    assert "Siti Rahayu" in kiosk.text()
    kiosk.send("\x11")
    kiosk.finish()
    assert SITI.secret.encode() not in kiosk.raw


def test_nib_enter_nik_in_one_write_puts_the_nik_in_its_field(data_dir, start_kiosk):
    kiosk = start_kiosk("plain")
    kiosk.wait_for("NIB (nomor peserta)")
    os.write(kiosk.master, f"{F3}{RINA.nib}\r{RINA.nik}".encode())
    _watch(kiosk, RINA.nik, "NIB (nomor peserta)", RINA.nik[:2])
    assert _row(kiosk, "NIB (nomor peserta)") == RINA.nib
    assert _row(kiosk, "NIK (KTP)") == RINA.nik
    kiosk.send("\x11")
    kiosk.finish()
