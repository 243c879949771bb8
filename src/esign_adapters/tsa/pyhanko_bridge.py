"""Any ``TimeStamper`` port implementation as a pyHanko ``TimeStamper`` (for ``PdfSigner(timestamper=…)``
and ``PdfTimeStamper``)."""

from __future__ import annotations

import asyncio

from asn1crypto import cms, tsp
from pyhanko.sign.timestamps import TimeStamper as PyhankoTimeStamper

from esign_adapters.tsa.internal import InternalTimeStamper
from esign_core.ports.signing import TimeStamper


class PortTimeStamper(PyhankoTimeStamper):
    """Delegates to our port: the port builds the request, checks nonce and imprint, and raises
    ``esign_core.errors.SigningError`` — which pyHanko lets through unchanged to the caller of
    ``sign_pdf`` / ``timestamp_pdf``. Network-bound stampers run in a worker thread so an event
    loop (``async_sign_pdf``) is not blocked."""

    def __init__(self, stamper: TimeStamper) -> None:
        super().__init__(include_nonce=False)  # the port adds and checks its own nonce
        self.stamper = stamper

    def __repr__(self) -> str:
        return f"PortTimeStamper({self.stamper!r})"

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> cms.ContentInfo:
        if isinstance(self.stamper, InternalTimeStamper):
            token = self.stamper.timestamp(message_digest, hash_algorithm=md_algorithm)
        else:
            token = await asyncio.to_thread(self.stamper.timestamp, message_digest, hash_algorithm=md_algorithm)
        return cms.ContentInfo.load(token)

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        raise NotImplementedError("PortTimeStamper requests tokens through the TimeStamper port")


def as_pyhanko_timestamper(stamper: TimeStamper) -> PyhankoTimeStamper:
    """Wrap ``InternalTimeStamper``, ``HttpTimeStamper`` or any other port implementation."""
    return PortTimeStamper(stamper)
