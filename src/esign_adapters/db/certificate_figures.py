"""证书统计 in SQL: group-by counts of user certificates and one index range count per month
(``ix_certificates_not_before``), portable to SQLite, PostgreSQL and MySQL/MariaDB."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from esign_adapters.db import tables as t
from esign_adapters.db.errors import translate_error
from esign_core.model.certificate import USER_CERTIFICATE_KINDS
from esign_core.model.certificate_figures import CertificateFigures, month_bounds, rank


def certificate_figures(engine: Engine, *, until: datetime, months: int = 12) -> CertificateFigures:
    c = t.certificates.c
    users = c.kind.in_(sorted(k.value for k in USER_CERTIFICATE_KINDS))

    def grouped(conn: sa.Connection, column: sa.ColumnElement[str]) -> dict[str, int]:
        return {str(k): int(n) for k, n in conn.execute(sa.select(column, sa.func.count()).where(users)
                                                        .group_by(column)).all()}

    try:
        with engine.connect() as conn:
            by_kind, by_status, by_issuer = grouped(conn, c.kind), grouped(conn, c.status), grouped(conn, c.ca_name)
            per_month = tuple(
                (label, int(conn.execute(sa.select(sa.func.count()).select_from(t.certificates)
                                         .where(users, c.not_before >= start, c.not_before < end)).scalar_one()))
                for label, start, end in month_bounds(until, months))
    except SQLAlchemyError as exc:
        raise translate_error(exc) from exc
    return CertificateFigures(total=sum(by_kind.values()), by_kind=by_kind, by_status=by_status,
                              by_issuer=rank(by_issuer), by_month=per_month)
