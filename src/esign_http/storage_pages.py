"""The console's storage settings page (manual 一.2.2 2), ``/console/settings/storage``: the
current backend, the manual's warning for local storage, a form per backend and a 「测试连接」
button (htmx) that reports each step. Saving tests first and refuses a backend that lacks the
stored files; moving files between backends is ``esign storage migrate`` (a long-running job)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body

from esign_adapters import storage_admin
from esign_adapters.storage.registry import SECRET_SUFFIX
from esign_core.errors import EsignError
from esign_core.model.audit import Actor
from esign_core.model.user import Permission
from esign_http.access import CONSOLE_PATH, account_of, console_gate
from esign_http.context import client_ip, platform_of
from esign_http.i18n import _l
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
PATH = f"{CONSOLE_PATH}/settings/storage"
FIELD_PREFIX = "cfg_"

BACKEND_LABELS: dict[str, str] = {
    "local": _l("本地存储"),
    "nas": _l("阿里云NAS"),
    "smb": _l("SMB"),
    "fastdfs": _l("FastDFS"),
    "s3": _l("Amazon S3"),
    "hdfs": _l("HDFS"),
}
LOCAL_WARNING = _l("本地存储方式仅用于测试环境，磁盘损坏将导致合同文件完全丢失，禁止在生产环境中使用！")
STEP_LABELS: dict[str, str] = {
    "configuration": _l("检查配置"),
    "write": _l("写入测试文件"),
    "read back": _l("读回并校验"),
    "delete": _l("删除测试文件"),
    "existing files": _l("已有合同文件"),
    "save": _l("保存配置"),
}
SAVED = _l("已保存。")
NOT_SAVED = _l("未保存：连接测试未通过。")


def _form_view(backend: str, submitted: dict[str, str] | None, current: Any) -> dict[str, Any]:
    """The fields of one backend's form; importing only that backend (a missing client library
    becomes a message, not an error page)."""
    try:
        fields, testing_only = storage_admin.describe(backend)
        load_error = None
    except EsignError as exc:
        fields, testing_only, load_error = (), backend == "local", exc.message
    saved = current.config if current.backend == backend else {}
    rows = []
    for f in fields or ():
        value = (submitted or {}).get(FIELD_PREFIX + f.name)
        if value is None:
            value = "" if f.secret else str(saved.get(f.name, f.default))
        rows.append({"field": f, "name": FIELD_PREFIX + f.name, "value": value,
                     "has_saved_secret": f.secret and bool(saved.get(f.name + SECRET_SUFFIX))})
    free = (submitted or {}).get("extra", "")
    if not fields and not submitted:
        free = "\n".join(f"{k}={v}" for k, v in saved.items() if not k.endswith(SECRET_SUFFIX))
    return {"backend": backend, "fields": rows, "free_form": not fields, "extra": free,
            "testing_only": testing_only, "load_error": load_error}


def _submitted_config(backend: str, data: dict[str, str]) -> dict[str, str]:
    config = {k[len(FIELD_PREFIX):]: v for k, v in data.items() if k.startswith(FIELD_PREFIX)}
    for line in data.get("extra", "").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            config[key.strip()] = value.strip()
    return config


def _view(request: AnyRequest, backend: str | None = None, submitted: dict[str, str] | None = None,
          **extra: Any) -> dict[str, Any]:
    platform = platform_of(request)
    current = platform.storage_settings()
    chosen = backend or current.backend
    backends = storage_admin.backends()
    if chosen not in backends:
        chosen = current.backend
    masked = {k[: -len(SECRET_SUFFIX)] if k.endswith(SECRET_SUFFIX) else k: "******" if k.endswith(SECRET_SUFFIX)
              else v for k, v in current.config.items()}
    return {"current": current, "current_config": masked, "backends": backends, "labels": BACKEND_LABELS,
            "local_warning": LOCAL_WARNING, "form": _form_view(chosen, submitted, current), "steps": None,
            "message": None, "saved": None, "step_labels": STEP_LABELS, **extra}


class StorageSettingsController(Controller):
    """``/console/settings/storage``."""

    path = PATH
    before_request = console_gate
    include_in_schema = False

    @get("/", sync_to_thread=True, opt={"permission": Permission.SETTINGS_STORAGE_VIEW})
    def storage_page(self, request: AnyRequest) -> Response[Any]:
        backend = request.query_params.get("backend")
        view = _view(request, backend)
        if request.headers.get("hx-request") and backend:
            return page(request, "console/_storage_form.html", **view)
        return page(request, "console/storage.html", **view)

    @post("/test", sync_to_thread=True, opt={"permission": Permission.SETTINGS_STORAGE_EDIT})
    def test_connection(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """htmx: the steps fragment; without JavaScript, the whole page."""
        platform, backend = platform_of(request), data.get("backend", "")
        try:
            settings = storage_admin.build_settings(platform, backend, _submitted_config(backend, data))
            steps = storage_admin.test_connection(platform, settings)
        except EsignError as exc:
            steps = [("configuration", False, exc.message)]
        if request.headers.get("hx-request"):
            return page(request, "console/_storage_steps.html", steps=steps, message=None, saved=None,
                        step_labels=STEP_LABELS)
        return page(request, "console/storage.html", **_view(request, backend, data, steps=steps))

    @post("/", sync_to_thread=True, opt={"permission": Permission.SETTINGS_STORAGE_EDIT})
    def save(self, request: AnyRequest, data: FormData) -> Response[Any]:
        platform, backend = platform_of(request), data.get("backend", "")
        try:
            settings = storage_admin.build_settings(platform, backend, _submitted_config(backend, data))
            result = storage_admin.configure(platform, settings, actor=Actor(account_of(request).username,
                                                                             client_ip(request)))
            steps, saved = list(result.steps), result.saved
        except EsignError as exc:
            steps, saved = [("configuration", False, exc.message)], False
        view = _view(request, backend, None if saved else data, steps=steps, saved=saved,
                     message=SAVED if saved else NOT_SAVED)
        return page(request, "console/storage.html", status_code=200 if saved else 422, **view)

