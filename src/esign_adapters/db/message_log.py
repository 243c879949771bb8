"""SMS records and in-site messages on the SQL database (ports in esign_core.ports.messaging).
Each write is its own short transaction, idempotent by key: a duplicate key (a concurrent
retry) is caught and turned into an update / a no-op."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from esign_adapters.db import tables as t
from esign_adapters.db.errors import translate_error
from esign_core.model.message_log import InboxMessage, SmsRecord, SmsStatistics, SmsStatus, last_months


def _like_digits(text: str) -> str:
    # Only digits and + reach the LIKE pattern: no wildcard can be smuggled in.
    return "%" + "".join(c for c in text if c.isdigit() or c == "+") + "%"


class SqlSmsRecords:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, record: SmsRecord) -> None:
        c = t.sms_records.c
        values: dict[str, Any] = {"status": record.status.value, "error": record.error, "updated_at": record.at,
                                  "channel": record.channel, "provider": record.provider, "event": record.event}
        if record.message_id:
            values["message_id"] = record.message_id
        update = (sa.update(t.sms_records).where(c.idempotency_key == record.key)
                  .values(**values, attempts=c.attempts + 1))
        try:
            for _ in range(2):
                try:
                    with self.engine.begin() as conn:
                        if conn.execute(update).rowcount == 1:
                            return
                        conn.execute(sa.insert(t.sms_records).values(
                            idempotency_key=record.key, mobile=record.mobile, message_id=record.message_id,
                            attempts=record.attempts, month=record.at.strftime("%Y-%m"), created_at=record.at,
                            **{k: v for k, v in values.items() if k != "message_id"}))
                        return
                except IntegrityError:
                    continue  # a concurrent retry inserted it first (its transaction is gone): update it
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def search(self, *, mobile: str = "", limit: int = 50, offset: int = 0) -> tuple[Sequence[SmsRecord], int]:
        c = t.sms_records.c
        where = c.mobile.like(_like_digits(mobile)) if mobile else sa.true()
        try:
            with self.engine.connect() as conn:
                total = conn.execute(sa.select(sa.func.count()).select_from(t.sms_records).where(where)).scalar_one()
                rows = conn.execute(sa.select(t.sms_records).where(where).order_by(c.created_at.desc(), c.id.desc())
                                    .limit(limit).offset(offset)).all()
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        return [SmsRecord(key=r.idempotency_key, mobile=r.mobile, event=r.event, channel=r.channel,
                          provider=r.provider, status=SmsStatus(r.status), at=r.created_at, message_id=r.message_id,
                          error=r.error, attempts=r.attempts) for r in rows], int(total)

    def statistics(self, *, months: int = 12, until: datetime) -> SmsStatistics:
        c = t.sms_records.c
        wanted = last_months(until, months)
        sent = c.status == SmsStatus.SENT.value
        try:
            with self.engine.connect() as conn:
                total = conn.execute(sa.select(sa.func.count()).select_from(t.sms_records).where(sent)).scalar_one()
                per_channel = conn.execute(sa.select(c.channel, sa.func.count()).where(sent).group_by(c.channel)).all()
                per_month = conn.execute(sa.select(c.month, sa.func.count())
                                         .where(sent, c.month.in_(wanted)).group_by(c.month)).all()
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        counts = {m: int(n) for m, n in per_month}
        return SmsStatistics(int(total), {ch: int(n) for ch, n in per_channel},
                             tuple((m, counts.get(m, 0)) for m in wanted))


class SqlInbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def deliver(self, *, user_id: int, event: str, title: str, body: str, key: str, at: datetime) -> int:
        c = t.inbox_messages.c
        find = sa.select(c.id).where(c.idempotency_key == key)
        try:
            try:
                with self.engine.begin() as conn:
                    found = conn.execute(find).scalar()
                    if found is not None:
                        return int(found)
                    result = conn.execute(sa.insert(t.inbox_messages).values(
                        idempotency_key=key, user_id=user_id, event=event, title=title[:200], body=body,
                        created_at=at, read_at=None))
                    return int(result.inserted_primary_key[0])  # type: ignore[index]
            except IntegrityError:
                pass  # a concurrent delivery of the same key won
            with self.engine.connect() as conn:
                return int(conn.execute(find).scalar_one())
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def messages(self, user_id: int, *, unread_only: bool = False, limit: int = 50) -> Sequence[InboxMessage]:
        c = t.inbox_messages.c
        query = sa.select(t.inbox_messages).where(c.user_id == user_id)
        if unread_only:
            query = query.where(c.read_at.is_(None))
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query.order_by(c.created_at.desc(), c.id.desc()).limit(limit)).all()
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        return [InboxMessage(r.id, r.user_id, r.event, r.title, r.body, r.created_at, r.read_at) for r in rows]

    def unread_count(self, user_id: int) -> int:
        c = t.inbox_messages.c
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(sa.select(sa.func.count()).select_from(t.inbox_messages)
                                        .where(c.user_id == user_id, c.read_at.is_(None))).scalar_one())
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def mark_read(self, user_id: int, message_id: int, *, at: datetime) -> bool:
        c = t.inbox_messages.c
        try:
            with self.engine.begin() as conn:
                exists = conn.execute(sa.select(c.id).where(c.id == message_id, c.user_id == user_id)).scalar()
                if exists is None:
                    return False
                conn.execute(sa.update(t.inbox_messages).where(c.id == message_id, c.read_at.is_(None))
                             .values(read_at=at))
                return True
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
