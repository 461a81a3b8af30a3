"""The terminals' authorized-keys file and the server's persistent host key.

The file's syntax (OpenSSH format, one terminal per line, the terminal named in the comment)
is read by key_lines.py; here each key is also checked to be a public key asyncssh can use,
and the file is reread when it changes.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import asyncssh

from kidb_tui.logs import escape
from kidb_tui.ssh import key_lines
from kidb_tui.ssh.key_lines import KeyFileError, Terminal

log = logging.getLogger("kidb.ssh")

TEMPLATE = """\
# kidb serve: one branch terminal per line, OpenSSH format, the terminal named in the comment:
#   restrict,pty ssh-ed25519 AAAA... terminal=JKT-01 branch=Jakarta Pusat
#   ssh-ed25519 AAAA... terminal=JKT-BO1 branch=Jakarta Pusat role=backoffice
# The server rereads this file when it changes.
"""


def _check_key(key_text: str) -> None:
    """A public key asyncssh can import; ValueError if not."""
    try:
        asyncssh.import_public_key(key_text)
    except asyncssh.KeyImportError as error:
        raise ValueError(str(error)) from None


def parse_authorized_keys(text: str, source: str = "authorized keys") -> dict[bytes, Terminal]:
    """Every terminal of the file by its public key blob; raises KeyFileError on any bad line."""
    return key_lines.parse_authorized_keys(text, source, _check_key)


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
            log.error("authorized keys not reloaded, every key refused until fixed: %s", escape(error))
            return
        if not strict:
            log.info("authorized keys reloaded: %d terminal(s)", len(self._terminals))

    def reload(self) -> None:
        """Reread the file now, changed or not (SIGHUP, `systemctl reload kidb-serve`)."""
        self._stamp = None
        try:
            self._reload()
        except OSError as error:
            log.error("authorized keys unreadable, every key refused: %s", escape(error))
            self._terminals = {}

    def lookup(self, key: asyncssh.SSHKey) -> Terminal | None:
        """The terminal of `key`, from the file as it is now; None for an unknown key."""
        try:
            self._reload()
        except OSError as error:
            log.error("authorized keys unreadable, every key refused: %s", escape(error))
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
