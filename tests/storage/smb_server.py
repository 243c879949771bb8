"""A real Samba ``smbd`` for the tests (integrations.md §1): 127.0.0.1 only, a free port, all state
in a private directory, no nmbd, no systemd. ``smbd`` must run as root; the Samba user is ``root``
(``smbpasswd -a`` needs an existing Unix account), with its password kept in the private passdb.

Shares: ``esign`` (plain) and ``secure`` (``smb encrypt = required``, SMB3 only).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import IO

HOST = "127.0.0.1"
USER = "root"
PASSWORD = "S3cret-Pass!"  # test-only credential of a throwaway passdb
SHARES = ("esign", "secure")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def missing_requirement() -> str | None:
    """Why a Samba server cannot run here, or ``None``."""
    for tool in ("smbd", "smbpasswd", "testparm"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            return f"Samba is not installed (no `{tool}`); apt-get install -y samba"
    if os.geteuid() != 0:
        return "smbd must run as root"
    return None


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


class SambaServer:
    """``smbd --foreground`` on 127.0.0.1:<free port>; :meth:`stop` kills exactly that process."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = free_port()
        self.conf = base / "smb.conf"
        self.share_dirs = {name: base / "shares" / name for name in SHARES}
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def _config(self) -> str:
        d = self.base
        lines = [
            "[global]",
            "   server role = standalone server",
            f"   interfaces = {HOST}",
            "   bind interfaces only = yes",
            f"   smb ports = {self.port}",
            "   disable netbios = yes",
            "   server min protocol = SMB2_10",
            "   map to guest = never",
            f"   passdb backend = tdbsam:{d}/private/passdb.tdb",
            f"   private dir = {d}/private",
            f"   lock directory = {d}/lock",
            f"   state directory = {d}/state",
            f"   cache directory = {d}/cache",
            f"   pid directory = {d}/pid",
            f"   ncalrpc dir = {d}/ncalrpc",
            f"   log file = {d}/log/log.%m",
            "   load printers = no",
            "   printcap name = /dev/null",
            "   disable spoolss = yes",
        ]
        for name, path in self.share_dirs.items():
            lines += [f"[{name}]", f"   path = {path}", "   read only = no", f"   valid users = {USER}",
                      "   force user = root"]
            if name == "secure":
                lines.append("   smb encrypt = required")
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 20.0) -> SambaServer:
        for sub in ("private", "lock", "state", "cache", "pid", "log", "ncalrpc"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        for path in self.share_dirs.values():
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o777)
        self.conf.write_text(self._config())
        subprocess.run([_tool("testparm"), "-s", str(self.conf)], check=True, capture_output=True, timeout=30)
        subprocess.run([_tool("smbpasswd"), "-c", str(self.conf), "-a", "-s", USER],
                       input=f"{PASSWORD}\n{PASSWORD}\n".encode(), check=True, capture_output=True, timeout=30)
        self._log = (self.base / "log" / "smbd.out").open("wb")
        self._proc = subprocess.Popen(
            [_tool("smbd"), "-s", str(self.conf), "--foreground", "--no-process-group", "--debug-stdout", "-d", "1"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            # its own process group: on SIGTERM smbd signals its whole group, which would otherwise
            # include pytest itself
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"smbd exited with {self._proc.returncode}: {self.log_tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"smbd did not listen on {HOST}:{self.port} within {timeout} s: {self.log_tail()}")

    def log_tail(self, n: int = 2000) -> str:
        path = self.base / "log" / "smbd.out"
        return path.read_text(errors="replace")[-n:] if path.exists() else ""

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # smbd's two helper children exit with it
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None
