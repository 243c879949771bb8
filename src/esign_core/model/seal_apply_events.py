"""What happens to a physical seal use application, named in the past tense. Facts only; the
callbacks and in-site messages they cause are derived by :mod:`esign_core.model.seal_callbacks`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from esign_core.model.base import Event

if TYPE_CHECKING:
    from esign_core.model.seal_apply import Person


@attrs.frozen
class SealApplySubmitted(Event):
    business_id: int
    subject: str
    applicant: Person
    approvers: tuple[str, ...]


@attrs.frozen
class SealApplyApproved(Event):
    business_id: int
    applicant: Person


@attrs.frozen
class SealApplyRejected(Event):
    business_id: int
    applicant: Person
    approver: str
    comment: str


@attrs.frozen
class SealAuthIssued(Event):
    business_id: int
    auth_id: int
    user: Person
    seal_name: str
    count: int


@attrs.frozen
class SealUnlocked(Event):
    business_id: int
    auth_id: int
    user: Person
    device_no: str
    count: int
    emergency: bool


@attrs.frozen
class SealStamped(Event):
    business_id: int
    auth_id: int
    user: Person
    device_no: str
    left_count: int
    at: datetime
    photokeys: tuple[str, ...]
    emergency: bool
    callback_url: str
    owed_photos: int = 0


@attrs.frozen
class SealFacePhotoAdded(Event):
    business_id: int
    auth_id: int
    user: Person
    photokey: str
    callback_url: str


@attrs.frozen
class SealUseEnded(Event):
    business_id: int
    auth_id: int
    status: str  # USING (a session ended, uses left) | COMPLETE
    callback_url: str
    at: datetime


@attrs.frozen
class SealCountAppended(Event):
    business_id: int
    applicant: Person
    count: int


@attrs.frozen
class SealApplyCompleted(Event):
    business_id: int
    applicant: Person
    callback_url: str


@attrs.frozen
class SealApplyFinished(Event):
    business_id: int
    applicant: Person
    reason: str
