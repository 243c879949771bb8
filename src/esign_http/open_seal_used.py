"""The sealed paper of a physical-seal application (open API §2.14): ``/seal/apply/used/images``
(photos of the paper, made into one PDF) and ``/seal/apply/used/file`` (a docx, converted, or a
PDF, kept as it is). Both answer code/message; the files appear in ``/seal/apply/detail`` as the
extra field ``usedFiles``."""

from __future__ import annotations

from typing import Any

from litestar import Request, post

from esign_core.model.seal_apply import UsedFileKind
from esign_core.services.seal_used_files import FIELD, AddSealUsedFile, UsedUpload
from esign_http.context import platform_of
from esign_http.open_documents import Multipart, _read, _uploads
from esign_http.open_schemas import Fields, envelope
from esign_http.open_seals import _owned, _scope

Req = Request[Any, Any, Any]


def _upload(request: Req, data: dict[str, Any], kind: UsedFileKind) -> dict[str, Any]:
    f = Fields(data)
    business_id = f.id("businessId", required=True)
    assert business_id is not None
    _owned(request, business_id)  # unknown / another enterprise's: the siblings' errors
    title = f.text("title", required=True, max_len=100) or ""
    field = FIELD[kind]
    uploads = tuple(UsedUpload(u.filename or "", _read(u, field)) for u in _uploads(data, field))
    platform_of(request).handle(AddSealUsedFile(
        business_id=business_id, title=title, kind=kind, uploads=uploads,
        node_id=f.text("fileUploadNodeId", max_len=64) or "", tenant_id=_scope(request)))
    return envelope()


@post("/seal/apply/used/images", sync_to_thread=True, status_code=200)
def used_images(request: Req, data: Multipart) -> dict[str, Any]:
    """``businessId``, ``images`` (jpg|jpeg|gif|png|tiff files), ``title``, ``fileUploadNodeId``."""
    return _upload(request, data, UsedFileKind.IMAGES)


@post("/seal/apply/used/file", sync_to_thread=True, status_code=200)
def used_file(request: Req, data: Multipart) -> dict[str, Any]:
    """``businessId``, ``file`` (docx|pdf), ``title``, ``fileUploadNodeId``."""
    return _upload(request, data, UsedFileKind.FILE)


SEAL_USED_HANDLERS = [used_images, used_file]
