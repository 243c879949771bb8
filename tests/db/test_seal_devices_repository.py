"""Seal devices and use applications on every backend (in-memory fake, SQLite, PostgreSQL,
MariaDB): round trips with nested authorisations and photos, the unique device number, the
photo-rule and status queries, optimistic locking."""

from __future__ import annotations

from datetime import timedelta

import pytest

from esign_core.errors import AlreadyExists, ConcurrencyError
from esign_core.model.seal_apply import (
    AppendLog,
    ApplyStatus,
    Person,
    Photo,
    PhotoType,
    SealApplication,
    SealAuth,
    UsedFile,
    UsedFileKind,
)
from esign_core.model.seal_device import DeviceKind, DeviceStatus, PendingUnlock, SealDevice
from tests.db import samples
from tests.db.conftest import UowFactory


def device(no: str = "SC-0001", owner_id: int = 7) -> SealDevice:
    return SealDevice(id=samples.next_id(), device_no=no, kind=DeviceKind.CONTROLLER, owner_id=owner_id,
                      name="前台印控台", seal_id=99, created_at=samples.T0)


def application(*, used: int = 0, photos: int = 0, at_offset: int = 0) -> SealApplication:
    auth = SealAuth(id=samples.next_id(), user=Person("李四", "13900139000", "E1001"), seal_id=99,
                    seal_name="合同专用章", owner_name="示例集团", device_no="SC-0001", count=3, code="123456",
                    start_time=samples.T0, end_time=samples.T0 + timedelta(days=1))
    app = SealApplication(id=samples.next_id(), tenant_id=7, tenant_name="示例集团", subject="采购合同用印",
                          applicant=Person("王五", "13700137000"), source="OA", callback_url="http://cb.example/x",
                          approvers=("13600136000",), auths=[auth],
                          created_at=samples.T0 + timedelta(days=at_offset))
    app.submit()
    app.decide(approver="13600136000", approved=True, comment="同意", at=samples.T0)
    for i in range(used):
        shot = (Photo(f"pk{i}", PhotoType.SIGNATORY, samples.blob(i + 1), samples.T0),) if i < photos else ()
        app.record_use(auth_id=auth.id, device_no="SC-0001", stamp_no=i + 1, at=samples.T0, photos=shot)
    app.collect_events()
    return app


def test_device_round_trips_and_its_number_is_unique(uow_factory: UowFactory) -> None:
    d = device()
    d.seen(at=samples.T0, firmware="1.2.3")
    d.request_unlock(PendingUnlock(1, 2, 3))
    with uow_factory() as uow:
        uow.seal_devices.add(d)
        uow.commit()
    with uow_factory() as uow:
        loaded = uow.seal_devices.by_number("SC-0001")
        assert loaded is not None and samples.state(loaded) == samples.state(d)
        assert loaded.pending_unlock == PendingUnlock(1, 2, 3) and loaded.status is DeviceStatus.ONLINE
        assert loaded.last_seen == samples.T0
        assert [x.device_no for x in uow.seal_devices.list(owner_id=7)] == ["SC-0001"]
        assert uow.seal_devices.list(owner_id=8) == []
    with uow_factory() as uow, pytest.raises(AlreadyExists):
        uow.seal_devices.add(device())
        uow.commit()


def test_application_round_trips_with_auths_uses_and_photos(uow_factory: UowFactory) -> None:
    app = application(used=2, photos=1)
    with uow_factory() as uow:
        uow.seal_applications.add(app)
        uow.commit()
    with uow_factory() as uow:
        loaded = uow.seal_applications.get(app.id)
        assert samples.state(loaded) == samples.state(app)
        auth = loaded.auths[0]
        assert (auth.used_count, auth.left_count, auth.owed_photos) == (2, 1, 1)
        assert auth.photos[0].blob == samples.blob(1) and auth.start_time == samples.T0
        assert loaded.approvals[0].comment == "同意" and loaded.status is ApplyStatus.USING


def test_used_files_share_the_append_log_column_and_round_trip(uow_factory: UowFactory) -> None:
    app = application()
    with uow_factory() as uow:
        uow.seal_applications.add(app)
        uow.commit()
    with uow_factory() as uow:
        loaded = uow.seal_applications.get(app.id)
        loaded.append(count=1, by=Person("王五", "13700137000"), device_no=None, at=samples.T0)
        loaded.add_used_file(UsedFile("盖章页", UsedFileKind.IMAGES, samples.blob(5), 3, samples.T0, "node-1"))
        loaded.add_used_file(UsedFile("回执", UsedFileKind.FILE, samples.blob(6), 1, samples.T0))
        uow.commit()
    with uow_factory() as uow:
        again = uow.seal_applications.get(app.id)
        assert again.append_logs == (AppendLog(Person("王五", "13700137000"), 1, samples.T0),)
        assert [(u.title, u.kind, u.blob, u.pages, u.node_id) for u in again.used_files] == [
            ("盖章页", UsedFileKind.IMAGES, samples.blob(5), 3, "node-1"),
            ("回执", UsedFileKind.FILE, samples.blob(6), 1, "")]


def test_photo_rule_and_status_queries(uow_factory: UowFactory) -> None:
    owing, paid, fresh = application(used=2, photos=1), application(used=1, photos=1), application(at_offset=3)
    with uow_factory() as uow:
        for a in (owing, paid, fresh):
            uow.seal_applications.add(a)
        uow.commit()
    with uow_factory() as uow:
        assert [a.id for a in uow.seal_applications.owing_photos()] == [owing.id]
        assert len(uow.seal_applications.with_status(ApplyStatus.USING)) == 3
        assert uow.seal_applications.with_status(ApplyStatus.COMPLETE) == []
        between = uow.seal_applications.created_between(samples.T0 + timedelta(days=1), None)
        assert [a.id for a in between] == [fresh.id]
    with uow_factory() as uow:  # a change in this unit of work is seen by its queries
        uow.seal_applications.get(owing.id).add_photos(
            auth_id=owing.auths[0].id, photos=(Photo("late", PhotoType.SIGNATORY, samples.blob(9), samples.T0),))
        assert uow.seal_applications.owing_photos() == []
        uow.commit()
    with uow_factory() as uow:
        assert uow.seal_applications.owing_photos() == []


def test_concurrent_stamp_reports_conflict(uow_factory: UowFactory) -> None:
    app = application()
    with uow_factory() as uow:
        uow.seal_applications.add(app)
        uow.commit()
    auth_id = app.auths[0].id
    with uow_factory() as a:
        mine = a.seal_applications.get(app.id)
        with uow_factory() as b:
            b.seal_applications.get(app.id).record_use(auth_id=auth_id, device_no="SC-0001", stamp_no=1,
                                                       at=samples.T0)
            b.commit()
        mine.record_use(auth_id=auth_id, device_no="SC-0001", stamp_no=2, at=samples.T0)
        with pytest.raises(ConcurrencyError):
            a.commit()
