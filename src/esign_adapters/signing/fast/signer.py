"""``FastPdfSigner``: the PdfSigner port for the common case, falling back to the pyHanko path.

Handled here: PAdES B-B and B-T (timestamp from the ``TimeStamper`` port), an EC P-256 key (event
or long-term credential of our CA), stamps with a pre-rendered image at page or keyword positions,
cross-page seals, invisible signatures; unencrypted documents with a classic cross-reference table
or a cross-reference stream. Everything else — B-LT/B-LTA, RSA/Ed25519 keys, a pyHanko signer as
key handle, text-only TIMESTAMP stamps, encrypted or hybrid-reference files, broken
cross-references (qpdf warnings), ``/Perms`` (DocMDP), locked fields, a direct AcroForm, indirect
``/Annots`` — goes to the fallback signer (pyHanko), is logged and counted in :attr:`stats`.

:meth:`FastPdfSigner.sign_file` signs a file in place: the update is appended, the digest streams
over the file in 1 MiB chunks and ``/Contents`` is written at its offset; the document is never
read into memory.
"""

from __future__ import annotations

import collections
import hashlib
import logging
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pikepdf

from esign_core.errors import SigningError
from esign_core.model.contract import StamperType
from esign_core.ports.signing import PdfSigner, SignatureLevel, SignRequest, Stamp
from esign_core.values import KeywordPosition, PagePosition

from ..positions import MM, Mark, across_page_marks, keyword_marks, page_marks
from . import cms
from .reader import Document, LazyPages, Unsupported, classify_tail, open_bytes, read_tail
from .update import Update, Visual, build_update, fill_byterange

_log = logging.getLogger(__name__)
_CHUNK = 1 << 20
_TAIL = 1024
_TOKEN_GUESS = 6144  # DER bytes reserved for a timestamp token before the first one is seen
_MARGIN = 256


class FastSigningStats:
    """Counters: signatures made by the fast path, and fallbacks by reason."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fast = 0
        self.fallbacks: collections.Counter[str] = collections.Counter()

    def count_fast(self) -> None:
        with self._lock:
            self.fast += 1

    def count_fallback(self, reason: str) -> None:
        with self._lock:
            self.fallbacks[reason] += 1

    @property
    def fallback_total(self) -> int:
        return sum(self.fallbacks.values())

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"fast": self.fast, "fallback": dict(self.fallbacks)}


class FastPdfSigner:
    """PdfSigner port; see the module docstring.

    :param fallback: the signer for everything not handled here (a ``PyHankoPdfSigner``).
    :param timestamper: a ``TimeStamper`` port implementation, for B-T (None: B-T falls back).
    :param clock: the signing time written into ``/M``.
    """

    def __init__(self, *, fallback: PdfSigner, timestamper: Any = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 stats: FastSigningStats | None = None) -> None:
        self._fallback = fallback
        self._timestamper = timestamper if callable(getattr(timestamper, "timestamp", None)) else None
        self._clock = clock
        self.stats = stats or FastSigningStats()
        self._token_size = 0

    # -- the port ----------------------------------------------------------------------------

    def sign(self, pdf: bytes, request: SignRequest) -> bytes:
        try:
            key, template = self._check_request(request)
            with open_bytes(pdf) as qpdf:
                startxref = read_tail(pdf[-_TAIL:])
                tail = classify_tail(startxref, pdf[startxref:startxref + 64] if startxref < len(pdf) else b"",
                                     pdf[-_TAIL:])
                if tail.xref_stream is False and b"/XRefStm" in pdf[startxref:]:
                    raise Unsupported("hybrid-reference file")
                update = self._prepare(qpdf, tail, len(pdf), request, template, pdf)
        except Unsupported as exc:
            reason = exc.reason
        except pikepdf.PdfError as exc:
            reason = f"qpdf: {exc}"
        else:
            reason = None
        if reason is not None:  # outside the except clause: the fallback's errors are not "during handling"
            return self._fall_back(pdf, request, reason)
        data = update.data
        fill_byterange(update, len(pdf))
        digest = hashlib.sha256(pdf)
        digest.update(memoryview(data)[:update.contents_start])
        digest.update(memoryview(data)[update.contents_end:])
        if not self._embed(update, self._cms(key, template, digest.digest(), request.level)):
            return self._fall_back(pdf, request, "timestamp token larger than the space reserved")
        self.stats.count_fast()
        return b"".join((pdf, data))

    # -- in place on a file ------------------------------------------------------------------

    def sign_file(self, path: str | os.PathLike[str], request: SignRequest) -> None:
        """Sign the file at ``path`` in place (fast path: without reading it into memory)."""
        path = Path(path)
        try:
            key, template = self._check_request(request)
            size = path.stat().st_size
            with path.open("rb") as f:
                f.seek(max(0, size - _TAIL))
                last = f.read()
                startxref = read_tail(last)
                if startxref >= size:
                    raise Unsupported("startxref beyond the end of the file")
                f.seek(startxref)
                section = f.read(min(size - startxref, 1 << 22))
            tail = classify_tail(startxref, section, last)
            with pikepdf.Pdf.open(path) as qpdf:
                update = self._prepare(qpdf, tail, size, request, template, path)
        except Unsupported as exc:
            reason = exc.reason
        except pikepdf.PdfError as exc:
            reason = f"qpdf: {exc}"
        else:
            reason = None
        if reason is not None:
            _replace(path, self._fall_back(path.read_bytes(), request, reason))
            return
        fill_byterange(update, size)
        data = update.data
        digest = hashlib.sha256()
        with path.open("r+b") as f:
            buf = bytearray(_CHUNK)
            view = memoryview(buf)
            remaining = size
            while remaining:
                n = f.readinto(view[:min(_CHUNK, remaining)])
                if not n:
                    raise SigningError("the file changed while it was being signed")
                digest.update(view[:n])
                remaining -= n
            digest.update(memoryview(data)[:update.contents_start])
            digest.update(memoryview(data)[update.contents_end:])
            fits = self._embed(update, self._cms(key, template, digest.digest(), request.level))
            if fits:
                f.seek(size)
                try:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                except BaseException:
                    f.truncate(size)  # the original, as it was
                    raise
        if not fits:
            _replace(path, self._fall_back(path.read_bytes(), request, "timestamp token larger than reserved"))
            return
        self.stats.count_fast()

    # -- internals ---------------------------------------------------------------------------

    def _check_request(self, request: SignRequest) -> tuple[Any, cms.SignerTemplate]:
        if request.level not in (SignatureLevel.B_B, SignatureLevel.B_T):
            raise Unsupported(f"level {request.level.value}")
        if request.level is SignatureLevel.B_T and self._timestamper is None:
            raise Unsupported("B-T without a TimeStamper port")
        key = request.credential.key_handle
        if not cms.is_p256_key(key):
            raise Unsupported("key is not EC P-256")
        if not request.credential.chain_der:
            raise Unsupported("credential without a chain")
        for stamp in request.stamps:
            if not stamp.image_png:
                raise Unsupported(f"{stamp.type.value} stamp without image")
        try:
            template = cms.signer_template(tuple(request.credential.chain_der))
        except ValueError as exc:
            raise Unsupported(f"unreadable certificate: {exc}") from exc
        return key, template

    def _contents_hex(self, template: cms.SignerTemplate, level: SignatureLevel) -> int:
        size = template.size + 16
        if level is SignatureLevel.B_T:  # the largest token seen from this TSA (a guess before the first)
            size += (self._token_size or _TOKEN_GUESS) + _MARGIN
        return 2 * size

    def _prepare(self, qpdf: pikepdf.Pdf, tail: Any, size: int, request: SignRequest,
                 template: cms.SignerTemplate, source: bytes | Path) -> Update:
        doc = Document(qpdf)
        name = request.field_name or f"Signature-{uuid.uuid4().hex[:12]}"
        doc.check_fields(name)
        pages = LazyPages(doc)
        visuals = _visuals(source, pages, request.stamps)
        update = build_update(doc, pages, tail, size, visuals, field_name=name, signed_at=self._clock(),
                              reason=request.reason, location=request.location, signer_name=request.signer_name,
                              contents_hex=self._contents_hex(template, request.level))
        warnings = doc.warnings()
        if warnings:
            raise Unsupported(f"qpdf warning: {warnings[0]}")
        return update

    def _cms(self, key: Any, template: cms.SignerTemplate, digest: bytes, level: SignatureLevel) -> bytes:
        signed_attrs, signature = cms.sign_digest(key, template, digest)
        token = None
        if level is SignatureLevel.B_T:
            assert self._timestamper is not None
            token = self._timestamper.timestamp(hashlib.sha256(signature).digest(), hash_algorithm="sha256")
            self._token_size = max(self._token_size, len(token))
        return template.content_info(signed_attrs, signature, token)

    @staticmethod
    def _embed(update: Update, der: bytes) -> bool:
        """Write the CMS into ``/Contents``; False when it does not fit (only a timestamp token
        larger than any seen before can do that; the caller falls back)."""
        room = update.contents_end - update.contents_start - 2
        hexed = der.hex().encode("ascii")
        if len(hexed) > room:
            return False
        update.data[update.contents_start + 1:update.contents_start + 1 + len(hexed)] = hexed
        return True

    def _fall_back(self, pdf: bytes, request: SignRequest, reason: str) -> bytes:
        self.stats.count_fallback(reason)
        _log.info("fast signing not applicable (%s): using the pyHanko path", reason)
        return self._fallback.sign(pdf, request)


def _replace(path: Path, data: bytes) -> None:
    """Replace the file's content atomically (the fallback signs in memory)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _visuals(source: bytes | Path, pages: LazyPages, stamps: Sequence[Stamp]) -> list[Visual]:
    if not stamps:
        return [Visual(None, [Mark(0, (0.0, 0.0, 0.0, 0.0))])]
    out = []
    for stamp in stamps:
        w, h = stamp.width_mm * MM, stamp.height_mm * MM
        if w <= 0 or h <= 0:
            raise SigningError("stamp width and height must be positive")
        position = stamp.position
        if stamp.type is StamperType.ACROSS_PAGE:
            offset_y = position.offset_y if isinstance(position, PagePosition) else None
            marks = across_page_marks(pages, w, h, offset_y)  # type: ignore[arg-type]
        elif isinstance(position, PagePosition):
            marks = page_marks(pages, position, w, h)  # type: ignore[arg-type]
        elif isinstance(position, KeywordPosition):
            data = source if isinstance(source, bytes) else str(source)
            marks = keyword_marks(data, pages, position, w, h)  # type: ignore[arg-type]
        else:
            raise SigningError(f"the {stamp.type.value} stamp has no position")
        out.append(Visual(stamp.image_png, marks))
    return out
