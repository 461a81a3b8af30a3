"""`kidb attach`: OpenSSH's forced command (docs/openssh.md). It finds the terminal whose key
sshd accepted (`ExposeAuthInfo yes` names it in `$SSH_USER_AUTH`; its line in the
authorized-keys file gives terminal id, branch and role), hands its own terminal to the
session host (`kidb host`, socket `$KIDB_HOST_SOCKET` or `host.sock` in the data directory)
and waits for the session to end, exiting with its status: the host reports it, and so does
the session itself on a socket pair of ours (if the host died meanwhile, the session's own
word; a session killed by a signal while its host is gone ends with status 1). Standard
library only, so that it starts in tens of milliseconds; the kiosk itself is forked, warm, by
the host.

The terminal's signal keys are turned off and SIGINT, SIGQUIT and SIGTSTP ignored first. It
then stops being the terminal's controlling process (it must be the session leader: `exec
kidb attach`), so that the kiosk can make the terminal its own controlling terminal and gets
the hangup and window changes from sshd directly. While the host does not answer, the
terminal is told the kiosk is starting, for at most HOST_WAIT_SECONDS. The command the client
asked for (`SSH_ORIGINAL_COMMAND`) is ignored, and a session without a terminal is refused.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import socket
import struct
import sys
import termios
import time
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

from kidb_tui.host import protocol
from kidb_tui.resources import data_dir as package_data_dir
from kidb_tui.ssh.key_lines import KeyFileError, Terminal, parse_authorized_keys, terminal_of

if TYPE_CHECKING:
    import argparse

HOST_WAIT_SECONDS = 30.0
ANSWER_SECONDS = 10.0
LAST_WORD_SECONDS = 2.0
TERMINAL_SIGNALS = (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP)
_WINSIZE = struct.Struct("HHHH")
_SID = struct.Struct("i")
TIOCGSID = getattr(termios, "TIOCGSID", 0x5429)  # Linux's number; Python does not name it


class AttachError(Exception):
    """Why this terminal gets no session; the message is for the log of sshd (stderr)."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def add_arguments(parser: argparse.ArgumentParser) -> None:
    import argparse

    parser.add_argument("authorized_keys", nargs="?", type=Path, metavar="AUTHORIZED_KEYS",
                        help="the terminals' authorized-keys file (default: authorized_keys in the data directory)")
    parser.add_argument("--language", choices=protocol.LANGUAGES, default=argparse.SUPPRESS,
                        help="starting language of the kiosk")


def main(argv: list[str] | None = None) -> int:
    plain = _plain_arguments(sys.argv[1:] if argv is None else argv)
    if plain is not None:
        return run(plain)
    import argparse

    parser = argparse.ArgumentParser(prog="kidb attach", description=__doc__.split("\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


def _plain_arguments(argv: list[str]) -> SimpleNamespace | None:
    """The forced command's arguments as argparse reads them (an authorized-keys file,
    `--language id|en`), without argparse: its parser formats each argument's help as it is
    added, which imports shutil, bz2 and lzma, about 3 ms of each connection's start. None for
    anything else (help, a mistake), for argparse to answer."""
    args = SimpleNamespace(authorized_keys=None)
    rest = list(argv)
    while rest:
        word = rest.pop(0)
        if word == "--language" and rest and rest[0] in protocol.LANGUAGES:
            args.language = rest.pop(0)
        elif word.startswith("--language=") and word.partition("=")[2] in protocol.LANGUAGES:
            args.language = word.partition("=")[2]
        elif not word.startswith("-") and args.authorized_keys is None:
            args.authorized_keys = Path(word)
        else:
            return None
    return args


def run(args: argparse.Namespace | SimpleNamespace) -> int:
    for signum in TERMINAL_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    if not (os.isatty(0) and os.isatty(1)):
        print("kidb: this service is for interactive terminals only", file=sys.stderr)
        return 1
    attrs = termios.tcgetattr(0)
    attrs[3] &= ~termios.ISIG
    termios.tcsetattr(0, termios.TCSANOW, attrs)
    language = getattr(args, "language", None)
    try:
        terminal = _terminal(args.authorized_keys or protocol.data_dir() / "authorized_keys")
        sock = _connect(protocol.socket_path(), language)
        if sock is None:
            return 1
        with sock:
            return _attach(sock, terminal, language)
    except AttachError as error:
        print(f"kidb: {error}", file=sys.stderr)
        return error.status


def _terminal(keys_path: Path) -> Terminal:
    auth_path = os.environ.get("SSH_USER_AUTH")
    if not auth_path:
        raise AttachError("no SSH_USER_AUTH: set 'ExposeAuthInfo yes' in the sshd Match block")
    try:
        terminals = parse_authorized_keys(keys_path.read_text(encoding="utf-8"), str(keys_path))
        terminal = terminal_of(Path(auth_path).read_text(encoding="utf-8"), terminals)
    except (OSError, UnicodeDecodeError, KeyFileError) as error:
        raise AttachError(str(error)) from None
    if terminal is None:
        raise AttachError(f"this terminal's key has no line in {keys_path}", status=1)
    return terminal


def _say(key: str, language: str | None, **params: object) -> None:
    """A plain line on the terminal, in the kiosk's language (the `serve` catalogue)."""
    chosen = language or os.environ.get("KIDB_LANGUAGE") or "id"
    try:
        catalogue = json.loads((package_data_dir() / "i18n" / chosen / "serve.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        catalogue = {}
    try:
        text = catalogue.get(key, key).format(**params)
    except (KeyError, IndexError, ValueError):
        text = key
    os.write(1, f"\r\n{text}\r\n".encode())


def _connect(path: Path, language: str | None) -> socket.socket | None:
    """A connection to the session host, waited for (and the terminal told) while it starts."""
    deadline = time.monotonic() + HOST_WAIT_SECONDS
    told = False
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            sock.connect(str(path))
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
        except OSError as error:
            sock.close()
            raise AttachError(f"session host socket {path}: {error.strerror}") from None
        if time.monotonic() > deadline:
            _say("serve.host_not_ready", language)
            print(f"kidb: no session host answers on {path} (kidb host)", file=sys.stderr)
            return None
        if not told:
            _say("serve.host_starting", language)
            told = True
        time.sleep(0.2)


def _release_terminal() -> None:
    """Stop being the terminal's controlling process, so the kiosk can take it (TIOCSCTTY)."""
    try:
        (owner,) = _SID.unpack(fcntl.ioctl(0, TIOCGSID, bytes(_SID.size)))
    except OSError:
        return
    if owner != os.getsid(0):
        raise AttachError("the terminal belongs to another session: the forced command must "
                          "'exec' kidb attach")
    if os.getsid(0) != os.getpid():
        raise AttachError("kidb attach must lead its session: the forced command must 'exec' it")
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    fcntl.ioctl(0, termios.TIOCNOTTY)


def _attach(sock: socket.socket, terminal: Terminal, language: str | None) -> int:
    rows, columns, _, _ = _WINSIZE.unpack(fcntl.ioctl(0, termios.TIOCGWINSZ, bytes(_WINSIZE.size)))
    request = protocol.request(terminal.terminal_id, terminal.branch, terminal.role,
                               os.environ.get("TERM", ""), columns, rows, language, terminal.timezone, report=True)
    _release_terminal()
    sock.settimeout(ANSWER_SECONDS)
    report, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        with theirs:
            protocol.send(sock, request, [0, theirs.fileno()])
        answer, fds = protocol.receive(sock)
    except (OSError, protocol.ProtocolError) as error:
        report.close()
        _say("serve.host_not_ready", language)
        raise AttachError(f"the session host did not answer: {error}", status=1) from None
    if answer is None or not isinstance(answer.get("pid"), int) or len(fds) != 1:
        report.close()
        for fd in fds:
            os.close(fd)
        answer = answer or {}
        refused = answer.get("refused")
        if refused == protocol.SERVER_FULL:
            _say(refused, language, limit=answer.get("limit", ""))
        elif refused == protocol.TERMINAL_BUSY:
            _say(refused, language, terminal=terminal.terminal_id)
        else:
            _say("serve.host_not_ready", language)
        raise AttachError(f"the session host refused: {answer.get('error', 'no answer')}", status=1)
    pidfd = fds[0]
    try:
        with report:
            return protocol.exit_code(_wait([sock, report], pidfd))
    finally:
        os.close(pidfd)


def _wait(sockets: list[socket.socket], pidfd: int) -> int | None:
    """The session's exit status as the host, or the session itself on the report socket,
    reports it; None when the session (followed by its pidfd) ended without a word on either:
    killed by a signal while its host was gone."""
    poll = select.poll()
    by_fd = {}
    for sock in sockets:
        sock.setblocking(False)
        poll.register(sock, select.POLLIN)
        by_fd[sock.fileno()] = sock
    poll.register(pidfd, select.POLLIN)
    ended_at = None
    while True:
        timeout = None if ended_at is None else max(ended_at + LAST_WORD_SECONDS - time.monotonic(), 0)
        events = dict(poll.poll(None if timeout is None else int(timeout * 1000)))
        for fd in [fd for fd in events if fd in by_fd]:
            try:
                message, fds = protocol.receive(by_fd[fd])
            except (BlockingIOError, InterruptedError):
                continue
            except (OSError, protocol.ProtocolError):
                message, fds = None, []
            for received in fds:
                os.close(received)
            if message is None:
                poll.unregister(fd)
                del by_fd[fd]
            elif isinstance(message.get("exit"), int):
                return message["exit"]
        if pidfd in events and ended_at is None:
            poll.unregister(pidfd)
            ended_at = time.monotonic()
        if ended_at is not None and (not by_fd or time.monotonic() >= ended_at + LAST_WORD_SECONDS):
            return None

if __name__ == "__main__":
    raise SystemExit(main())
