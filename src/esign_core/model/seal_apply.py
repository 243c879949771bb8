"""Physical seal use applications (物理用印申请, open API §2.14): who may press which seal how many
times, when; the approvals; every stamp the device reported, with its photos.

An application (``businessId`` on the wire) holds one :class:`SealAuth` per user and seal. It is
PENDING while approvers decide, USING once authorised (each auth has a 6-digit code the user types
on the seal controller), COMPLETE when every auth's count is used, FINISHED when ended early by the
business system or an admin, REJECTED when an approver refused it."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from esign_core.errors import DomainError, InvalidTransition, InvalidValue, NotFoundError, PermissionDenied
from esign_core.model import seal_apply_events as ev
from esign_core.model.base import Aggregate, Event, require_text
from esign_core.model.seal_callbacks import derived
from esign_core.values import BlobRef


class ApplyStatus(enum.Enum):
    PENDING = "PENDING"  # waiting for approvers
    USING = "USING"
    COMPLETE = "COMPLETE"  # every authorised use done
    FINISHED = "FINISHED"  # ended early (third party / admin)
    REJECTED = "REJECTED"


APPLY_STATUS_LABELS = {ApplyStatus.PENDING: "待审批", ApplyStatus.USING: "用印中", ApplyStatus.COMPLETE: "已完成",
                       ApplyStatus.FINISHED: "已结束", ApplyStatus.REJECTED: "已驳回"}


class PhotoType(enum.Enum):
    FACE = "FACE"  # the user at the controller (identity check)
    SIGNATORY = "SIGNATORY"  # the stamped paper
    EMERGENCY = "EMERGENCY"  # a stamp under emergency use


@attrs.frozen
class Person:
    """A user by name and mobile (``contact``) and/or employee number (``number``)."""

    name: str = ""
    contact: str = ""
    number: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.contact and not self.number:
            raise InvalidValue("contact", "contact (mobile) or number is required")

    def matches(self, *, contact: str | None = None, number: str | None = None) -> bool:
        return bool((contact and contact == self.contact) or (number and number == self.number))


@attrs.frozen
class Photo:
    photokey: str
    type: PhotoType
    blob: BlobRef
    at: datetime


class UsedFileKind(enum.Enum):
    IMAGES = "images"  # photos of the sealed paper, made into one PDF
    FILE = "file"  # a docx (converted) or a PDF (kept as it is)


@attrs.frozen
class UsedFile:
    """The sealed paper as one PDF (open API ``/seal/apply/used/images`` and ``/used/file``);
    ``node_id`` is the third-party flow's ``fileUploadNodeId`` ("" when not given). The blob's
    digest is the PDF's SHA-256, its size the PDF's size."""

    title: str
    kind: UsedFileKind
    blob: BlobRef
    pages: int
    at: datetime
    node_id: str = ""


MAX_USED_FILES = 100


@attrs.frozen
class SealUse:
    """One press of the seal as the device reported it (``stamp_no`` is the device's counter,
    which makes a retransmitted report idempotent)."""

    device_no: str
    stamp_no: int
    at: datetime


@attrs.frozen
class AppendLog:
    person: Person
    count: int
    at: datetime


@attrs.frozen
class Approval:
    approver: str  # the approver's contact or employee number
    approved: bool
    comment: str
    at: datetime


@attrs.define(kw_only=True)
class SealAuth:
    """One user's authorisation on one seal (SealAuth on the wire)."""

    id: int
    user: Person
    seal_id: int
    seal_name: str
    owner_name: str
    device_no: str
    count: int
    code: str = attrs.field(repr=False)  # ``vertifyCode``: typed on the controller
    start_time: datetime | None = None
    end_time: datetime | None = None
    uses: tuple[SealUse, ...] = ()
    photos: tuple[Photo, ...] = ()
    complete_time: datetime | None = None

    @property
    def used_count(self) -> int:
        return len(self.uses)

    @property
    def left_count(self) -> int:
        return max(0, self.count - self.used_count)

    @property
    def complete(self) -> bool:
        return self.complete_time is not None

    def photo_count(self, *types: PhotoType) -> int:
        wanted = types or (PhotoType.SIGNATORY, PhotoType.EMERGENCY)
        return sum(1 for p in self.photos if p.type in wanted)

    @property
    def owed_photos(self) -> int:
        """Uses not covered by a photo of the stamped paper (the 三.1.4 rule)."""
        return max(0, self.used_count - self.photo_count())


@attrs.define(kw_only=True, eq=False)
class SealApplication(Aggregate):
    tenant_id: int
    tenant_name: str
    subject: str = attrs.field(converter=lambda v: require_text("subject", v, max_len=100))
    serial_no: str = ""
    description: str = ""
    applicant: Person
    source: str = "console"  # business system: "console", the integration app's name, "emergency"
    callback_url: str = ""
    status: ApplyStatus = ApplyStatus.PENDING
    emergency: bool = False
    approvers: tuple[str, ...] = ()
    approvals: tuple[Approval, ...] = ()
    auths: list[SealAuth] = attrs.field(factory=list)
    append_logs: tuple[AppendLog, ...] = ()
    used_files: tuple[UsedFile, ...] = ()
    end_reason: str = ""
    created_at: datetime
    ended_at: datetime | None = None

    def record(self, event: Event) -> None:
        """Record a fact together with the callbacks and messages it causes."""
        super().record(event)
        for follow in derived(event):
            super().record(follow)

    # -- creation ----------------------------------------------------------------------------
    def submit(self) -> None:
        """Record the creation: USING at once without approvers, else PENDING."""
        if not self.auths:
            raise InvalidValue("auths", "an application needs at least one seal authorisation")
        for auth in self.auths:
            if auth.count <= 0:
                raise InvalidValue("count", "count must be greater than 0")
        self.status = ApplyStatus.PENDING if self.approvers else ApplyStatus.USING
        self.record(ev.SealApplySubmitted(self.id, self.subject, self.applicant, self.approvers))
        if self.status is ApplyStatus.USING:
            self._authorised()

    def _authorised(self) -> None:
        for auth in self.auths:
            self.record(ev.SealAuthIssued(self.id, auth.id, auth.user, auth.seal_name, auth.count))

    # -- approval ----------------------------------------------------------------------------
    def decide(self, *, approver: str, approved: bool, comment: str = "", at: datetime) -> None:
        """An approver's decision; every approver must approve, one refusal rejects. Raises
        InvalidTransition unless PENDING, PermissionDenied for someone not an approver or who
        already decided."""
        if self.status is not ApplyStatus.PENDING:
            raise InvalidTransition(f"application is {self.status.value}, not waiting for approval")
        if approver not in self.approvers or any(a.approver == approver for a in self.approvals):
            raise PermissionDenied("not an approver of this application, or already decided")
        self.approvals = (*self.approvals, Approval(approver, approved, comment, at))
        if not approved:
            self.status, self.ended_at, self.end_reason = ApplyStatus.REJECTED, at, comment
            self.record(ev.SealApplyRejected(self.id, self.applicant, approver, comment))
        elif len(self.approvals) == len(self.approvers):
            self.status = ApplyStatus.USING
            self.record(ev.SealApplyApproved(self.id, self.applicant))
            self._authorised()

    # -- use at the device -------------------------------------------------------------------
    def auth(self, auth_id: int) -> SealAuth:
        for auth in self.auths:
            if auth.id == auth_id:
                return auth
        raise NotFoundError(f"seal auth {auth_id} not found", id=str(auth_id))

    def verify_at_device(self, *, code: str, device_no: str, seal_id: int | None, at: datetime) -> SealAuth | None:
        """The auth this code opens on that device now, or None when the code is not one of ours.
        Raises DomainError when it is ours but may not be used (window, count, status)."""
        for auth in self.auths:
            if auth.code != code or (auth.device_no != device_no and auth.seal_id != seal_id):
                continue
            if self.status is not ApplyStatus.USING or auth.complete:
                raise InvalidTransition("this authorisation is used up or ended", business_id=str(self.id))
            if (auth.start_time and at < auth.start_time) or (auth.end_time and at > auth.end_time):
                raise DomainError("outside the authorised time window", business_id=str(self.id))
            self.record(ev.SealUnlocked(self.id, auth.id, auth.user, device_no, auth.left_count, self.emergency))
            return auth
        return None

    def record_use(self, *, auth_id: int, device_no: str, stamp_no: int, at: datetime,
                   photos: tuple[Photo, ...] = ()) -> bool:
        """A press the device reported; False when it was already recorded (a retransmission).
        A press after the count is used up is still recorded (it happened) and logged as excess."""
        auth = self.auth(auth_id)
        if any(u.device_no == device_no and u.stamp_no == stamp_no for u in auth.uses):
            return False
        auth.uses = (*auth.uses, SealUse(device_no, stamp_no, at))
        auth.photos = (*auth.photos, *photos)
        self.record(ev.SealStamped(self.id, auth.id, auth.user, device_no, auth.left_count, at,
                                   tuple(p.photokey for p in photos), self.emergency, self.callback_url,
                                   auth.owed_photos))
        if auth.left_count == 0 and not auth.complete:
            auth.complete_time = at
            if all(a.complete for a in self.auths) and self.status is ApplyStatus.USING:
                self.status, self.ended_at = ApplyStatus.COMPLETE, at
                self.record(ev.SealApplyCompleted(self.id, self.applicant, self.callback_url))
        return True

    def add_photos(self, *, auth_id: int, photos: tuple[Photo, ...]) -> None:
        """Back-fill photos (FACE or of the stamped paper); allowed in any status."""
        auth = self.auth(auth_id)
        auth.photos = (*auth.photos, *photos)
        for p in photos:
            if p.type is PhotoType.FACE:
                self.record(ev.SealFacePhotoAdded(self.id, auth.id, auth.user, p.photokey, self.callback_url))

    def add_used_file(self, used: UsedFile) -> None:
        """Record the sealed paper's PDF; allowed in any status but PENDING and REJECTED (nothing was
        sealed). Raises InvalidTransition then, InvalidValue past :data:`MAX_USED_FILES`."""
        if self.status in (ApplyStatus.PENDING, ApplyStatus.REJECTED):
            raise InvalidTransition(f"application is {self.status.value}: nothing was sealed")
        if len(self.used_files) >= MAX_USED_FILES:
            raise InvalidValue("businessId", f"an application holds at most {MAX_USED_FILES} used files")
        self.used_files = (*self.used_files, used)

    def used_file(self, number: int) -> UsedFile:
        """The ``number``-th used file (from 1); raises NotFoundError."""
        if not 1 <= number <= len(self.used_files):
            raise NotFoundError(f"used file {number} not found", business_id=str(self.id))
        return self.used_files[number - 1]

    def session_ended(self, *, auth_id: int, at: datetime) -> None:
        """The device locked again after an unlock (the user is done for now)."""
        auth = self.auth(auth_id)
        status = "COMPLETE" if self.status is ApplyStatus.COMPLETE else "USING"
        self.record(ev.SealUseEnded(self.id, auth.id, status, self.callback_url, at))

    # -- changes -----------------------------------------------------------------------------
    def append(self, *, count: int, by: Person, device_no: str | None, at: datetime) -> None:
        """Add ``count`` uses to the auths (of that device, or all); back to USING."""
        if count <= 0:
            raise InvalidValue("count", "count must be greater than 0")
        if self.status in (ApplyStatus.FINISHED, ApplyStatus.REJECTED, ApplyStatus.PENDING):
            raise InvalidTransition(f"cannot append to an application that is {self.status.value}")
        targets = [a for a in self.auths if not device_no or a.device_no == device_no]
        if not targets:
            raise NotFoundError(f"no seal of this application on device {device_no}", device_no=device_no)
        for auth in targets:
            auth.count += count
            auth.complete_time = None
        self.status, self.ended_at = ApplyStatus.USING, None
        self.append_logs = (*self.append_logs, AppendLog(by, count, at))
        self.record(ev.SealCountAppended(self.id, self.applicant, count))

    def finish(self, *, reason: str, device_no: str | None, at: datetime) -> tuple[str, ...]:
        """End the application (or only its auths on ``device_no``); returns the devices to lock."""
        reason = require_text("reason", reason, max_len=500)
        if self.status in (ApplyStatus.FINISHED, ApplyStatus.REJECTED):
            raise InvalidTransition(f"application is already {self.status.value}")
        targets = [a for a in self.auths if not device_no or a.device_no == device_no]
        if not targets:
            raise NotFoundError(f"no seal of this application on device {device_no}", device_no=device_no)
        for auth in targets:
            auth.complete_time = auth.complete_time or at
        if all(a.complete for a in self.auths):
            self.status, self.ended_at, self.end_reason = ApplyStatus.FINISHED, at, reason
            self.record(ev.SealApplyFinished(self.id, self.applicant, reason))
        return tuple(sorted({a.device_no for a in targets}))

    def update_window(self, *, start: datetime, end: datetime, device_no: str | None = None,
                      seal_name: str | None = None) -> None:
        if end <= start:
            raise InvalidValue("endTime", "endTime must be after startTime")
        for auth in self.auths:
            if auth.complete or (device_no and auth.device_no != device_no) or (
                    seal_name and auth.seal_name != seal_name):
                continue
            auth.start_time, auth.end_time = start, end

    # -- the photo rule ----------------------------------------------------------------------
    def owing_auths(self, *, contact: str | None = None, number: str | None = None) -> list[SealAuth]:
        return [a for a in self.auths if a.owed_photos > 0 and a.user.matches(contact=contact, number=number)]

    @property
    def owes_photos(self) -> bool:
        return any(a.owed_photos > 0 for a in self.auths)

    @property
    def total_count(self) -> int:
        return sum(a.count for a in self.auths)
