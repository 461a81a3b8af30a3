"""A one-line input whose typing never lays the screen out again. Textual's Input sets its
virtual size on every key (the value's width), and that size is a layout reactive: each key
typed re-arranged the whole screen (about a third of a key's work on the login screen). The
input's own width comes from its style, never from its value, so here a new virtual size only
repaints it; scrolling a long value reads the virtual size directly and is unchanged."""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class LineInput(Input):
    """Input for a field of a fixed width (not `width: auto`)."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
