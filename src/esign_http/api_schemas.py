"""Request and response schemas of the contract endpoints of ``/api/v1``.

Explicit ``…Create`` / ``…In`` (requests) and ``…Out`` (responses) dataclasses, so the OpenAPI
document describes every field. Ids travel as strings (64-bit), times as ISO-8601 in UTC, names
in snake_case. Requests become core specs here (:func:`signatory_spec`, :func:`stamper_spec`);
every problem raises :class:`~esign_core.errors.InvalidValue` naming the field as the client
spelled it (``signatories[0].actions[0].locations[0].page``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from litestar.datastructures import UploadFile

from esign_core.errors import InvalidValue
from esign_core.model.category import BusinessCategory
from esign_core.model.contract import CONTRACT_STATUS_LABELS, Action, Contract, Signatory
from esign_core.model.document import Document
from esign_core.model.org import TenantType
from esign_core.model.seal import Seal
from esign_core.model.signatory import ActionType, StamperType
from esign_core.services.contract_specs import ActionSpec, SignatorySpec, StamperSpec
from esign_core.values import KeywordPosition, PagePosition
from esign_http.open_schemas import parse_id


def iso(value: datetime | None) -> str | None:
    """ISO-8601 in UTC (``2026-11-29T21:59:07Z``)."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def utc(value: datetime | None, name: str) -> datetime | None:
    """A request time; it must carry its offset (``Z`` or ``+08:00``)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidValue(name, f"{name} must be ISO-8601 with a time zone (e.g. 2026-12-31T23:59:59Z)")
    return value.astimezone(UTC)


def ids(values: list[str], name: str) -> tuple[int, ...]:
    return tuple(parse_id(v, f"{name}[{i}]", required=True) for i, v in enumerate(values))  # type: ignore[misc]


# -- requests ----------------------------------------------------------------------------------
@dataclass
class DocumentCreate:
    """A document from one uploaded file (multipart). PDF is stored as is; other types
    (``doc``, ``docx``, ``txt``, ``png``, ``jpg``, ``html`` …) are converted first."""

    file: UploadFile
    title: str
    file_type: str | None = None


@dataclass
class LocationIn:
    """Where a mark goes: ``page`` (1-based, 0 = every page, -1 = last) with offsets 0..1 from the
    bottom-left corner, or ``keyword`` (``keyword_index`` 1 = first, 0 = all, -1 = last) with
    offsets -1..1. A cross-page seal (``ACROSS_PAGE``) needs neither."""

    document_id: str
    rect_type: StamperType
    page: int | None = None
    offset_x: float = 0.0
    offset_y: float = 0.0
    keyword: str | None = None
    keyword_index: int = 1


@dataclass
class ActionIn:
    """One step of a signatory (company seal, legal person, personal signature, approval)."""

    type: ActionType
    name: str
    serial_no: int | None = None
    seal_id: str | None = None
    locations: list[LocationIn] = field(default_factory=list)


@dataclass
class SignatoryIn:
    """A party of the contract, in signing order ``serial_no``."""

    tenant_type: TenantType
    tenant_name: str
    serial_no: int | None = None
    receiver_name: str | None = None
    contact: str | None = None
    actions: list[ActionIn] = field(default_factory=list)


@dataclass
class ContractCreate:
    """A new contract, sponsored by ``tenant_name`` (default: the platform enterprise) and sent
    at once unless ``send`` is false. With ``biz_id`` the call is idempotent: the same body again
    answers 200 with the same id, a different body 409."""

    subject: str
    document_ids: list[str] = field(default_factory=list)
    signatories: list[SignatoryIn] = field(default_factory=list)
    category_id: str | None = None
    biz_id: str | None = None
    tenant_name: str | None = None
    ordinal: bool = False
    expire_at: datetime | None = None
    send: bool = True


@dataclass
class StamperIn:
    """A mark applied while signing: the same position fields as a location."""

    document_id: str
    type: StamperType
    page: int | None = None
    offset_x: float = 0.0
    offset_y: float = 0.0
    keyword: str | None = None
    keyword_index: int = 1


@dataclass
class CompanySignIn:
    """The company ``tenant_name`` (an internal enterprise) applies its seal ``seal_id`` (default:
    the action's preset seal, the category's or the first usable company seal)."""

    tenant_name: str
    seal_id: str | None = None
    stampers: list[StamperIn] = field(default_factory=list)


@dataclass
class LegalPersonSignIn:
    """The legal representative's seal of ``tenant_name``."""

    tenant_name: str
    seal_id: str | None = None
    stampers: list[StamperIn] = field(default_factory=list)


@dataclass
class PersonSignIn:
    """A person signs silently; ``signature_png_base64`` is an optional handwritten image."""

    tenant_name: str
    contact: str
    id_number: str | None = None
    signature_png_base64: str | None = None
    stampers: list[StamperIn] = field(default_factory=list)


@dataclass
class RecallIn:
    reason: str = ""


@dataclass
class VoidIn:
    """Void a completed contract: ``seal_id`` seals the void statement."""

    seal_id: str
    reason: str
    remove_original: bool | None = None


def _position(page: int | None, x: float, y: float, keyword: str | None, index: int,
              name: str) -> PagePosition | KeywordPosition | None:
    try:
        if keyword:
            return KeywordPosition(keyword, index, x, y)
        return PagePosition(page, x, y) if page is not None else None
    except InvalidValue as exc:
        raise InvalidValue(f"{name}.{exc.field}", f"{name}.{exc.field}: {exc.message}") from None


def stamper_spec(s: LocationIn | StamperIn, name: str, allowed: tuple[StamperType, ...] | None = None) -> StamperSpec:
    kind = s.rect_type if isinstance(s, LocationIn) else s.type
    kind_name = f"{name}.{'rect_type' if isinstance(s, LocationIn) else 'type'}"
    if allowed is not None and kind not in allowed:
        raise InvalidValue(kind_name, f"{kind_name} must be one of {', '.join(k.value for k in allowed)}")
    position = _position(s.page, s.offset_x, s.offset_y, s.keyword, s.keyword_index, name)
    if position is None and kind is not StamperType.ACROSS_PAGE:
        raise InvalidValue(f"{name}.page", f"{name}.page or {name}.keyword is required")
    return StamperSpec(document_id=parse_id(s.document_id, f"{name}.document_id", required=True),  # type: ignore[arg-type]
                       type=kind, position=position)


def stamper_specs(items: list[StamperIn], allowed: tuple[StamperType, ...]) -> tuple[StamperSpec, ...]:
    return tuple(stamper_spec(s, f"stampers[{i}]", allowed) for i, s in enumerate(items))


def _action_spec(a: ActionIn, index: int, name: str) -> ActionSpec:
    seal_id = parse_id(a.seal_id, f"{name}.seal_id")
    return ActionSpec(type=a.type, name=a.name, serial_no=a.serial_no or index + 1,
                      seal_ids=(seal_id,) if seal_id is not None else (),
                      stampers=tuple(stamper_spec(loc, f"{name}.locations[{i}]") for i, loc in enumerate(a.locations)))


def signatory_spec(s: SignatoryIn, index: int) -> SignatorySpec:
    name = f"signatories[{index}]"
    return SignatorySpec(tenant_type=s.tenant_type, tenant_name=s.tenant_name, serial_no=s.serial_no or index + 1,
                         receiver_name=s.receiver_name, contact=s.contact,
                         actions=tuple(_action_spec(a, i, f"{name}.actions[{i}]") for i, a in enumerate(s.actions)))


# -- responses ---------------------------------------------------------------------------------
@dataclass
class IdOut:
    """The id of what was created."""

    id: str


@dataclass
class DocumentOut:
    id: str
    title: str
    pages: int
    size: int
    created_at: str | None

    @classmethod
    def from_domain(cls, doc: Document) -> DocumentOut:
        return cls(id=str(doc.id), title=doc.title, pages=doc.pages, size=doc.current.size,
                   created_at=iso(doc.created_at))


@dataclass
class ActionOut:
    id: str
    type: str
    name: str
    serial_no: int
    status: str
    completed_at: str | None

    @classmethod
    def from_domain(cls, action: Action) -> ActionOut:
        return cls(id=str(action.id), type=action.type.value, name=action.name, serial_no=action.serial_no,
                   status=action.status.value, completed_at=iso(action.completed_at))


@dataclass
class SignatoryOut:
    id: str
    tenant_type: str
    tenant_name: str
    receiver_name: str | None
    contact: str | None
    serial_no: int
    status: str
    received_at: str | None
    actions: list[ActionOut]

    @classmethod
    def from_domain(cls, s: Signatory) -> SignatoryOut:
        return cls(id=str(s.id), tenant_type=s.tenant_type.value, tenant_name=s.tenant_name,
                   receiver_name=s.receiver_name, contact=s.contact, serial_no=s.serial_no, status=s.status.value,
                   received_at=iso(s.received_at), actions=[ActionOut.from_domain(a) for a in s.actions])


@dataclass
class ContractOut:
    """A contract with its documents and signatories."""

    id: str
    biz_id: str | None
    subject: str
    ordinal: bool
    status: str
    status_label: str
    category_id: str | None
    tenant_id: str | None
    created_at: str | None
    updated_at: str | None
    expire_at: str | None
    documents: list[DocumentOut]
    signatories: list[SignatoryOut]

    @classmethod
    def from_domain(cls, c: Contract, documents: tuple[Document, ...]) -> ContractOut:
        return cls(id=str(c.id), biz_id=c.biz_id, subject=c.subject, ordinal=c.ordinal, status=c.status.value,
                   status_label=CONTRACT_STATUS_LABELS[c.status],
                   category_id=str(c.category_id) if c.category_id else None,
                   tenant_id=str(c.tenant_id) if c.tenant_id else None, created_at=iso(c.created_at),
                   updated_at=iso(c.updated_at), expire_at=iso(c.expire_at),
                   documents=[DocumentOut.from_domain(d) for d in documents],
                   signatories=[SignatoryOut.from_domain(s) for s in c.signatories])


@dataclass
class VoidOut:
    contract_id: str
    removed_original: bool
    #: TERMINATING while the other parties sign the void statement, else TERMINATED
    status: str = "TERMINATED"


@dataclass
class CategoryOut:
    id: str
    name: str
    primary: bool
    type: str
    state: str
    seal_id: str | None
    created_at: str | None

    @classmethod
    def from_domain(cls, c: BusinessCategory) -> CategoryOut:
        return cls(id=str(c.id), name=c.name, primary=c.primary, type=c.type.value, state=c.state.value,
                   seal_id=str(c.seal_id) if c.seal_id else None, created_at=iso(c.created_at))


@dataclass
class SealOut:
    id: str
    owner_id: str
    name: str
    kind: str
    status: str
    category: str
    created_at: str | None

    @classmethod
    def from_domain(cls, s: Seal) -> SealOut:
        return cls(id=str(s.id), owner_id=str(s.owner_id), name=s.name, kind=s.kind.value, status=s.status.value,
                   category=s.category.value, created_at=iso(s.created_at))
