"""The DEFAULT_CSS of widget classes a screen is about to mount, added to the app's style sheet in
one go. Textual adds a class's CSS when its first widget is registered, and parses the whole
sheet again (every source, and the map of rules by selector) at the next style application: a
screen whose controls sit inside fields inside a scrolling card met its new classes at three
levels, and the sheet was parsed once per level."""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace

from textual.app import App
from textual.dom import DOMNode


def add_default_css(app: App, classes: Iterable[type[DOMNode]]) -> None:
    """Each class's DEFAULT_CSS (and its bases'), in the order given, as Textual's own
    registration adds it (a source already in the sheet stays where it is)."""
    for cls in classes:
        node = SimpleNamespace(_node_bases=DOMNode._css_bases(cls))
        for read_from, css, tie_breaker, scope in DOMNode._get_default_css(node):  # type: ignore[arg-type]  # a class, not a node
            app.stylesheet.add_source(css, read_from=read_from, is_default_css=True, tie_breaker=tie_breaker,
                                      scope=scope)
