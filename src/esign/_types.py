"""Value types of the public surface that the domain core has no exact twin for: who signs a
loose PDF (:class:`Signer`) and where the marks go (:class:`Placement`)."""

from __future__ import annotations

import attrs

from esign_core.model.contract import StamperType
from esign_core.values import KeywordPosition, PagePosition


@attrs.frozen(kw_only=True)
class Signer:
    """Who signs a PDF outside a contract: a person or an enterprise, for whom a fresh event
    certificate is issued (``code`` is the resident ID number or the unified social credit code),
    or the holder of a stored long-term certificate (``certificate_serial``)."""

    name: str = ""
    code: str = attrs.field(default="", repr=False)
    is_enterprise: bool = False
    certificate_serial: str | None = None

    @classmethod
    def person(cls, name: str, id_number: str) -> Signer:
        return cls(name=name, code=id_number)

    @classmethod
    def company(cls, name: str, uscc: str) -> Signer:
        return cls(name=name, code=uscc, is_enterprise=True)

    @classmethod
    def with_certificate(cls, serial: str) -> Signer:
        """Sign with the long-term certificate of this serial (issued or imported earlier)."""
        return cls(certificate_serial=serial)


@attrs.frozen(kw_only=True)
class Placement:
    """One visible mark: a seal or signature (``type`` None: the signer's own kind — the company
    seal for an enterprise, the personal signature for a person), a timestamp box or a cross-page
    seal, at a page position (page from 1, -1 = last, 0 = every page; offsets 0..1 from the
    bottom-left) or at a keyword. ``width_mm``/``height_mm`` default to the usual seal sizes."""

    position: PagePosition | KeywordPosition | None
    type: StamperType | None = None
    width_mm: float | None = None
    height_mm: float | None = None

    @classmethod
    def page(cls, page: int, x: float, y: float, *, type: StamperType | None = None) -> Placement:
        return cls(position=PagePosition(page, x, y), type=type)

    @classmethod
    def keyword(cls, text: str, *, index: int = 1, x: float = 0.0, y: float = 0.0,
                type: StamperType | None = None) -> Placement:
        return cls(position=KeywordPosition(text, index, x, y), type=type)

    @classmethod
    def timestamp(cls, page: int, x: float, y: float) -> Placement:
        return cls(position=PagePosition(page, x, y), type=StamperType.TIMESTAMP)

    @classmethod
    def across_pages(cls, y: float | None = None) -> Placement:
        """A seal split across the right edge of every page (骑缝章), at height ``y`` (0..1)."""
        return cls(position=None if y is None else PagePosition(1, 0, y), type=StamperType.ACROSS_PAGE)
