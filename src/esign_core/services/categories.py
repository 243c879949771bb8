"""Business categories (业务分类): create and change them. An enterprise's first category becomes
its default; making another one the default unmarks the previous one in the same unit of work."""

from __future__ import annotations

import attrs

from esign_core.errors import AlreadyExists, DomainError, NotFoundError
from esign_core.model.category import BusinessCategory, CategoryState, CategoryType
from esign_core.model.org import Organization
from esign_core.model.seal import SealKind
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.services.commands import Command
from esign_core.services.contract_refs import INTERNAL


@attrs.frozen(kw_only=True)
class CreateCategory(Command):
    """``tenant_id`` is an internal enterprise (default: the platform enterprise)."""

    name: str
    tenant_id: int | None = None
    callback_url: str | None = None
    seal_id: int | None = None
    type: CategoryType = CategoryType.ELECTRONIC
    primary: bool = False


@attrs.frozen(kw_only=True)
class ChangeCategory(Command):
    """Change only what is given. ``callback_url=""`` clears the address, ``clear_seal`` the
    default seal; ``primary=True`` makes it the default category."""

    category_id: int
    name: str | None = None
    callback_url: str | None = None
    seal_id: int | None = None
    clear_seal: bool = False
    primary: bool | None = None
    state: CategoryState | None = None


def _tenant(uow: UnitOfWork, tenant_id: int | None) -> Organization:
    org = uow.organizations.platform() if tenant_id is None else uow.organizations.find(tenant_id)
    if org is None or org.deleted or org.tenant_type not in INTERNAL or not org.is_legal_entity:
        raise NotFoundError("no internal enterprise with this id", field="tenantId",
                            tenant_id=str(tenant_id) if tenant_id is not None else None)
    return org


def _check_seal(uow: UnitOfWork, seal_id: int, tenant_id: int) -> None:
    seal = uow.seals.find(seal_id)
    if seal is None or seal.owner_id != tenant_id or seal.kind is not SealKind.COMPANY:
        raise NotFoundError("the default seal must be a company seal of the same enterprise", field="sealId",
                            seal_id=str(seal_id))


def _refuse_duplicate(uow: UnitOfWork, tenant_id: int, name: str, *, own_id: int | None = None) -> None:
    other = uow.categories.by_name(tenant_id, name.strip())
    if other is not None and other.id != own_id:
        raise AlreadyExists(f"a business category named {name.strip()!r} already exists", field="name",
                            category_id=str(other.id))


def _make_primary(uow: UnitOfWork, category: BusinessCategory) -> None:
    previous = uow.categories.primary(category.tenant_id)
    if previous is not None and previous.id != category.id:
        previous.unmark_primary()
    category.make_primary()


def create_category(cmd: CreateCategory, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> int:
    """Create a business category and return its id. Raises NotFoundError (enterprise, seal),
    AlreadyExists (name taken in that enterprise), InvalidValue (name, callback address)."""
    with uow:
        tenant = _tenant(uow, cmd.tenant_id)
        _refuse_duplicate(uow, tenant.id, cmd.name)
        if cmd.seal_id is not None:
            _check_seal(uow, cmd.seal_id, tenant.id)
        category = BusinessCategory.create(id=ids.next_id(), name=cmd.name, tenant_id=tenant.id, at=clock.now(),
                                           callback_url=cmd.callback_url, seal_id=cmd.seal_id, type=cmd.type)
        if cmd.primary or uow.categories.primary(tenant.id) is None:
            _make_primary(uow, category)
        uow.categories.add(category)
        uow.commit()
        return category.id


def change_category(cmd: ChangeCategory, *, uow: UnitOfWork) -> None:
    """Rename, change the callback address or default seal, make it the default, enable, disable
    or delete a category. Raises NotFoundError, AlreadyExists, InvalidValue, InvalidTransition (a
    deleted category; disabling or deleting the default one)."""
    if cmd.primary is False:
        raise DomainError("make another category the default instead", field="primary")
    with uow:
        category = uow.categories.get(cmd.category_id)
        if category.state is CategoryState.DELETED:
            raise NotFoundError("no business category with this id", category_id=str(cmd.category_id))
        if cmd.name is not None and cmd.name.strip() != category.name:
            _refuse_duplicate(uow, category.tenant_id, cmd.name, own_id=category.id)
            category.rename(cmd.name)
        if cmd.callback_url is not None:
            category.change_callback(cmd.callback_url)
        if cmd.clear_seal:
            category.use_seal(None)
        elif cmd.seal_id is not None:
            _check_seal(uow, cmd.seal_id, category.tenant_id)
            category.use_seal(cmd.seal_id)
        if cmd.state is CategoryState.ENABLED:
            category.enable()
        if cmd.primary:
            _make_primary(uow, category)
        if cmd.state is CategoryState.DISABLED:
            category.disable()
        elif cmd.state is CategoryState.DELETED:
            category.delete()
        uow.commit()
