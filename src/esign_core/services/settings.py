"""Reading and changing console settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from esign_core.errors import DomainError
from esign_core.model.audit import Actor, audit_record, diff
from esign_core.model.policy import Section, section_class
from esign_core.ports import Clock, UnitOfWork
from esign_core.services.commands import ChangeSettings


def get_settings(section: str, *, uow: UnitOfWork) -> Section:
    with uow:
        return uow.settings.get(section_class(section))


def change_settings(cmd: ChangeSettings, *, uow: UnitOfWork, clock: Clock) -> Section:
    """Validate and store a change to one section, with its audit record (who, from where,
    old → new, secrets masked) in the same unit of work; raises InvalidValue naming the bad key.
    A change that changes nothing is not recorded."""
    cls = section_class(cmd.section)
    if not cls.DIRECT_CHANGE:
        raise DomainError(
            f"the {cls.SECTION} settings change through `esign {cls.SECTION} configure` or the console's "
            f"{cls.SECTION} page, which test them first",
            section=cls.SECTION,
        )
    with uow:
        current = uow.settings.get(cls)
        updated = current.evolve(**_coerce(cls, cmd.changes))
        store_section(uow, current, updated, actor=Actor(cmd.actor, cmd.ip), at=clock.now())
        uow.commit()
        return updated


def store_section(uow: UnitOfWork, current: Section, updated: Section, *, actor: Actor, at: datetime,
                  images: tuple[str, ...] = ()) -> None:
    """Stage ``updated`` and its audit record inside an open unit of work (for use cases that
    change a section their own way, such as storage or the brand images)."""
    changes = diff(current.to_dict(), updated.to_dict(), images=images)
    if not changes:
        return
    uow.settings.put(updated)
    uow.evidence.append(audit_record(updated.SECTION, changes, actor=actor, at=at))


def _coerce(cls: type[Section], changes: dict[str, Any]) -> dict[str, Any]:
    """Turn strings from a form or a command line into the section's field types."""
    import attrs

    fields = {f.name: f for f in attrs.fields(cls)}
    out: dict[str, Any] = {}
    for key, value in changes.items():
        f = fields.get(key)
        if f is not None and isinstance(value, str):
            default = f.default
            if isinstance(default, bool):
                value = {
                    "true": True,
                    "on": True,
                    "1": True,
                    "yes": True,
                    "false": False,
                    "off": False,
                    "0": False,
                    "no": False,
                }.get(value.lower(), value)
            elif isinstance(default, int):
                value = int(value) if value.strip().lstrip("-").isdecimal() and value.isascii() else value
        out[key] = value
    return out
