"""The whole physical-seal flow against the device simulator on a pseudo-terminal, through the
pyserial adapter and the connector: apply, approve, code typed on the controller → unlock, three
stamps with photos, completion callback; then the simulator corrupts frames, writes garbage and
half frames, goes mute (timeouts) and drops the line (reconnect), and nothing is lost or doubled."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from esign_adapters.seal_device.serial_device import SerialSealDevice
from esign_adapters.seal_device.simulator import DeviceSimulator
from esign_core.errors import DeviceError
from esign_core.model.seal_apply import ApplyStatus, PhotoType
from esign_core.model.seal_callbacks import FORM, MULTIPART, CallbackKind
from esign_core.services.seal_apply import DecideSealApply
from esign_core.services.seal_connector import Connector
from tests.unit.conftest import make_init_command
from tests.unit.seal_world import CALLBACK, DEVICE_NO, SealWorld, make_world


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> SealWorld:
    return make_world(monkeypatch, make_init_command)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[DeviceSimulator]:
    with DeviceSimulator(tmp_path / "ttySEAL", device_no=DEVICE_NO, ack_timeout=0.2) as s:
        yield s


@pytest.fixture
def serial_device(sim: DeviceSimulator) -> Iterator[SerialSealDevice]:
    dev = SerialSealDevice(str(sim.link), timeout=0.3, retries=8, reconnect_delay=0.1)
    yield dev
    dev.close()


def run_until(connector: Connector, done: Callable[[], bool], *, limit: float = 30.0) -> None:
    """Drive the connector until ``done`` (bounded so that a bug fails instead of hanging)."""
    deadline = time.monotonic() + limit
    while not done():
        assert time.monotonic() < deadline, "the flow did not finish"
        connector.step(timeout=0.05)


def photo(i: int) -> bytes:
    return b"\xff\xd8JPEG" + bytes([i]) * 1500  # three CHUNK frames each


def test_full_flow_over_a_pty_ends_with_the_documented_completion_callback(
        world: SealWorld, sim: DeviceSimulator, serial_device: SerialSealDevice) -> None:
    app = world.apply(3, approvers=("13600136000",))
    world.platform.bus.handle(DecideSealApply(app.id, "13600136000", True))
    connector = Connector(serial_device, world.platform.bus.handle, device_no=DEVICE_NO, poll_seconds=0.05)
    connector.hello()
    assert world.device().firmware == "sim-1.2.0"
    sim.enter_code(app.auths[0].code, face=b"face" * 300)
    run_until(connector, lambda: sim.remaining == 3)
    assert sim.unlocks == [(3, app.auths[0].id)]
    for i in range(3):
        assert sim.press(photo(i))
    run_until(connector, lambda: world.application(app.id).status is ApplyStatus.COMPLETE and sim.idle())
    auth = world.application(app.id).auths[0]
    assert (auth.used_count, auth.left_count) == (3, 0)
    stamped = [p for p in auth.photos if p.type is PhotoType.SIGNATORY]
    assert [world.platform.blobs.read(p.blob) for p in stamped] == [photo(0), photo(1), photo(2)]
    face = [p for p in auth.photos if p.type is PhotoType.FACE]
    assert world.platform.blobs.read(face[0].blob) == b"face" * 300
    ended = [c for c in world.callbacks() if c.kind is CallbackKind.USE_ENDED]
    assert [(c.url, c.content_type, c.fields) for c in ended] == [
        (CALLBACK, FORM, (("businessId", str(app.id)), ("status", "COMPLETE")))]
    assert ended[0].form_body() == f"businessId={app.id}&status=COMPLETE".encode()
    photos = [c for c in world.callbacks() if c.kind is CallbackKind.PHOTO]
    assert [dict(c.fields)["imageType"] for c in photos] == ["FACE", "SIGNATORY", "SIGNATORY", "SIGNATORY"]
    assert all(c.content_type == MULTIPART and len(c.files) == 1 for c in photos)
    left = [dict(c.fields)["leftCount"] for c in world.callbacks() if c.kind is CallbackKind.LEFT_COUNT]
    assert left == ["2", "1", "0"]
    assert not sim.press(photo(9))  # used up: the device is locked


def test_corrupted_frames_garbage_and_half_frames_are_survived(
        world: SealWorld, sim: DeviceSimulator, serial_device: SerialSealDevice) -> None:
    app = world.apply(3)
    connector = Connector(serial_device, world.platform.bus.handle, device_no=DEVICE_NO, poll_seconds=0.05)
    connector.hello()
    sim.corrupt_next = 2  # the CODE frame and its retransmission arrive corrupted
    sim.enter_code(app.auths[0].code)
    run_until(connector, lambda: sim.remaining == 3)
    sim.garbage()
    sim.half_frame_next = True
    sim.press(photo(1))
    sim.corrupt_next = 3
    sim.press(photo(2))
    sim.garbage(b"\xa5\x00\x10\x91")  # a header that never completes
    sim.press(photo(3))
    run_until(connector, lambda: world.application(app.id).status is ApplyStatus.COMPLETE and sim.idle())
    auth = world.application(app.id).auths[0]
    assert auth.used_count == 3  # nothing lost, nothing doubled
    assert [world.platform.blobs.read(p.blob) for p in auth.photos] == [photo(1), photo(2), photo(3)]
    assert serial_device.reader.bad_frames >= 5 and serial_device.reader.dropped > 0


def test_a_mute_device_is_retried_and_a_dead_one_raises(
        world: SealWorld, sim: DeviceSimulator, serial_device: SerialSealDevice) -> None:
    sim.mute_next = 2  # ignores two transmissions: the third attempt is answered
    assert serial_device.status().locked
    assert serial_device.stats["retransmits"] == 2
    sim.mute_next = 100
    with pytest.raises(DeviceError):
        serial_device.identify()


def test_a_dropped_line_is_reconnected_and_the_stamps_go_on(
        world: SealWorld, sim: DeviceSimulator, serial_device: SerialSealDevice) -> None:
    app = world.apply(2)
    connector = Connector(serial_device, world.platform.bus.handle, device_no=DEVICE_NO, poll_seconds=0.05)
    connector.hello()
    sim.enter_code(app.auths[0].code)
    run_until(connector, lambda: sim.remaining == 2)
    sim.press(photo(1))
    run_until(connector, lambda: world.application(app.id).auths[0].used_count == 1 and sim.idle())
    sim.disconnect()
    run_until(connector, lambda: sim.drops == 1)
    sim.press(photo(2))
    run_until(connector, lambda: world.application(app.id).status is ApplyStatus.COMPLETE and sim.idle())
    assert serial_device.stats["reconnects"] >= 1
    assert world.application(app.id).auths[0].used_count == 2
    assert serial_device.identify().device_no == DEVICE_NO
