"""The sender's loop: claim due outbox rows (services/sender.py), render each in its
participant's language, hand it to its channel's transport with no transaction open, and mark
the outcome. Runs as a task of `kidb serve`, as `kidb notify run`, and as a thread of `kidb demo`."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable

from kidb_tui.delivery.mail_render import render
from kidb_tui.delivery.transports import Refused, Transport
from kidb_tui.errors import SystemBusy
from kidb_tui.models import OutboxMessage
from kidb_tui.services import sender
from kidb_tui.services.runtime import Runtime

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0


def deliver(rt: Runtime, transports: dict[str, Transport], row: OutboxMessage, worker: str) -> str:
    """Send one claimed row and record the outcome: sent, pending (to retry) or dead."""
    try:
        transports[row.channel].send(row, render(row, rt.settings.timezone))
    except Refused as error:
        log.warning("outbox message %s refused: %s", row.id, error)
        return sender.mark_failed(rt, row, worker, str(error), refused=True)
    except Exception as error:  # noqa: BLE001 - any other failure is worth another try
        log.warning("outbox message %s not sent: %s", row.id, type(error).__name__)
        return sender.mark_failed(rt, row, worker, f"{type(error).__name__}: {error}")
    sender.mark_sent(rt, row, worker)
    return "sent"


def run_once(rt: Runtime, transports: dict[str, Transport], worker: str | None = None) -> sender.Outcome:
    """Deliver every row due now (batch after batch); what happened to them."""
    worker = worker or sender.worker_name()
    counts = {"sent": 0, "pending": 0, "dead": 0}
    while transports:
        rows = sender.claim(rt, worker, sorted(transports))
        if not rows:
            break
        for row in rows:
            counts[deliver(rt, transports, row, worker)] += 1
        if counts["pending"]:
            break
    return sender.Outcome(counts["sent"], counts["pending"], counts["dead"])


async def send_every(
    rt: Runtime, transports: dict[str, Transport], seconds: float = POLL_SECONDS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Deliver what is due, then again every `seconds`, until cancelled (the `kidb serve` task);
    the work runs in a thread, and a busy database is logged and tried again next time."""
    worker = sender.worker_name()
    while True:
        try:
            outcome = await asyncio.to_thread(run_once, rt, transports, worker)
            if outcome != sender.Outcome():
                log.info("outbox: %d sent, %d to retry, %d dead", outcome.sent, outcome.retried, outcome.dead)
        except SystemBusy as error:
            log.warning("outbox not delivered: %s", error)
        await sleep(seconds)


def run_until(rt: Runtime, transports: dict[str, Transport], stop: threading.Event,
              seconds: float = POLL_SECONDS) -> None:
    """The same as `send_every`, in a thread of its own until `stop` is set (the demo's sender)."""
    worker = sender.worker_name()
    while not stop.is_set():
        try:
            run_once(rt, transports, worker)
        except SystemBusy as error:
            log.warning("outbox not delivered: %s", error)
        stop.wait(seconds)
