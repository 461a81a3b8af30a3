"""A throwaway PostgreSQL cluster on 127.0.0.1 for the tests (initdb + pg_ctl in a temp dir).

As root the server runs as the `postgres` user (PostgreSQL refuses to run as root).
Missing server binaries skip the PostgreSQL tests, except under CI=true where they fail.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgCluster:
    """`durable`: fsync on, as a production server runs (the tests turn it off for speed)."""

    def __init__(self, durable: bool = False) -> None:
        self.durable = durable
        self.initdb, self.pg_ctl = _binary("initdb"), _binary("pg_ctl")
        self.root = Path(tempfile.mkdtemp(prefix="kidb-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            pwd.getpwnam("postgres")
            shutil.chown(self.root, "postgres")
            os.chmod(self.root, 0o700)
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(self.initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        self._start()

    def _start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync={'on' if self.durable else 'off'}"
        self._run(self.pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def restart(self, down_seconds: float = 0.0) -> None:
        """Stop the server at once (as a crash would: no shutdown checkpoint), stay down for
        `down_seconds`, then start it again on the same port."""
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        time.sleep(down_seconds)
        self._start()

    def stop(self) -> None:
        try:
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


class PgBouncer:
    """A throwaway PgBouncer in transaction mode in front of `cluster` (as the `postgres` user when
    root: PgBouncer refuses to run as root); `pool_size` server connections per database."""

    def __init__(self, cluster: PgCluster, pool_size: int = 2) -> None:
        self.binary = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer")
                                                     else None)
        self.cluster, self.port = cluster, _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="kidb-pgbouncer-"))
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        (self.root / "userlist.txt").write_text('"postgres" ""\n')
        (self.root / "pgbouncer.ini").write_text(
            f"[databases]\n* = host=127.0.0.1 port={cluster.port}\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.root / 'userlist.txt'}\npool_mode = transaction\n"
            f"default_pool_size = {pool_size}\nmax_client_conn = 200\nlogfile = {self.root / 'pgbouncer.log'}\n"
            f"pidfile = {self.root / 'pgbouncer.pid'}\n"
        )
        if self._as_user:
            for name in ("userlist.txt", "pgbouncer.ini"):
                shutil.chown(self.root / name, "postgres")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        assert self.binary is not None
        self.process = subprocess.Popen([*self._as_user, self.binary, str(self.root / "pgbouncer.ini")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"pgbouncer did not listen: {(self.root / 'pgbouncer.log').read_text()}")

    def stop(self) -> None:
        try:
            if self.process is not None:
                self.process.terminate()
                self.process.wait(30)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", query: str = "") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}{query}"

    def version(self) -> str:
        return subprocess.run([self.binary, "--version"], capture_output=True, text=True).stdout.splitlines()[0]


def start_bouncer_or_skip(cluster: PgCluster, pool_size: int = 2) -> PgBouncer:
    bouncer = PgBouncer(cluster, pool_size)
    if bouncer.binary is None:
        shutil.rmtree(bouncer.root, ignore_errors=True)
        message = "pgbouncer not found"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (required under CI=true)")
        pytest.skip(message)
    bouncer.start()
    return bouncer


def start_or_skip() -> PgCluster:
    cluster = PgCluster()
    if not (cluster.initdb and cluster.pg_ctl):
        message = "PostgreSQL server binaries (initdb, pg_ctl) not found"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (required under CI=true)")
        pytest.skip(message)
    cluster.start()
    return cluster
