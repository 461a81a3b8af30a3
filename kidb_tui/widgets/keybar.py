"""The key bar at the foot of every screen: the active keys with translated labels,
and the terminal this session runs on."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ScreenStackError
from textual.screen import Screen
from textual.widgets import Static

from kidb_tui.widgets.text import Translated

if TYPE_CHECKING:
    from kidb_tui.terminal_app import TerminalApp


class KeyBar(Translated, Static):
    """Like Textual's Footer, but binding descriptions are translation keys."""

    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__("", markup=False, id="keybar")
        self._shown = ""
        # Made in a screen's compose, when that screen is the app's: its keys are in its first
        # frame (set on mount only, a real terminal got the first frame with an empty bar).
        try:
            screen = self.app.screen
        except (RuntimeError, ScreenStackError):  # no app running (a test), or no screen yet
            return
        self.update_keys(screen)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.update_keys()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object) -> None:
        self.update_keys()

    def relabel(self) -> None:
        self.update_keys()

    def update_keys(self, screen: Screen[object] | None = None) -> None:
        app = cast("TerminalApp", self.app)
        parts: list[tuple[tuple[int, int], str]] = []
        seen: set[str] = set()
        for _node, binding, enabled, _tooltip in (screen or self.screen).active_bindings.values():
            if not binding.show or not enabled or binding.description in seen:
                continue
            seen.add(binding.description)
            parts.append((_rank(binding.key), f"{_key_label(app.get_key_display(binding))} {app.t(binding.description)}"))
        parts.sort(key=lambda part: part[0])
        settings = app.settings
        terminal = " · ".join(part for part in (settings.terminal_id, settings.branch) if part)
        keys = "  ".join(text for _rank_of, text in parts)
        text = f"{terminal} | {keys}" if terminal else keys
        if text != self._shown:
            self._shown = text
            self.update(text)


def _rank(key: str) -> tuple[int, int]:
    """The key bar's fixed order on every screen: F1 to F12, then Enter, then Esc, then others."""
    if key[:1] == "f" and key[1:].isdigit():
        return (0, int(key[1:]))
    return {"enter": (1, 0), "escape": (2, 0)}.get(key, (3, 0))


def _key_label(display: str) -> str:
    """`f2` -> `F2`, `esc` -> `Esc`, `⏎` -> `Enter` (console fonts lack the symbol); others as shown."""
    if display == "⏎":
        return "Enter"
    if display[:1] == "f" and display[1:].isdigit():
        return display.upper()
    return display[:1].upper() + display[1:] if display.isalpha() else display
