"""Physical seal use on the open API (reference §2.14): ``/seal/apply/*``. Handlers read the wire
fields, hand a command to the platform and shape SealApplyBean / SealApplyDetail. An app bound to
an enterprise only sees and changes that enterprise's applications. ``/seal/apply/used/images``
and ``/seal/apply/used/file`` (the sealed paper as a PDF) live in :mod:`esign_http.open_seal_used`."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from litestar import Request, Response, get, post

from esign_core.errors import InvalidValue, NotFoundError, PermissionDenied
from esign_core.model.seal_apply import ApplyStatus, Person, PhotoType, SealApplication, SealAuth
from esign_core.services.seal_apply import (
    AddSealPhotos,
    AppendSealUses,
    ApplyForSeal,
    AuthSpec,
    FinishSealApply,
    UpdateUseWindow,
)
from esign_core.services.seal_queries import GetSealApply, GetSealPhotos, ListOwedPhotos
from esign_http.context import platform_of
from esign_http.open_auth import app_of
from esign_http.open_documents import Multipart, _read, _uploads, scoped_tenant_name
from esign_http.open_schemas import Fields, envelope, wire_time

Req = Request[Any, Any, Any]
PHOTO_TYPES = {"FACE": PhotoType.FACE, "SIGNATORY": PhotoType.SIGNATORY}
MAX_IMAGE_BYTES = 20 * 1024 * 1024
#: Wire statuses (USING | COMPLETE | FINISHED); PENDING and REJECTED only occur for applications
#: made in the console with approvers, and are sent as they are.
_WIRE_STATUS = {s: s.value for s in ApplyStatus}


# -- reading the request ----------------------------------------------------------------------------
def _person(f: Fields, *, contact_key: str = "contact", number_key: str = "number",
            name_key: str | None = None, required: bool = True) -> Person | None:
    contact, number = f.text(contact_key, max_len=100) or "", f.text(number_key, max_len=100) or ""
    if not contact and not number:
        if required:
            raise InvalidValue(f.name(contact_key), f"{f.name(contact_key)} or {f.name(number_key)} is required")
        return None
    return Person(f.text(name_key, max_len=50) or "" if name_key else "", contact, number)


def _auth_specs(f: Fields, *, with_users: bool, default_users: tuple[Person, ...]) -> tuple[AuthSpec, ...]:
    specs = []
    for a in f.items("auths", required=True):
        device_no, seal_name = a.text("deviceNo", max_len=32), a.text("sealName", max_len=50)
        if not device_no and not seal_name:
            raise InvalidValue(a.name("deviceNo"), f"{a.name('deviceNo')} or {a.name('sealName')} is required")
        owner = a.text("ownerName", max_len=100)
        if seal_name and not device_no and not owner:
            raise InvalidValue(a.name("ownerName"), f"{a.name('ownerName')} is required with sealName")
        count = a.integer("count")
        if count is None or count <= 0:
            raise InvalidValue(a.name("count"), f"{a.name('count')} must be greater than 0")
        users = default_users
        if with_users:
            users = tuple(p for u in a.items("users", required=True)
                          if (p := _person(u, contact_key="mobile")) is not None)
        specs.append(AuthSpec(count=count, users=users, device_no=device_no, seal_name=seal_name, owner_name=owner,
                              start_time=a.time("startTime"), end_time=a.time("endTime")))
    return tuple(specs)


def _apply(request: Req, data: Any, *, by_category: bool) -> SealApplication:
    f = Fields(data)
    applicant = _person(f, contact_key="applyerContact", number_key="applyerNumber", name_key="applyerName")
    assert applicant is not None
    tenant = f.text("tenantName", max_len=100)
    if by_category and not tenant and f.id("categoryId") is not None:
        tenant = _category_tenant(request, f.id("categoryId"))  # type: ignore[arg-type]
    command = ApplyForSeal(
        tenant_name=scoped_tenant_name(request, tenant) or "", subject=f.text("subject", required=True, max_len=100)
        or "", applicant=applicant,
        # By category the third-party flow decided who uses the seal: the applicant does.
        auths=_auth_specs(f, with_users=not by_category, default_users=(applicant,)),
        serial_no=f.text("serialNo", max_len=100) or "", description=f.text("description", max_len=500) or "",
        source=app_of(request).name, callback_url=f.text("callbackUrl", max_len=500))
    if not command.tenant_name:
        raise InvalidValue("tenantName", "tenantName is required")
    return platform_of(request).handle(command)  # type: ignore[no-any-return]


def _category_tenant(request: Req, category_id: int) -> str:
    with platform_of(request).uow() as uow:
        category = uow.categories.get(category_id)
        return uow.organizations.get(category.tenant_id).name


def _scope(request: Req) -> int | None:
    """The enterprise an app is bound to, or None for a platform app (it sees everything)."""
    integration = app_of(request)
    with platform_of(request).uow() as uow:
        platform_org = uow.organizations.platform()
    return None if platform_org is not None and integration.tenant_id == platform_org.id else integration.tenant_id


def _owned(request: Req, business_id: int) -> SealApplication:
    """The application, once this app may see it (NotFoundError / PermissionDenied)."""
    app = platform_of(request).handle(GetSealApply(business_id))
    scope = _scope(request)
    if scope is not None and scope != app.tenant_id:
        raise PermissionDenied("no permission on this seal application", field="businessId")
    return app  # type: ignore[no-any-return]


# -- shaping the answer ------------------------------------------------------------------------------
def _auth_out(a: SealAuth) -> dict[str, Any]:
    return {"id": str(a.id), "userId": None, "userName": a.user.name or a.user.contact or a.user.number,
            "vertifyCode": a.code, "contact": a.user.contact or None, "number": a.user.number or None,
            "sealId": str(a.seal_id), "sealName": a.seal_name, "ownerName": a.owner_name, "deviceNo": a.device_no}


def bean(app: SealApplication) -> dict[str, Any]:
    """SealApplyBean."""
    return {"id": str(app.id), "status": _WIRE_STATUS[app.status], "sealAuths": [_auth_out(a) for a in app.auths]}


def detail(app: SealApplication) -> dict[str, Any]:
    """SealApplyDetail."""
    images = {t: [{"authId": str(a.id), "photokey": p.photokey} for a in app.auths for p in a.photos
                  if p.type in t] for t in ((PhotoType.FACE,), (PhotoType.SIGNATORY, PhotoType.EMERGENCY))}
    first = app.auths[0]
    return {
        "id": str(app.id), "tenantName": app.tenant_name, "applyerName": app.applicant.name,
        "applyerContact": app.applicant.contact or None, "applyerNumber": app.applicant.number or None,
        "subject": app.subject, "serialNo": app.serial_no, "count": app.total_count,
        "description": app.description, "status": _WIRE_STATUS[app.status], "createTime": wire_time(app.created_at),
        "sealAuths": [{**_auth_out(a), "leftCount": a.left_count, "usedCount": a.used_count,
                       "complete": a.complete, "completeTime": wire_time(a.complete_time)} for a in app.auths],
        "faceImages": images[(PhotoType.FACE,)],
        "useImages": images[(PhotoType.SIGNATORY, PhotoType.EMERGENCY)],
        "appendLogs": [{"userName": g.person.name, "count": g.count, "createTime": wire_time(g.at),
                        "contact": g.person.contact or None, "number": g.person.number or None}
                       for g in app.append_logs],
        # Not in the v4 SealApplyDetail: the sealed paper uploaded through /seal/apply/used/*.
        "usedFiles": [{"no": n, "title": u.title, "kind": u.kind.value, "fileUploadNodeId": u.node_id or None,
                       "pages": u.pages, "size": u.blob.size, "sha256": u.blob.digest.hex,
                       "createTime": wire_time(u.at)} for n, u in enumerate(app.used_files, start=1)],
        "seal": {"name": first.seal_name, "useCount": sum(a.used_count for a in app.auths),
                 "deviceId": first.device_no, "bluetooth": None},
    }


# -- endpoints -------------------------------------------------------------------------------------
@post("/seal/apply/multiple", sync_to_thread=True, status_code=200)
def apply_multiple(request: Req, data: dict[str, Any]) -> dict[str, Any]:
    """Authorise ``auths[].users`` on seals → ``result: SealApplyBean`` with their codes."""
    return envelope(result=bean(_apply(request, data, by_category=False)))


@post("/seal/apply/mulitipleByCategory", sync_to_thread=True, status_code=200)
def apply_by_category(request: Req, data: dict[str, Any]) -> dict[str, Any]:
    """The third-party flow (``flowNodes``) already approved: the applicant is authorised →
    ``result: {id, status}``."""
    f = Fields(data)
    for node in f.items("flowNodes", required=True):
        node.text("name", required=True)
    app = _apply(request, data, by_category=True)
    return envelope(result={"id": str(app.id), "status": _WIRE_STATUS[app.status]})


@post("/seal/apply/append", sync_to_thread=True, status_code=200)
def append(request: Req, data: Multipart) -> dict[str, Any]:
    f = Fields(data)
    business_id = f.id("businessId", required=True)
    assert business_id is not None
    _owned(request, business_id)
    count = f.integer("count")
    if count is None or count <= 0:
        raise InvalidValue("count", "count must be greater than 0")
    by = _person(f, name_key="contactName", required=False) or Person(app_of(request).name, number="open-api")
    app = platform_of(request).handle(AppendSealUses(business_id, count, by, f.text("deviceNo", max_len=32)))
    return envelope(result=bean(app))


@post("/seal/apply/finish", sync_to_thread=True, status_code=200)
def finish(request: Req, data: Multipart) -> dict[str, Any]:
    f = Fields(data)
    business_id = f.id("businessId", required=True)
    assert business_id is not None
    _owned(request, business_id)
    platform_of(request).handle(FinishSealApply(business_id, f.text("reason", required=True, max_len=500) or "",
                                                f.text("deviceNo", max_len=32)))
    return envelope()


@get("/seal/apply/detail", sync_to_thread=True)
def get_detail(request: Req) -> dict[str, Any]:
    business_id = Fields(dict(request.query_params)).id("businessId", required=True)
    assert business_id is not None
    return envelope(result=detail(_owned(request, business_id)))


@get("/seal/apply/images/download", sync_to_thread=True)
def download_images(request: Req) -> Response[bytes]:
    """A zip of the photos (``photoType`` FACE|SIGNATORY, default all), named by photokey."""
    f = Fields(dict(request.query_params))
    business_id = f.id("businessId", required=True)
    assert business_id is not None
    _owned(request, business_id)
    kind = f.enum("photoType", PHOTO_TYPES)
    photos = platform_of(request).handle(GetSealPhotos(business_id=business_id, type=kind))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for photo, _auth, data in photos:
            archive.writestr(f"{photo.type.value}/{photo.photokey}.png", data)
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f"attachment;fileName={business_id}.zip"})


@get("/seal/apply/image", sync_to_thread=True)
def image(request: Req) -> Response[bytes]:
    key = Fields(dict(request.query_params)).text("photokey", required=True, max_len=100) or ""
    head = key.split("_", 1)[0]
    if not head.isdecimal():
        raise NotFoundError("unknown photokey", field="photokey")
    _owned(request, int(head))
    ((photo, _auth, data),) = platform_of(request).handle(GetSealPhotos(photokey=key))
    return Response(data, media_type="image/png",
                    headers={"Content-Disposition": f"attachment;fileName={photo.photokey}.png"})


@post("/seal/apply/images", sync_to_thread=True, status_code=200)
def upload_images(request: Req, data: Multipart) -> dict[str, Any]:
    """Back-fill photos: ``images`` (files), ``sealAuthId`` or ``businessId`` + contact/number."""
    f = Fields(data)
    images = tuple(_read(u, "images") for u in _uploads(data, "images"))
    if not images:
        raise InvalidValue("images", "images is required (multipart files)")
    if sum(len(i) for i in images) > MAX_IMAGE_BYTES:
        raise InvalidValue("images", "images are larger than 20 MiB together")
    auth_id, business_id = f.id("sealAuthId"), f.id("businessId")
    person = _person(f, required=auth_id is None)
    if business_id is not None:
        _owned(request, business_id)
    command = AddSealPhotos(images=images, type=f.enum("type", PHOTO_TYPES) or PhotoType.SIGNATORY,
                            auth_id=auth_id, business_id=business_id,
                            contact=person.contact or None if person else None,
                            number=person.number or None if person else None, tenant_id=_scope(request))
    platform_of(request).handle(command)
    return envelope()


@get("/seal/apply/owe/auths", sync_to_thread=True)
def owed(request: Req) -> dict[str, Any]:
    """The user's authorisations with uses not covered by photos (non-empty: may not apply)."""
    person = _person(Fields(dict(request.query_params)))
    assert person is not None
    found = platform_of(request).handle(ListOwedPhotos(contact=person.contact or None, number=person.number or None))
    return envelope(result=[{"id": str(a.id), "businessId": str(app.id), "subject": app.subject,
                             "oweUseImageCount": a.owed_photos, "useImageCount": a.photo_count(),
                             "usedCount": a.used_count} for app, a in found])


@post("/seal/apply/updateUseSealTime", sync_to_thread=True, status_code=200)
def update_time(request: Req, data: dict[str, Any]) -> dict[str, Any]:
    f = Fields(data)
    business_id = f.id("businessId", required=True)
    assert business_id is not None
    _owned(request, business_id)
    start, end = f.time("startTime"), f.time("endTime")
    if start is None or end is None:
        raise InvalidValue("startTime", "startTime and endTime are required")
    platform_of(request).handle(UpdateUseWindow(business_id, start, end, f.text("deviceNo", max_len=32),
                                                f.text("sealName", max_len=50)))
    return envelope()


SEAL_APPLY_HANDLERS = [apply_multiple, apply_by_category, append, finish, get_detail, download_images, image,
                       upload_images, owed, update_time]
