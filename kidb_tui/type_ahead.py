"""Type-ahead as in a terminal form system: keys that arrive together (a fast typist, a paste,
a session that lags so keys queue up) act one after the other, each on the state the keys before
it produced. Textual hands each key to whatever has focus when the key is read, so NIB, Tab and PIN
in one burst would put the PIN into the NIB field; here a key is handed on only once the screen
has finished with the one before: its messages handled, focus moved, a new screen mounted and
showing its data, and its workers (a login being checked) done. Printable keys queued together
go to a text field in one go (one paste: one Changed message, one frame) where the app says that
gives what the keys one by one would (`at_once`; each key was a whole round of the screen's
message loops, about 1.5 ms of CPU, most of a session's login in a crowd)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.message_pump import MessagePump

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen
    from textual.worker import Worker

HOLD_SECONDS = 30.0
"""Longest a key waits for the work of the keys before it (then it is handed on regardless)."""
_ROUNDS = 50
_PUMP_SECONDS = 1.0


class TypeAhead:
    """`receive(event)` queues a key (or a paste); `deliver(event)` is the app's own handling of it,
    called in the app's message loop. `ready(screen)` says whether a screen shows its data and
    `holds(worker)` whether a worker's work must finish before the next key; `at_once(screen, keys)`
    whether the screen takes printable keys queued together as one paste."""

    def __init__(self, app: App, deliver: Callable[[events.Event], Awaitable[object]],
                 ready: Callable[[Screen], bool], holds: Callable[[Worker[Any]], bool],
                 at_once: Callable[[Screen, list[events.Key]], bool] | None = None) -> None:
        self._app = app
        self._at_once = at_once
        self._deliver = deliver
        self._ready = ready
        self._holds = holds
        self._pending: deque[events.Event] = deque()
        self._task: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """Keys received and not yet handed on."""
        return len(self._pending) + (1 if self._task is not None and not self._task.done() else 0)

    def receive(self, event: events.Event) -> None:
        self._pending.append(event)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._hand_on())

    async def _hand_on(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            deadline = loop.time() + HOLD_SECONDS
            while True:
                screen = await self._settled(deadline)
                handed = loop.create_future()

                async def hand(screen: Screen = screen, handed: asyncio.Future[bool] = handed,
                               deadline: float = deadline) -> None:
                    """In the app's loop: still the same, settled screen? Then the key is its."""
                    if self._app.screen is not screen and loop.time() < deadline:
                        handed.set_result(False)
                        return
                    event = self._joined(screen)
                    try:
                        await self._deliver(event)
                    finally:
                        handed.set_result(True)

                if not self._app.call_later(hand):
                    self._pending.clear()
                    return
                if await handed:
                    break

    def _joined(self, screen: Screen) -> events.Event:
        """The next event: the printable keys at the head of the queue as one paste when the
        screen takes them at once, else the first key alone."""
        run: list[events.Key] = []
        for queued in self._pending:
            if not (isinstance(queued, events.Key) and queued.is_printable and queued.character):
                break
            run.append(queued)
        if len(run) < 2 or self._at_once is None or not self._at_once(screen, run):
            return self._pending.popleft()
        for _ in run:
            self._pending.popleft()
        return events.Paste("".join(key.character or "" for key in run))

    async def _settled(self, deadline: float) -> Screen:
        """Wait until the app and its current screen have handled every message, the screen is
        ready and its workers are done; the screen."""
        loop = asyncio.get_running_loop()
        for _ in range(_ROUNDS):
            screen = self._app.screen
            nodes: list[MessagePump] = [self._app, screen, *screen.walk_children()]
            await _handled(nodes, min(_PUMP_SECONDS, max(deadline - loop.time(), 0.0)))
            left = deadline - loop.time()
            if left <= 0:
                return self._app.screen
            if self._app.screen is not screen:
                continue
            members = {id(node) for node in nodes}
            working = [worker for worker in self._app.workers
                       if id(worker.node) in members and self._holds(worker) and not worker.is_finished]
            if working:
                await asyncio.wait([asyncio.ensure_future(_finished(worker)) for worker in working], timeout=left)
                continue
            if not self._ready(screen):
                await asyncio.sleep(0.005)
                continue
            if all(node._message_queue.empty() for node in nodes) and self._app.screen is screen:
                return screen
        return self._app.screen


async def _handled(nodes: list[MessagePump], timeout: float) -> None:
    """Until every node has handled the messages queued for it now."""
    left = 0
    done = asyncio.Event()

    def arrived() -> None:
        nonlocal left
        left -= 1
        if left == 0:
            done.set()

    # The Callback event itself, not call_later: that wraps `arrived` in a new partial for each node,
    # whose parameters Textual counts with inspect.signature every time (milliseconds a transition).
    for node in nodes:
        if not _idle(node) and node.post_message(events.Callback(callback=arrived)):
            left += 1
    if left:
        try:
            await asyncio.wait_for(done.wait(), timeout)
        except TimeoutError:
            return


def _idle(node: MessagePump) -> bool:
    """Whether a node's message loop waits on its empty queue, with nothing begun and nothing
    left to do after a message (Textual's idle callbacks): it has handled everything, so it
    needs no callback to say so (most of a screen's nodes, most keys; each callback woke the
    node's loop and its idle handling)."""
    waiting = getattr(node._message_queue.ready_event, "_waiters", None)  # asyncio.Event's waiting futures
    return (node._message_queue.empty() and bool(waiting) and node._pending_message is None
            and not node._next_callbacks)


async def _finished(worker: object) -> None:
    try:
        await worker.wait()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001  (a failed or cancelled worker is finished too; the app reports it)
        return
