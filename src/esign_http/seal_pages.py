"""The console's physical-seal service (物理用印服务, manual 三.4 and 三.1.4) under
``/console/physical-seal``: seal controllers and seal locks (register, bind a seal, enable /
disable), the callback configuration and the photo rule, emergency use, the use applications
(create, approve / reject, append, finish, photos) and the statistics of manual 四.1.2."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_core.errors import EsignError, InvalidValue
from esign_core.model.policy import PhysicalSealSettings
from esign_core.model.seal_apply import APPLY_STATUS_LABELS, ApplyStatus, Person
from esign_core.model.seal_device import DEVICE_KIND_LABELS, DEVICE_STATUS_LABELS, DeviceKind
from esign_core.model.user import Permission
from esign_core.services.commands import ChangeSettings
from esign_core.services.seal_apply import (
    AppendSealUses,
    ApplyForSeal,
    AuthSpec,
    DecideSealApply,
    EmergencyUse,
    FinishSealApply,
)
from esign_core.services.seal_devices import BindDevice, ChangeDeviceStatus, ListDevices, RegisterDevice
from esign_core.services.seal_queries import (
    GetSealApply,
    GetSealPhotos,
    ListSealApplications,
    SealApplyStatistics,
)
from esign_core.services.seal_used_files import GetSealUsedFile
from esign_http.access import CONSOLE_PATH, account_of, console_gate
from esign_http.context import platform_of
from esign_http.i18n import _l
from esign_http.seal_charts import line_chart
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
PATH = f"{CONSOLE_PATH}/physical-seal"
SAVED = _l("已保存。")
def _int(data: dict[str, str], key: str, *, required: bool = True) -> int | None:
    value = (data.get(key) or "").strip()
    if not value:
        if required:
            raise InvalidValue(key, f"{key} is required")
        return None
    if not value.isdecimal():
        raise InvalidValue(key, f"{key} must be a number")
    return int(value)


def _devices_view(request: AnyRequest, **extra: Any) -> dict[str, Any]:
    platform = platform_of(request)
    with platform.uow() as uow:
        settings = uow.settings.get(PhysicalSealSettings)
        platform_org = uow.organizations.platform()
        seals = {s.id: s for s in uow.seals.of_owner(platform_org.id)} if platform_org else {}
    return {"devices": platform.handle(ListDevices()), "settings": settings, "seals": seals,
            "kind_labels": DEVICE_KIND_LABELS, "status_labels": DEVICE_STATUS_LABELS, "message": None,
            "error": None, **extra}


def _apps_view(request: AnyRequest, status: ApplyStatus | None = None, **extra: Any) -> dict[str, Any]:
    platform = platform_of(request)
    return {"apps": platform.handle(ListSealApplications(status=status)), "status": status,
            "statuses": list(ApplyStatus), "status_labels": APPLY_STATUS_LABELS,
            "devices": platform.handle(ListDevices()), "error": None, **extra}


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise InvalidValue("start", "dates are yyyy-mm-dd") from None


class PhysicalSealController(Controller):
    path = PATH
    before_request = console_gate
    opt = {"permission": Permission.SERVICES}  # 服务管理: 物理用印服务
    include_in_schema = False

    # -- devices, settings, emergency -----------------------------------------------------------
    @get("/", sync_to_thread=True)
    def devices_page(self, request: AnyRequest) -> Response[Any]:
        return page(request, "console/seal_devices.html", **_devices_view(request))

    def _act(self, request: AnyRequest, action: Any, ok_message: str = SAVED) -> Response[Any]:
        try:
            action()
        except EsignError as exc:
            return page(request, "console/seal_devices.html", status_code=422,
                        **_devices_view(request, error=exc.message))
        return page(request, "console/seal_devices.html", **_devices_view(request, message=ok_message))

    @post("/devices", sync_to_thread=True, status_code=200)
    def add_device(self, request: AnyRequest, data: FormData) -> Response[Any]:
        def act() -> None:
            with platform_of(request).uow() as uow:
                org = uow.organizations.platform()
            kind = DeviceKind.LOCK if data.get("kind") == "LOCK" else DeviceKind.CONTROLLER
            platform_of(request).handle(RegisterDevice(data.get("device_no", ""), kind, org.id if org else 0,
                                                       data.get("name", ""), _int(data, "seal_id", required=False)))
        return self._act(request, act)

    @post("/devices/{device_no:str}/bind", sync_to_thread=True, status_code=200)
    def bind(self, request: AnyRequest, device_no: str, data: FormData) -> Response[Any]:
        return self._act(request, lambda: platform_of(request).handle(
            BindDevice(device_no, _int(data, "seal_id", required=False))))

    @post("/devices/{device_no:str}/status", sync_to_thread=True, status_code=200)
    def status(self, request: AnyRequest, device_no: str, data: FormData) -> Response[Any]:
        return self._act(request, lambda: platform_of(request).handle(
            ChangeDeviceStatus(device_no, enabled=data.get("enabled") == "1")))

    @post("/settings", sync_to_thread=True, status_code=200)
    def settings(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """回调配置 and 物理用印设置 (the photo rule)."""
        return self._act(request, lambda: platform_of(request).handle(ChangeSettings(PhysicalSealSettings.SECTION, {
            "callback_url": data.get("callback_url", "").strip(),
            "photos_must_cover_uses": data.get("photos_must_cover_uses") == "1"})))

    @post("/emergency", sync_to_thread=True, status_code=200)
    def emergency(self, request: AnyRequest, data: FormData) -> Response[Any]:
        def act() -> None:
            platform_of(request).handle(EmergencyUse(
                data.get("device_no", ""), _int(data, "count") or 0, data.get("reason", ""),
                Person(data.get("name", ""), data.get("mobile", "").strip())))
        return self._act(request, act, _l("已下发紧急用印解锁。"))

    # -- applications ---------------------------------------------------------------------------
    @get("/applications", sync_to_thread=True)
    def applications(self, request: AnyRequest) -> Response[Any]:
        raw = request.query_params.get("status")
        status = ApplyStatus(raw) if raw in ApplyStatus.__members__ else None
        return page(request, "console/seal_applications.html", **_apps_view(request, status))

    @post("/applications", sync_to_thread=True, status_code=200)
    def create_application(self, request: AnyRequest, data: FormData) -> Response[Any]:
        try:
            with platform_of(request).uow() as uow:
                org = uow.organizations.platform()
            users = tuple(Person("", m.strip()) for m in data.get("users", "").replace("，", ",").split(",")
                          if m.strip())
            approvers = tuple(a.strip() for a in data.get("approvers", "").replace("，", ",").split(",") if a.strip())
            app = platform_of(request).handle(ApplyForSeal(
                tenant_name=org.name if org else "", subject=data.get("subject", ""),
                applicant=Person(data.get("applicant_name", ""), data.get("applicant_mobile", "").strip()),
                auths=(AuthSpec(count=_int(data, "count") or 0, users=users, device_no=data.get("device_no")),),
                approvers=approvers, description=data.get("description", "")))
        except EsignError as exc:
            return page(request, "console/seal_applications.html", status_code=422,
                        **_apps_view(request, error=exc.message))
        return Redirect(f"{PATH}/applications/{app.id}", status_code=303)

    def _detail(self, request: AnyRequest, business_id: int, **extra: Any) -> Response[Any]:
        app = platform_of(request).handle(GetSealApply(business_id))
        view = {"app": app, "status_labels": APPLY_STATUS_LABELS, "error": None, **extra}
        return page(request, "console/seal_application.html", status_code=422 if view["error"] else 200, **view)

    @get("/applications/{business_id:int}", sync_to_thread=True)
    def application(self, request: AnyRequest, business_id: int) -> Response[Any]:
        return self._detail(request, business_id)

    @post("/applications/{business_id:int}/{action:str}", sync_to_thread=True, status_code=200)
    def change(self, request: AnyRequest, business_id: int, action: str, data: FormData) -> Response[Any]:
        platform = platform_of(request)
        try:
            if action in ("approve", "reject"):
                platform.handle(DecideSealApply(business_id, data.get("approver", "").strip(), action == "approve",
                                                data.get("comment", "")))
            elif action == "append":
                platform.handle(AppendSealUses(business_id, _int(data, "count") or 0,
                                               Person(account_of(request).username, number="console")))
            elif action == "finish":
                platform.handle(FinishSealApply(business_id, data.get("reason", "")))
            else:
                raise InvalidValue("action", "unknown action")
        except EsignError as exc:
            return self._detail(request, business_id, error=exc.message)
        return Redirect(f"{PATH}/applications/{business_id}", status_code=303)

    @get("/photos/{photokey:str}", sync_to_thread=True)
    def photo(self, request: AnyRequest, photokey: str) -> Response[bytes]:
        ((photo, _auth, data),) = platform_of(request).handle(GetSealPhotos(photokey=photokey))
        kind = "image/jpeg" if data[:2] == b"\xff\xd8" else "image/png" if data[:4] == b"\x89PNG" else \
            "application/octet-stream"
        return Response(data, media_type=kind, headers={"Content-Disposition": f"inline;filename={photo.photokey}"})

    @get("/applications/{business_id:int}/used-files/{number:int}", sync_to_thread=True)
    def used_file(self, request: AnyRequest, business_id: int, number: int) -> Response[bytes]:
        """The sealed paper's PDF uploaded through /open/seal/apply/used/* (the ``number``-th, from 1)."""
        _used, data = platform_of(request).handle(GetSealUsedFile(business_id, number))
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{business_id}-{number}.pdf"'})

    # -- statistics (四.1.2) ---------------------------------------------------------------------
    @get("/statistics", sync_to_thread=True, opt={"permission": Permission.STATISTICS})
    def statistics(self, request: AnyRequest) -> Response[Any]:
        q = request.query_params
        today = platform_of(request).clock.now().date()
        start = _day(q.get("start")) or today - timedelta(days=29)
        end = _day(q.get("end")) or today
        raw = q.get("status")
        status = ApplyStatus(raw) if raw in ApplyStatus.__members__ else None
        stats = platform_of(request).handle(SealApplyStatistics(
            start=datetime.combine(start, time(), UTC), end=datetime.combine(end + timedelta(days=1), time(), UTC),
            status=status, source=q.get("source") or None, tenant_id=None))
        chart = line_chart([(d.strftime("%m-%d"), n) for d, n in stats.by_day])
        return page(request, "console/seal_statistics.html", stats=stats, chart=chart, start=start, end=end,
                    status=status, source=q.get("source") or "", statuses=list(ApplyStatus),
                    status_labels=APPLY_STATUS_LABELS)
