"""Building the platform for a command from the global options."""

from __future__ import annotations

import click

from esign_adapters.bootstrap import Platform
from esign_adapters.settings import Settings


def load_settings(ctx: click.Context) -> Settings:
    return Settings.load((ctx.obj or {}).get("data_dir"))


def load_platform(ctx: click.Context) -> Platform:
    return Platform.from_settings(load_settings(ctx))
