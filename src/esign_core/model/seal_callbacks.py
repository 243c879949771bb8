"""The physical-seal callbacks of the wire contract (open API §4.2) and the nine in-site message
events (manual 三.6.3/6.4), derived from the facts of :mod:`esign_core.model.seal_apply_events`
by pure functions.

Both are recorded as domain events in the same unit of work as the change that caused them
(:class:`SealCallbackDue`, :class:`SealMessageDue`): the outbox writes them in that transaction and
its worker delivers them (see docs/physical-seals.md). ``fields`` is the exact form payload, in
order; ``files`` name the photos to attach by photokey (read from storage at delivery)."""

from __future__ import annotations

import enum
from urllib.parse import urlencode

import attrs

from esign_core.model import seal_apply_events as ev
from esign_core.model.base import Event

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

Fields = tuple[tuple[str, str], ...]


class CallbackKind(enum.Enum):
    USE_ENDED = "USE_ENDED"  # 用印结束: businessId, status (form)
    PHOTO = "PHOTO"  # 用印照片: businessId, number/mobile, imageType, images (multipart)
    LEFT_COUNT = "LEFT_COUNT"  # 剩余次数: businessId, number/mobile, leftCount, timestamp (form)


@attrs.frozen
class SealCallbackDue(Event):
    """A callback to POST to ``url`` with ``content_type``; the receiver answers
    ``{"code":0,"message":"SUCCESS"}``. ``idempotency_key`` is stable per fact, so a redelivery
    can be recognised."""

    business_id: int
    kind: CallbackKind
    url: str
    content_type: str
    fields: Fields
    files: tuple[tuple[str, str], ...] = ()  # (form field, photokey)
    idempotency_key: str = ""

    def form_body(self) -> bytes:
        """The urlencoded body (for FORM callbacks)."""
        return urlencode(self.fields).encode("ascii")


def _who(contact: str, number: str) -> Fields:
    return tuple((k, v) for k, v in (("number", number), ("mobile", contact)) if v)


def use_ended_fields(business_id: int, status: str) -> Fields:
    """用印结束: ``businessId``, ``status`` (USING = still in use, COMPLETE = ended normally)."""
    return (("businessId", str(business_id)), ("status", status))


def photo_fields(business_id: int, *, contact: str, number: str, image_type: str) -> Fields:
    """用印照片 (the ``images`` files are attached separately)."""
    return (("businessId", str(business_id)), *_who(contact, number), ("imageType", image_type))


def left_count_fields(business_id: int, *, contact: str, number: str, left_count: int, at_ms: int) -> Fields:
    """剩余次数: ``leftCount`` and ``timestamp`` (epoch milliseconds of this use) as strings."""
    return (("businessId", str(business_id)), *_who(contact, number), ("leftCount", str(left_count)),
            ("timestamp", str(at_ms)))


def callbacks_for(event: Event) -> list[SealCallbackDue]:
    """The callbacks a fact causes (none without a callback URL)."""
    if isinstance(event, ev.SealStamped) and event.callback_url:
        u = event.user
        key = f"seal:{event.business_id}:{event.auth_id}:{event.device_no}:{int(event.at.timestamp() * 1000)}"
        out = []
        if event.photokeys:
            kind = "EMERGENCY" if event.emergency else "SIGNATORY"
            out.append(SealCallbackDue(
                event.business_id, CallbackKind.PHOTO, event.callback_url, MULTIPART,
                photo_fields(event.business_id, contact=u.contact, number=u.number, image_type=kind),
                tuple(("images", k) for k in event.photokeys), key + ":photo"))
        out.append(SealCallbackDue(
            event.business_id, CallbackKind.LEFT_COUNT, event.callback_url, FORM,
            left_count_fields(event.business_id, contact=u.contact, number=u.number, left_count=event.left_count,
                              at_ms=int(event.at.timestamp() * 1000)), (), key + ":left"))
        return out
    if isinstance(event, ev.SealFacePhotoAdded) and event.callback_url:
        u = event.user
        return [SealCallbackDue(event.business_id, CallbackKind.PHOTO, event.callback_url, MULTIPART,
                                photo_fields(event.business_id, contact=u.contact, number=u.number,
                                             image_type="FACE"),
                                (("images", event.photokey),), f"seal:{event.business_id}:face:{event.photokey}")]
    if isinstance(event, ev.SealUseEnded) and event.callback_url and event.status == "USING":
        return [SealCallbackDue(event.business_id, CallbackKind.USE_ENDED, event.callback_url, FORM,
                                use_ended_fields(event.business_id, "USING"), (),
                                f"seal:{event.business_id}:ended:{event.auth_id}:{int(event.at.timestamp())}")]
    if isinstance(event, ev.SealApplyCompleted) and event.callback_url:
        return [SealCallbackDue(event.business_id, CallbackKind.USE_ENDED, event.callback_url, FORM,
                                use_ended_fields(event.business_id, "COMPLETE"), (),
                                f"seal:{event.business_id}:complete")]
    return []


class SealMessageKind(enum.Enum):
    """The nine physical-seal message events (站内信 / 推送), each enabled in the console."""

    APPLY_SUBMITTED = "APPLY_SUBMITTED"  # 用印申请待审批 → approvers
    APPLY_APPROVED = "APPLY_APPROVED"  # 用印申请已通过 → applicant
    APPLY_REJECTED = "APPLY_REJECTED"  # 用印申请被驳回 → applicant
    AUTH_ISSUED = "AUTH_ISSUED"  # 获得用印授权 → user
    COUNT_APPENDED = "COUNT_APPENDED"  # 追加用印次数 → applicant
    SEAL_UNLOCKED = "SEAL_UNLOCKED"  # 印章已解锁 → user
    APPLY_COMPLETED = "APPLY_COMPLETED"  # 用印完成 → applicant
    APPLY_FINISHED = "APPLY_FINISHED"  # 用印被结束 → applicant
    PHOTOS_OWED = "PHOTOS_OWED"  # 用印照片不足，请补传 → user


@attrs.frozen
class SealMessageDue(Event):
    """An in-site (and push) message to the people named by contact or employee number."""

    kind: SealMessageKind
    business_id: int
    to: tuple[str, ...]
    params: Fields = ()


def _to(*people: object) -> tuple[str, ...]:
    return tuple(getattr(p, "contact", "") or getattr(p, "number", "") for p in people)


def messages_for(event: Event) -> list[SealMessageDue]:
    k, b = SealMessageKind, getattr(event, "business_id", 0)
    if isinstance(event, ev.SealApplySubmitted) and event.approvers:
        return [SealMessageDue(k.APPLY_SUBMITTED, b, event.approvers, (("subject", event.subject),))]
    if isinstance(event, ev.SealApplyApproved):
        return [SealMessageDue(k.APPLY_APPROVED, b, _to(event.applicant))]
    if isinstance(event, ev.SealApplyRejected):
        return [SealMessageDue(k.APPLY_REJECTED, b, _to(event.applicant), (("reason", event.comment),))]
    if isinstance(event, ev.SealAuthIssued):
        return [SealMessageDue(k.AUTH_ISSUED, b, _to(event.user),
                               (("sealName", event.seal_name), ("count", str(event.count))))]
    if isinstance(event, ev.SealUnlocked):
        return [SealMessageDue(k.SEAL_UNLOCKED, b, _to(event.user),
                               (("deviceNo", event.device_no), ("count", str(event.count))))]
    if isinstance(event, ev.SealCountAppended):
        return [SealMessageDue(k.COUNT_APPENDED, b, _to(event.applicant), (("count", str(event.count)),))]
    if isinstance(event, ev.SealApplyCompleted):
        return [SealMessageDue(k.APPLY_COMPLETED, b, _to(event.applicant))]
    if isinstance(event, ev.SealApplyFinished):
        return [SealMessageDue(k.APPLY_FINISHED, b, _to(event.applicant), (("reason", event.reason),))]
    if isinstance(event, ev.SealStamped) and event.owed_photos > 0:
        return [SealMessageDue(k.PHOTOS_OWED, b, _to(event.user), (("owed", str(event.owed_photos)),))]
    return []


def derived(event: Event) -> list[Event]:
    """Everything a fact causes: its callbacks, then its messages."""
    return [*callbacks_for(event), *messages_for(event)]
