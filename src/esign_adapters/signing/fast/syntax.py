"""PDF syntax for the appended update: strings, dates, objects, cross-reference table or stream."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

_PRINTABLE = re.compile(r"[ -~]*\Z")
_NEEDS_ESCAPE = re.compile(rb"([\\()])")


def text_string(value: str) -> bytes:
    """A PDF text string: a literal for printable ASCII, else UTF-16BE with a byte order mark."""
    if _PRINTABLE.match(value):
        return b"(" + _NEEDS_ESCAPE.sub(rb"\\\1", value.encode("ascii")) + b")"
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def pdf_date(at: datetime) -> bytes:
    """``(D:YYYYMMDDHHmmSS+HH'mm')`` for an aware datetime."""
    offset = at.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return b"(D:%s%s%02d'%02d')" % (at.strftime("%Y%m%d%H%M%S").encode(), sign.encode(), minutes // 60, minutes % 60)


def ref(num: int, gen: int = 0) -> bytes:
    return b"%d %d R" % (num, gen)


def number(value: float) -> bytes:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return (text if text not in ("", "-0") else "0").encode()


def rect(values: Iterable[float]) -> bytes:
    return b"[" + b" ".join(number(v) for v in values) + b"]"


def _groups(numbers: Sequence[int]) -> list[tuple[int, int]]:
    groups: list[tuple[int, int]] = []
    for n in numbers:
        if groups and groups[-1][0] + groups[-1][1] == n:
            groups[-1] = (groups[-1][0], groups[-1][1] + 1)
        else:
            groups.append((n, 1))
    return groups


def xref_table(entries: dict[int, tuple[int, int]], trailer: bytes, startxref: int) -> bytes:
    """A classic cross-reference section (``entries``: number → (offset, generation)) and trailer."""
    out = [b"xref\n"]
    numbers = sorted(entries)
    for start, count in _groups(numbers):
        out.append(b"%d %d\n" % (start, count))
        out.extend(b"%010d %05d n\r\n" % entries[n] for n in range(start, start + count))
    out.append(b"trailer\n<<" + trailer + b">>\nstartxref\n%d\n%%%%EOF\n" % startxref)
    return b"".join(out)


def xref_stream(num: int, entries: dict[int, tuple[int, int]], trailer: bytes, startxref: int) -> bytes:
    """A cross-reference stream object ``num`` (its own entry included by the caller), followed by
    ``startxref``. Offsets in 4 bytes, generations in 2 (files below 4 GiB)."""
    numbers = sorted(entries)
    data = b"".join(b"\x01" + entries[n][0].to_bytes(4, "big") + entries[n][1].to_bytes(2, "big") for n in numbers)
    index = b" ".join(b"%d %d" % g for g in _groups(numbers))
    head = b"%d 0 obj\n<</Type/XRef/W[1 4 2]/Index[%s]/Length %d%s>>\nstream\n" % (num, index, len(data), trailer)
    return head + data + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % startxref
