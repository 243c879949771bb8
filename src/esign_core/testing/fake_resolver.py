"""FakeResolver: host names to addresses from a table (unknown names resolve to a public
documentation-range-free address, 93.184.216.34)."""

from __future__ import annotations

from collections.abc import Sequence

PUBLIC = "93.184.216.34"


class FakeResolver:
    def __init__(self, hosts: dict[str, Sequence[str]] | None = None) -> None:
        self.hosts = dict(hosts or {})

    def __call__(self, host: str) -> Sequence[str]:
        return list(self.hosts.get(host.lower(), [PUBLIC]))
