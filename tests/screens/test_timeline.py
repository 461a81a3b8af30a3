"""The stage timeline: marks that read without colour, times of reached stages, rejection."""

from datetime import UTC, datetime, timedelta

from kidb_tui.i18n import Translator
from kidb_tui.services.claims import ClaimView, StageEvent
from kidb_tui.widgets.timeline import (
    MARK_CURRENT,
    MARK_DONE,
    MARK_PENDING,
    MARK_REJECTED,
    timeline_lines,
    timeline_text,
)

START = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
ID = Translator("id")


def _claim(stage: str, reached: list[str], reason: str = "") -> ClaimView:
    events = tuple(StageEvent(name, START + timedelta(days=day), "") for day, name in enumerate(reached))
    return ClaimView("KIDB-2026-000009", "biaya_medis", 1_500_000, "BCA", "******7890", stage, reason, START, events)


def _marks(claim: ClaimView) -> list[str]:
    return [line.mark for line in timeline_lines(claim, ID.t, ID.datetime)]


def test_open_claim_marks_reached_current_and_pending_stages():
    claim = _claim("persetujuan", ["agenda", "penetapan", "persetujuan"])
    lines = timeline_lines(claim, ID.t, ID.datetime)
    assert [line.mark for line in lines] == [MARK_DONE, MARK_DONE, MARK_CURRENT, MARK_PENDING, MARK_PENDING]
    assert lines[0].when == "20 Nov 2026 09.00 WIB"
    assert lines[2].when == "22 Nov 2026 09.00 WIB"
    assert "sekarang" in lines[2].remark
    assert lines[3].when == "menunggu"
    assert "Persetujuan" in lines[2].stage


def test_new_claim_is_current_at_agenda():
    assert _marks(_claim("agenda", ["agenda"])) == [MARK_CURRENT, *[MARK_PENDING] * 4]


def test_completed_claim_has_every_stage_done():
    claim = _claim("selesai", ["agenda", "penetapan", "persetujuan", "pembayaran", "selesai"])
    lines = timeline_lines(claim, ID.t, ID.datetime)
    assert [line.mark for line in lines] == [MARK_DONE] * 5
    assert lines[-1].remark == "klaim selesai"


def test_rejected_claim_shows_reached_stages_then_rejection():
    claim = _claim("ditolak", ["agenda", "penetapan", "ditolak"], reason="Masa tunggu belum selesai")
    lines = timeline_lines(claim, ID.t, ID.datetime)
    assert [line.mark for line in lines] == [MARK_DONE, MARK_DONE, MARK_REJECTED]
    assert lines[-1].stage == "Ditolak"
    assert lines[-1].when == "22 Nov 2026 09.00 WIB"


def test_text_is_aligned_and_english_follows_the_language():
    english = Translator("en")
    text = timeline_text(_claim("agenda", ["agenda"]), english.t, english.datetime)
    rows = text.splitlines()
    assert len(rows) == 5
    assert rows[0].startswith("[>] ")
    assert "current stage" in rows[0]
    assert rows[1].endswith("waiting")
    assert rows[0].index("20 Nov 2026") == rows[1].index("waiting") == rows[4].index("waiting")
