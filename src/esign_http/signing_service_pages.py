"""The console's signing-service access (签署服务接入, manual 五.2) under
``/console/integration/signing``: the overview (认证服务 count, 签署调用总量, average response,
任务发布策略 = each provider's share, 失败转移策略, 调用次数 per provider and 质量监控: failures,
success rate, average and p95 duration), the providers' configuration (weight, enabled, URL
and sealed credentials of a remote esign, settings of a plugin) and ``/calls`` (调用详情)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body

from esign_adapters.signing.providers import signer_kinds
from esign_core.errors import EsignError, InvalidValue
from esign_core.model.signing_service import (
    CallStatus,
    SigningCallQuery,
    SigningServiceSettings,
    failover_order,
    share,
)
from esign_core.model.user import Permission
from esign_core.services.signing_services import (
    ConfigureSigningProvider,
    RemoveSigningProvider,
    SetSigningFailover,
)
from esign_http.access import CONSOLE_PATH, account_of, console_gate
from esign_http.context import client_ip, language_of, platform_of
from esign_http.errors import describe, message_for
from esign_http.i18n import _l, translate
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
PATH = f"{CONSOLE_PATH}/integration/signing"
PAGE_SIZE = 20
QUALITY_DAYS = 30
SAVED = _l("已保存。")
KIND_LABELS = {"local": _l("本地签署引擎"), "remote": _l("远程 esign 实例")}
CALL_LABELS = {"SUCCESS": _l("成功"), "FAILED": _l("失败")}
#: Config keys a remote provider takes from the form (the secret separately, sealed).
REMOTE_FIELDS = ("url", "app_token", "timeout")


def _error(request: AnyRequest, exc: EsignError) -> tuple[str, int]:
    problem = describe(exc)
    return message_for(problem, language_of(request)), problem.status


def _overview(request: AnyRequest, **extra: Any) -> dict[str, Any]:
    platform = platform_of(request)
    platform.call_recorder.flush()  # this node's waiting records first
    platform.signer.dispatcher()  # built from the current configuration, so that problems show now
    with platform.uow() as uow:
        settings = uow.settings.get(SigningServiceSettings)
    providers = settings.provider_list()
    since = platform.clock.now() - timedelta(days=QUALITY_DAYS)
    quality = platform.signing_calls.quality(since=since)
    all_time = platform.signing_calls.quality()
    total_calls = sum(q.calls for q in all_time)
    avg = sum(q.avg_ms * q.calls for q in all_time) / total_calls if total_calls else 0.0
    counts = [(q.provider, q.calls, q.calls / total_calls if total_calls else 0.0) for q in all_time]
    systems = [(name, n, n / total_calls if total_calls else 0.0)
               for name, n in platform.signing_calls.by_business_system()]
    order = failover_order(providers, None)
    return {"settings": settings, "providers": providers, "share": share(providers), "quality": quality,
            "total_calls": total_calls, "avg_ms": avg, "counts": counts, "systems": systems, "order": order,
            "kinds": signer_kinds(), "kind_labels": KIND_LABELS, "problems": dict(platform.signer.problems),
            "quality_days": QUALITY_DAYS, "message": None, "error": None, **extra}


def _config_from(data: dict[str, str], kind: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Non-secret settings and secrets of the submitted provider form."""
    if kind == "local":
        return {}, {}
    if kind == "remote":
        config: dict[str, Any] = {k: data[k].strip() for k in REMOTE_FIELDS if data.get(k, "").strip()}
        if "timeout" in config:
            try:
                config["timeout"] = float(config["timeout"])
            except ValueError:
                raise InvalidValue("timeout", "the timeout is a number of seconds") from None
        return config, {"app_secret": data.get("app_secret", "")}
    text = data.get("config_json", "").strip() or "{}"
    try:
        config = json.loads(text)
    except ValueError:
        raise InvalidValue("config_json", "the plugin settings must be a JSON object") from None
    if not isinstance(config, dict):
        raise InvalidValue("config_json", "the plugin settings must be a JSON object")
    secret_name = data.get("secret_name", "").strip()
    return config, ({secret_name: data.get("secret_value", "")} if secret_name else {})


class SigningServiceController(Controller):
    """``/console/integration/signing`` (集成中心 permission)."""

    path = PATH
    before_request = console_gate
    opt = {"permission": Permission.INTEGRATION}
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def overview(self, request: AnyRequest) -> Response[Any]:
        return page(request, "console/signing_services.html", **_overview(request))

    def _act(self, request: AnyRequest, action: Any) -> Response[Any]:
        platform = platform_of(request)
        try:
            action()
        except EsignError as exc:
            message, status = _error(request, exc)
            return page(request, "console/signing_services.html", status_code=status,
                        **_overview(request, error=message))
        platform.signing_services_changed()
        return page(request, "console/signing_services.html",
                    **_overview(request, message=translate(SAVED, language_of(request))))

    @post("/providers", sync_to_thread=True, status_code=200)
    def save_provider(self, request: AnyRequest, data: FormData) -> Response[Any]:
        """Add or change a provider (an empty secret keeps the sealed one)."""
        platform, actor = platform_of(request), account_of(request).username

        def act() -> None:
            kind = data.get("kind", "").strip()
            weight_text = data.get("weight", "").strip() or "0"
            if not weight_text.isdecimal():
                raise InvalidValue("weight", "the weight is a whole number from 0 to 1000")
            config, secrets = _config_from(data, kind)
            platform.handle(ConfigureSigningProvider(
                name=data.get("name", ""), kind=kind, label=data.get("label", ""), weight=int(weight_text),
                enabled=data.get("enabled") == "on", config=config, secrets=secrets, actor=actor,
                ip=client_ip(request)))

        return self._act(request, act)

    @post("/providers/{name:str}/remove", sync_to_thread=True, status_code=200)
    def remove_provider(self, request: AnyRequest, name: str) -> Response[Any]:
        platform, actor = platform_of(request), account_of(request).username
        return self._act(request, lambda: platform.handle(RemoveSigningProvider(name=name, actor=actor,
                                                                                       ip=client_ip(request))))

    @post("/failover", sync_to_thread=True, status_code=200)
    def failover(self, request: AnyRequest, data: FormData) -> Response[Any]:
        platform, actor = platform_of(request), account_of(request).username
        command = SetSigningFailover(enabled=data.get("enabled") == "on", actor=actor, ip=client_ip(request))
        return self._act(request, lambda: platform.handle(command))

    @get("/calls", sync_to_thread=True)
    def calls(self, request: AnyRequest) -> Response[Any]:
        """调用详情: newest first, by provider, status and business system."""
        platform = platform_of(request)
        platform.call_recorder.flush()
        params = request.query_params
        try:
            number = max(1, int(params.get("page", "1")))
        except ValueError:
            number = 1
        status = params.get("status", "")
        query = SigningCallQuery(provider=params.get("provider") or None,
                                 status=CallStatus(status) if status in CallStatus._value2member_map_ else None,
                                 business_system=(params.get("business_system") or "")[:100] or None,
                                 limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
        found, total = platform.signing_calls.search(query)
        with platform.uow() as uow:
            providers = uow.settings.get(SigningServiceSettings).provider_list()
        shown = {k: params.get(k, "") for k in ("provider", "status", "business_system")}
        return page(request, "console/signing_calls.html", calls=found, total=total, page=number,
                    pages=max(1, -(-total // PAGE_SIZE)), query=shown, providers=providers,
                    call_labels=CALL_LABELS)
