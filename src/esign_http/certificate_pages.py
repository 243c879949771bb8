"""The console's certificate management (证书管理, manual 四.3) under ``/console/certificates``:
``/statistics`` (证书统计: by kind, status, CA and subject, issued per month as SVG),
``/events`` (事件证书, searchable by subject, CA and validity bounds), ``/long-term`` (长期证书 and
长期证书导入: a PKCS#12 or PEM file with its password; the key is sealed by the CA's key store)
and ``/ukeys`` (UKey管理: search, register, report lost, revoke, reactivate)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from esign_core.errors import EsignError, InvalidValue
from esign_core.model.certificate import CertificateKind, SubjectType, UKeyStatus
from esign_core.model.user import Permission
from esign_core.services.certificates import ImportCertificate, RevokeCertificate
from esign_core.services.ukeys import ChangeUKeyStatus, RegisterUKey
from esign_http.access import CONSOLE_PATH, console_gate
from esign_http.context import language_of, platform_of
from esign_http.errors import describe, message_for
from esign_http.i18n import _l, translate
from esign_http.svg_chart import line_chart
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
PATH = f"{CONSOLE_PATH}/certificates"
PAGE_SIZE = 20
MAX_IMPORT = 1_000_000

KIND_LABELS = {"EVENT": _l("事件证书"), "LONG_TERM": _l("长期证书"), "CA": _l("CA证书"), "SERVICE": _l("服务证书")}
STATUS_LABELS = {"VALID": _l("有效"), "REVOKED": _l("已吊销")}
TYPE_LABELS = {"PERSONAL": _l("个人"), "ENTERPRISE": _l("企业")}
UKEY_LABELS = {"ACTIVE": _l("正常"), "LOST": _l("挂失"), "REVOKED": _l("已注销")}
CHART_TITLE = _l("各月份颁发证书数量")
IMPORTED = _l("证书已导入：%(subject)s（序列号 %(serial)s）。")
SAVED = _l("已保存。")


def _error(request: AnyRequest, exc: EsignError) -> tuple[str, int]:
    problem = describe(exc)
    return message_for(problem, language_of(request)), problem.status


def _page_number(request: AnyRequest) -> int:
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1


def _day(request: AnyRequest, key: str, *, end: bool = False) -> datetime | None:
    """A ``YYYY-MM-DD`` filter as a UTC instant (the next midnight for an upper bound)."""
    text = (request.query_params.get(key) or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(key, f"{key} must be a date such as 2026-01-31") from None
    return datetime.combine(day, time.min, tzinfo=UTC) + timedelta(days=1 if end else 0)


def _enum_param(request: AnyRequest, key: str, cls: type[Any]) -> Any:
    value = request.query_params.get(key) or ""
    try:
        return cls(value) if value else None
    except ValueError:
        return None


def _text(request: AnyRequest, key: str, limit: int = 100) -> str | None:
    return (request.query_params.get(key) or "").strip()[:limit] or None


def _common() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "status_labels": STATUS_LABELS, "type_labels": TYPE_LABELS,
            "ukey_labels": UKEY_LABELS, "message": None, "error": None}


class CertificateController(Controller):
    """``/console/certificates`` (证书管理 permission)."""

    path = PATH
    before_request = console_gate
    opt = {"permission": Permission.CERTIFICATES}
    include_in_schema = False

    # -- 证书统计 ---------------------------------------------------------------------------------
    @get("/statistics", sync_to_thread=True)
    def statistics(self, request: AnyRequest) -> Response[Any]:
        platform, lang = platform_of(request), language_of(request)
        name = _text(request, "name")
        subject_type = _enum_param(request, "type", SubjectType)
        figures = platform.certificate_figures(months=12)
        with platform.uow() as uow:
            subjects = uow.certificates.statistics(subject_name=name, subject_type=subject_type)[:100]
        chart = line_chart(figures.by_month, title=translate(CHART_TITLE, lang), element_id="certificate-chart")
        return page(request, "console/cert_statistics.html", figures=figures, subjects=subjects, chart=chart,
                    name=name or "", subject_type=subject_type, **_common())

    # -- 事件证书 ---------------------------------------------------------------------------------
    def _listing(self, request: AnyRequest, kind: CertificateKind) -> dict[str, Any]:
        number = _page_number(request)
        filters: dict[str, Any] = {"subject_name": _text(request, "name"), "ca_name": _text(request, "ca"),
                                   "subject_type": _enum_param(request, "type", SubjectType)}
        error = None
        try:
            filters.update(not_before_from=_day(request, "nb_from"), not_before_to=_day(request, "nb_to", end=True),
                           not_after_from=_day(request, "na_from"), not_after_to=_day(request, "na_to", end=True))
        except EsignError as exc:
            error = _error(request, exc)[0]
        with platform_of(request).uow() as uow:
            total = uow.certificates.count(kind=kind, **filters)
            pages = max(1, -(-total // PAGE_SIZE))
            number = min(number, pages)
            # newest first: the repository pages oldest first, so take the page from the end
            end = total - (number - 1) * PAGE_SIZE
            start = max(0, end - PAGE_SIZE)
            shown = list(uow.certificates.search(kind=kind, **filters, limit=max(0, end - start), offset=start))
        shown.reverse()
        query = {k: request.query_params.get(k, "") for k in ("name", "ca", "type", "nb_from", "nb_to", "na_from",
                                                              "na_to")}
        return {**_common(), "certificates": shown, "total": total, "page": number, "pages": pages,
                "query": query, "error": error, "now": platform_of(request).clock.now()}

    @get("/events", sync_to_thread=True)
    def events(self, request: AnyRequest) -> Response[Any]:
        return page(request, "console/cert_events.html", **self._listing(request, CertificateKind.EVENT))

    # -- 长期证书 ---------------------------------------------------------------------------------
    def _long_term(self, request: AnyRequest, *, status_code: int = 200, **extra: Any) -> Response[Any]:
        view = self._listing(request, CertificateKind.LONG_TERM)
        view.update(extra)
        return page(request, "console/cert_long_term.html", status_code=status_code, **view)

    @get("/long-term", sync_to_thread=True)
    def long_term(self, request: AnyRequest) -> Response[Any]:
        return self._long_term(request)

    @post("/long-term/import", sync_to_thread=True, status_code=200)
    def import_long_term(self, request: AnyRequest, data: Multipart) -> Response[Any]:
        """长期证书导入: the file and its password; errors name what is wrong with the file."""
        upload = data.get("file")
        raw = upload.file.read(MAX_IMPORT + 1) if isinstance(upload, UploadFile) else b""
        password = str(data.get("password") or "").encode() or None
        platform = platform_of(request)
        try:
            if not raw:
                raise InvalidValue("file", "choose a PKCS#12 (.p12/.pfx) or PEM file")
            certificate_id = platform.handle(ImportCertificate(data=raw, password=password))
            with platform.uow() as uow:
                cert = uow.certificates.get(certificate_id)
        except EsignError as exc:
            message, status = _error(request, exc)
            return self._long_term(request, status_code=status, error=message)
        done = translate(IMPORTED, language_of(request), subject=cert.subject_name, serial=cert.serial)
        return self._long_term(request, message=done)

    @post("/long-term/{serial:str}/revoke", sync_to_thread=True, status_code=200)
    def revoke_long_term(self, request: AnyRequest, serial: str, data: FormData) -> Response[Any]:
        try:
            platform_of(request).handle(RevokeCertificate(serial=serial, reason=data.get("reason") or "吊销"))
        except EsignError as exc:
            message, status = _error(request, exc)
            return self._long_term(request, status_code=status, error=message)
        return self._long_term(request, message=translate(SAVED, language_of(request)))

    # -- UKey管理 ---------------------------------------------------------------------------------
    def _ukeys(self, request: AnyRequest, *, status_code: int = 200, **extra: Any) -> Response[Any]:
        number = _page_number(request)
        query = {k: request.query_params.get(k, "") for k in ("serial", "status", "holder", "code", "device_no")}
        view: dict[str, Any] = {**_common(), "query": query, "statuses": list(UKeyStatus), "ukeys": [], "total": 0,
                                "page": number, "pages": 1}
        try:
            with platform_of(request).uow() as uow:
                found = list(uow.ukeys.search(serial=query["serial"] or None,
                                              status=_enum_param(request, "status", UKeyStatus),
                                              holder=query["holder"] or None, code=query["code"] or None,
                                              device_no=query["device_no"] or None))
                orgs = {k.owner_org_id: uow.organizations.find(k.owner_org_id) for k in found if k.owner_org_id}
            found.reverse()
            view.update(ukeys=found[(number - 1) * PAGE_SIZE: number * PAGE_SIZE], total=len(found),
                        pages=max(1, -(-len(found) // PAGE_SIZE)), orgs=orgs)
        except EsignError as exc:
            view["error"] = _error(request, exc)[0]
        view.setdefault("orgs", {})
        view.update(extra)
        return page(request, "console/cert_ukeys.html", status_code=status_code, **view)

    @get("/ukeys", sync_to_thread=True)
    def ukeys(self, request: AnyRequest) -> Response[Any]:
        return self._ukeys(request)

    @post("/ukeys", sync_to_thread=True, status_code=200)
    def register_ukey(self, request: AnyRequest, data: FormData) -> Response[Any]:
        owner = (data.get("owner_org_id") or "").strip()
        try:
            if owner and not owner.isdecimal():
                raise InvalidValue("owner_org_id", "the enterprise id is a number")
            platform_of(request).handle(RegisterUKey(
                certificate_serial=data.get("certificate_serial", ""), holder=data.get("holder", ""),
                subject_code=data.get("subject_code", ""), device_no=data.get("device_no", ""),
                owner_org_id=int(owner) if owner else None))
        except EsignError as exc:
            message, status = _error(request, exc)
            return self._ukeys(request, status_code=status, error=message)
        return self._ukeys(request, message=translate(SAVED, language_of(request)))

    @post("/ukeys/{device_no:str}/status", sync_to_thread=True, status_code=200)
    def ukey_status(self, request: AnyRequest, device_no: str, data: FormData) -> Response[Any]:
        """挂失 (LOST), 注销 (REVOKED, i.e. disable for good) or 恢复 (ACTIVE)."""
        try:
            try:
                status = UKeyStatus(data.get("status", ""))
            except ValueError:
                raise InvalidValue("status", "status must be ACTIVE, LOST or REVOKED") from None
            platform_of(request).handle(ChangeUKeyStatus(device_no=device_no, status=status,
                                                         reason=data.get("reason") or None))
        except EsignError as exc:
            message, status_code = _error(request, exc)
            return self._ukeys(request, status_code=status_code, error=message)
        return self._ukeys(request, message=translate(SAVED, language_of(request)))
