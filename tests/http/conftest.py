"""Fixtures for the HTTP tests: the real app over a real Platform (see ``http_platform``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from http_platform import make_platform
from litestar import Litestar
from litestar.testing import TestClient

from esign_adapters.bootstrap import Platform
from esign_adapters.licensing import generate_vendor_keys, issue_licence
from esign_core.model.installation import Quotas
from esign_http.app import create_app
from esign_http.ratelimit import LoginThrottle


@pytest.fixture(scope="session")
def vendor_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return generate_vendor_keys(tmp_path_factory.mktemp("vendor"))


@pytest.fixture
def platform(tmp_path: Path, vendor_keys: tuple[Path, Path]) -> Iterator[Platform]:
    made = make_platform(tmp_path / "data", vendor_keys[1])
    yield made
    engine = getattr(made, "engine", None)  # close its pooled SQLite connections (file descriptors)
    if engine is not None:
        engine.dispose()


@pytest.fixture
def licence_for(vendor_keys: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    """Issue a licence code signed by the test vendor key."""

    def issue(product_code: str, *, days: int = 365, private_key: Path | None = None,
              quotas: Quotas | None = None) -> str:
        now = datetime.now(UTC)
        return issue_licence((private_key or vendor_keys[0]).read_bytes(), product_code=product_code,
                             licensee="示例科技有限公司", expires_at=now + timedelta(days=days),
                             issued_at=now - timedelta(days=400), quotas=quotas or Quotas(internal_users=500))

    return issue


@pytest.fixture
def throttle() -> LoginThrottle:
    return LoginThrottle(per_ip=10, per_username=10, window=300)


@pytest.fixture
def app(platform: Platform, throttle: LoginThrottle) -> Litestar:
    return create_app(platform, login_throttle=throttle)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app, base_url="http://testserver.local") as c:
        yield c
