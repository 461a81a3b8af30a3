"""The kiosk driven through a terminal the way a participant does it, one visible step at a time."""

from __future__ import annotations

import asyncio
import time

from tests.ssh.terminal import DOWN, ENTER, F5, F10, TAB, Term

LOGIN_LABEL = "NIB (nomor peserta)"
SECRET_LABEL = "PIN / kata sandi"
MENU_HINT = "Tekan angka di depan menu"
LEAVE_QUESTION = "Keluar dan kembali ke layar masuk?"


async def login_screen(term: Term, terminal_id: str = "JKT-01", timeout: float | None = None) -> None:
    """The login screen drawn, the terminal id in the key bar on the last row."""
    await term.wait(lambda: LOGIN_LABEL in term.text() and term.screen.display[-1].lstrip().startswith(f"{terminal_id} "),
                    f"the login screen of {terminal_id}", timeout)


async def signal_keys_until_drawn(term: Term, what: str = LOGIN_LABEL) -> None:
    """Ctrl+C and Ctrl+\\ every 10 ms from the start until the app shows `what` (or asks to
    leave, which is then declined), then `what` again: keys typed while Python is still starting."""
    deadline = time.monotonic() + term.timeout
    while what not in term.text() and LEAVE_QUESTION not in term.text():
        if term.closed.is_set() or time.monotonic() > deadline:
            raise AssertionError(f"{what!r} never drawn; the screen:\n{term.text()}")
        term.send(b"\x03\x1c")
        await asyncio.sleep(0.01)
    if LEAVE_QUESTION in term.text():
        term.send("n")
        await term.wait_gone(LEAVE_QUESTION)
    await term.wait_text(what)
    assert b"Traceback" not in term.raw and b"KeyboardInterrupt" not in term.raw, term.text()


async def login(term: Term, nib: str, secret: str, name: str) -> None:
    """From the login screen (NIB focused) to the menu."""
    await term.wait_text(LOGIN_LABEL)
    term.send(nib)
    await term.wait_text(nib)
    term.send(ENTER)
    await term.wait_cursor_on(SECRET_LABEL)
    term.send(secret)
    await term.wait_text("•" * len(secret))
    term.send(ENTER)
    await term.wait_text(f"Halo, {name}")


async def open_claim_form(term: Term) -> None:
    """Menu 1 -> the first claim type (biaya medis) -> its requirements -> the form."""
    term.send("1")
    await term.wait_text("Daftar Pencairan: jenis klaim")
    term.send(ENTER)
    await term.wait_text("Daftar Pencairan: syarat")
    term.send(ENTER)
    await term.wait_text("Daftar Pencairan: formulir")


async def fill_claim_form(term: Term, holder: str) -> None:
    """Rp5.000.000 to BCA (second in the bank list), account, holder, reason, every document ticked."""
    term.send("5000000")
    await term.wait_text("= Rp5.000.000")
    term.send(ENTER)
    await term.wait_bold("5000000", bold=False)
    term.send(ENTER)
    await term.wait_text("Mandiri")
    term.send(DOWN + ENTER)
    await term.wait_cursor_on("Nomor rekening")
    fields = (("Nomor rekening", "1234567890"), ("Nama pemilik rekening", holder), ("Alasan", "Biaya rawat inap"))
    for index, (label, text) in enumerate(fields):
        term.send(text)
        await term.wait(lambda label=label, text=text: term.line_has(label, text), f"{text!r} in {label!r}")
        term.send(ENTER)
        if index + 1 < len(fields):
            await term.wait_cursor_on(fields[index + 1][0])
        else:
            await term.wait_bold(text, bold=False)
    while "[ ]" in term.text():
        label = _first_unticked(term)
        await term.wait_bold(label, marker="[ ] ")
        term.send(" ")
        await term.wait_text(f"[x] {label}")
        if "[ ]" in term.text():
            term.send(TAB)
            await term.wait_bold(label, bold=False, marker="[x] ")


def _first_unticked(term: Term) -> str:
    """The label of the first unticked document: the one the form focuses next."""
    line = term.screen.display[term.rows_with("[ ]")[0]]
    return line[line.index("[ ]") + 3:].strip()


async def submit_claim(term: Term, secret: str) -> str:
    """Personal data (kept), confirm with the PIN; returns the claim reference on the receipt."""
    term.send(F5)
    await term.wait_text("Daftar Pencairan: data pribadi")
    term.send(F5)
    await term.wait_text("Daftar Pencairan: konfirmasi")
    term.send(secret)
    await term.wait_text("•" * len(secret))
    term.send(ENTER)
    await term.wait_text("Klaim Anda tersimpan.")
    line = next(line for line in term.screen.display if "KIDB-20" in line)
    reference = line[line.index("KIDB-20"):].split()[0]
    term.send(F10)
    await term.wait_text(MENU_HINT)
    return reference


async def logout(term: Term) -> None:
    term.send("0")
    await term.wait_text(LOGIN_LABEL)
