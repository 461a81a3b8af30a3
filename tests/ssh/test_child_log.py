"""A session's log pipe into the server log: one escaped, capped line per line the child writes."""

from __future__ import annotations

import asyncio
import logging
import os

from kidb_tui.ssh.child_log import LINE_LIMIT, ChildLog


def lines_of(caplog) -> list[tuple[int, str]]:
    return [(record.levelno, record.getMessage()) for record in caplog.records if record.name == "kidb.ssh"]


async def wait_records(caplog, count: int) -> None:
    for _ in range(500):
        if len(lines_of(caplog)) >= count:
            return
        await asyncio.sleep(0.01)


async def test_lines_reach_the_server_log_escaped_with_terminal_and_pid(caplog):
    caplog.set_level(logging.INFO, logger="kidb.ssh")
    child_log = ChildLog("JKT-01")
    writer = os.dup(child_log.write_fd)
    child_log.started(4242)
    os.write(writer, b"t kidb pid=4242 level=INFO kiosk started\n"
                     b"t kidb pid=4242 level=ERROR boom: Traceback\\n  File x\n"
                     b"forged\x1b[2J\rline\n")
    try:
        await wait_records(caplog, 3)
    finally:
        os.close(writer)
        child_log.close()
    assert lines_of(caplog) == [
        (logging.INFO, "terminal=JKT-01 pid=4242 t kidb pid=4242 level=INFO kiosk started"),
        (logging.ERROR, "terminal=JKT-01 pid=4242 t kidb pid=4242 level=ERROR boom: Traceback\\n  File x"),
        (logging.INFO, "terminal=JKT-01 pid=4242 forged\\x1b[2J\\rline"),
    ]


async def test_a_long_line_is_cut_and_the_rest_of_it_dropped(caplog):
    """However long a line without a newline grows, at most LINE_LIMIT bytes of it are kept."""
    caplog.set_level(logging.INFO, logger="kidb.ssh")
    child_log = ChildLog("JKT-01")
    writer = os.dup(child_log.write_fd)
    child_log.started(7)
    os.write(writer, b"x" * (LINE_LIMIT + 5000))
    await wait_records(caplog, 1)
    os.write(writer, b"y" * 30000 + b"\nnext line\nno newline at the end")
    os.close(writer)
    child_log.close()
    [(_, cut), (_, following), (_, last)] = lines_of(caplog)
    assert cut == f"terminal=JKT-01 pid=7 {'x' * LINE_LIMIT} [cut]"
    assert following == "terminal=JKT-01 pid=7 next line"
    assert last == "terminal=JKT-01 pid=7 no newline at the end"
    assert child_log.read_fd == -1 and child_log.write_fd == -1


async def test_json_lines_keep_their_level(caplog):
    """Sessions started with --log-format json write JSON lines: their level is kept too."""
    caplog.set_level(logging.INFO, logger="kidb.ssh")
    child_log = ChildLog("JKT-01")
    writer = os.dup(child_log.write_fd)
    child_log.started(11)
    os.write(writer, b'{"time": "t", "level": "ERROR", "msg": "boom"}\n{"level": "WARNING", "msg": "w"}\n')
    try:
        await wait_records(caplog, 2)
    finally:
        os.close(writer)
        child_log.close()
    assert [level for level, _ in lines_of(caplog)] == [logging.ERROR, logging.WARNING]


def test_the_servers_own_lines_follow_the_chosen_format(monkeypatch):
    """`kidb serve --log-format json` (KIDB_LOG_FORMAT): the server's own lines are JSON too."""
    import io
    import json

    from kidb_tui.ssh.log_limits import log_to_stderr

    stream = io.StringIO()
    monkeypatch.setenv("KIDB_LOG_FORMAT", "json")
    try:
        log_to_stderr(stream, "kidb-serve")
        logging.getLogger("kidb.ssh").info("auth ok terminal=%s", "JKT-01\nforged")
    finally:
        logging.basicConfig(handlers=[logging.NullHandler()], force=True)
    [line] = stream.getvalue().splitlines()
    record = json.loads(line)
    assert (record["level"], record["program"], record["msg"]) == ("INFO", "kidb-serve", "auth ok terminal=JKT-01\\nforged")
