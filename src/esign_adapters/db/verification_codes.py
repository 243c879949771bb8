"""``SqlVerificationCodes``: the signing portal's SMS codes in ``portal_codes``, so that every
server process (``esign serve --workers N``, several hosts) sees the same codes, tries and resend
limit (policy in :mod:`esign_core.ports.verification`).

Only a hash of a code is stored. Each change is a compare-and-set on the row (no locks held
between statements): two concurrent sends for one link give one code and one ``too_soon``; two
concurrent checks of one right code accept it once; wrong codes are counted with
``failures = failures + 1``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from esign_adapters.db import tables as t
from esign_adapters.db.errors import translate_error
from esign_core.ports.verification import CODE_TTL, MAX_TRIES, RESEND_AFTER, CodeRefused, code_hash

_T, _C = t.portal_codes, t.portal_codes.c


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class SqlVerificationCodes:
    """:class:`esign_core.ports.verification.VerificationCodes` on SQL (see module docstring)."""

    def __init__(self, engine: Engine | Callable[[], Engine]) -> None:
        self._engine = engine if callable(engine) and not isinstance(engine, Engine) else (lambda: engine)

    def _row(self, conn: Connection, link: str) -> sa.Row | None:
        return conn.execute(sa.select(_T).where(_C.link == link)).first()

    def issue(self, link: str, *, link_expires_at: float, now: float) -> str:
        code = f"{secrets.randbelow(1_000_000):06d}"
        values = {"code_hash": code_hash(link, code), "sent_at": _at(now), "expires_at": _at(now + CODE_TTL)}
        try:
            with self._engine().connect() as conn:
                conn.execute(sa.delete(_T).where(_C.link_expires_at < _at(now)))  # forget dead links
                conn.commit()
                row = self._row(conn, link)
                if row is None:
                    conn.execute(sa.insert(_T).values(link=link, failures=0, link_expires_at=_at(link_expires_at),
                                                      **values))
                    conn.commit()
                    return code
                if row.failures >= MAX_TRIES:
                    raise CodeRefused("locked")
                wait = (row.sent_at + timedelta(seconds=RESEND_AFTER) - _at(now)).total_seconds()
                if wait > 0:
                    raise CodeRefused("too_soon", retry_after=int(wait) + 1)
                stmt = (
                    sa.update(_T)
                    .where(_C.link == link, _C.sent_at == row.sent_at, _C.failures < MAX_TRIES)
                    .values(link_expires_at=max(row.link_expires_at, _at(link_expires_at)), **values)
                )
                if conn.execute(stmt).rowcount != 1:  # another process sent one just now
                    raise CodeRefused("too_soon", retry_after=RESEND_AFTER)
                conn.commit()
                return code
        except IntegrityError as exc:  # another process inserted the link's first code just now
            raise CodeRefused("too_soon", retry_after=RESEND_AFTER) from exc
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def check(self, link: str, code: str, *, now: float) -> None:
        try:
            with self._engine().connect() as conn:
                row = self._row(conn, link)
                if row is not None and row.failures >= MAX_TRIES:
                    raise CodeRefused("locked")
                if row is None or not row.code_hash or row.expires_at <= _at(now):
                    raise CodeRefused("no_code")
                if hmac.compare_digest(row.code_hash, code_hash(link, code)):
                    used = sa.update(_T).where(_C.link == link, _C.code_hash == row.code_hash).values(
                        code_hash="", failures=0)
                    if conn.execute(used).rowcount != 1:  # accepted by a concurrent check already
                        raise CodeRefused("no_code")
                    conn.commit()
                    return
                conn.execute(sa.update(_T).where(_C.link == link).values(failures=_C.failures + 1))
                failures = conn.execute(sa.select(_C.failures).where(_C.link == link)).scalar_one()
                if failures >= MAX_TRIES:
                    conn.execute(sa.update(_T).where(_C.link == link).values(code_hash=""))
                    conn.commit()
                    raise CodeRefused("locked")
                conn.commit()
                raise CodeRefused("wrong", tries_left=MAX_TRIES - failures)
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def count_failure(self, link: str, *, link_expires_at: float, now: float) -> None:
        try:
            with self._engine().connect() as conn:
                bumped = conn.execute(sa.update(_T).where(_C.link == link).values(failures=_C.failures + 1))
                if bumped.rowcount != 1:
                    try:  # no code was ever sent for the link: a row that only counts
                        conn.execute(sa.insert(_T).values(link=link, code_hash="", sent_at=_at(0), expires_at=_at(0),
                                                          failures=1, link_expires_at=_at(link_expires_at)))
                    except IntegrityError:
                        conn.rollback()
                        conn.execute(sa.update(_T).where(_C.link == link).values(failures=_C.failures + 1))
                failures = conn.execute(sa.select(_C.failures).where(_C.link == link)).scalar_one()
                if failures >= MAX_TRIES:
                    conn.execute(sa.update(_T).where(_C.link == link).values(code_hash=""))
                conn.commit()
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        if failures >= MAX_TRIES:
            raise CodeRefused("locked")
        raise CodeRefused("wrong", tries_left=MAX_TRIES - failures)

    def locked(self, link: str) -> bool:
        try:
            with self._engine().connect() as conn:
                row = self._row(conn, link)
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        return row is not None and row.failures >= MAX_TRIES
