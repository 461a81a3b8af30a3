"""The messages screens send: to the app (someone signed in, the session must end) and to
themselves from a worker thread (the data a screen shows)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from textual.message import Message
from textual.screen import Screen

ViewT = TypeVar("ViewT")


class SignedIn(Message):
    """A login, an activation or a reset proved who is at the terminal; `welcome` is shown as a
    notification once the signed-in screens are up, and `follow` (when given) makes the screen
    opened over the menu (an activation shows the email on record and asks for its code)."""

    def __init__(
        self, user: object, welcome: str = "", welcome_title: str = "",
        follow: Callable[[], Screen[Any]] | None = None,
    ) -> None:
        super().__init__()
        self.user = user
        self.welcome = welcome
        self.welcome_title = welcome_title
        self.follow = follow


class SignOutRequested(Message):
    """End the session (the person chose to, or their account was locked); `notice` is shown as
    an error on the fresh login screen."""

    def __init__(self, reason: str = "user", notice: str = "") -> None:
        super().__init__()
        self.reason = reason
        self.notice = notice


class ViewLoaded(Message, Generic[ViewT], bubble=False):
    """A screen's view model, loaded once in a worker thread (frozen: read, never changed)."""

    def __init__(self, view: ViewT) -> None:
        super().__init__()
        self.view = view
