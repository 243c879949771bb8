"""``/console/settings/appearance`` (manual 一.3): names, screenshot watermark, theme colour,
logos (cropped in the browser by static/crop.js; the rectangle is applied by the server),
login background (three built-in images or an upload) and the custom CSS; plus the public
``/brand/<image>`` and ``/custom.css`` (sanitized and scoped) that every page links."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_adapters.console import images
from esign_adapters.console.css import EXAMPLE, sanitize
from esign_core.errors import EsignError, NotFoundError
from esign_core.model.audit import Actor
from esign_core.model.permission_tree import allows
from esign_core.model.policy import BrandImages, DisplaySettings
from esign_core.model.user import Permission
from esign_core.services.commands import ChangeSettings
from esign_core.services.settings import store_section
from esign_http.access import CONSOLE_PATH, account_of, console_gate, permissions_of
from esign_http.context import client_ip, display_settings, platform_of
from esign_http.settings_fields import DISPLAY_FIELDS, form_changes
from esign_http.settings_pages import error_text
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
PATH = f"{CONSOLE_PATH}/settings/appearance"
IMAGES = {"nav_logo": (images.NAV_LOGO, "nav_logo_id"), "login_logo": (images.LOGIN_LOGO, "login_logo_id"),
          "login_background": (images.BACKGROUND, "background_id")}


def _render(request: AnyRequest, *, status_code: int = 200, **extra: Any) -> Response[Any]:
    display = display_settings(platform_of(request))
    values = {**display.to_dict(), **extra.pop("submitted", {})}
    context = {"fields": DISPLAY_FIELDS, "values": values, "can_edit": allows(permissions_of(request),
               Permission.SETTINGS_APPEARANCE_EDIT), "error": None, "error_field": None, "error_section": None,
               "saved": request.query_params.get("saved"), "css_dropped": sanitize(display.custom_css).dropped,
               **extra}
    return page(request, "console/appearance.html", status_code=status_code, **context)


def _actor(request: AnyRequest) -> Actor:
    return Actor(account_of(request).username, client_ip(request))


class AppearanceController(Controller):
    path = PATH
    before_request = console_gate
    include_in_schema = False

    @get("/", sync_to_thread=True, opt={"permission": Permission.SETTINGS_APPEARANCE_VIEW})
    def appearance_page(self, request: AnyRequest) -> Response[Any]:
        return _render(request)

    @post("/", sync_to_thread=True, opt={"permission": Permission.SETTINGS_APPEARANCE_EDIT})
    def save_display(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """Names, watermark switch, theme colour, login background choice or the custom CSS."""
        what = data.get("part", "display")
        if what == "background":
            changes: dict[str, Any] = {"login_background": data.get("login_background", "")}
        elif what == "css":
            changes = {"custom_css": data.get("custom_css", "").replace("\r\n", "\n")}
        else:
            changes = form_changes(DISPLAY_FIELDS, data)
        account = account_of(request)
        try:
            platform_of(request).handle(ChangeSettings(section=DisplaySettings.SECTION, changes=changes,
                                                       actor=account.username, ip=client_ip(request)))
        except EsignError as exc:
            field, message = error_text(request, DISPLAY_FIELDS, exc)
            return _render(request, status_code=422, submitted=changes, error=message, error_field=field,
                           error_section=what)
        return Redirect(f"{PATH}?saved={what}", status_code=303)

    @post("/image/{name:str}", sync_to_thread=True, opt={"permission": Permission.SETTINGS_APPEARANCE_EDIT})
    def upload_image(self, request: AnyRequest, name: str, data: Multipart) -> Response[Any]:
        """An uploaded logo or background with the crop rectangle chosen in the browser."""
        if name not in IMAGES:
            raise NotFoundError(f"no image {name!r}")
        target, id_field = IMAGES[name]
        upload = data.get("image")
        raw = upload.file.read(images.MAX_UPLOAD_BYTES + 1) if isinstance(upload, UploadFile) else b""
        try:
            crop = images.Crop.parse(*(str(data.get(k, "")) for k in ("crop_x", "crop_y", "crop_width", "crop_height")))
            processed = images.process(raw, crop, target)
        except EsignError as exc:
            _field, message = error_text(request, (), exc)
            return _render(request, status_code=422, error=message, error_section=name)
        platform = platform_of(request)
        image_id = hashlib.sha256(processed).hexdigest()[:16]
        with platform.uow() as uow:
            brand = uow.settings.get(BrandImages)
            display = uow.settings.get(DisplaySettings)
            store_section(uow, brand, brand.evolve(**{name: images.to_text(processed)}), actor=_actor(request),
                          at=platform.clock.now(), images=(name,))
            changes: dict[str, Any] = {id_field: image_id}
            if name == "login_background":
                changes["login_background"] = "custom"
            store_section(uow, display, display.evolve(**changes), actor=_actor(request), at=platform.clock.now())
            uow.commit()
        return Redirect(f"{PATH}?saved={name}", status_code=303)

    @post("/image/{name:str}/reset", sync_to_thread=True, opt={"permission": Permission.SETTINGS_APPEARANCE_EDIT})
    def reset_image(self, request: AnyRequest, name: str) -> Response[Any]:
        """Back to the default (no logo; the first built-in background)."""
        if name not in IMAGES:
            raise NotFoundError(f"no image {name!r}")
        platform = platform_of(request)
        with platform.uow() as uow:
            brand, display = uow.settings.get(BrandImages), uow.settings.get(DisplaySettings)
            store_section(uow, brand, brand.evolve(**{name: ""}), actor=_actor(request), at=platform.clock.now(),
                          images=(name,))
            changes: dict[str, Any] = {IMAGES[name][1]: ""}
            if name == "login_background" and display.login_background == "custom":
                changes["login_background"] = "builtin-1"
            store_section(uow, display, display.evolve(**changes), actor=_actor(request), at=platform.clock.now())
            uow.commit()
        return Redirect(f"{PATH}?saved={name}", status_code=303)

    @get("/example.css", sync_to_thread=False, opt={"permission": Permission.SETTINGS_APPEARANCE_VIEW})
    def example_css(self) -> Response[str]:
        return Response(EXAMPLE, media_type="text/css",
                        headers={"content-disposition": 'attachment; filename="esign-custom-example.css"'})


@get("/brand/{name:str}", sync_to_thread=True, include_in_schema=False)
def brand_image(request: AnyRequest, name: str) -> Response[bytes]:
    """An uploaded logo or background (public: the login page shows them)."""
    if name not in IMAGES:
        raise NotFoundError(f"no image {name!r}")
    platform = platform_of(request)
    if not platform.is_initialized():
        raise NotFoundError("no image")
    with platform.uow() as uow:
        data = images.from_text(getattr(uow.settings.get(BrandImages), name))
    if not data:
        raise NotFoundError("no image")
    return Response(data, media_type=images.media_type(data),
                    headers={"cache-control": "no-cache", "x-content-type-options": "nosniff"})


@get("/custom.css", sync_to_thread=True, include_in_schema=False)
def custom_css(request: AnyRequest) -> Response[str]:
    """The operator's CSS, sanitized and scoped under ``body.esign-custom`` (see console/css.py)."""
    css = sanitize(display_settings(platform_of(request)).custom_css).css
    return Response(css, media_type="text/css", headers={"cache-control": "no-cache"})
