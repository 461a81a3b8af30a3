"""The terminals' authorized-keys file and the server's persistent host key.

The authorized-keys file is in OpenSSH format, one terminal per line; the comment after the
key names the terminal:

    restrict,pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... terminal=JKT-01 branch=Jakarta Pusat
    ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... terminal=JKT-BO1 branch=Jakarta Pusat role=backoffice

`terminal=` is required (1-40 of A-Z a-z 0-9 . _ -, unique in the file). `branch=` is optional
and runs up to the next `name=` field or the end of the line, so it may contain spaces.
`role=` is `kiosk` (default) or `backoffice`. Words before the first field are a free label.
Options are optional and limited to the ones that only take rights away (`restrict`, `pty`,
`no-*`), so the same file also works for OpenSSH (see docs/openssh.md). Blank lines and
lines starting with `#` are ignored.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import asyncssh

log = logging.getLogger("kidb.ssh")

ROLES = ("kiosk", "backoffice")
ALLOWED_OPTIONS = frozenset(
    {"restrict", "pty", "no-agent-forwarding", "no-port-forwarding", "no-x11-forwarding", "no-user-rc"}
)
_KEY_TYPES = ("ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-sha2-")
_TERMINAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
_FIELD = re.compile(r"(?:(?<=\s)|^)(terminal|branch|role)=")
MAX_BRANCH = 80
TEMPLATE = """\
# kidb serve: one branch terminal per line, OpenSSH format, the terminal named in the comment:
#   restrict,pty ssh-ed25519 AAAA... terminal=JKT-01 branch=Jakarta Pusat
#   ssh-ed25519 AAAA... terminal=JKT-BO1 branch=Jakarta Pusat role=backoffice
# The server rereads this file when it changes.
"""


class KeyFileError(ValueError):
    """A line of the authorized-keys file that cannot be used; the message names the line."""


@dataclass(frozen=True)
class Terminal:
    """A branch terminal, known by its public key."""

    terminal_id: str
    branch: str
    role: str
    fingerprint: str


def _split_options(line: str) -> tuple[str, str]:
    """(options, rest): options are everything up to the first whitespace outside quotes."""
    if line.startswith(_KEY_TYPES):
        return "", line
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char.isspace() and not quoted:
            return line[:index], line[index:].strip()
    return line, ""


def _fields(comment: str, where: str) -> dict[str, str]:
    matches = list(_FIELD.finditer(comment))
    values: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        name = match.group(1)
        if name in values:
            raise KeyFileError(f"{where}: {name}= given twice")
        values[name] = comment[match.end(): following.start() if following else None].strip()
    return values


def _terminal(fields: dict[str, str], fingerprint: str, where: str) -> Terminal:
    terminal_id = fields.get("terminal", "")
    if not _TERMINAL_ID.fullmatch(terminal_id):
        raise KeyFileError(f"{where}: terminal= must be 1-40 letters, digits, '.', '_' or '-'")
    branch = " ".join(fields.get("branch", "").split())
    if len(branch) > MAX_BRANCH or not branch.isprintable():
        raise KeyFileError(f"{where}: branch= must be printable text of at most {MAX_BRANCH} characters")
    role = fields.get("role", "kiosk")
    if role not in ROLES:
        raise KeyFileError(f"{where}: role= must be one of {', '.join(ROLES)}")
    return Terminal(terminal_id, branch, role, fingerprint)


def parse_line(line: str, where: str) -> tuple[bytes, Terminal]:
    """The public key blob and the terminal of one non-comment line."""
    options, rest = _split_options(line)
    unsupported = [option for option in options.split(",") if option and option.lower() not in ALLOWED_OPTIONS]
    if unsupported:
        raise KeyFileError(f"{where}: option {unsupported[0]!r} is not supported (only restrict, pty, no-*)")
    parts = rest.split(None, 2)
    if len(parts) < 2:
        raise KeyFileError(f"{where}: expected '<type> <base64 key> terminal=ID ...'")
    try:
        key = asyncssh.import_public_key(f"{parts[0]} {parts[1]}")
    except (asyncssh.KeyImportError, ValueError):
        raise KeyFileError(f"{where}: not a valid public key") from None
    comment = parts[2] if len(parts) == 3 else ""
    return key.public_data, _terminal(_fields(comment, where), key.get_fingerprint(), where)


def parse_authorized_keys(text: str, source: str = "authorized keys") -> dict[bytes, Terminal]:
    """Every terminal of the file by its public key blob; raises KeyFileError on any bad line."""
    terminals: dict[bytes, Terminal] = {}
    lines_of: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source} line {number}"
        blob, terminal = parse_line(line, where)
        if blob in terminals:
            raise KeyFileError(f"{where}: the same key is already on line {lines_of[terminals[blob].terminal_id]}")
        if terminal.terminal_id in lines_of:
            first = lines_of[terminal.terminal_id]
            raise KeyFileError(f"{where}: terminal {terminal.terminal_id} is already on line {first}")
        terminals[blob] = terminal
        lines_of[terminal.terminal_id] = number
    return terminals


class AuthorizedKeys:
    """The terminals' keys, reread whenever the file changes. A file that no longer parses
    refuses every key until it is fixed (an error is logged), never an outdated set."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._terminals: dict[bytes, Terminal] = {}
        self._reload(strict=True)

    @classmethod
    def open(cls, path: Path) -> AuthorizedKeys:
        """Load the file; a missing one is created (mode 0600) holding only the syntax help."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(TEMPLATE)
        return cls(path)

    def __len__(self) -> int:
        return len(self._terminals)

    def _reload(self, strict: bool = False) -> None:
        info = self.path.stat()
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            self._terminals = parse_authorized_keys(self.path.read_text(encoding="utf-8"), str(self.path))
        except (KeyFileError, UnicodeDecodeError) as error:
            if strict:
                raise KeyFileError(str(error)) from None
            self._terminals = {}
            log.error("authorized keys not reloaded, every key refused until fixed: %s", error)
            return
        if not strict:
            log.info("authorized keys reloaded: %d terminal(s)", len(self._terminals))

    def lookup(self, key: asyncssh.SSHKey) -> Terminal | None:
        """The terminal of `key`, from the file as it is now; None for an unknown key."""
        try:
            self._reload()
        except OSError as error:
            log.error("authorized keys unreadable, every key refused: %s", error)
            self._terminals, self._stamp = {}, None
        return self._terminals.get(key.public_data)


def load_or_create_host_key(path: Path) -> tuple[asyncssh.SSHKey, bool]:
    """The server's ed25519 host key, and whether it was created just now (mode 0600,
    with the public half beside it as `<path>.pub`). A key file others can read is refused."""
    if path.exists():
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            raise KeyFileError(f"host key {path} is accessible by others: chmod 600 it")
        try:
            return asyncssh.read_private_key(path), False
        except (asyncssh.KeyImportError, ValueError):
            raise KeyFileError(f"host key {path} is not a private key") from None
    key = asyncssh.generate_private_key("ssh-ed25519")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.export_private_key())
    Path(f"{path}.pub").write_bytes(key.export_public_key())
    return key, True
