"""Style sheets parsed once, in the session host. Textual parses the kiosk's .tcss files and
each widget class's DEFAULT_CSS in every app, again in a fresh stylesheet whenever a screen
brings new CSS, and keeps at most 64 results per stylesheet: about a quarter of a session's
start. Here the result for each source (text, location, priority, scope, theme variables) is
kept for the whole process, and `parse_all()` fills it in the host with every source a
session can use, so that forked sessions look their rules up instead of parsing them. The
rules are shared, as Textual already shares them between the parses of one stylesheet."""

from __future__ import annotations

from pathlib import PurePath
from types import SimpleNamespace

from textual.app import App
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode

from kidb_tui.host.classes import loaded_subclasses
from kidb_tui.terminal_app import style_sheets

_PARSED: dict[tuple, dict[tuple, list[RuleSet]]] = {}
_parse_one = Stylesheet._parse_rules


def _parse_rules(self: Stylesheet, css: str, read_from, is_default_rules: bool = False, tie_breaker: int = 0,
                 scope: str = "") -> list[RuleSet]:
    """Stylesheet._parse_rules, its results kept per theme variables for the whole process."""
    parsed = _PARSED.setdefault(tuple(self._variables.items()), {})
    key = (css, read_from, is_default_rules, tie_breaker, scope)
    rules = parsed.get(key)
    if rules is None:
        rules = parsed[key] = _parse_one(self, css, read_from, is_default_rules, tie_breaker, scope)
    return rules


def keep_parsed() -> None:
    """Keep parsed rules process-wide from now on: a stylesheet Textual makes afresh (each
    reparse) looks up the sources parsed before instead of parsing them again."""
    Stylesheet._parse_rules = _parse_rules  # type: ignore[method-assign]  # the process-wide cache (see above)


def parse_all() -> int:
    """Keep parsed rules process-wide from now on and parse every source a session can meet:
    the .tcss files (any error stops the host) and the DEFAULT_CSS of each loaded widget class
    at each priority it can have. Returns the number of sources parsed."""
    keep_parsed()
    sheet = Stylesheet(variables=App().get_css_variables())
    sheet.read_all([PurePath(path) for path in style_sheets()])
    sheet.parse()
    for cls in loaded_subclasses(DOMNode):
        node = SimpleNamespace(_node_bases=DOMNode._css_bases(cls))
        for read_from, css, tie_breaker, scope in DOMNode._get_default_css(node):  # type: ignore[arg-type]  # a class, not a node
            sheet._parse_rules(css, read_from, True, tie_breaker, scope)
    return sum(len(parsed) for parsed in _PARSED.values())


def parsed_count() -> int:
    """How many sources have been parsed in this process (the host's, then the session's own)."""
    return sum(len(parsed) for parsed in _PARSED.values())
