"""Daftar Pencairan, step 2: every requirement of the chosen claim type, met or not and what to do next."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from kidb_tui.screens.base import KioskScreen
from kidb_tui.screens.claim.flow import claim_type, limit_text
from kidb_tui.screens.claim.form import ClaimFormScreen
from kidb_tui.services import requirements
from kidb_tui.services.requirements import IN_FLOW, MET, Requirement, RequirementReport

MARKS = {MET: "[x]", IN_FLOW: "[~]"}
UNMET_MARK = "[ ]"


class RequirementsScreen(KioskScreen):
    TITLE_KEY = "claim.req_title"
    BINDINGS = [
        *KioskScreen.BINDINGS,
        Binding("enter", "next", "key.next", priority=True),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self, type_code: str) -> None:
        super().__init__()
        self.type_code = type_code
        self.report: RequirementReport | None = None

    def compose_body(self) -> ComposeResult:
        report = requirements.check(self.rt, self.identity.participant_id, self.type_code)
        self.report = report
        info = claim_type(self.rt, self.type_code)
        with VerticalScroll(id="requirements", classes="card"):
            yield Static(
                self.t("claim.req_lead", type=info.name(self.app.i18n.language), limit=limit_text(self, info)),
                markup=False, classes="lead",
            )
            for item in report.items:
                with Horizontal(classes=f"requirement -{item.status}"):
                    yield Static(MARKS.get(item.status, UNMET_MARK), markup=False, classes="mark")
                    yield Static(self._text(item), markup=False, classes="requirement-text")
            yield Static(self.t("claim.req_legend"), markup=False, classes="hint req-legend")
            max_line = self.t("claim.max_amount_line", max_amount=report.max_amount)
            yield Static(max_line, markup=False, classes="req-max")
            verdict = "claim.req_can_proceed" if report.can_proceed else "claim.req_blocked"
            yield Static(self.t(verdict), markup=False, id="verdict")
            if report.can_proceed:
                with Horizontal(classes="buttons"):
                    yield Button(self.t("claim.next_button"), id="next", variant="primary")

    def _text(self, item: Requirement) -> str:
        key = f"req.{item.key}.{item.status}"
        if item.key == "contact_recent" and "confirmed_date" not in item.params:
            key = f"{key}_never"
        return self.t(key, **item.params)

    def on_mount(self) -> None:
        self._focus_default()

    def after_relabel(self) -> None:
        self._focus_default()

    def _focus_default(self) -> None:
        for button in self.query("#next"):
            button.focus()
            return
        self.query_one("#requirements").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next":
            return self.report is not None and self.report.can_proceed
        return True

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        if self.report is not None and self.report.can_proceed:
            self.app.push_screen(ClaimFormScreen(self.type_code))

    def action_back(self) -> None:
        self.app.pop_screen()
