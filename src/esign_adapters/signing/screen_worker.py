"""The PDF screening worker: ``python -m esign_adapters.signing.screen_worker LIMITS_JSON`` reads one
PDF from stdin and writes one JSON line to stdout, ``{"ok": true, "pages": …, "encrypted": false,
"signatures": …}`` or ``{"ok": false, "reason": "…"}``. With ``--serve LIMITS_JSON`` it stays up and
screens one document after another (see :func:`serve`); the service keeps a small pool of such
workers so that an upload does not pay for starting an interpreter.

It runs in its own process under ``RLIMIT_AS`` / ``RLIMIT_CPU`` (set before anything is parsed) and
the parent's wall-clock timeout, so a looping or exploding parser takes only this process down.

Checks: opens without xref reconstruction (a truncated or damaged file is refused rather than
repaired), not encrypted, page and object counts, and every stream's decoded size, inflated
incrementally (nested ``/FlateDecode`` chains layer by layer, see :func:`_decoded_size`) and stopped
as soon as a cap is crossed: per stream ``max(ratio_floor, max_ratio × encoded size)`` capped at ``max_stream_bytes``,
per document ``max(total_floor, total_ratio × file size)`` — the same shape and defaults as pyHanko's
own decode limits, so whatever passes here also decodes in pyHanko.
"""

from __future__ import annotations

import io
import json
import resource
import sys
import zlib
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, TextIO

import pikepdf

_CHUNK = 1 << 20
_FLATE = {"/FlateDecode", "/Fl"}
# Image codecs are decoded by the renderer, never by the signing code; their output is not inflated
# here (their expansion is bounded by the image dimensions).
_TERMINAL = {"/DCTDecode", "/DCT", "/JPXDecode", "/CCITTFaxDecode", "/CCF", "/JBIG2Decode"}


class Rejected(Exception):
    """The document is refused; the message is shown to the uploader."""


def _limit(kind: int, value: int) -> None:
    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value if hard == resource.RLIM_INFINITY else hard))


def _apply_limits(limits: dict[str, Any], *, jobs: int = 1) -> None:
    """Address space, CPU (for ``jobs`` documents: a pooled worker's lifetime is capped too), no
    file writes, no core dumps."""
    _limit(resource.RLIMIT_AS, int(limits["memory_bytes"]))
    _limit(resource.RLIMIT_CPU, int(limits["cpu_seconds"]) * jobs + 1)
    _limit(resource.RLIMIT_FSIZE, 0)
    _limit(resource.RLIMIT_CORE, 0)


def _inflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Incrementally inflate a Flate stream; never holds more than one output chunk."""
    d = zlib.decompressobj()
    for chunk in chunks:
        data = chunk
        while data:
            out = d.decompress(data, _CHUNK)
            if out:
                yield out
            data = d.unconsumed_tail
        if d.eof:
            return
    while out := d.decompress(b"", _CHUNK):
        yield out


def _chunks(raw: bytes) -> Iterator[bytes]:
    view = memoryview(raw)
    for i in range(0, len(view), _CHUNK):
        yield bytes(view[i : i + _CHUNK])


def _count(gen: Iterable[bytes], cap: int) -> int:
    total = 0
    try:
        for out in gen:
            total += len(out)
            if total > cap:
                raise Rejected("the PDF contains a stream that decompresses beyond the allowed size (PDF bomb)")
    except zlib.error:
        pass  # corrupt data stops inflating here; the renderer will complain about it
    return total


def _collect(gen: Iterable[bytes], cap: int) -> bytes:
    parts, total = [], 0
    try:
        for out in gen:
            total += len(out)
            if total > cap:
                raise Rejected("the PDF contains a stream that decompresses beyond the allowed size (PDF bomb)")
            parts.append(out)
    except zlib.error:
        pass
    return b"".join(parts)


def _decoded_size(pdf: pikepdf.Pdf, stream: pikepdf.Stream, cap: int) -> int:
    """Bytes produced by the stream's filter chain, stopping past ``cap``. Flate layers inflate
    incrementally; another filter (ASCIIHex, ASCII85, RunLength, LZW — bounded expansion) is applied
    by qpdf to the capped output of the layers before it, so wrapping a Flate bomb in ASCIIHex does
    not get it past the cap. Image codecs end the chain: their output is not inflated here."""
    f = stream.get("/Filter")
    filters = [str(x) for x in f] if isinstance(f, pikepdf.Array) else ([] if f is None else [str(f)])
    if not filters:
        return 0
    p = stream.get("/DecodeParms")
    parms = list(p) if isinstance(p, pikepdf.Array) else [p] * len(filters)
    gen: Iterable[bytes] = _chunks(stream.read_raw_bytes())
    for name, parm in zip(filters, parms, strict=False):
        if name in _FLATE:
            gen = _inflate(gen)
        elif name in _TERMINAL:
            break
        else:
            one = pikepdf.Stream(pdf, b"")
            one.write(_collect(gen, cap), filter=pikepdf.Name(name), decode_parms=parm if parm else None)
            gen = _chunks(one.read_bytes())
    return _count(gen, cap)


def _count_signatures(pdf: pikepdf.Pdf) -> int:
    try:
        fields = pdf.Root.AcroForm.Fields
    except (AttributeError, KeyError):
        return 0
    count, seen, stack = 0, set(), list(fields)
    while stack and len(seen) < 100_000:
        field = stack.pop()
        key = field.objgen if hasattr(field, "objgen") else id(field)
        if key in seen or not hasattr(field, "get"):
            continue
        seen.add(key)
        if field.get("/FT") == "/Sig" and field.get("/V") is not None:
            count += 1
        kids = field.get("/Kids")
        if kids is not None:
            stack.extend(kids)
    return count


def screen(data: bytes, limits: dict[str, Any]) -> dict[str, Any]:
    """Check one document; raises Rejected with a message for the uploader."""
    try:
        pdf = pikepdf.open(io.BytesIO(data), attempt_recovery=False)
    except pikepdf.PasswordError as exc:
        raise Rejected("the PDF is encrypted (password protected); upload an unprotected copy") from exc
    except pikepdf.PdfError as exc:
        raise Rejected(f"the PDF is damaged or truncated and cannot be read: {str(exc)[:200]}") from exc
    with pdf:
        if pdf.is_encrypted:
            raise Rejected("the PDF is encrypted; upload an unprotected copy")
        objects = pdf.objects
        if len(objects) > limits["max_objects"]:
            raise Rejected(f"the PDF has more than {limits['max_objects']} objects")
        pages = len(pdf.pages)
        if pages == 0:
            raise Rejected("the PDF has no pages")
        if pages > limits["max_pages"]:
            raise Rejected(f"the PDF has {pages} pages; at most {limits['max_pages']} are accepted")
        budget = max(limits["total_floor"], int(limits["total_ratio"] * len(data)))
        for obj in objects:
            if not isinstance(obj, pikepdf.Stream):
                continue
            encoded = len(obj.read_raw_bytes())
            per_stream = min(limits["max_stream_bytes"], max(limits["ratio_floor"], int(limits["max_ratio"] * encoded)))
            budget -= _decoded_size(pdf, obj, min(per_stream, budget))
            if budget < 0:
                raise Rejected("the PDF decompresses beyond the allowed total size (PDF bomb)")
        return {"ok": True, "pages": pages, "encrypted": False, "signatures": _count_signatures(pdf)}


def _screen_one(data: bytes, limits: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(result, healthy): a worker that ran out of memory or hit an unexpected parser error is not
    reused, whatever state the parser left behind goes with the process."""
    try:
        if len(data) > limits["max_bytes"]:
            raise Rejected("the file is too large")
        return screen(data, limits), True
    except Rejected as exc:
        return {"ok": False, "reason": str(exc)}, True
    except MemoryError:
        return {"ok": False, "reason": "the PDF needs too much memory to parse (PDF bomb?)"}, False
    except RecursionError:
        return {"ok": False, "reason": "the PDF structure is nested too deeply"}, False
    except Exception as exc:  # anything the parser throws means: we will not process this file
        return {"ok": False, "reason": f"the PDF cannot be read: {exc.__class__.__name__}"}, False


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def serve(limits: dict[str, Any], stdin: BinaryIO, stdout: TextIO) -> int:
    """The pooled mode (``--serve``): screen documents one after another, each sent as a line with
    its length followed by its bytes, each answered with one JSON line. Before every document the
    CPU limit is moved to what this process has used so far plus ``cpu_seconds`` (``RLIMIT_CPU`` is
    cumulative), so each document gets its own CPU budget; the address-space limit holds for the
    whole process. Ends on end of input, after ``max_jobs`` documents, or after a document that
    left the parser in doubt (the reply then says ``"recycle": true``)."""
    for _ in range(int(limits.get("max_jobs", 100))):
        header = stdin.readline(32)
        if not header.strip():
            return 0
        size = int(header)
        if size < 0 or size > limits["max_bytes"] + 1:
            return 2
        data = stdin.read(size)
        if len(data) != size:
            return 2
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        budget = int(_cpu_used()) + int(limits["cpu_seconds"]) + 1
        if hard != resource.RLIM_INFINITY:
            budget = min(budget, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (budget, hard))
        result, healthy = _screen_one(data, limits)
        if not healthy:
            result["recycle"] = True
        stdout.write(json.dumps(result) + "\n")
        stdout.flush()
        if not healthy:
            return 0
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--serve":
        limits = json.loads(argv[1])
        _apply_limits(limits, jobs=int(limits.get("max_jobs", 100)) + 1)
        sys.stdout.write(json.dumps({"ready": True}) + "\n")
        sys.stdout.flush()
        return serve(limits, sys.stdin.buffer, sys.stdout)
    limits = json.loads(argv[0])
    _apply_limits(limits)
    result, _healthy = _screen_one(sys.stdin.buffer.read(limits["max_bytes"] + 1), limits)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
