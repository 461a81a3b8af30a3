"""Textual counts the parameters of each handler, watcher and action it calls (inspect.signature,
about 20 us each) and keeps the count on the function, once per process: in a forked session,
some sixty times before its login screen is drawn and more on each new screen. `count_all()`
makes those counts in the session host before it forks, for every such method of every loaded
message pump class, the way Textual makes them for the bound method it calls, so that the
sessions inherit them."""

from __future__ import annotations

from types import FunctionType, MethodType

from textual._callback import count_parameters
from textual.message_pump import MessagePump

from kidb_tui.host.classes import loaded_subclasses

PREFIXES = ("on_", "_on_", "watch_", "_watch_", "action_", "_action_", "compute_", "_compute_")
"""What Textual calls bound through textual._callback: message and event handlers, watchers,
actions, computed reactives (and any method with an `@on` decorator)."""


def count_all() -> int:
    """Count the parameters of every handler-like method of every loaded message pump class,
    as Textual does when it calls one bound; returns how many methods were counted."""
    counted = 0
    stand_in = object()
    for cls in loaded_subclasses(MessagePump):
        for name, value in vars(cls).items():
            if isinstance(value, FunctionType) and (name.startswith(PREFIXES) or hasattr(value, "_textual_on")):
                count_parameters(MethodType(value, stand_in))
                counted += 1
    return counted
