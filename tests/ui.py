"""Drive the kiosk and the back office as a person at the terminal does, and read them back the
same way: the text on the 80x24 screen, the label of the field the cursor is in, the status line
and the key bar. Tests written with these helpers do not know widget ids or screen classes, so
a screen can be rebuilt without touching them; the database is checked with plain queries.

    await ui.keys(pilot, *"26010000001", "enter")      # keys, one after the other
    await ui.until(pilot, lambda: "Menu utama" in ui.title(pilot.app))
    assert ui.focused_label(pilot.app) == "PIN / kata sandi"
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Callable

from textual import events
from textual._context import visible_screen_stack
from textual.app import App
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot
from textual.widgets import TextArea

from kidb_tui.i18n import Translator

WAIT_SECONDS = 10.0
_CATALOGUES = {language: Translator(language) for language in ("id", "en")}


def t(key: str, language: str = "id", **params: object) -> str:
    """The catalogue text of `key`, as the screens show it."""
    return _CATALOGUES[language].t(key, **params)


def at(app: App, title_key: str, language: str = "id") -> bool:
    """Whether the title bar names the screen `title_key` (e.g. `menu.title`): `KIDB · <title>`,
    or `KIDB <app> · <title>` in the back office, then perhaps `  —  <who is signed in>`."""
    pattern = rf"KIDB( [^·]+)? · {re.escape(t(title_key, language))}(  —  .*)?"
    return re.fullmatch(pattern, title(app)) is not None


def lines(app: App) -> list[str]:
    """The active screen as it is drawn now, one string per row. A modal is read without the
    screen dimmed behind it: what it asks is what a person reads."""
    screen = app.screen
    token = visible_screen_stack.set(app._background_screens)
    try:
        rows = [strip.text for strip in screen._compositor.render_strips()]
    finally:
        visible_screen_stack.reset(token)
    if screen.is_modal:
        regions = [child.region for child in screen.children if child.display and child.region]
        rows = [
            "".join(char if any(region.contains(x, y) for region in regions) else " " for x, char in enumerate(row))
            for y, row in enumerate(rows)
        ]
    return [row.rstrip() for row in rows]


def _inner(row: str) -> str:
    """`row` with box-drawing characters (a modal's frame) made spaces."""
    return "".join(" " if "\u2500" <= char <= "\u257f" else char for char in row)


def text(app: App) -> str:
    return "\n".join(lines(app))


def flat(app: App) -> str:
    """The screen's text with every run of spaces and line breaks made one space: a phrase that
    wraps over two rows (or inside a frame) is still found as written."""
    return " ".join(_inner(text(app)).split())


def title(app: App) -> str:
    """The title bar (top row), e.g. `KIDB · Menu utama  —  Siti Rahayu`."""
    rows = lines(app)
    return rows[0].strip() if rows else ""


def key_bar(app: App) -> str:
    rows = lines(app)
    return rows[-1].strip() if rows else ""


def keys_offered(app: App) -> dict[str, str]:
    """The key bar as {label: key}, e.g. {"Tetapkan": "F3", "Kembali": "Esc"} (the terminal
    and branch before `|` left out)."""
    bar = key_bar(app).rsplit(" | ", 1)[-1]
    offered = {}
    for entry in re.split(r"\s{2,}", bar.strip()):
        key, _, label = entry.partition(" ")
        offered[label] = key
    return offered


def status(app: App) -> str:
    """The status line: the rows between the last drawn content and the key bar, as one line."""
    found = app.screen.query("#status-line")
    if not found:
        return ""
    region = found.first().region
    rows = lines(app)[region.y:region.bottom]
    return " ".join(" ".join(rows).split())


def focused_label(app: App) -> str:
    """What a person reads as the name of the control the cursor is in: the text to its left on
    its row, or on the nearest row above whose left part holds text (the label of a group such
    as a checklist); for a control with no label (a button, a list), its own text."""
    widget = app.focused
    if widget is None:
        return ""
    region = widget.region
    rows = [_inner(row) for row in lines(app)]
    if not region or region.y >= len(rows):
        return ""
    for row in reversed(rows[:region.y + 1]):
        if not row.strip():
            break
        left = " ".join(row[:region.x].split())
        if left:
            return left
    return " ".join(rows[region.y][region.x:region.right].split())


def focused_value(app: App) -> str:
    """The text drawn inside the focused control (a password field shows dots)."""
    widget = app.focused
    if widget is None:
        return ""
    region = widget.region
    row = _inner(lines(app)[region.y])
    return row[region.x:region.right].strip()


def field_error(app: App, label: str) -> str:
    """The error line drawn under the field labelled `label` (below all its rows, such as a
    checklist's boxes or a text area's, with the notes beside them), "" when there is none."""
    rows = [_inner(row) for row in lines(app)]
    start = next((index for index, row in enumerate(rows) if row.strip().startswith(label)), None)
    if start is None:
        raise AssertionError(f"no field labelled {label!r} on the screen:\n{text(app)}")
    margin = len(rows[start]) - len(rows[start].lstrip())
    indent = margin + len(label)
    message: list[str] = []
    for row in rows[start + 1:]:
        stripped = row.strip()
        side_note = row[:margin + 2].isspace() and bool(row[:indent].strip())
        if side_note and not message:
            continue  # a note in the label column beside the control's lower rows
        if not stripped or row[:indent].strip():
            break
        if message or stripped.startswith("! "):
            message.append(stripped)
    return " ".join(message)[2:]


def shows(app: App, *phrases: str) -> bool:
    screen = flat(app)
    return all(" ".join(phrase.split()) in screen for phrase in phrases)


async def workers_done(app: App) -> None:
    """Until every worker has finished; one that failed is the app's to report (a busy database
    on the screen), not the test's (Textual's `wait_for_complete` would raise its error)."""
    await asyncio.gather(*(worker.wait() for worker in app.workers), return_exceptions=True)


async def settle(pilot: Pilot) -> None:
    """Keys typed ahead handed on, workers (argon2, database loads) finished, the screen redrawn."""
    app = pilot.app
    for _ in range(3):
        await workers_done(app)
        await pilot.pause()
    waiting = getattr(app, "typing_ahead", 0)
    while waiting:
        await pilot.pause(0.01)
        await workers_done(app)
        waiting = app.typing_ahead
    await pilot.pause()


async def keys(pilot: Pilot, *names: str) -> None:
    """Press keys one by one, then let the app finish what they started."""
    await pilot.press(*names)
    await settle(pilot)


def _key_event(name: str) -> events.Key:
    """The event the terminal driver makes for key `name` (as `Pilot.press` names keys)."""
    if len(name) == 1 and not name.isalnum():
        name = _character_to_key(name)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(name, name)))
    except KeyError:
        char = name if len(name) == 1 else None
    return events.Key(name, char)


async def burst(pilot: Pilot, *names: str) -> None:
    """Keys that arrive together (a paste, a fast typist, a lagging link): every one is queued
    before the app handles the first, then the app is left to catch up."""
    app = pilot.app
    driver = app._driver
    assert driver is not None
    for name in names:
        event = _key_event(name)
        event.set_sender(app)
        driver.send_message(event)
    await settle(pilot)


async def until(pilot: Pilot, condition: Callable[[], bool], seconds: float = WAIT_SECONDS) -> None:
    """Wait (letting the app run) until `condition()` holds; fail with the screen after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {seconds} s; the screen shows:\n{text(pilot.app)}")
        await pilot.pause(0.02)
        await workers_done(pilot.app)


async def focus_field(pilot: Pilot, label: str, limit: int = 20) -> None:
    """Tab to the control whose label starts with `label`, as a person would."""
    for _ in range(limit):
        if focused_label(pilot.app).startswith(label):
            return
        await pilot.press("tab")
        await pilot.pause()
    raise AssertionError(f"no field labelled {label!r} reached with Tab; the screen shows:\n{text(pilot.app)}")


async def retype(pilot: Pilot, label: str, value: str) -> None:
    """Go to the field labelled `label`, clear it and type `value` key by key."""
    await focus_field(pilot, label)
    await pilot.press("end", "ctrl+u", *value)
    await settle(pilot)


async def put(pilot: Pilot, label: str, value: str) -> None:
    """Go to the field labelled `label` and make `value` its whole text, as a paste would
    (control characters and line breaks included)."""
    await focus_field(pilot, label)
    focused = pilot.app.focused
    if isinstance(focused, TextArea):
        focused.text = value
    else:
        focused.value = value
    await settle(pilot)


def row_after(app: App, label: str) -> str:
    """The text right of `label` on the first row below the title bar that starts with it (a
    summary row's value, a field's content)."""
    for row in map(_inner, lines(app)[1:]):
        text = row.strip()
        if text.startswith(label):
            return " ".join(text[len(label):].split())
    raise AssertionError(f"no row starts with {label!r}:\n{text(app)}")
