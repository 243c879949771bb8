"""Finding and importing one adapter plugin, the same way for every family (storage, SMS, push,
message broker): the entry point of the family's group by name — the built-ins are registered
there too — else the built-in table (a source checkout whose metadata predates an adapter). Only
the selected adapter is imported; every failure is a ConfigurationError that names the adapter,
and a missing client library comes with its ``pip install 'esign[extra]'`` hint."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from esign_core.errors import ConfigurationError


def plugin_names(group: str, builtins: Mapping[str, str], *, first: tuple[str, ...] = ()) -> list[str]:
    """The names of a group's adapters, without importing any: ``first`` (in that order, when
    present), then the built-ins, then the others sorted."""
    names = set(builtins) | {ep.name for ep in entry_points(group=group)}
    head = [n for n in (*first, *builtins) if n in names]
    ordered = list(dict.fromkeys(head))
    return ordered + sorted(names - set(ordered))


def load_plugin_class(group: str, name: str, builtins: Mapping[str, str], *, what: str, key: str = "provider",
                      extras: Mapping[str, str] | None = None, first: tuple[str, ...] = ()) -> type[Any]:
    """Import adapter ``name`` of ``group`` and check it has ``from_config``. ``what`` names the
    family in messages ("storage backend", "SMS provider"); ``key`` is the error field naming
    it; ``extras`` maps a built-in to the pip extra bringing its client library."""
    found = [ep for ep in entry_points(group=group) if ep.name == name]
    target = found[0].value if found else builtins.get(name)
    if target is None:
        known = ", ".join(plugin_names(group, builtins, first=first)) or "none"
        raise ConfigurationError(f"unknown {what} {name!r}; available: {known}", **{key: name})
    try:
        cls = EntryPoint(name, target, group).load()
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        module = target.partition(":")[0]
        if module == missing or module.startswith(missing + "."):
            raise ConfigurationError(f"{what} {name!r} is not available in this installation ({target} is missing)",
                                     **{key: name}) from exc
        extra = (extras or {}).get(name, name)
        hint = f"pip install 'esign[{extra}]'"
        raise ConfigurationError(f"{what} {name!r} needs the {missing!r} package: {hint}", hint=hint,
                                 **{key: name}) from exc
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"{what} {name!r} ({target}) could not be loaded: {exc}", **{key: name}) from exc
    if not callable(getattr(cls, "from_config", None)):
        raise ConfigurationError(f"{what} {name!r} ({target}) has no from_config()", **{key: name})
    return cls  # type: ignore[no-any-return]


__all__ = ["load_plugin_class", "plugin_names"]
