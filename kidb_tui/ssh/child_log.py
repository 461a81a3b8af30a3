"""A kiosk session's log pipe read into the server log: each line the child writes becomes one
server line `terminal=<id> pid=<pid> <line>`, escaped and cut at LINE_LIMIT bytes, with a
bounded buffer however much the child writes."""

from __future__ import annotations

import asyncio
import logging
import os
import re

from kidb_tui.logs import escape

log = logging.getLogger("kidb.ssh")

READ_SIZE = 65536
LINE_LIMIT = 16384
DRAIN_READS = 64
_LEVEL = re.compile(rb'\blevel=(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b|"level": ?"(DEBUG|INFO|WARNING|ERROR|CRITICAL)"')


class ChildLog:
    """The read end of one session's log pipe (the child holds the write end as $KIDB_LOG_FD)."""

    def __init__(self, terminal_id: str) -> None:
        self.terminal_id = terminal_id
        self.pid = 0
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        self._buffer = b""
        self._cut = False

    def started(self, pid: int) -> None:
        """The child runs: drop this process's copy of the write end and follow the pipe."""
        self.pid = pid
        self._close_write_end()
        asyncio.get_running_loop().add_reader(self.read_fd, self._readable)

    def close(self) -> None:
        """Log what is left in the pipe (the child has ended) and close it."""
        self._close_write_end()
        if self.read_fd < 0:
            return
        asyncio.get_running_loop().remove_reader(self.read_fd)
        for _ in range(DRAIN_READS):
            if not self._read():
                break
        if self._buffer:
            self._emit(self._buffer)
        os.close(self.read_fd)
        self.read_fd = -1

    def _close_write_end(self) -> None:
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def _readable(self) -> None:
        if not self._read():
            asyncio.get_running_loop().remove_reader(self.read_fd)

    def _read(self) -> bool:
        """One read from the pipe into log lines; False at the end of the pipe or when it is empty."""
        try:
            data = os.read(self.read_fd, READ_SIZE)
        except BlockingIOError:
            return False
        except OSError:
            data = b""
        if not data:
            return False
        *lines, self._buffer = (self._buffer + data).split(b"\n")
        for line in lines:
            if self._cut:
                self._cut = False
            else:
                self._emit(line)
        if len(self._buffer) > LINE_LIMIT and not self._cut:
            self._emit(self._buffer)
            self._cut = True
        if self._cut:
            self._buffer = b""
        return True

    def _emit(self, line: bytes) -> None:
        text = line[:LINE_LIMIT].decode("utf-8", errors="replace").rstrip("\r")
        if len(line) > LINE_LIMIT:
            text += " [cut]"
        level = _LEVEL.search(line[:200])
        log.log(getattr(logging, (level.group(1) or level.group(2)).decode()) if level else logging.INFO,
                "terminal=%s pid=%d %s", escape(self.terminal_id), self.pid, escape(text))
