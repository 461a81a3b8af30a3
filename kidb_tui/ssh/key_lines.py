"""The lines of the terminals' authorized-keys file read with the standard library only (so
that `kidb attach` can read them): options, key, and the terminal named in the comment.

    restrict,pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... terminal=JKT-01 branch=Jakarta Pusat
    ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... terminal=JKT-BO1 branch=Jakarta Pusat role=backoffice

`terminal=` is required (1-40 of A-Z a-z 0-9 . _ -, unique in the file). `branch=` is optional
and runs up to the next `name=` field or the end of the line, so it may contain spaces.
`role=` is `kiosk` (default) or `backoffice`. `tz=` names the branch's time zone
(Asia/Jakarta, Asia/Pontianak, Asia/Makassar or Asia/Jayapura; default: the server's). Words
before the first field are a free label.
Options are optional and limited to the ones that only take rights away (`restrict`, `pty`,
`no-*`), so the same file also works for OpenSSH (see docs/openssh.md). Blank lines and
lines starting with `#` are ignored.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from collections import namedtuple
from collections.abc import Callable

from kidb_tui import time_zones

ROLES = ("kiosk", "backoffice")
ALLOWED_OPTIONS = frozenset(
    {"restrict", "pty", "no-agent-forwarding", "no-port-forwarding", "no-x11-forwarding", "no-user-rc"}
)
_KEY_TYPES = ("ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-sha2-")
_TERMINAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
_FIELD = re.compile(r"(?:(?<=\s)|^)(terminal|branch|role|tz)=")
MAX_BRANCH = 80


class KeyFileError(ValueError):
    """A line of the authorized-keys file that cannot be used; the message names the line."""


class Terminal(namedtuple("Terminal", "terminal_id branch role key timezone", defaults=("",))):
    """A branch terminal, known by its public key (`key`: its wire blob). `timezone`: the
    branch's time zone (`tz=`), or "" for the server's. A named tuple rather than a dataclass,
    and the fingerprint worked out when asked for: `kidb attach` reads the whole file at every
    connection, and importing dataclasses (with inspect) and hashlib took a third of its start."""

    __slots__ = ()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key)


def fingerprint(blob: bytes) -> str:
    """OpenSSH's SHA256 fingerprint of a public key blob."""
    import hashlib

    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def key_blob(key_type: str, key_base64: str) -> bytes:
    """The wire blob of an OpenSSH public key, checked to name `key_type`; ValueError if not."""
    try:
        blob = base64.b64decode(key_base64, validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None
    if len(blob) < 4:
        raise ValueError("too short")
    (length,) = struct.unpack(">I", blob[:4])
    if blob[4:4 + length] != key_type.encode():
        raise ValueError("key type does not match")
    return blob


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


def _terminal(fields: dict[str, str], key: bytes, where: str) -> Terminal:
    terminal_id = fields.get("terminal", "")
    if not _TERMINAL_ID.fullmatch(terminal_id):
        raise KeyFileError(f"{where}: terminal= must be 1-40 letters, digits, '.', '_' or '-'")
    branch = " ".join(fields.get("branch", "").split())
    if len(branch) > MAX_BRANCH or not branch.isprintable():
        raise KeyFileError(f"{where}: branch= must be printable text of at most {MAX_BRANCH} characters")
    role = fields.get("role", "kiosk")
    if role not in ROLES:
        raise KeyFileError(f"{where}: role= must be one of {', '.join(ROLES)}")
    timezone = fields.get("tz", "")
    if timezone and timezone not in time_zones.ZONES:
        raise KeyFileError(f"{where}: tz= must be one of {time_zones.allowed()}")
    return Terminal(terminal_id, branch, role, key, timezone)


def parse_line(line: str, where: str, check_key: Callable[[str], None] | None = None) -> tuple[bytes, Terminal]:
    """The public key blob and the terminal of one non-comment line. `check_key` may check the
    key text (`type base64`) further and raise ValueError."""
    options, rest = _split_options(line)
    unsupported = [option for option in options.split(",") if option and option.lower() not in ALLOWED_OPTIONS]
    if unsupported:
        raise KeyFileError(f"{where}: option {unsupported[0]!r} is not supported (only restrict, pty, no-*)")
    parts = rest.split(None, 2)
    if len(parts) < 2:
        raise KeyFileError(f"{where}: expected '<type> <base64 key> terminal=ID ...'")
    try:
        blob = key_blob(parts[0], parts[1])
        if check_key is not None:
            check_key(f"{parts[0]} {parts[1]}")
    except ValueError:
        raise KeyFileError(f"{where}: not a valid public key") from None
    comment = parts[2] if len(parts) == 3 else ""
    return blob, _terminal(_fields(comment, where), blob, where)


def parse_authorized_keys(text: str, source: str = "authorized keys",
                          check_key: Callable[[str], None] | None = None) -> dict[bytes, Terminal]:
    """Every terminal of the file by its public key blob; raises KeyFileError on any bad line."""
    terminals: dict[bytes, Terminal] = {}
    lines_of: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source} line {number}"
        blob, terminal = parse_line(line, where, check_key)
        if blob in terminals:
            raise KeyFileError(f"{where}: the same key is already on line {lines_of[terminals[blob].terminal_id]}")
        if terminal.terminal_id in lines_of:
            first = lines_of[terminal.terminal_id]
            raise KeyFileError(f"{where}: terminal {terminal.terminal_id} is already on line {first}")
        terminals[blob] = terminal
        lines_of[terminal.terminal_id] = number
    return terminals


def terminal_of(auth_info: str, terminals: dict[bytes, Terminal]) -> Terminal | None:
    """The terminal whose key sshd accepted; `auth_info` is the text of `$SSH_USER_AUTH`
    (`ExposeAuthInfo yes`): lines such as `publickey ssh-ed25519 AAAA...`."""
    for line in auth_info.splitlines():
        method, _, key_text = line.partition(" ")
        parts = key_text.split()
        if method != "publickey" or len(parts) < 2:
            continue
        try:
            blob = key_blob(parts[0], parts[1])
        except ValueError:
            continue
        if blob in terminals:
            return terminals[blob]
    return None
