"""Host resolution for the SSRF rule (esign_core.model.callback_target)."""

from __future__ import annotations

import socket
from collections.abc import Sequence


def resolve_host(host: str) -> Sequence[str]:
    """Every address ``host`` resolves to; empty when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})
