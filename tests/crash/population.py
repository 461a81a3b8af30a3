"""Synthetic participants with valid NIKs, as the importer's CSV, for the crash and stateful
tests, the importer tests and the benchmarks.

Participant `n` has NIB 27 followed by `n` in nine digits, a NIK 317101DDMMYYSSSS whose date is
their birth date (unique for n below 100 million), the PIN `PIN` and an account holder name
equal to their full name. `OFFICERS` are (username, password, role) for `officers.add_officer`.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from kidb_tui.services import auth
from kidb_tui.services.participants import HEADER
from kidb_tui.services.runtime import Runtime

PIN = "258147"
OFFICERS = (("petugas.uji", "Kantor-Cabang-Uji-77", "officer"), ("supervisor.uji", "Penyelia-Cabang-Uji-26", "supervisor"))
BANK_CODE, ACCOUNT_NUMBER = "014", "1234567890"
DOCUMENTS = {
    "biaya_medis": ("ktp", "kartu_peserta", "buku_tabungan", "kuitansi_rs", "surat_dokter"),
    "biaya_pengobatan": ("ktp", "kartu_peserta", "buku_tabungan", "resep_pengobatan", "surat_dokter"),
    "biaya_lainnya": ("ktp", "kartu_peserta", "buku_tabungan", "surat_pernyataan"),
    "jht_meninggalkan_indonesia": ("ktp", "kartu_peserta", "buku_tabungan", "paspor", "surat_pernyataan"),
}


def nib(n: int) -> str:
    return f"27{n:09d}"


def birth_date(n: int) -> date:
    return date(1970 + (n // 336) % 30, (n // 28) % 12 + 1, n % 28 + 1)


def nik(n: int) -> str:
    return "317101" + birth_date(n).strftime("%d%m%y") + f"{n // 10080 + 1:04d}"


def full_name(n: int) -> str:
    return f"Peserta Uji {n:05d}"


def row(n: int, balance: int = 20_000_000, membership_start: date = date(2015, 1, 1)) -> dict[str, str]:
    """One CSV row (all text) for participant `n`."""
    return {
        "nib": nib(n), "nik": nik(n), "full_name": full_name(n), "birth_date": birth_date(n).isoformat(),
        "email": f"peserta{n}@example.co.id", "phone": f"0812{n % 100_000_000:08d}",
        "address": f"Jl. Uji No. {n % 500 + 1}, Jakarta Pusat", "postal_code": "10110", "balance": str(balance),
        "membership_status": "active", "card_status": "active", "membership_start": membership_start.isoformat(),
    }


def csv_text(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(HEADER), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def activate(rt: Runtime, n: int, born: date | None = None) -> auth.Identity:
    """Activate participant `n`'s kiosk account with the PIN `PIN`, proving `born` (default: the
    right birth date)."""
    return auth.activate(rt, nib(n), nik(n), (born or birth_date(n)).strftime("%d-%m-%Y"), "pin", PIN, PIN)
