"""Reading and changing console settings."""

from __future__ import annotations

from typing import Any

from esign_core.errors import DomainError
from esign_core.model.policy import Section, section_class
from esign_core.ports import UnitOfWork
from esign_core.services.commands import ChangeSettings


def get_settings(section: str, *, uow: UnitOfWork) -> Section:
    with uow:
        return uow.settings.get(section_class(section))


def change_settings(cmd: ChangeSettings, *, uow: UnitOfWork) -> Section:
    """Validate and store a change to one section; raises InvalidValue naming the bad key."""
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
        uow.settings.put(updated)
        uow.commit()
        return updated


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
