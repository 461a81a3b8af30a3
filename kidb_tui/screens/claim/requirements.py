"""Daftar Pencairan, step 2: every requirement of the chosen claim type, met or not and what to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button

from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.common import Requirements, limit_text
from kidb_tui.services import reference, requirements
from kidb_tui.services.requirements import IN_FLOW, MET, Requirement
from kidb_tui.widgets.text import Block, KeyButton

if TYPE_CHECKING:
    from kidb_tui.screens.claim.flow import ClaimFlow

MARKS = {MET: "[x]", IN_FLOW: "[~]"}
UNMET_MARK = "[ ]"


def requirement_text(t, item: Requirement) -> str:  # `t`: a translate function
    key = f"req.{item.key}.{item.status}"
    if item.key == "contact_recent" and "confirmed_date" not in item.params:
        key = f"{key}_never"
    return t(key, **item.params)


class RequirementsScreen(KioskScreen[Requirements]):
    TITLE_KEY = "claim.req_title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("enter", "next", "key.next", priority=True),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self, flow: ClaimFlow, type_code: str) -> None:
        super().__init__()
        self.flow = flow
        self.type_code = type_code

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="requirements", classes="card"):
            yield Block(self._report)
            with Horizontal(classes="buttons"):
                yield KeyButton("claim.next_button", id="next", variant="primary")

    def load(self) -> Requirements:
        info = next(info for info in reference.claim_types(self.rt) if info.code == self.type_code)
        report = requirements.check(self.rt, self.identity.participant_id, self.type_code)
        return Requirements(info, report, tuple(reference.banks(self.rt)))

    def show(self, view: Requirements) -> None:
        self.redraw()
        self.query_one("#next").display = view.report.can_proceed
        self._focus_default()
        self.refresh_bindings()

    def _report(self, block: Block) -> RenderableType:
        view = self.view
        if view is None:
            return ""
        info, report = view.info, view.report
        lead = block.heading(self.t("claim.req_lead", type=info.name(self.terminal.language), limit=limit_text(self.t, info)))
        items = block.marked([(MARKS.get(item.status, UNMET_MARK), requirement_text(self.t, item)) for item in report.items])
        limit_key, limit_params = report.limit.text()
        verdict = "claim.req_can_proceed" if report.can_proceed else "claim.req_blocked"
        return Group(
            block.text(""), lead, items, block.text(""), block.text(self.t("claim.req_legend")), block.text(""),
            block.heading(self.t(limit_key, **limit_params)), block.text(""),
            block.text(self.t(verdict)),
        )

    def on_mount(self) -> None:
        self.query_one("#next").display = False
        self.focus_now(self.query_one("#requirements"))

    def _focus_default(self) -> None:
        button = self.query_one("#next", Button)
        self.focus_now(button if button.display else self.query_one("#requirements"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next":
            return self.view is not None and self.view.report.can_proceed
        return True

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        if self.view is not None and self.view.report.can_proceed:
            self.flow.requirements_met(self.view)

    def action_back(self) -> None:
        self.app.pop_screen()
