"""The app and print settings where they show (manual 三.1.5 APP设置, 三.3 打印设置; ADR 0037).

Template globals, read per page from the stored settings:

- ``app_download()``: the app settings when the download entry is switched on and at least one
  of the iOS / Android links is set (the console login page and the signing portal show it),
  else None;
- ``print_mode()``: ``BROWSER`` (the portal offers a print button that opens the PDF in the
  browser's viewer), ``CLIENT`` or ``REMOTE`` (no print button; the page says that printing goes
  through the print client or the remote anti-counterfeit printing service, which are outside
  this product).
"""

from __future__ import annotations

import logging
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from esign_core.errors import EsignError
from esign_core.model.policy import AppSettings, PrintMode, PrintSettings
from esign_core.services.settings import get_settings
from esign_http.context import platform_of

log = logging.getLogger(__name__)


def _section(context: Context, section: Any) -> Any:
    request = context.get("request")
    if request is None:
        return section()
    platform = platform_of(request)
    try:
        if not platform.is_initialized():
            return section()
        return get_settings(section.SECTION, uow=platform.uow())
    except EsignError as exc:  # a page (an error page too) must render without them
        log.warning("%s settings unavailable: %s", section.SECTION, exc.code)
        return section()


@pass_context
def app_download(context: Context) -> AppSettings | None:
    settings: AppSettings = _section(context, AppSettings)
    if not settings.show_download_entry or not (settings.ios_url or settings.android_url):
        return None
    return settings


@pass_context
def print_mode(context: Context) -> str:
    settings: PrintSettings = _section(context, PrintSettings)
    return settings.mode.value if isinstance(settings.mode, PrintMode) else str(settings.mode)


GLOBALS = {"app_download": app_download, "print_mode": print_mode}
