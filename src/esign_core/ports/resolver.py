"""Host-name resolution, for the SSRF rule of outgoing callbacks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class HostResolver(Protocol):
    def __call__(self, host: str) -> Sequence[str]:
        """The IP addresses ``host`` resolves to (empty when it does not resolve)."""
