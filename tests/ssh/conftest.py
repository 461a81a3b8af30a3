"""Fixtures of the SSH tests: a demo database in a temporary data directory, terminal keys,
and `kidb serve` running on it on a free loopback port."""

from __future__ import annotations

import asyncssh
import pytest

from tests.ssh.harness import demo_database, start_server, stop_server


@pytest.fixture
def kiosk_env(tmp_path, monkeypatch) -> dict[str, str]:
    """The KIDB_* environment of the test (also set in this process) on a fresh demo database."""
    env = demo_database(tmp_path / "data")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def terminal_key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


@pytest.fixture
def serve(kiosk_env, terminal_key, tmp_path):
    """`kidb serve` on 127.0.0.1 for one test, its terminal JKT-01 logging in with `terminal_key`."""
    server = start_server(kiosk_env, terminal_key, tmp_path)
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def shared_serve(tmp_path_factory):
    """One `kidb serve` for a whole module of tests that write nothing that matters: (server, key)."""
    folder = tmp_path_factory.mktemp("serve")
    key = asyncssh.generate_private_key("ssh-ed25519")
    server = start_server(demo_database(folder / "data"), key, folder)
    yield server, key
    stop_server(server)
