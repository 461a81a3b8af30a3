"""Time per branch: every time a person sees (screens, receipts, notifications, exports) is in
the branch's zone with its abbreviation (WIB, WITA, WIT), set by KIDB_TIMEZONE; the database
keeps UTC (kidb_tui/i18n.py, kidb_tui/services/export.py, kidb_tui/services/claims.py)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest

from kidb_tui.i18n import Translator
from kidb_tui.services.export import export_claims
from kidb_tui.services.runtime import Runtime
from tests.backoffice_services.helpers import claim_of, file_claim
from tests.conftest import BUDI, FROZEN_AT, SITI, settle

MOMENT = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@pytest.fixture
def settings(settings):
    """A branch in Makassar (WITA, UTC+8)."""
    return settings.with_(timezone="Asia/Makassar")


@pytest.mark.parametrize("zone, language, shown", [
    ("Asia/Jakarta", "id", "25 Nov 2026 10.00 WIB"),
    ("Asia/Pontianak", "en", "25 Nov 2026 10.00 WIB"),
    ("Asia/Makassar", "id", "25 Nov 2026 11.00 WITA"),
    ("Asia/Jayapura", "en", "25 Nov 2026 12.00 WIT"),
])
def test_a_moment_in_each_zone(zone, language, shown):
    assert Translator(language, zone).datetime(MOMENT) == shown


def test_the_default_is_jakarta():
    assert Translator("id").datetime(MOMENT) == "25 Nov 2026 10.00 WIB"


async def test_the_inbox_shows_the_branch_time(make_app):
    app = make_app(signed_in=BUDI)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        rows = [str(option.prompt) for option in app.screen.query_one("#inbox").options]
    assert rows and all("25 Nov 2026 11.00 WITA" in row for row in rows)


def test_the_claim_reference_year_is_the_branch_year(demo_rt, settings):
    demo_rt.clock.current = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 23.30 WIB, 00.30 WITA
    makassar = file_claim(demo_rt, SITI, "biaya_medis", "2.000.000", "siti-makassar")
    jakarta_rt = Runtime.create(settings.with_(timezone="Asia/Jakarta"), demo_rt.clock, demo_rt.engine)
    jakarta = file_claim(jakarta_rt, SITI, "biaya_pengobatan", "1.000.000", "siti-jakarta")
    assert makassar.reference.startswith("KIDB-2027-") and jakarta.reference.startswith("KIDB-2026-")


def test_the_export_gives_local_time_with_offset_and_abbreviation(demo_rt, tmp_path):
    path = tmp_path / "agenda.csv"
    export_claims(demo_rt, "agenda", path)
    with path.open(newline="", encoding="utf-8") as handle:
        [row] = [line for line in csv.DictReader(handle) if line["reference"] == claim_of(demo_rt, BUDI).reference]
    assert (row["created_at"], row["time_zone"]) == ("2026-11-25T11:00:00+08:00", "WITA")
    assert datetime.fromisoformat(row["created_at"]) == FROZEN_AT
