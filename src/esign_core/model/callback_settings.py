"""修改回调配置 (manual 二.1.3 2 and 二.2.2 3): enterprise and personal certification callback URLs,
for success and for failure, and the administrator's SSRF allow-list."""

from __future__ import annotations

from typing import ClassVar

import attrs

from esign_core.errors import InvalidValue
from esign_core.model.callback_target import check_callback_url
from esign_core.model.certification import CertificationStatus, CertifiedEntity
from esign_core.model.policy import Section


def _allow_list(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.replace(",", "\n").splitlines()
    if not isinstance(value, list | tuple):
        raise InvalidValue("allow_list", "allow_list must be a list of host names or networks")
    return tuple(sorted({str(v).strip() for v in value if str(v).strip()}))


@attrs.frozen
class CallbackSettings(Section):
    """Changed only through ConfigureCallbacks (which resolves host names); each URL may be empty."""

    SECTION: ClassVar[str] = "certification_callbacks"
    DIRECT_CHANGE: ClassVar[bool] = False
    enterprise_success_url: str = ""
    enterprise_failure_url: str = ""
    personal_success_url: str = ""
    personal_failure_url: str = ""
    allow_list: tuple[str, ...] = attrs.field(default=(), converter=_allow_list)

    def __attrs_post_init__(self) -> None:
        for name in ("enterprise_success_url", "enterprise_failure_url", "personal_success_url",
                     "personal_failure_url"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise InvalidValue(name, f"{name} must be text")
            if value:
                check_callback_url(value, allow=self.allow_list, field=name)

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data["allow_list"] = list(self.allow_list)
        return data

    def url_for(self, entity: CertifiedEntity, status: CertificationStatus) -> str | None:
        """The URL a change to ``status`` is reported to, or None (APPLIED/UNSUBMIT are not reported)."""
        if status not in (CertificationStatus.PASSED, CertificationStatus.REJECTED):
            return None
        prefix = "enterprise" if entity is CertifiedEntity.ENTERPRISE else "personal"
        outcome = "success" if status is CertificationStatus.PASSED else "failure"
        return getattr(self, f"{prefix}_{outcome}_url") or None
