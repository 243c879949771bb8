"""The activation wizard (manual 一.1) at ``/setup``.

Steps: 1 product code and licence code; 2 database (test, migrate, remember); 3 the console's
system account; 4 the platform enterprise and its administrator, then activation. What the
steps collect waits in the server-side session (the password sealed with the platform's
secret box) and is written to the database only by the last step, in one transaction; the
database step's migration is the only earlier write.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_adapters.bootstrap import Platform
from esign_adapters.db.engine import check_connection, database_url
from esign_core.errors import EsignError
from esign_core.model.policy import PasswordPolicy
from esign_core.services.commands import InitializePlatform
from esign_http.access import LOGIN_PATH, SETUP_PATH, setup_gate
from esign_http.context import initialized, language_of, platform_of
from esign_http.errors import FormInvalid, describe, message_for, render_form_error
from esign_http.i18n import _l
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]

WIZARD_KEY = "setup"
DONE_KEY = "setup_done"
PASSWORD_PURPOSE = "esign.setup.admin-password"
DB_KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL / MariaDB"}
DEFAULT_PORTS = {"postgresql": "5432", "mysql": "3306"}
# SQLite files stay inside the data directory: the wizard is reachable before anyone has
# logged in, so it must not write files at arbitrary paths.
_SQLITE_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_STEPS = (("licence", SETUP_PATH), ("database", "/setup/database"), ("account", "/setup/account"))
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _wizard(request: AnyRequest) -> dict[str, Any]:
    """What the finished steps collected (read-only; an anonymous visit stores no session)."""
    return request.session.get(WIZARD_KEY) or {}  # type: ignore[no-any-return]


def _remember(request: AnyRequest, step: str, value: dict[str, Any]) -> None:
    request.session.setdefault(WIZARD_KEY, {})[step] = value


def _missing_step(request: AnyRequest, upto: str) -> Redirect | None:
    """Send the visitor back to the first step not done before ``upto``."""
    wizard = _wizard(request)
    for step, path in _STEPS:
        if step == upto:
            return None
        if not wizard.get(step):
            return Redirect(path)
    return None


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    return value.strip() if isinstance(value, str) else ""


def _step_page(request: AnyRequest, template: str, step: int, **context: Any) -> Response[Any]:
    context.setdefault("error", None)
    context.setdefault("error_field", None)
    return page(request, template, step=step, product_code=platform_of(request).product_code, **context)


# -- database ------------------------------------------------------------------------------------
def database_url_from_form(platform: Platform, form: dict[str, str]) -> str:
    """Build the SQLAlchemy URL for the chosen database type; raise FormInvalid naming the field."""
    kind = form.get("db_type", "")
    if kind not in DB_KINDS:
        raise FormInvalid("db_type", _l("请选择数据库类型。"))
    name = form.get("name", "")
    if kind == "sqlite":
        name = name or "esign.db"
        if not _SQLITE_FILE.match(name):
            raise FormInvalid("name", _l(
                "SQLite 数据库文件名只能包含字母、数字、点、下划线和连字符，文件保存在数据目录中。"))
        return database_url("sqlite", name=str(platform.settings.data_dir / name))
    host, port = form.get("host", ""), form.get("port", "") or DEFAULT_PORTS[kind]
    if not host:
        raise FormInvalid("host", _l("请填写数据库服务器地址。"))
    if not port.isdecimal() or not 0 < int(port) < 65536:
        raise FormInvalid("port", _l("端口必须是 1 到 65535 之间的数字。"))
    if not name:
        raise FormInvalid("name", _l("请填写数据库名称。"))
    if not form.get("user"):
        raise FormInvalid("user", _l("请填写数据库用户名。"))
    return database_url(kind, host=host, port=int(port), user=form["user"], password=form.get("password", ""),
                        name=name)


def _db_form(data: dict[str, str]) -> dict[str, str]:
    keys = ("db_type", "host", "port", "user", "password", "name")
    return {k: _text(data, k) if k != "password" else data.get(k, "") for k in keys}


def _db_context(form: dict[str, str]) -> dict[str, Any]:
    # The password is never sent back to the browser.
    return {"form": {k: v for k, v in form.items() if k != "password"}, "db_kinds": DB_KINDS,
            "default_ports": DEFAULT_PORTS}


# -- files -----------------------------------------------------------------------------------------
def _upload(data: dict[str, Any], key: str) -> bytes | None:
    value = data.get(key)
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    content = value.file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise FormInvalid(key, _l("上传的文件不能超过 5 MB。"))
    return content or None


class SetupController(Controller):
    """``/setup``: open to anyone until the platform is activated, closed for good afterwards."""

    path = SETUP_PATH
    before_request = setup_gate
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def licence_page(self, request: AnyRequest) -> Response[Any]:
        code = _wizard(request).get("licence", {}).get("code", "")
        return _step_page(request, "setup/licence.html", 1, licence_code=code)

    @post("/licence", sync_to_thread=True)
    def submit_licence(self, request: AnyRequest, data: FormData) -> Response[Any]:
        platform = platform_of(request)
        code = "".join(data.get("licence_code", "").split())
        try:
            if not code:
                raise FormInvalid("licence_code", _l("请粘贴 license 码。"))
            licence = platform.licences.verify(code)
            licence.check_valid(product_code=platform.product_code, now=platform.clock.now())
        except EsignError as exc:
            return render_form_error(request, "setup/licence.html", exc, step=1, licence_code=code,
                                     product_code=platform.product_code)
        _remember(request, "licence", {"code": code, "licensee": licence.licensee,
                                       "expires_at": licence.expires_at.date().isoformat()})
        return Redirect("/setup/database")

    @get("/database", sync_to_thread=True)
    def database_page(self, request: AnyRequest) -> Response[Any]:
        if redirect := _missing_step(request, "database"):
            return redirect
        form = {"db_type": "sqlite", "name": "esign.db", "host": "127.0.0.1", "port": "", "user": ""}
        return _step_page(request, "setup/database.html", 2, result=None, **_db_context(form))

    @post("/database/test", sync_to_thread=True)
    def test_database(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """htmx: answer with the result fragment; without JavaScript, the whole page."""
        if redirect := _missing_step(request, "database"):
            return redirect
        form = _db_form(data)
        try:
            check_connection(database_url_from_form(platform_of(request), form))
            result: dict[str, Any] = {"ok": True, "message": None}
        except EsignError as exc:
            result = {"ok": False, "message": message_for(describe(exc), language_of(request))}
        if request.headers.get("hx-request"):
            return page(request, "setup/_db_result.html", result=result)
        return _step_page(request, "setup/database.html", 2, result=result, **_db_context(form))

    @post("/database", sync_to_thread=True)
    def submit_database(self, request: AnyRequest, data: FormData) -> Response[Any]:
        if redirect := _missing_step(request, "database"):
            return redirect
        platform, form = platform_of(request), _db_form(data)
        try:
            platform.use_database(database_url_from_form(platform, form))
        except EsignError as exc:
            return render_form_error(request, "setup/database.html", exc, step=2, result=None,
                                     product_code=platform.product_code, **_db_context(form))
        _remember(request, "database", {"kind": DB_KINDS[form["db_type"]]})
        return Redirect("/setup/account")

    @get("/account", sync_to_thread=True)
    def account_page(self, request: AnyRequest) -> Response[Any]:
        if redirect := _missing_step(request, "account"):
            return redirect
        username = _wizard(request).get("account", {}).get("username", "admin")
        return _step_page(request, "setup/account.html", 3, username=username)

    @post("/account", sync_to_thread=True)
    def submit_account(self, request: AnyRequest, data: FormData) -> Response[Any]:
        if redirect := _missing_step(request, "account"):
            return redirect
        platform = platform_of(request)
        username, password = _text(data, "username"), data.get("password", "")
        try:
            if not username or len(username) > 50:
                raise FormInvalid("username", _l("请填写账号（不超过 50 个字符）。"))
            PasswordPolicy().check(password, field="password")
            if password != data.get("password_confirm", ""):
                raise FormInvalid("password_confirm", _l("两次输入的密码不一致。"))
        except EsignError as exc:
            return render_form_error(request, "setup/account.html", exc, step=3, username=username,
                                     product_code=platform.product_code)
        sealed = platform.secrets.seal(password.encode(), purpose=PASSWORD_PURPOSE)
        _remember(request, "account", {"username": username, "password": sealed})
        return Redirect("/setup/platform")

    @get("/platform", sync_to_thread=True)
    def platform_page(self, request: AnyRequest) -> Response[Any]:
        if redirect := _missing_step(request, "platform"):
            return redirect
        form = {"platform_name": "", "uscc": "", "admin_name": "", "admin_mobile": "", "use_external_api": True}
        return _step_page(request, "setup/platform.html", 4, form=form)

    @post("/platform", sync_to_thread=True)
    def submit_platform(self, request: AnyRequest, data: MultipartData) -> Response[Any]:
        """Activate. Any error re-renders the form and leaves nothing behind (the platform
        rolls the transaction back and removes files it placed)."""
        if redirect := _missing_step(request, "platform"):
            return redirect
        platform, wizard = platform_of(request), _wizard(request)
        form = {k: _text(data, k) for k in ("platform_name", "uscc", "admin_name", "admin_mobile")}
        use_api = _text(data, "use_external_api") in ("on", "true", "1")
        try:
            if not form["platform_name"]:
                raise FormInvalid("platform_name", _l("请填写平台企业名称。"))
            if not form["admin_name"]:
                raise FormInvalid("admin_name", _l("请填写管理员姓名。"))
            if not form["admin_mobile"]:
                raise FormInvalid("admin_mobile", _l("请填写管理员手机号。"))
            token, image = _upload(data, "offline_token"), _upload(data, "licence_image")
            password = platform.secrets.open(wizard["account"]["password"], purpose=PASSWORD_PURPOSE).decode()
            cmd = InitializePlatform(
                product_code=platform.product_code, licence_code=wizard["licence"]["code"],
                admin_username=wizard["account"]["username"], admin_password=password,
                platform_name=form["platform_name"], platform_admin_name=form["admin_name"],
                platform_admin_mobile=form["admin_mobile"], platform_uscc=form["uscc"] or None,
                use_external_api=use_api)
            platform.initialize(cmd, offline_token=token if not use_api else None,
                                licence_image=image if not use_api else None)
        except EsignError as exc:
            return render_form_error(request, "setup/platform.html", exc, step=4,
                                     form={**form, "use_external_api": use_api}, product_code=platform.product_code)
        request.session.pop(WIZARD_KEY, None)
        request.session[DONE_KEY] = True
        return Redirect("/setup/done")

    @get("/done", sync_to_thread=True, opt={"after_activation": True})
    def done_page(self, request: AnyRequest) -> Response[Any]:
        """「激活成功」, shown once to the browser that activated; others go to the login."""
        if not initialized(request):
            return Redirect(SETUP_PATH)
        if not request.session.pop(DONE_KEY, False):
            return Redirect(LOGIN_PATH)
        return page(request, "setup/done.html")
