"""The kiosk as OpenSSH's forced command (see docs/openssh.md).

    ForceCommand exec <venv>/bin/python -I -m kidb_tui.ssh.openssh /etc/kidb/authorized_keys

With `ExposeAuthInfo yes`, sshd names the public key that logged in (file `$SSH_USER_AUTH`).
Its line in the authorized-keys file (the syntax of keys.py) gives the terminal id, branch
and role; then this process becomes the kiosk (or back office) with a clean environment.
The command the client asked for (`SSH_ORIGINAL_COMMAND`) is ignored, and a session without
a terminal is refused.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import asyncssh

from kidb_tui.ssh.keys import KeyFileError, Terminal, parse_authorized_keys
from kidb_tui.ssh.session import child_command, child_environment


def terminal_of(auth_info: str, authorized_keys: str, source: str) -> Terminal | None:
    """The terminal whose key sshd accepted; `auth_info` is the text of `$SSH_USER_AUTH`."""
    terminals = parse_authorized_keys(authorized_keys, source)
    for line in auth_info.splitlines():
        method, _, key_text = line.partition(" ")
        if method != "publickey":
            continue
        try:
            key = asyncssh.import_public_key(key_text.strip())
        except (asyncssh.KeyImportError, ValueError):
            continue
        if key.public_data in terminals:
            return terminals[key.public_data]
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kidb_tui.ssh.openssh", description=__doc__.split("\n")[0])
    parser.add_argument("authorized_keys", type=Path, help="the terminals' authorized-keys file")
    parser.add_argument("--language", choices=("id", "en"))
    args = parser.parse_args(argv)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("kidb: this service is for interactive terminals only", file=sys.stderr)
        return 1
    auth_path = os.environ.get("SSH_USER_AUTH")
    if not auth_path:
        print("kidb: no SSH_USER_AUTH: set 'ExposeAuthInfo yes' in the sshd Match block", file=sys.stderr)
        return 2
    try:
        terminal = terminal_of(Path(auth_path).read_text(), args.authorized_keys.read_text(), str(args.authorized_keys))
    except (OSError, KeyFileError) as error:
        print(f"kidb: {error}", file=sys.stderr)
        return 2
    if terminal is None:
        print(f"kidb: this terminal's key has no line in {args.authorized_keys}", file=sys.stderr)
        return 1
    home = {"HOME": os.environ["HOME"]} if "HOME" in os.environ else {}
    env = child_environment(terminal, os.environ.get("TERM", ""), home)
    argv = child_command(terminal, args.language)
    os.execve(argv[0], argv, env)


if __name__ == "__main__":
    raise SystemExit(main())
