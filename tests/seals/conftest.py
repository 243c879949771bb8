"""Fixtures for the seal tests."""

from __future__ import annotations

import pytest

from esign_adapters.seals import PillowSealRenderer


@pytest.fixture(scope="module")
def renderer() -> PillowSealRenderer:
    return PillowSealRenderer()
