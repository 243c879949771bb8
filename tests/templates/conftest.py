"""The CLI fixtures (an initialised data directory) for the ``esign template`` tests."""

from __future__ import annotations

from typing import Any

import pytest

from esign_adapters.templates import JinjaWeasyTemplateRenderer
from tests.cli.conftest import data_dir, licence_for, run, vendor_keys

__all__ = ["data_dir", "licence_for", "run", "vendor_keys"]


@pytest.fixture
def wired_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give Platform.handle a template renderer until bootstrap.py passes one itself."""
    import esign_adapters.bootstrap as bootstrap

    real = bootstrap.build_bus

    def build_bus(**deps: Any) -> Any:
        return real(**{"template_renderer": JinjaWeasyTemplateRenderer(), **deps})

    monkeypatch.setattr(bootstrap, "build_bus", build_bus)
