"""Sessions as new processes (`kidb serve --no-host`, as before the session host): each one
`python -I -m kidb_tui --kiosk` (or `--kiosk backoffice`), leading a new session whose
controlling terminal is its pty, started with SIGINT, SIGQUIT and SIGTSTP ignored (so Python
installs no KeyboardInterrupt handler), with a clean environment: the server's KIDB_*
settings, the terminal id and branch of the key that logged in, the client's TERM, the
server's database URL and data directory, and KIDB_LOG_FD, its log pipe (child_log.py)."""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import sys
import termios

from kidb_tui.config import user_data_dir
from kidb_tui.host.protocol import clean_term
from kidb_tui.logs import LOG_FD_ENV
from kidb_tui.services.audit_seal import SERVER_SEALS_ENV
from kidb_tui.ssh.key_lines import Terminal

TERMINAL_SIGNALS = (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP)


def child_command(terminal: Terminal, language: str | None) -> list[str]:
    argv = [sys.executable, "-I", "-m", "kidb_tui"]
    if language:
        argv += ["--language", language]
    return argv + ["--kiosk"] + (["backoffice"] if terminal.role == "backoffice" else [])


def child_environment(terminal: Terminal, term: str, extra: dict[str, str]) -> dict[str, str]:
    """A clean environment: this process's KIDB_* settings (not its log fd), the terminal of the
    key, a sane TERM."""
    env = {name: value for name, value in os.environ.items() if name.startswith("KIDB_") and name != LOG_FD_ENV}
    env.update(
        PATH=os.defpath,
        LANG="C.UTF-8",
        TERM=clean_term(term),
        KIDB_TERMINAL_ID=terminal.terminal_id,
        KIDB_BRANCH=terminal.branch,
        **extra,
    )
    if terminal.timezone:
        env["KIDB_TIMEZONE"] = terminal.timezone
    return env


def _prepare_child() -> None:
    """Runs in the child after setsid(): terminal signals ignored, and its stdin (the pty)
    becomes its controlling terminal."""
    for signum in TERMINAL_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class SpawnedChild:
    """A session's process as `kidb serve` follows it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self.pid = process.pid

    @property
    def ended(self) -> bool:
        return self._process.returncode is not None

    async def wait(self) -> int | None:
        return await self._process.wait()


class SpawnLauncher:
    """Starts each session as a new process."""

    ready = True

    def __init__(self, database_url: str, language: str | None) -> None:
        self._database_url = database_url
        self._language = language

    async def wait_ready(self, timeout: float) -> bool:
        return True

    async def start(self, terminal: Terminal, term_type: str, columns: int, rows: int, slave: int,
                    log_fd: int) -> SpawnedChild:
        process = await asyncio.create_subprocess_exec(
            *child_command(terminal, self._language),
            stdin=slave, stdout=slave, stderr=slave, pass_fds=(log_fd,),
            env=child_environment(terminal, term_type, {
                "KIDB_DATABASE_URL": self._database_url, "KIDB_DATA_DIR": str(user_data_dir()),
                LOG_FD_ENV: str(log_fd), SERVER_SEALS_ENV: "1",
            }),
            start_new_session=True, preexec_fn=_prepare_child,
        )
        return SpawnedChild(process)
