"""用户管理 batch import and export pages: ``/console/users/import/{kind}`` (templates .xlsx/.xls,
upload, progress polled through htmx), ``/console/users/export/{what}.{fmt}``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_adapters.directory_io import EXPORTS, export_bytes, export_table
from esign_adapters.spreadsheets.writing import template_bytes
from esign_core.errors import EsignError, InvalidValue, NotFoundError
from esign_core.model.import_rows import SPECS, ImportKind
from esign_core.model.user import Permission
from esign_http.access import CONSOLE_PATH, console_gate
from esign_http.context import platform_of
from esign_http.errors import render_form_error
from esign_http.i18n import _l
from esign_http.import_jobs import job_errors, job_state, start_job
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"xlsx": XLSX, "xls": "application/vnd.ms-excel", "csv": "text/csv; charset=utf-8"}
KIND_LABELS = {
    ImportKind.ORG_UNITS: _l("组织单元"),
    ImportKind.EXTERNAL_ENTERPRISES: _l("外部企业"),
    ImportKind.MEMBERS: _l("组织成员"),
    ImportKind.ENTERPRISE_CONTACTS: _l("企业联系人"),
    ImportKind.PERSONAL_CONTACTS: _l("个人联系人"),
}


def _kind(value: str) -> ImportKind:
    try:
        return ImportKind(value)
    except ValueError:
        raise NotFoundError(f"no import of {value!r}") from None


def download(data: bytes, filename: str, fmt: str) -> Response[bytes]:
    from urllib.parse import quote

    return Response(data, media_type=CONTENT_TYPES[fmt], headers={
        "content-disposition": f"attachment; filename=\"{fmt}-download.{fmt}\"; filename*=UTF-8''{quote(filename)}",
        "cache-control": "no-store"})


class ImportController(Controller):
    path = f"{CONSOLE_PATH}/users"
    before_request = console_gate
    opt = {"permission": Permission.USERS}  # 用户管理
    include_in_schema = False

    @get("/import/{kind:str}")
    async def import_page(self, request: AnyRequest, kind: str) -> Response[Any]:
        k = _kind(kind)
        return page(request, "console/directory_import.html", kind=k, spec=SPECS[k], label=KIND_LABELS[k])

    @get("/template/{kind:str}/{fmt:str}", sync_to_thread=True)
    def template(self, kind: str, fmt: str) -> Response[bytes]:
        k = _kind(kind)
        if fmt not in ("xlsx", "xls"):
            raise NotFoundError("templates are .xlsx or .xls")
        return download(template_bytes(k, fmt), f"{SPECS[k].template_name}.{fmt}", fmt)

    @post("/import/{kind:str}", sync_to_thread=True)
    def upload(self, request: AnyRequest, kind: str, data: Multipart) -> Response[Any]:
        k = _kind(kind)
        upload = data.get("file")
        try:
            if not isinstance(upload, UploadFile):
                raise InvalidValue("file", "choose an .xlsx or .xls file to upload")
            content = upload.file.read()
            if not content:
                raise InvalidValue("file", "the uploaded file is empty")
            job_id = start_job(platform_of(request), k, content, atomic=data.get("partial") != "on")
        except EsignError as exc:
            return render_form_error(request, "console/directory_import.html", exc, kind=k, spec=SPECS[k],
                                     label=KIND_LABELS[k])
        return Redirect(f"{CONSOLE_PATH}/users/import-jobs/{job_id}")

    @get("/import-jobs/{job_id:str}", sync_to_thread=True)
    def job(self, request: AnyRequest, job_id: str) -> Response[Any]:
        state = job_state(platform_of(request), job_id)
        if state is None:
            raise NotFoundError("no such import")
        template = "console/_import_job.html" if request.headers.get("hx-request") else "console/import_job.html"
        return page(request, template, job_id=job_id, state=state, label=KIND_LABELS[ImportKind(state["kind"])])

    @get("/import-jobs/{job_id:str}/errors.xlsx", sync_to_thread=True)
    def errors(self, request: AnyRequest, job_id: str) -> Response[bytes]:
        data = job_errors(platform_of(request), job_id)
        if data is None:
            raise NotFoundError("this import has no error workbook")
        return download(data, "导入错误数据.xlsx", "xlsx")

    @get("/export/{what:str}/{fmt:str}", sync_to_thread=True)
    def export(self, request: AnyRequest, what: str, fmt: str) -> Response[bytes]:
        if what not in EXPORTS or fmt not in ("xlsx", "csv"):
            raise NotFoundError("no such export")
        headers, rows = export_table(platform_of(request), what)
        return download(export_bytes(headers, rows, fmt, title=what), f"{what}.{fmt}", fmt)
