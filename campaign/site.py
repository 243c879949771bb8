"""One esign installation for the campaign: a data directory on the private PostgreSQL cluster,
an integration app, a company seal, a business category whose callback URL is the campaign's
webhook receiver; ``esign serve --workers N`` and ``esign worker`` processes started and killed
as the scenarios need; an in-process Platform for setup and for the checks."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from campaign.pg import PrivatePostgres, free_port

PLATFORM_NAME, USCC, ADMIN_MOBILE = "示例科技有限公司", "91350100M000100Y43", "13812345678"
BIN = Path(sys.executable).parent
ESIGN = str(BIN / "esign") if (BIN / "esign").exists() else (shutil.which("esign") or "esign")


class Site:
    def __init__(self, tmp: Path, pg: PrivatePostgres, *, webhook_url: str) -> None:
        self.tmp, self.pg = tmp, pg
        self.data_dir = tmp / "esign-data"
        self.logs = tmp / "logs"
        self.logs.mkdir(exist_ok=True)
        self.env = {**os.environ, "ESIGN_DATA_DIR": str(self.data_dir), "ESIGN_WEBHOOK_ALLOW": "127.0.0.1/32",
                    "ESIGN_WORKER_POLL_SECONDS": "0.2", "ESIGN_WORKER_BACKOFF_SECONDS": "1",
                    "ESIGN_WORKER_BACKOFF_CAP_SECONDS": "3", "ESIGN_WORKER_LEASE_SECONDS": "8",
                    "ESIGN_WORKER_MAX_ATTEMPTS": "60", "ESIGN_WORKER_CONCURRENCY": "4"}
        self.env.pop("ESIGN_DATABASE_URL", None)
        self.webhook_url = webhook_url
        self.web: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.port = 0
        self._platform: Any = None

    # -- installation ---------------------------------------------------------------------------
    def esign(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([ESIGN, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise RuntimeError(f"esign {' '.join(args)} failed ({done.returncode}): {done.stdout}{done.stderr}")
        return done

    def install(self) -> Site:
        from esign_adapters.licensing import generate_vendor_keys, issue_licence, product_code
        from esign_core.model.installation import Quotas

        self.data_dir.mkdir()
        priv, pub = generate_vendor_keys(self.tmp / "vendor")
        shutil.copy(pub, self.data_dir / "licence-vendor.pub")
        code = issue_licence(priv.read_bytes(), product_code=product_code(self.data_dir), licensee=PLATFORM_NAME,
                             expires_at=datetime.now(UTC) + timedelta(days=30), quotas=Quotas())
        self.esign("init", "--licence", code, "--db-type", "postgresql", "--db-host", "127.0.0.1",
                   "--db-port", str(self.pg.port), "--db-user", self.pg.user, "--db-name", "esign",
                   "--admin-username", "admin", "--admin-password", "Passw0rd2026", "--platform-name", PLATFORM_NAME,
                   "--platform-uscc", USCC, "--platform-admin-name", "张三", "--platform-admin-mobile", ADMIN_MOBILE)
        out = self.esign("app", "create", "campaign").stdout
        values = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        self.token, self.secret = values["AppToken"].strip(), values["AppSecret"].strip()

        from esign_core.model.seal import SealKind
        from esign_core.services.categories import CreateCategory
        from esign_core.services.seals import CreateSeal

        platform = self.platform()
        with platform.uow() as uow:
            org = uow.organizations.platform()
        self.org_id = org.id
        self.seal_id = str(platform.handle(CreateSeal(owner_id=org.id, kind=SealKind.COMPANY, name="合同专用章",
                                                      authorize_member_ids=(org.admin_member_id,))))
        self.category_id = str(platform.handle(CreateCategory(name="压测合同", callback_url=self.webhook_url)))
        return self

    def platform(self) -> Any:
        if self._platform is None:
            from esign_adapters.bootstrap import Platform
            from esign_adapters.settings import Settings

            self._platform = Platform.from_settings(Settings.load(self.data_dir, env=self.env))
        return self._platform

    def close_platform(self) -> None:
        if self._platform is not None:
            self._platform.close()
            self._platform = None

    # -- processes ------------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_web(self, workers: int = 2) -> None:
        self.port = self.port or free_port()
        log = (self.logs / "serve.log").open("ab")
        argv = [ESIGN, "serve", "--workers", str(workers), "--no-worker", "--port", str(self.port)]
        self.web = subprocess.Popen(argv, env={**self.env, "ESIGN_PORT": str(self.port)}, stdout=log,
                                    stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            try:
                up = httpx.get(f"{self.base}/health", timeout=2).status_code == 200
                if up and len(self.web_children()) >= workers:
                    return
            except httpx.TransportError:
                pass
            if self.web.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"esign serve did not start:\n{(self.logs / 'serve.log').read_text()[-3000:]}")
            time.sleep(0.3)

    def web_children(self) -> list[int]:
        """The uvicorn worker processes of the web server (multiprocessing spawn children; not
        multiprocessing's resource tracker, which is a child too)."""
        if self.web is None:
            return []
        try:
            text = Path(f"/proc/{self.web.pid}/task/{self.web.pid}/children").read_text()
        except OSError:
            return []
        workers = []
        for pid in (int(p) for p in text.split()):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
                workers.append(pid)
        return workers

    def start_worker(self) -> subprocess.Popen[bytes]:
        n = len(self.workers)
        log = (self.logs / f"worker-{n}.log").open("ab")
        path = self.logs / f"worker-{n}.log"
        proc = subprocess.Popen([ESIGN, "worker", "--no-scheduler"], env=self.env, stdout=log,
                                stderr=subprocess.STDOUT)
        self.workers.append(proc)
        deadline = time.monotonic() + 90
        while " started: " not in path.read_text(errors="replace"):  # its delivery loop is running
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"esign worker did not start:\n{path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.3)
        return proc

    def running_workers(self) -> list[subprocess.Popen[bytes]]:
        return [w for w in self.workers if w.poll() is None]

    def stop_all(self) -> None:
        procs = [p for p in [self.web, *self.workers] if p is not None and p.poll() is None]
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.web, self.workers = None, []

    # -- the open API ---------------------------------------------------------------------------
    def client(self, timeout: float = 120) -> OpenClient:
        return OpenClient(self.base, self.token, self.secret, timeout=timeout)


class OpenClient:
    """The SDK's request signing (x-qys headers: md5(token + secret + timestamp))."""

    def __init__(self, base: str, token: str, secret: str, *, timeout: float) -> None:
        self.http = httpx.Client(base_url=f"{base}/open", timeout=timeout)
        self.token, self.secret = token, secret

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        ts = str(int(time.time() * 1000))
        return {"x-qys-accesstoken": self.token, "x-qys-timestamp": ts,
                "x-qys-signature": hashlib.md5((self.token + self.secret + ts).encode()).hexdigest(), **(extra or {})}

    def post(self, path: str, *, key: str | None = None, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) — a transport failure is (0, {"message": …})."""
        try:
            response = self.http.post(path, headers=self.headers({"Idempotency-Key": key} if key else None), **kwargs)
        except httpx.TransportError as exc:
            return 0, {"code": -1, "message": f"{type(exc).__name__}: {exc}"}
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, {"code": -1, "message": response.text[:200]}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers=self.headers())

    def close(self) -> None:
        self.http.close()
