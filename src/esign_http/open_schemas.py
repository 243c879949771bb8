"""Wire shapes of the open API (reference §1.4–1.6, §3): reading request fields with the types
the v4 clients send (ids as numbers or numeric strings, booleans as JSON or ``"true"``), turning
them into core specs, and rendering aggregates as the v4 response schemas.

Every parameter problem raises :class:`~esign_core.errors.InvalidValue` naming the field as the
client spelled it (``signatories[0].actions[0].type``), which the error translation answers with
code 1000001."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from esign_core.errors import InvalidValue
from esign_core.model.category import BusinessCategory
from esign_core.model.contract import (
    CONTRACT_STATUS_LABELS,
    Action,
    ActionOperator,
    ActionType,
    Contract,
    Signatory,
    StamperType,
)
from esign_core.model.document import Document
from esign_core.model.org import TenantType
from esign_core.model.seal import SEAL_STATUS_LABELS, Seal
from esign_core.services.contract_specs import ActionSpec, SignatorySpec, StamperSpec
from esign_core.values import KeywordPosition, PagePosition

SUCCESS_CODE = 0
SUCCESS_MESSAGE = "SUCCESS"
#: Times on the wire are China Standard Time, as the product we replace shows them.
WIRE_TZ = timezone(timedelta(hours=8), "CST")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_ID = 2**63 - 1


def envelope(**payload: Any) -> dict[str, Any]:
    """A success answer. 64-bit ids must already be strings, as the open API sends them."""
    return {"code": SUCCESS_CODE, "message": SUCCESS_MESSAGE, **payload}


def wire_time(value: datetime | None) -> str | None:
    return value.astimezone(WIRE_TZ).strftime(TIME_FORMAT) if value is not None else None


class Fields:
    """The parameters of one request (a JSON object, a form or a query string)."""

    def __init__(self, data: Any, prefix: str = "") -> None:
        if not isinstance(data, Mapping):
            raise InvalidValue(prefix or "body", f"{prefix or 'the request body'} must be a JSON object")
        self._data = data
        self._prefix = prefix

    def name(self, key: str) -> str:
        return f"{self._prefix}.{key}" if self._prefix else key

    def _raw(self, key: str) -> Any:
        value = self._data.get(key)
        if isinstance(value, list) and value and not isinstance(value[0], Mapping) and key not in ("documents",):
            value = value[0]  # a form field sent twice: the first wins
        return None if value == "" else value

    def has(self, key: str) -> bool:
        return self._raw(key) is not None

    def text(self, key: str, *, required: bool = False, max_len: int = 2000) -> str | None:
        value = self._raw(key)
        if value is None:
            if required:
                raise InvalidValue(self.name(key), f"{self.name(key)} is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidValue(self.name(key), f"{self.name(key)} must be a string")
        text = str(value).strip()
        if len(text) > max_len:
            raise InvalidValue(self.name(key), f"{self.name(key)} is longer than {max_len} characters")
        if required and not text:
            raise InvalidValue(self.name(key), f"{self.name(key)} is required")
        return text

    def id(self, key: str, *, required: bool = False) -> int | None:
        return parse_id(self._raw(key), self.name(key), required=required)

    def integer(self, key: str, default: int | None = None) -> int | None:
        value = self._raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str)
                                                                       and value.strip().lstrip("-").isdecimal())):
            raise InvalidValue(self.name(key), f"{self.name(key)} must be an integer")
        return int(value)

    def number(self, key: str, default: float | None = None) -> float | None:
        value = self._raw(key)
        if value is None:
            return default
        try:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        except (TypeError, ValueError):
            raise InvalidValue(self.name(key), f"{self.name(key)} must be a number") from None

    def boolean(self, key: str, default: bool) -> bool:
        value = self._raw(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
            return value.strip().lower() in ("true", "1")
        raise InvalidValue(self.name(key), f"{self.name(key)} must be true or false")

    def time(self, key: str) -> datetime | None:
        text = self.text(key)
        if text is None:
            return None
        try:
            return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=WIRE_TZ).astimezone(UTC)
        except ValueError:
            raise InvalidValue(self.name(key), f"{self.name(key)} must be yyyy-MM-dd HH:mm:ss") from None

    def enum(self, key: str, allowed: Mapping[str, Any], *, required: bool = False) -> Any:
        text = self.text(key, required=required)
        if text is None:
            return None
        if text.upper() not in allowed:
            raise InvalidValue(self.name(key), f"{self.name(key)} must be one of {', '.join(allowed)}")
        return allowed[text.upper()]

    def items(self, key: str, *, required: bool = False) -> list[Fields]:
        value = self._data.get(key)
        if value is None or value == []:
            if required:
                raise InvalidValue(self.name(key), f"{self.name(key)} is required")
            return []
        if not isinstance(value, list):
            raise InvalidValue(self.name(key), f"{self.name(key)} must be an array")
        return [Fields(item, f"{self.name(key)}[{i}]") for i, item in enumerate(value)]

    def ids(self, key: str) -> tuple[int, ...]:
        value = self._data.get(key)
        if value is None or value == "":
            return ()
        if not isinstance(value, list):
            value = [value]
        return tuple(parse_id(v, f"{self.name(key)}[{i}]", required=True) for i, v in enumerate(value))  # type: ignore[misc]

    def contract_ref(self) -> dict[str, Any]:
        """``contractId`` or ``bizId`` as the keyword arguments of a ContractCommand."""
        contract_id, biz_id = self.id("contractId"), self.text("bizId", max_len=128)
        if contract_id is None and not biz_id:
            raise InvalidValue("contractId", "contractId or bizId is required")
        return {"contract_id": contract_id, "biz_id": biz_id if contract_id is None else None}


def parse_id(value: Any, field: str, *, required: bool = False) -> int | None:
    """A 64-bit id sent as a number or a numeric string."""
    if value is None or value == "":
        if required:
            raise InvalidValue(field, f"{field} is required")
        return None
    if isinstance(value, bool) or not (isinstance(value, int)
                                       or (isinstance(value, str) and value.strip().isdecimal())):
        raise InvalidValue(field, f"{field} must be a numeric id")
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise InvalidValue(field, f"{field} is out of range")
    return number


_TENANT_TYPES = {t.value: t for t in TenantType}
_ACTION_TYPES = {t.value: t for t in ActionType}
_STAMPER_TYPES = {t.value: t for t in StamperType}


def _position(f: Fields, x_key: str, y_key: str) -> PagePosition | KeywordPosition | None:
    keyword = f.text("keyword", max_len=200)
    index = f.integer("keywordIndex", 1)
    page = 0 if f.boolean("allPage", False) else f.integer("page")
    x, y = f.number(x_key, 0.0) or 0.0, f.number(y_key, 0.0) or 0.0
    wire = {"offset_x": x_key, "offset_y": y_key, "keyword_index": "keywordIndex"}
    try:
        if keyword:
            return KeywordPosition(keyword, 1 if index is None else index, x, y)
        return PagePosition(page, x, y) if page is not None else None
    except InvalidValue as exc:
        field = f.name(wire.get(exc.field, exc.field))
        raise InvalidValue(field, f"{field}: {exc.message}") from None


def stamper_spec(f: Fields, *, allowed: Mapping[str, StamperType] = _STAMPER_TYPES, type_key: str = "type",
                 x_key: str = "x", y_key: str = "y") -> StamperSpec:
    """A Stamper (silent signing) or SignatoryRect (request): ``documentId``, the type, and a
    page position or a keyword."""
    document_id = f.id("documentId", required=True)
    kind = f.enum(type_key, allowed, required=True)
    position = _position(f, x_key, y_key)
    if position is None and kind is not StamperType.ACROSS_PAGE:
        raise InvalidValue(f.name("page"), f"{f.name('page')} or {f.name('keyword')} is required")
    return StamperSpec(document_id=document_id, type=kind, position=position)  # type: ignore[arg-type]


def stamper_specs(f: Fields, key: str = "stampers", *, allowed: tuple[StamperType, ...]) -> tuple[StamperSpec, ...]:
    kinds = {k.value: k for k in allowed}
    return tuple(stamper_spec(s, allowed=kinds) for s in f.items(key))


def _action_spec(f: Fields, index: int) -> ActionSpec:
    operators = tuple(
        ActionOperator(o.text("operatorName", max_len=50) or "", o.text("operatorContact", required=True) or "")
        for o in f.items("actionOperators")
    )
    locations = tuple(stamper_spec(r, type_key="rectType", x_key="offsetX", y_key="offsetY")
                      for r in f.items("locations"))
    seal_ids = tuple(i for i in (f.id("sealId"),) if i is not None) + f.ids("sealIds")
    return ActionSpec(type=f.enum("type", _ACTION_TYPES, required=True), name=f.text("name", required=True, max_len=50)
                      or "", serial_no=f.integer("serialNo", index + 1) or index + 1,
                      seal_ids=tuple(dict.fromkeys(seal_ids)), operators=operators, stampers=locations)


def signatory_spec(f: Fields, index: int) -> SignatorySpec:
    """A Signatory (create / createbycategory request)."""
    return SignatorySpec(
        tenant_type=f.enum("tenantType", _TENANT_TYPES, required=True),
        tenant_name=f.text("tenantName", required=True, max_len=100) or "",
        serial_no=f.integer("serialNo", index + 1) or index + 1,
        receiver_name=f.text("receiverName", max_len=50),
        contact=f.text("contact", max_len=100),
        actions=tuple(_action_spec(a, i) for i, a in enumerate(f.items("actions"))),
    )


# -- responses ---------------------------------------------------------------------------------
def document_out(doc: Document) -> dict[str, Any]:
    """§3 Document. ``attachment`` marks a sponsor-only attachment (createsponsorfile /
    addsponsorfile: reference material the signers neither see nor sign); the wire contract names
    no field for it, so ours is an addition a v4 client ignores."""
    return {"id": str(doc.id), "title": doc.title, "pages": doc.pages, "size": doc.current.size,
            "createTime": wire_time(doc.created_at), "attachment": doc.attachment}


def _action_out(action: Action) -> dict[str, Any]:
    return {"id": str(action.id), "type": action.type.value, "name": action.name, "serialNo": action.serial_no,
            "status": action.status.value, "completeTime": wire_time(action.completed_at),
            "complete": action.status.value == "SIGNED",
            "actionOperators": [{"operatorName": o.name, "operatorContact": o.contact} for o in action.operators]}


def _signatory_out(signatory: Signatory) -> dict[str, Any]:
    return {"id": str(signatory.id), "tenantType": signatory.tenant_type.value, "tenantName": signatory.tenant_name,
            "receiverName": signatory.receiver_name, "contact": signatory.contact, "serialNo": signatory.serial_no,
            "status": signatory.status.value, "complete": signatory.status.value == "COMPLETE",
            "receiveTime": wire_time(signatory.received_at), "actions": [_action_out(a) for a in signatory.actions]}


def contract_out(contract: Contract, documents: tuple[Document, ...]) -> dict[str, Any]:
    """The §3 Contract (detail) schema, as far as we keep its fields."""
    return {
        "id": str(contract.id), "bizId": contract.biz_id, "subject": contract.subject, "sn": contract.sn,
        "description": contract.description, "ordinal": contract.ordinal, "status": contract.status.value,
        "statusDesc": CONTRACT_STATUS_LABELS[contract.status],
        "categoryId": str(contract.category_id) if contract.category_id else None,
        "tenantId": str(contract.tenant_id) if contract.tenant_id else None,
        "creatorId": str(contract.creator_id) if contract.creator_id else None,
        "createTime": wire_time(contract.created_at), "updateTime": wire_time(contract.updated_at),
        "expireTime": wire_time(contract.expire_at), "comments": contract.comments,
        "businessData": contract.business_data, "complete": contract.status.value == "COMPLETE",
        "documents": [document_out(d) for d in documents],
        "signatories": [_signatory_out(s) for s in contract.signatories],
    }


def category_out(category: BusinessCategory) -> dict[str, Any]:
    return {"id": str(category.id), "name": category.name, "primary": category.primary,
            "type": category.type.value, "tenantId": str(category.tenant_id),
            "state": {"ENABLED": 0, "DISABLED": 1, "DELETED": 2}.get(category.state.value, 0),
            "sealId": str(category.seal_id) if category.seal_id else None,
            "createTime": wire_time(category.created_at)}


def seal_out(seal: Seal) -> dict[str, Any]:
    return {"id": str(seal.id), "owner": str(seal.owner_id), "name": seal.name, "type": seal.kind.value,
            "status": {"key": seal.status.value, "description": SEAL_STATUS_LABELS[seal.status]},
            "spec": {"key": seal.spec.key, "type": seal.spec.shape, "width": seal.spec.width_mm,
                     "height": seal.spec.height_mm},
            "useCount": seal.use_count, "category": seal.category.value, "createTime": wire_time(seal.created_at)}
