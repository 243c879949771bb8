"""Every adapter family is a plugin group (an ``esign.*`` entry-point group); built-ins are
registered the same way as third-party plugins. This module lists them without importing them,
and checks one by importing it (``esign plugins list [--check]``).

The groups are discovered from the installed distributions' metadata, so a group another family
adds (``esign.sms``, ``esign.tasks``, …) is listed without being named here; :data:`KNOWN_GROUPS`
only adds a description and the extra each built-in needs.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from importlib.metadata import EntryPoint, distributions
from typing import Any

import attrs

GROUP_PREFIX = "esign."


@attrs.frozen
class PluginGroup:
    name: str
    port: str
    summary: str
    #: The method or shape a loaded object must have (checked by ``--check``), "" for any callable.
    requires: str = ""


KNOWN_GROUPS: Mapping[str, PluginGroup] = {g.name: g for g in (
    PluginGroup("esign.storage", "esign_core.ports.storage.BlobStore",
                "File storage backends: classes with from_config(config, *, name, secrets)", "from_config"),
    PluginGroup("esign.db", "SQLAlchemy dialect descriptor", "Databases the platform runs on"),
    PluginGroup("esign.web", "callable(settings)", "The web server `esign serve` starts"),
    PluginGroup("esign.sms", "esign_core.ports SmsChannel", "SMS providers (短信通道)"),
    PluginGroup("esign.push", "esign_core.ports PushSender", "Push / webhook / message-queue senders"),
    PluginGroup("esign.tasks", "scheduled task", "Background and scheduled tasks run by the worker"),
    PluginGroup("esign.oa", "esign_core.ports OrgDirectory", "OA / HR directory synchronisation"),
    PluginGroup("esign.seal_device", "esign_core.ports SealDevice", "Physical seal devices (智能印章)"),
    PluginGroup("esign.signing", "esign_core.ports PdfSigner", "Signing providers (external CA, HSM, UKey)"),
    PluginGroup("esign.signers", "esign_core.ports PdfSigner",
                "Signing services of 签署服务接入: classes with from_config(config, *, name, secrets)", "from_config"),
    PluginGroup("esign.org_directories", "esign_core.ports.org_directory OrgDirectory",
                "Directory-sync connectors (组织成员同步: e-cology, ...): from_config(config, *, secrets)",
                "from_config"),
)}

#: The pip extra of esign that brings the client library of a built-in plugin, when its entry
#: point does not declare one (``name = module:attr [extra]``).
BUILTIN_EXTRAS: Mapping[tuple[str, str], str] = {
    ("esign.storage", "s3"): "s3", ("esign.storage", "smb"): "smb", ("esign.storage", "hdfs"): "hdfs",
    ("esign.db", "postgresql"): "postgres", ("esign.db", "mysql"): "mysql",
}


@attrs.frozen
class PluginInfo:
    """One registered plugin. ``status`` is ``unchecked`` (listing only looks at metadata and
    whether the module exists), ``ok``, ``missing`` (an optional dependency is not installed:
    see ``hint``) or ``broken`` (anything else; ``detail`` says what)."""

    group: str
    name: str
    target: str
    distribution: str
    version: str
    status: str = "unchecked"
    detail: str = ""
    hint: str = ""

    @property
    def module(self) -> str:
        return self.target.partition(":")[0].strip()


def _install_hint(ep: EntryPoint, dist: str) -> str:
    extras = list(ep.extras) or ([BUILTIN_EXTRAS[(ep.group, ep.name)]] if (ep.group, ep.name) in BUILTIN_EXTRAS
                                 and dist == "esign" else [])
    spec = f"{dist}[{','.join(extras)}]" if extras else dist
    return f"pip install '{spec}'"


def discover(group: str | None = None) -> list[PluginInfo]:
    """Every plugin of every ``esign.*`` group (or of ``group``), sorted, without importing any."""
    seen: dict[tuple[str, str], PluginInfo] = {}
    for distribution in distributions():  # in sys.path order
        dist, version = distribution.metadata["Name"] or "?", distribution.version
        for ep in distribution.entry_points:
            if not ep.group.startswith(GROUP_PREFIX) or (group is not None and ep.group != group):
                continue
            if (ep.group, ep.name) in seen:
                continue  # the first on sys.path wins, as for imports
            info = PluginInfo(ep.group, ep.name, ep.value, dist, version, hint=_install_hint(ep, dist))
            if not _module_exists(info.module):
                info = attrs.evolve(info, status="broken", detail=f"module {info.module} is not installed")
            seen[(ep.group, ep.name)] = info
    return sorted(seen.values(), key=lambda p: (p.group, p.name))


def _module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check(info: PluginInfo) -> PluginInfo:
    """Import the plugin; ``ok``, ``missing`` (with the install hint) or ``broken``."""
    if info.status == "broken":
        return info
    try:
        obj: Any = EntryPoint(info.name, info.target, info.group).load()
    except ModuleNotFoundError as exc:
        missing = exc.name or "?"
        if info.module == missing or info.module.startswith(missing + "."):
            return attrs.evolve(info, status="broken", detail=f"module {info.module} is not installed")
        return attrs.evolve(info, status="missing", detail=f"needs the {missing!r} package")
    except Exception as exc:  # a plugin's import may fail in any way: report it, never crash the listing
        return attrs.evolve(info, status="broken", detail=f"{type(exc).__name__}: {exc}")
    known = KNOWN_GROUPS.get(info.group)
    required = known.requires if known else ""
    if required and not callable(getattr(obj, required, None)):
        return attrs.evolve(info, status="broken", detail=f"{info.target} has no {required}()")
    if not required and not callable(obj):
        return attrs.evolve(info, status="broken", detail=f"{info.target} is not callable")
    return attrs.evolve(info, status="ok", detail="")
