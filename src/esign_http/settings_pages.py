"""The console's settings pages (manual 一.2.2, 三.1, 三.3): 系统参数设置, 密码安全设置, 其他设置
and 通用设置 under ``/console/settings/<page>``, one form per section (see settings_fields).

Viewing needs the page's ``view`` permission, saving its ``edit`` permission. A saved change
goes through the ChangeSettings use case (validated, audited with the account and IP); a
refused value re-renders the form with a clear message next to the setting.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_core.errors import EsignError, InvalidValue, NotFoundError
from esign_core.model.permission_tree import allows
from esign_core.model.policy import ConversionSettings
from esign_core.model.user import Permission
from esign_core.services.commands import ChangeSettings
from esign_core.services.settings import get_settings
from esign_http.access import CONSOLE_PATH, account_of, console_gate, permissions_of
from esign_http.context import client_ip, language_of, platform_of
from esign_http.errors import describe, message_for
from esign_http.i18n import _l, translate
from esign_http.settings_fields import PAGES, STRENGTH_HELP, Card, SettingsPage, find_field, form_changes, rule_message
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
SAVED = _l("已保存。")
NOT_SAVED = _l("未保存，请修改标出的设置后重试。")


def settings_page_of(slug: str) -> SettingsPage:
    found = PAGES.get(slug)
    if found is None:
        raise NotFoundError(f"no settings page {slug!r}")
    return found


def _card_values(request: AnyRequest, card: Card) -> dict[str, Any]:
    return get_settings(card.section.SECTION, uow=platform_of(request).uow()).to_dict()


def error_text(request: AnyRequest, fields: tuple[Any, ...], exc: EsignError) -> tuple[str | None, str]:
    """(field name, translated message) for a refused change: the field's own rule when the
    error names one of the form's fields, else the general wording of errors.py."""
    lang = language_of(request)
    name = exc.fields.get("field") if isinstance(exc, InvalidValue) else None
    field = find_field(fields, name) if name else None
    if field is not None:
        msgid, values = rule_message(field)
        values = {**values, "label": translate(field.label, lang)}
        return field.name, translate(msgid, lang, **values) + f" ({exc.message})"
    return name, message_for(describe(exc), lang)


def render(request: AnyRequest, settings_page: SettingsPage, *, status_code: int = 200,
           submitted: dict[str, Any] | None = None, **extra: Any) -> Response[Any]:
    held = permissions_of(request)
    cards = []
    for card in settings_page.cards:
        values = _card_values(request, card)
        if submitted and submitted.get("section") == card.section.SECTION:
            values = {**values, **{k: v for k, v in submitted.items() if k != "section"}}
        cards.append({"card": card, "values": values})
    context = {"settings_page": settings_page, "cards": cards, "can_edit": allows(held, settings_page.edit),
               "message": None, "saved": None, "error_section": None, "error_field": None, "error": None,
               "strength_help": STRENGTH_HELP, "conversion": None, **extra}
    return page(request, "console/settings.html", status_code=status_code, **context)


def change_section(request: AnyRequest, card: Card, form: dict[str, str]) -> Any:
    """Run ChangeSettings for one card's fields of ``form`` as the logged-in account."""
    return platform_of(request).handle(ChangeSettings(
        section=card.section.SECTION, changes=form_changes(card.fields, form),
        actor=account_of(request).username, ip=client_ip(request)))


class SettingsPagesController(Controller):
    """``/console/settings/{system,password,login,general}``."""

    path = f"{CONSOLE_PATH}/settings"
    before_request = console_gate
    include_in_schema = False

    @get("/system", sync_to_thread=True, opt={"permission": Permission.SETTINGS_SYSTEM_VIEW})
    def system_page(self, request: AnyRequest) -> Response[Any]:
        return render(request, PAGES["system"], saved=request.query_params.get("saved"))

    @get("/password", sync_to_thread=True, opt={"permission": Permission.SETTINGS_PASSWORD_VIEW})
    def password_page(self, request: AnyRequest) -> Response[Any]:
        return render(request, PAGES["password"], saved=request.query_params.get("saved"))

    @get("/login", sync_to_thread=True, opt={"permission": Permission.SETTINGS_LOGIN_VIEW})
    def login_page(self, request: AnyRequest) -> Response[Any]:
        return render(request, PAGES["login"], saved=request.query_params.get("saved"))

    @get("/general", sync_to_thread=True, opt={"permission": Permission.SETTINGS_GENERAL_VIEW})
    def general_page(self, request: AnyRequest) -> Response[Any]:
        return render(request, PAGES["general"], saved=request.query_params.get("saved"))

    def _save(self, request: AnyRequest, slug: str, data: dict[str, str]) -> Response[Any]:
        settings_page = settings_page_of(slug)
        section = data.get("section", "")
        card = next((c for c in settings_page.cards if c.section.SECTION == section), None)
        if card is None:
            raise NotFoundError(f"no section {section!r} on this page")
        try:
            change_section(request, card, data)
        except EsignError as exc:
            field, message = error_text(request, card.fields, exc)
            return render(request, settings_page, status_code=422, submitted={"section": section,
                          **form_changes(card.fields, data)}, error_section=section, error_field=field,
                          error=message, message=NOT_SAVED)
        return Redirect(f"{CONSOLE_PATH}/settings/{slug}?saved={section}", status_code=303)

    @post("/system", sync_to_thread=True, opt={"permission": Permission.SETTINGS_SYSTEM_EDIT})
    def save_system(self, request: AnyRequest, data: FormData) -> Response[Any]:
        return self._save(request, "system", data)

    @post("/password", sync_to_thread=True, opt={"permission": Permission.SETTINGS_PASSWORD_EDIT})
    def save_password(self, request: AnyRequest, data: FormData) -> Response[Any]:
        return self._save(request, "password", data)

    @post("/login", sync_to_thread=True, opt={"permission": Permission.SETTINGS_LOGIN_EDIT})
    def save_login(self, request: AnyRequest, data: FormData) -> Response[Any]:
        return self._save(request, "login", data)

    @post("/general", sync_to_thread=True, opt={"permission": Permission.SETTINGS_GENERAL_EDIT})
    def save_general(self, request: AnyRequest, data: FormData) -> Response[Any]:
        return self._save(request, "general", data)

    @post("/system/test-conversion", sync_to_thread=True, opt={"permission": Permission.SETTINGS_SYSTEM_EDIT})
    def test_conversion(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """Convert a small built-in .docx with the submitted (not yet saved) conversion settings."""
        from esign_adapters.console.conversion_check import check_conversion

        settings = ConversionSettings.from_dict({"service": data.get("service", "BUILTIN"),
                                                 "office_path": data.get("office_path", "").strip()})
        result = check_conversion(settings)
        if request.headers.get("hx-request"):
            return page(request, "console/_conversion_result.html", conversion=result)
        return render(request, PAGES["system"], conversion=result,
                      submitted={"section": ConversionSettings.SECTION, **settings.to_dict()})
