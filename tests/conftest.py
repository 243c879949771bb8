"""Shared test configuration."""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get("ESIGN_REQUIRE_SERVICES") == "1"


def service_unavailable(reason: str) -> None:
    """Skip with the reason, or fail when ESIGN_REQUIRE_SERVICES=1 (CI)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable (ESIGN_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)
