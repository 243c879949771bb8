"""Physical seal use through the bus with fakes: apply, approve, unlock at the (fake) controller
via the connector, stamps with photos, completion callback, append, finish, emergency, photo rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from esign_core.errors import DomainError, InvalidTransition, NotFoundError, PermissionDenied
from esign_core.model.policy import PhysicalSealSettings
from esign_core.model.seal_apply import ApplyStatus, Person, PhotoType
from esign_core.model.seal_callbacks import FORM, MULTIPART, CallbackKind, SealMessageKind
from esign_core.model.seal_device import DeviceStatus
from esign_core.services.commands import ChangeSettings
from esign_core.services.seal_apply import (
    AddSealPhotos,
    AppendSealUses,
    DecideSealApply,
    EmergencyUse,
    FinishSealApply,
    PhotosOwed,
    VerifyAtDevice,
)
from esign_core.services.seal_connector import Connector
from esign_core.services.seal_devices import ChangeDeviceStatus
from esign_core.services.seal_queries import ListOwedPhotos
from esign_core.testing.fake_seal_devices import FakeSealDevice
from tests.unit.conftest import make_init_command
from tests.unit.seal_world import APPLICANT, CALLBACK, DEVICE_NO, USER, SealWorld, make_world


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> SealWorld:
    return make_world(monkeypatch, make_init_command)


def _connected(world: SealWorld) -> tuple[FakeSealDevice, Connector]:
    device = FakeSealDevice(DEVICE_NO)
    connector = Connector(device, world.platform.bus.handle, device_no=DEVICE_NO)
    connector.hello()
    return device, connector


def _drain(connector: Connector) -> None:
    while connector.step(timeout=0):
        pass


def test_approved_application_unlocks_three_stamps_and_completes_with_the_documented_callbacks(
        world: SealWorld) -> None:
    app = world.apply(3, approvers=("13600136000",))
    assert app.status is ApplyStatus.PENDING
    with pytest.raises(PermissionDenied):
        world.platform.bus.handle(DecideSealApply(app.id, "13500000000", True))
    assert world.platform.bus.handle(DecideSealApply(app.id, "13600136000", True)) is ApplyStatus.USING
    device, connector = _connected(world)
    assert world.device().status is DeviceStatus.ONLINE
    device.enter_code(app.auths[0].code, face=b"face-jpeg")
    _drain(connector)
    assert device.unlocks == [(3, app.auths[0].id)]
    for i in range(3):
        world.platform.clock.advance(minutes=1)
        assert device.press(at=world.platform.clock.now(), photo=f"photo-{i}".encode())
    assert not device.press(at=world.platform.clock.now())  # locked again: the seal does not move
    _drain(connector)
    done = world.application(app.id)
    assert done.status is ApplyStatus.COMPLETE
    auth = done.auths[0]
    assert (auth.used_count, auth.left_count, auth.photo_count(PhotoType.SIGNATORY)) == (3, 0, 3)
    assert world.platform.blobs.read(auth.photos[1].blob) == b"photo-0"
    kinds = [(c.kind, c.content_type) for c in world.callbacks()]
    assert kinds[0] == (CallbackKind.PHOTO, MULTIPART)  # the FACE photo
    assert kinds.count((CallbackKind.PHOTO, MULTIPART)) == 4 and kinds.count((CallbackKind.LEFT_COUNT, FORM)) == 3
    ended = [c for c in world.callbacks() if c.kind is CallbackKind.USE_ENDED]
    assert len(ended) == 1 and ended[0].url == CALLBACK and ended[0].content_type == FORM
    assert ended[0].form_body() == f"businessId={app.id}&status=COMPLETE".encode()
    left = [dict(c.fields) for c in world.callbacks() if c.kind is CallbackKind.LEFT_COUNT]
    assert [d["leftCount"] for d in left] == ["2", "1", "0"]
    assert left[0] == {"businessId": str(app.id), "number": "E1001", "mobile": "13900139000", "leftCount": "2",
                       "timestamp": left[0]["timestamp"]}
    photo = [c for c in world.callbacks() if c.kind is CallbackKind.PHOTO][1]
    assert dict(photo.fields)["imageType"] == "SIGNATORY" and len(photo.files) == 1
    msgs = [m.kind for m in world.messages()]
    assert msgs[:4] == [SealMessageKind.APPLY_SUBMITTED, SealMessageKind.APPLY_APPROVED,
                        SealMessageKind.AUTH_ISSUED, SealMessageKind.SEAL_UNLOCKED]
    assert SealMessageKind.APPLY_COMPLETED in msgs


def test_a_wrong_code_is_refused_at_the_controller(world: SealWorld) -> None:
    world.apply(1)
    device, connector = _connected(world)
    device.enter_code("000000" if world.application(world.apply(1).id).auths[0].code != "000000" else "111111")
    _drain(connector)
    assert device.unlocks == [] and device.refusals == ["not_found"]


def test_a_code_outside_its_window_is_refused(world: SealWorld) -> None:
    app = world.apply(1)
    with pytest.raises(NotFoundError):
        world.platform.bus.handle(VerifyAtDevice("SC-9999", app.auths[0].code))
    from esign_core.services.seal_apply import UpdateUseWindow
    now = world.platform.clock.now()
    world.platform.bus.handle(UpdateUseWindow(app.id, now + timedelta(hours=1), now + timedelta(hours=2)))
    with pytest.raises(DomainError):
        world.platform.bus.handle(VerifyAtDevice(DEVICE_NO, app.auths[0].code))


def test_a_retransmitted_stamp_report_is_recorded_once(world: SealWorld) -> None:
    app = world.apply(2)
    device, connector = _connected(world)
    device.enter_code(app.auths[0].code)
    _drain(connector)
    device.press(at=world.platform.clock.now())
    event = device.events[0]
    device.events.append(event)
    _drain(connector)
    assert world.application(app.id).auths[0].used_count == 1


def test_append_reopens_a_complete_application_and_finish_locks_the_device(world: SealWorld) -> None:
    app = world.apply(1)
    device, connector = _connected(world)
    device.enter_code(app.auths[0].code)
    _drain(connector)
    device.press(at=world.platform.clock.now())
    _drain(connector)
    assert world.application(app.id).status is ApplyStatus.COMPLETE
    world.platform.bus.handle(AppendSealUses(app.id, 2, APPLICANT))
    again = world.application(app.id)
    assert again.status is ApplyStatus.USING and again.auths[0].left_count == 2 and len(again.append_logs) == 1
    device.enter_code(app.auths[0].code)
    _drain(connector)
    assert device.remaining == 2
    world.platform.bus.handle(FinishSealApply(app.id, "业务取消"))
    _drain(connector)
    assert device.remaining == 0 and world.application(app.id).status is ApplyStatus.FINISHED
    with pytest.raises(InvalidTransition):
        world.platform.bus.handle(AppendSealUses(app.id, 1, APPLICANT))


def test_rejected_application_never_unlocks(world: SealWorld) -> None:
    app = world.apply(1, approvers=("13600136000",))
    world.platform.bus.handle(DecideSealApply(app.id, "13600136000", False, "用途不明"))
    assert world.application(app.id).status is ApplyStatus.REJECTED
    with pytest.raises(NotFoundError):
        world.platform.bus.handle(VerifyAtDevice(DEVICE_NO, app.auths[0].code))


def test_emergency_use_is_pushed_to_the_device_and_photos_are_emergency(world: SealWorld) -> None:
    world.platform.bus.handle(ChangeSettings(PhysicalSealSettings.SECTION, {"callback_url": CALLBACK}))
    device, connector = _connected(world)
    app = world.platform.bus.handle(EmergencyUse(DEVICE_NO, 1, "合同即将到期", Person("管理员", "13800138000")))
    _drain(connector)
    assert device.unlocks == [(1, app.auths[0].id)]
    device.press(at=world.platform.clock.now(), photo=b"p")
    _drain(connector)
    done = world.application(app.id)
    assert done.emergency and done.source == "emergency" and done.status is ApplyStatus.COMPLETE
    assert done.auths[0].photos[0].type is PhotoType.EMERGENCY
    assert any(dict(c.fields).get("imageType") == "EMERGENCY" for c in world.callbacks())


def test_a_disabled_device_is_locked_and_refuses_applications(world: SealWorld) -> None:
    device, connector = _connected(world)
    device.remaining = 5
    world.platform.bus.handle(ChangeDeviceStatus(DEVICE_NO, enabled=False))
    _drain(connector)
    assert device.remaining == 0
    with pytest.raises(InvalidTransition):
        world.apply(1)


def test_photo_rule_blocks_a_user_who_owes_photos_until_they_back_fill(world: SealWorld) -> None:
    world.platform.bus.handle(ChangeSettings(PhysicalSealSettings.SECTION, {"photos_must_cover_uses": True}))
    app = world.apply(2, applicant=USER)
    device, connector = _connected(world)
    device.enter_code(app.auths[0].code)
    _drain(connector)
    device.press(at=world.platform.clock.now(), photo=b"ok")
    device.press(at=world.platform.clock.now(), photo=None)  # the camera failed
    _drain(connector)
    owed = world.platform.bus.handle(ListOwedPhotos(contact=USER.contact))
    assert [(a.id, auth.owed_photos) for a, auth in owed] == [(app.id, 1)]
    assert SealMessageKind.PHOTOS_OWED in [m.kind for m in world.messages()]
    with pytest.raises(PhotosOwed) as refused:
        world.apply(1, applicant=USER)
    assert refused.value.code == "seal.photos_owed"
    world.apply(1, applicant=APPLICANT)  # someone who owes nothing still may
    world.platform.bus.handle(AddSealPhotos(images=(b"late photo",), business_id=app.id, contact=USER.contact))
    assert world.platform.bus.handle(ListOwedPhotos(contact=USER.contact)) == []
    world.apply(1, applicant=USER)


def test_photo_rule_is_off_by_default(world: SealWorld) -> None:
    app = world.apply(1, applicant=USER)
    device, connector = _connected(world)
    device.enter_code(app.auths[0].code)
    _drain(connector)
    device.press(at=world.platform.clock.now(), photo=None)
    _drain(connector)
    world.apply(1, applicant=USER)


def test_no_callback_without_a_url(world: SealWorld) -> None:
    app = world.apply(1, callback_url=None)
    device, connector = _connected(world)
    device.enter_code(app.auths[0].code)
    _drain(connector)
    device.press(at=world.platform.clock.now())
    _drain(connector)
    assert world.callbacks() == []


def test_a_passing_database_failure_does_not_lose_a_stamp(world: SealWorld) -> None:
    from esign_core.errors import DatabaseError
    from esign_core.services.seal_apply import RecordStamp

    app = world.apply(1)
    failures = [DatabaseError("connection reset")]

    def flaky(command: object) -> object:
        if isinstance(command, RecordStamp) and failures:
            raise failures.pop()
        return world.platform.bus.handle(command)  # type: ignore[arg-type]

    device = FakeSealDevice(DEVICE_NO)
    connector = Connector(device, flaky, device_no=DEVICE_NO, retry_delay=0)
    connector.hello()
    device.enter_code(app.auths[0].code)
    _drain(connector)
    device.press(at=world.platform.clock.now())
    _drain(connector)
    assert failures == [] and world.application(app.id).status is ApplyStatus.COMPLETE


def test_statistics_by_status_day_business_system_and_enterprise(world: SealWorld) -> None:
    from esign_core.services.seal_queries import SealApplyStatistics

    first = world.apply(1)
    world.platform.clock.advance(days=2)
    world.apply(2, approvers=("13600136000",))
    world.platform.bus.handle(FinishSealApply(first.id, "取消"))
    start = world.platform.clock.now() - timedelta(days=3)
    stats = world.platform.bus.handle(SealApplyStatistics(start=start, end=world.platform.clock.now()
                                                          + timedelta(days=1)))
    assert stats.total == 2 and stats.by_status[ApplyStatus.FINISHED] == 1 and stats.by_status[ApplyStatus.PENDING] == 1
    assert [n for _, n in stats.by_day] == [0, 1, 0, 1, 0] and stats.by_source == [("console", 2)]
    assert stats.by_tenant == [(world.org_name, 2)] and stats.recent[0].status is ApplyStatus.PENDING
    only = world.platform.bus.handle(SealApplyStatistics(status=ApplyStatus.FINISHED))
    assert only.total == 1 and [d.isoformat() for d, _ in only.by_day] == ["2026-01-01"]


def test_a_controller_refuses_codes_for_a_while_after_five_wrong_ones(world: SealWorld) -> None:
    app = world.apply(1)
    code = app.auths[0].code
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(NotFoundError):
            world.platform.bus.handle(VerifyAtDevice(DEVICE_NO, wrong))
    with pytest.raises(PermissionDenied):
        world.platform.bus.handle(VerifyAtDevice(DEVICE_NO, code))  # even the right code, for now
    world.platform.clock.advance(minutes=16)
    assert world.platform.bus.handle(VerifyAtDevice(DEVICE_NO, code)).count == 1
    assert world.device().failed_codes == 0
