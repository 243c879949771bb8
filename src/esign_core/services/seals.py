"""Seal types (印章类型管理, manual 三.5) and electronic seals: generated from a design or uploaded
(only when the signing settings allow custom seals, 三.1.2 6), authorised per member."""

from __future__ import annotations

import attrs

from esign_core.errors import AlreadyExists, DomainError, NotFoundError, PermissionDenied
from esign_core.model.org import OrgUnitKind
from esign_core.model.policy import SigningSettings
from esign_core.model.seal import Seal, SealKind, SealSpec, SealType
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.ports.signing import SealDesign, SealRenderer, SealStyle
from esign_core.ports.storage import BlobStore
from esign_core.services.commands import Command

_STYLE_FOR = {SealKind.COMPANY: SealStyle.COMPANY_ROUND, SealKind.LP: SealStyle.LEGAL_PERSON_SQUARE,
              SealKind.PERSONAL: SealStyle.PERSONAL_SIGNATURE}


@attrs.frozen
class AddSealType(Command):
    name: str


@attrs.frozen
class ChangeSealType(Command):
    """Rename, disable (停用) or enable (启用) an entry of the catalogue."""

    seal_type_id: int
    name: str | None = None
    enabled: bool | None = None


@attrs.frozen
class CreateSeal(Command):
    owner_id: int  # the enterprise (COMPANY, LP)
    kind: SealKind
    seal_type_id: int | None = None
    name: str | None = None  # defaults to the seal type's name (COMPANY) or the owner's name
    spec: str = "CIRCULAR_42"
    code: str = ""  # printed along the lower arc of a round seal
    upload: bytes | None = attrs.field(default=None, repr=False)  # a custom image instead of a drawn one
    authorize_member_ids: tuple[int, ...] = ()


@attrs.frozen
class AuthorizeSeal(Command):
    seal_id: int
    member_id: int
    revoke: bool = False


def add_seal_type(cmd: AddSealType, *, uow: UnitOfWork, ids: IdGenerator) -> int:
    """Raises AlreadyExists for a duplicate name, InvalidValue for a blank or long one."""
    with uow:
        if uow.seal_types.by_name(cmd.name.strip()) is not None:
            raise AlreadyExists(f"seal type {cmd.name.strip()!r} already exists", field="name")
        seal_type = SealType(id=ids.next_id(), name=cmd.name)
        uow.seal_types.add(seal_type)
        uow.commit()
        return seal_type.id


def change_seal_type(cmd: ChangeSealType, *, uow: UnitOfWork) -> None:
    with uow:
        seal_type = uow.seal_types.get(cmd.seal_type_id)
        if cmd.name is not None and cmd.name.strip() != seal_type.name:
            if uow.seal_types.by_name(cmd.name.strip()) is not None:
                raise AlreadyExists(f"seal type {cmd.name.strip()!r} already exists", field="name")
            seal_type.rename(cmd.name)
        if cmd.enabled is True:
            seal_type.enable()
        elif cmd.enabled is False:
            seal_type.disable()
        uow.commit()


def create_seal(cmd: CreateSeal, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator, blobs: BlobStore,
                renderer: SealRenderer) -> int:
    """Make a seal for an enterprise: drawn from the enterprise name, seal type and code, or an
    uploaded image (PermissionDenied unless custom seals are allowed). Raises NotFoundError for an
    unknown owner or seal type, DomainError for a disabled seal type or a department as owner,
    InvalidValue for a bad image or spec. The image is stored before the record is committed."""
    spec = SealSpec.of(cmd.spec)
    with uow:
        owner = uow.organizations.get(cmd.owner_id)
        if owner.unit_kind is OrgUnitKind.SECTION:
            raise DomainError("a department has no seals of its own; use its enterprise", field="owner_id")
        type_name = ""
        if cmd.seal_type_id is not None:
            seal_type = uow.seal_types.get(cmd.seal_type_id)
            if not seal_type.enabled:
                raise DomainError(f"seal type {seal_type.name} is disabled", field="seal_type_id")
            type_name = seal_type.name
        if cmd.upload is not None:
            if not uow.settings.get(SigningSettings).allow_custom_seals:
                raise PermissionDenied("custom seal images are not allowed by the signing settings")
            png = renderer.normalise_upload(cmd.upload)
        else:
            text = owner.name
            design = SealDesign(_STYLE_FOR[cmd.kind], text, type_name if cmd.kind is SealKind.COMPANY else "",
                                cmd.code, float(spec.width_mm), float(spec.height_mm))
            png = renderer.render(design)
        for member_id in cmd.authorize_member_ids:
            member = uow.members.get(member_id)
            if member.org_id != owner.id:
                raise DomainError("only members of the owning enterprise can be authorised", field="member_id")
        image = blobs.put([png])
        seal = Seal(id=ids.next_id(), owner_id=owner.id, name=cmd.name or type_name or owner.name, kind=cmd.kind,
                    seal_type_id=cmd.seal_type_id, spec=spec, image=image, custom_image=cmd.upload is not None,
                    authorized_member_ids=frozenset(cmd.authorize_member_ids), created_at=clock.now())
        uow.seals.add(seal)
        uow.commit()
        return seal.id


def authorize_seal(cmd: AuthorizeSeal, *, uow: UnitOfWork) -> None:
    with uow:
        seal = uow.seals.get(cmd.seal_id)
        if cmd.revoke:
            seal.deauthorize(cmd.member_id)
        else:
            member = uow.members.find(cmd.member_id)
            if member is None or member.org_id != seal.owner_id:
                raise NotFoundError("no such member of the seal's enterprise", member_id=str(cmd.member_id))
            seal.authorize(cmd.member_id)
        uow.commit()
