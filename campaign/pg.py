"""A private PostgreSQL cluster for the campaign: ``initdb`` into a temporary directory and
``pg_ctl`` on a free port, so that restarting it (a fault scenario) never disturbs the shared
server other people use. Binaries are taken from ``/usr/lib/postgresql/<newest>/bin`` or PATH."""

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if found:
        return Path(found[-1])
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    return Path(initdb).parent


class PrivatePostgres:
    """``start()``, ``stop()``, ``restart()``, ``url``. When run as root the cluster belongs to the
    ``postgres`` system user (PostgreSQL refuses to run as root)."""

    def __init__(self, directory: Path) -> None:
        self.bindir = _bindir()
        self.directory = Path(directory)
        self.data = self.directory / "pgdata"
        self.log = self.directory / "postgres.log"
        self.port = free_port()
        self.user = "postgres"
        self._as: list[str] = []
        if os.geteuid() == 0:
            pwd.getpwnam("postgres")  # KeyError: no postgres user to run it as
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/esign"

    def _run(self, *argv: str, timeout: float = 120) -> None:
        done = subprocess.run([*self._as, *argv], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stdout}{done.stderr}")

    def init(self) -> PrivatePostgres:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._as:
            for parent in self.directory.parents:  # the postgres user must reach its directory
                if parent == Path(tempfile.gettempdir()) or parent == Path("/"):
                    break
                parent.chmod(parent.stat().st_mode | 0o711)
            shutil.chown(self.directory, "postgres")
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = "
                       f"'{self.directory}'\nmax_connections = 300\nfsync = on\nshared_buffers = 128MB\n")
        self.start()
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute("CREATE DATABASE esign")
        return self

    def start(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, down_seconds: float = 0.0, mode: str = "immediate") -> None:
        """Stop (``immediate``: like a crash, no checkpoint), stay down, start again."""
        self.stop(mode)
        time.sleep(down_seconds)
        self.start()

    def close(self) -> None:
        try:
            self.stop("immediate")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
