"""ADR 0035 with the fakes: the effects of the events committed by a unit of work are staged in
its outbox in the same commit (a rollback stages nothing), their idempotency keys are stable per
fact (a repeated fact is not queued twice), and the drafts say what the worker must send."""

from __future__ import annotations

from typing import Any

import pytest

from esign_core.effects import EFFECTS, NOTICE_OF, drafts_for
from esign_core.model.certification import CertificationChanged, CertificationStatus, CertifiedEntity
from esign_core.model.outbox import MessageKind, OutboxMessage, OutboxQuery
from esign_core.model.seal_apply import Photo, PhotoType
from esign_core.model.seal_callbacks import SealCallbackDue, SealMessageDue, SealMessageKind
from esign_core.services.org_admin import ConfigureCallbacks
from esign_core.services.outbox_delivery import ChannelDispatcher
from esign_core.testing import InMemoryUnitOfWork
from tests.unit.conftest import make_init_command
from tests.unit.seal_world import CALLBACK, DEVICE_NO, SealWorld, make_world


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> SealWorld:
    return make_world(monkeypatch, make_init_command)


def _uow(world: SealWorld) -> InMemoryUnitOfWork:
    p = world.platform
    return InMemoryUnitOfWork(p.uow.db, ids=p.ids, clock=p.clock)


def _rows(world: SealWorld, prefix: str) -> list[OutboxMessage]:
    with InMemoryUnitOfWork(world.platform.uow.db) as uow:
        return list(uow.outbox.search(OutboxQuery(key=prefix, limit=500)))


def _stamp(world: SealWorld, uow: InMemoryUnitOfWork, business_id: int, photo: bytes = b"\x89PNGp") -> Any:
    app = uow.seal_applications.get(business_id)
    auth = app.auths[0]
    shot = Photo(f"{business_id}_1", PhotoType.SIGNATORY, world.platform.blobs.put([photo]), world.platform.clock.now())
    assert app.record_use(auth_id=auth.id, device_no=DEVICE_NO, stamp_no=1, at=world.platform.clock.now(),
                          photos=(shot,))
    return app


def test_a_stamp_stages_its_callbacks_in_the_same_commit(world: SealWorld) -> None:
    app = world.apply(2)
    prefix = f"seal:{app.id}:{app.auths[0].id}:"
    with _uow(world) as uow:
        _stamp(world, uow, app.id)
        assert _rows(world, prefix) == []  # nothing visible before the commit
        uow.commit()
    rows = {m.idempotency_key.rsplit(":", 1)[1]: m for m in _rows(world, prefix)}
    assert set(rows) == {"photo", "left"}
    left, photo = rows["left"], rows["photo"]
    assert left.kind is MessageKind.WEBHOOK and left.topic == "seal.left_count"
    assert left.payload["url"] == CALLBACK and left.payload["encoding"] == "form"
    assert [k for k, _v in left.payload["data"]] == ["businessId", "number", "mobile", "leftCount", "timestamp"]
    assert dict(left.payload["data"])["leftCount"] == "1"
    assert photo.payload["encoding"] == "multipart"
    assert photo.payload["files"] == [["images", f"{app.id}_1"]]
    assert dict(photo.payload["data"])["imageType"] == "SIGNATORY"
    assert world.application(app.id).auths[0].used_count == 1  # the change committed with them


def test_a_rollback_stages_nothing(world: SealWorld) -> None:
    app = world.apply(2)
    with _uow(world) as uow:
        _stamp(world, uow, app.id)
    assert _rows(world, f"seal:{app.id}:{app.auths[0].id}:") == []
    assert world.application(app.id).auths[0].used_count == 0


def test_a_repeated_fact_is_not_queued_twice(world: SealWorld) -> None:
    app = world.apply(1)
    with _uow(world) as uow:
        _stamp(world, uow, app.id)
        uow.commit()
        events = uow.collect_new_events()
    before = _rows(world, "seal:")
    callback = next(e for e in events if isinstance(e, SealCallbackDue))
    with _uow(world) as uow:  # the same fact recorded again (a retried report): same key, no new row
        loaded = uow.seal_applications.get(app.id)
        loaded.end_reason = "again"
        loaded.record(callback)
        loaded.record(callback)
        uow.commit()
    assert len(_rows(world, "seal:")) == len(before)
    assert drafts_for(callback, None, None) == drafts_for(callback, None, None)


def test_the_events_stay_for_the_bus_and_each_callback_is_queued_once(world: SealWorld) -> None:
    app = world.apply(1)
    with _uow(world) as uow:
        _stamp(world, uow, app.id)
        uow.commit()
        events = uow.collect_new_events()
    keys = sorted(e.idempotency_key for e in events if isinstance(e, SealCallbackDue))
    assert len(keys) == 3  # photo, remaining count, end of use (the only use: COMPLETE)
    assert keys and keys == sorted(m.idempotency_key for m in _rows(world, f"seal:{app.id}:"))


def test_seal_messages_become_one_notice_per_recipient(world: SealWorld) -> None:
    app = world.apply(1, approvers=("13600136000", "E9"))
    notices = [m for m in _rows(world, f"sealmsg:{app.id}:") if m.kind is MessageKind.NOTICE]
    submitted = [m for m in notices if m.payload["event"] == "seal_apply_submitted"]
    assert sorted(m.payload["to"] for m in submitted) == ["13600136000", "E9"]
    assert submitted[0].payload["params"]["subject"] == "采购合同用印"
    assert submitted[0].payload["params"]["applicant"] == "王五"
    assert submitted[0].payload["tenant_id"] == world.org_id
    assert SealMessageKind.COUNT_APPENDED not in NOTICE_OF  # no notice of its own in the catalogue
    due = SealMessageDue(SealMessageKind.COUNT_APPENDED, app.id, ("13700137000",))
    assert drafts_for(due, app, None) == []


def test_a_certification_change_is_queued_only_when_a_url_is_configured(world: SealWorld) -> None:
    change = CertificationChanged(CertifiedEntity.ENTERPRISE, world.org_id, CertificationStatus.PASSED)
    with _uow(world) as uow:
        assert drafts_for(change, None, uow) == []
    world.platform.bus.handle(ConfigureCallbacks(enterprise_success_url="https://erp.example.com/ok"))
    with _uow(world) as uow:
        (draft,) = drafts_for(change, None, uow)
        applied = CertificationChanged(CertifiedEntity.ENTERPRISE, world.org_id, CertificationStatus.APPLIED)
        assert drafts_for(applied, None, uow) == []
    assert draft.payload == {"url": "https://erp.example.com/ok", "encoding": "json",
                             "data": {"entityType": "ENTERPRISE", "entityId": str(world.org_id),
                                      "status": "PASSED", "reason": ""}}


class RecordingNotices:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def notify(self, **kw: Any) -> None:
        self.sent.append(kw)


class RecordingWebhooks:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, **kw: Any) -> None:
        self.sent.append(kw)


def test_the_dispatcher_passes_the_encoding_files_and_notices_on(world: SealWorld) -> None:
    app = world.apply(1, approvers=("13600136000",))
    with _uow(world) as uow:
        _stamp(world, uow, app.id)
        uow.commit()
    notices, hooks = RecordingNotices(), RecordingWebhooks()
    dispatcher = ChannelDispatcher(notices=notices, webhooks=hooks)
    for m in _rows(world, "seal"):
        dispatcher.deliver(m)
    assert {h["encoding"] for h in hooks.sent} == {"form", "multipart"}
    assert [h["files"] for h in hooks.sent if h["encoding"] == "multipart"] == [[("images", f"{app.id}_1")]]
    assert {n["event"] for n in notices.sent} >= {"seal_apply_submitted"}
    assert all(n["tenant_id"] == world.org_id and n["key"].startswith("sealmsg:") for n in notices.sent)


def test_every_registered_effect_is_for_an_event_type() -> None:
    assert {t.__name__ for t in EFFECTS} == {"SealCallbackDue", "SealMessageDue", "CertificationChanged",
                                             "ContractCompleted", "ContractEnded", "VoidRequested"}


def test_voiding_starts_with_a_terminating_callback_to_the_category() -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from esign_core.effects import contract_callback
    from esign_core.model.contract import VoidRequested

    at = datetime(2026, 11, 30, tzinfo=UTC)
    category = SimpleNamespace(callback_url="https://erp.example.com/cb")
    lookup = SimpleNamespace(categories=SimpleNamespace(find=lambda _id: category))
    source = SimpleNamespace(category_id=7, biz_id="ERP-1", sn="", subject="采购合同")
    [draft] = contract_callback(VoidRequested(5, 9, "双方协商作废", at), source, lookup)
    assert draft.payload["data"]["status"] == "TERMINATING" and draft.payload["data"]["reason"] == "双方协商作废"
    assert draft.idempotency_key == "contract:5:TERMINATING"
