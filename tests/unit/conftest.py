"""Shared fixtures for the domain-core unit tests: a bus wired with the in-memory fakes and a
factory for the activation-wizard command."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from esign_core.model.installation import Quotas
from esign_core.services.commands import InitializePlatform
from esign_core.services.setup import InitResult
from esign_core.testing import bootstrap_test_bus
from esign_core.testing.fakes import TestPlatform

PRODUCT_CODE = "ESIGN-PC-0001"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "Passw0rd2026"
PLATFORM_NAME = "示例集团有限公司"
PLATFORM_ADMIN_NAME = "张三"
PLATFORM_ADMIN_MOBILE = "13800138000"

InitCommandFactory = Callable[..., InitializePlatform]


@pytest.fixture
def platform() -> TestPlatform:
    """A fresh bus over an empty in-memory database."""
    return bootstrap_test_bus()


def make_init_command(
    platform: TestPlatform,
    *,
    quotas: Quotas | None = None,
    expires_in: timedelta = timedelta(days=365),
    licence_product_code: str = PRODUCT_CODE,
    **overrides: Any,
) -> InitializePlatform:
    """An InitializePlatform command with a licence issued by ``platform``'s fake verifier.

    ``quotas``/``expires_in``/``licence_product_code`` shape the licence; other keyword arguments
    override fields of the command."""
    code = platform.licences.issue(
        product_code=licence_product_code, expires_at=platform.clock.now() + expires_in, quotas=quotas
    )
    fields: dict[str, Any] = {
        "product_code": PRODUCT_CODE,
        "licence_code": code,
        "admin_username": ADMIN_USERNAME,
        "admin_password": ADMIN_PASSWORD,
        "platform_name": PLATFORM_NAME,
        "platform_admin_name": PLATFORM_ADMIN_NAME,
        "platform_admin_mobile": PLATFORM_ADMIN_MOBILE,
    }
    fields.update(overrides)
    return InitializePlatform(**fields)


@pytest.fixture
def init_command(platform: TestPlatform) -> InitCommandFactory:
    """make_init_command bound to the ``platform`` fixture."""
    return functools.partial(make_init_command, platform)


@pytest.fixture
def initialized(platform: TestPlatform, init_command: InitCommandFactory) -> InitResult:
    """The platform initialised with an unlimited one-year licence."""
    return platform.bus.handle(init_command())
