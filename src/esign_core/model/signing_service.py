"""Signing-service access (签署服务接入, manual 五.2): the signing providers behind the PdfSigner
port (the local engine, another esign instance, third-party plugins), how calls are spread over
them (smooth weighted round-robin), the failover order, and the call-detail records and quality
figures the console shows."""

from __future__ import annotations

import enum
import math
import re
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

import attrs

from esign_core.errors import InvalidValue
from esign_core.model.base import require_aware
from esign_core.model.policy import Section

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
#: Provider config keys ending so hold sealed secrets (SecretBox tokens), never clear text.
SECRET_SUFFIX = "_secret_ref"
SECRET_PURPOSE = "signing-provider"
LOCAL = "local"  # the built-in engine (our CA and pyHanko)
REMOTE = "remote"  # another esign instance over HTTP (docs/adr/0048)
MAX_WEIGHT = 1000


def _masked(config: dict[str, Any]) -> str:
    return repr({k: ("***" if k.endswith(SECRET_SUFFIX) else v) for k, v in config.items()})


def provider_name(raw: object, *, field: str = "name") -> str:
    """A provider or plugin name: 1–32 of ``a-z 0-9 _ -``, starting with a letter or digit."""
    value = str(raw).strip().lower()
    if not _NAME.match(value):
        raise InvalidValue(field, f"{field} must be 1 to 32 lowercase letters, digits, '_' or '-'")
    return value


def _weight(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WEIGHT:
        raise InvalidValue("weight", f"the weight must be a whole number from 0 to {MAX_WEIGHT}")


def _label(value: object) -> str:
    text = str(value).strip()
    if not 1 <= len(text) <= 50:
        raise InvalidValue("label", "the display name must be 1 to 50 characters")
    return text


@attrs.frozen
class SigningProvider:
    """One signing service. ``kind`` is ``local``, ``remote`` or the name of an ``esign.signers``
    plugin; ``config`` holds its non-secret settings plus sealed ``*_secret_ref`` tokens (masked
    in ``repr``). Weight 0 keeps it as a failover target only; a disabled one is never called."""

    name: str = attrs.field(converter=provider_name)
    kind: str = attrs.field(converter=lambda v: provider_name(v, field="kind"))
    label: str = attrs.field(converter=_label)
    weight: int = attrs.field(default=1, validator=_weight)
    enabled: bool = True
    config: dict[str, Any] = attrs.field(factory=dict, repr=_masked, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "label": self.label, "weight": self.weight,
                "enabled": self.enabled, "config": dict(self.config)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SigningProvider:
        known = {"name", "kind", "label", "weight", "enabled", "config"}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def secret_keys(self) -> tuple[str, ...]:
        return tuple(k.removesuffix(SECRET_SUFFIX) for k in self.config if k.endswith(SECRET_SUFFIX))


DEFAULT_LOCAL = SigningProvider(name=LOCAL, kind=LOCAL, label="本地签署引擎", weight=1)


def _providers(_inst: object, _attribute: attrs.Attribute[list[dict[str, Any]]], value: list[dict[str, Any]]) -> None:
    if not isinstance(value, list):
        raise InvalidValue("providers", "providers must be a list")
    names = [SigningProvider.from_dict(dict(p)).name for p in value]
    if len(set(names)) != len(names):
        raise InvalidValue("name", "two signing providers have the same name")


@attrs.frozen
class SigningServiceSettings(Section):
    """签署服务接入: the configured providers (as dicts, see :class:`SigningProvider`) and whether
    a failed call goes on to the next provider. No provider configured means the local engine."""

    SECTION: ClassVar[str] = "signing_services"
    DIRECT_CHANGE: ClassVar[bool] = False  # through the use cases, which seal the secrets
    providers: list[dict[str, Any]] = attrs.field(factory=list, validator=_providers, hash=False)
    failover: bool = True

    def provider_list(self) -> list[SigningProvider]:
        """The providers as configured, or the local engine alone when none is."""
        found = [SigningProvider.from_dict(dict(p)) for p in self.providers]
        return found or [DEFAULT_LOCAL]

    def find(self, name: str) -> SigningProvider | None:
        return next((p for p in self.provider_list() if p.name == name), None)


class SmoothWeightedRoundRobin:
    """Nginx's smooth weighted round-robin: over any window of ``sum(weights)`` picks every
    provider is chosen exactly in proportion to its weight, and picks are interleaved (3:1 gives
    a a b a, not a a a b). Thread-safe; weight-0 entries are never picked."""

    def __init__(self, weights: Sequence[tuple[str, int]]) -> None:
        self._weights = [(name, w) for name, w in weights if w > 0]
        self._current = {name: 0 for name, _ in self._weights}
        self._total = sum(w for _, w in self._weights)
        self._lock = threading.Lock()

    def pick(self) -> str | None:
        if not self._weights:
            return None
        with self._lock:
            best = None
            for name, weight in self._weights:
                self._current[name] += weight
                if best is None or self._current[name] > self._current[best]:
                    best = name
            assert best is not None
            self._current[best] -= self._total
            return best


def failover_order(providers: Sequence[SigningProvider], first: str | None) -> list[SigningProvider]:
    """``first``, then the other enabled providers by weight (highest first), then by name."""
    enabled = [p for p in providers if p.enabled]
    rest = sorted((p for p in enabled if p.name != first), key=lambda p: (-p.weight, p.name))
    head = [p for p in enabled if p.name == first]
    return head + rest


def share(providers: Sequence[SigningProvider]) -> dict[str, float]:
    """任务发布策略: each enabled provider's share of new calls (0–1)."""
    enabled = [p for p in providers if p.enabled]
    total = sum(p.weight for p in enabled)
    return {p.name: (p.weight / total if total else 0.0) for p in enabled}


class CallStatus(enum.Enum):
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


@attrs.frozen
class SigningCall:
    """One call to one provider (调用详情): a failover writes one record per provider tried."""

    at: datetime = attrs.field(validator=lambda _i, a, v: require_aware(a.name, v))
    provider: str
    status: CallStatus
    duration_ms: float
    business_system: str = ""
    file_subject: str = ""
    error: str = ""
    attempt: int = 1


@attrs.frozen
class SigningCallQuery:
    provider: str | None = None
    status: CallStatus | None = None
    business_system: str | None = None
    since: datetime | None = None
    limit: int = 20
    offset: int = 0

    def matches(self, c: SigningCall) -> bool:
        return ((self.provider is None or c.provider == self.provider)
                and (self.status is None or c.status is self.status)
                and (self.business_system is None or self.business_system in c.business_system)
                and (self.since is None or c.at >= self.since))


@attrs.frozen
class ProviderQuality:
    """质量监控 of one provider: calls, failures, average and 95th-percentile duration."""

    provider: str
    calls: int
    failures: int
    avg_ms: float
    p95_ms: float

    @property
    def success_rate(self) -> float:
        return (self.calls - self.failures) / self.calls if self.calls else 0.0


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of ascending values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(round(fraction * len(sorted_values), 9)))
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


def quality_of(calls: Sequence[SigningCall]) -> list[ProviderQuality]:
    """Per-provider figures computed from records (the in-memory log; SQL does the same)."""
    by: dict[str, list[SigningCall]] = {}
    for c in calls:
        by.setdefault(c.provider, []).append(c)
    out = []
    for name, items in sorted(by.items()):
        durations = sorted(c.duration_ms for c in items)
        failures = sum(1 for c in items if c.status is CallStatus.FAILED)
        out.append(ProviderQuality(name, len(items), failures, sum(durations) / len(durations),
                                   percentile(durations, 0.95)))
    return out
