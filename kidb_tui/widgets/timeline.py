"""A claim's stage timeline: Agenda → Penetapan → Persetujuan → Pembayaran → Selesai, or Ditolak.

Every line carries a mark that reads without colour: `[x]` reached, `[>]` the current stage,
`[ ]` still to come, `[!]` rejected. Officer notes (the rejection reason) are plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kidb_tui.services.claims import REJECTED, STAGES, ClaimView, next_stage

Translate = Callable[..., str]

MARK_DONE, MARK_CURRENT, MARK_PENDING, MARK_REJECTED = "[x]", "[>]", "[ ]", "[!]"


@dataclass(frozen=True)
class TimelineLine:
    """One stage: its mark, its name, when it was reached (or "waiting") and a remark."""

    mark: str
    stage: str
    when: str
    remark: str = ""


def stage_name(t: Translate, stage: str) -> str:
    return t("timeline.rejected") if stage == REJECTED else t(f"stage.{stage}")


def timeline_lines(claim: ClaimView, t: Translate, when: Callable[[datetime], str]) -> list[TimelineLine]:
    """The stages of `claim` in order; `when` formats an event time for display."""
    reached = {event.stage: event.at for event in claim.events}
    lines: list[TimelineLine] = []
    if claim.stage == REJECTED:
        for stage in STAGES:
            if stage in reached:
                lines.append(TimelineLine(MARK_DONE, stage_name(t, stage), when(reached[stage])))
        rejected_at = when(reached[REJECTED]) if REJECTED in reached else ""
        lines.append(TimelineLine(MARK_REJECTED, stage_name(t, REJECTED), rejected_at))
        return lines
    current = STAGES.index(claim.stage) if claim.stage in STAGES else 0
    for index, stage in enumerate(STAGES):
        at = when(reached[stage]) if stage in reached else ""
        if index < current:
            lines.append(TimelineLine(MARK_DONE, stage_name(t, stage), at))
        elif index == current and stage == STAGES[-1]:
            lines.append(TimelineLine(MARK_DONE, stage_name(t, stage), at, t("timeline.completed")))
        elif index == current:
            lines.append(TimelineLine(MARK_CURRENT, stage_name(t, stage), at, t("timeline.current")))
        else:
            lines.append(TimelineLine(MARK_PENDING, stage_name(t, stage), t("timeline.pending")))
    return lines


def timeline_text(claim: ClaimView, t: Translate, when: Callable[[datetime], str]) -> str:
    """The stage lines as aligned plain text."""
    lines = timeline_lines(claim, t, when)
    width = max(len(line.stage) for line in lines)
    rows = []
    for line in lines:
        row = f"{line.mark} {line.stage:<{width}}  {line.when}"
        rows.append(f"{row}  {line.remark}" if line.remark else row.rstrip())
    return "\n".join(rows)


def timeline_notes(claim: ClaimView, t: Translate) -> list[str]:
    """What happens next, or why the claim was rejected and what to do now."""
    if claim.stage == REJECTED:
        return [t("timeline.reason", reason=claim.rejection_reason), t("timeline.todo")]
    following = next_stage(claim.stage)
    return [t("timeline.next", stage=stage_name(t, following))] if following else []
