"""``esign db rebuild-statistics``: recomputes the 签署统计 pre-aggregates from ``contracts``."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from esign_adapters.db import tables as t
from esign_adapters.db.engine import make_engine
from esign_adapters.db.migrate import upgrade
from esign_adapters.db.uow import SqlUnitOfWork
from esign_core.model.contract import Contract, ContractStatus


def test_rebuild_statistics_restores_counts_lost_outside_esign(run, data_dir) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{data_dir / 'esign.db'}")
    upgrade(engine)
    with SqlUnitOfWork(engine) as uow:
        for i in range(3):
            uow.contracts.add(Contract(id=100 + i, subject=f"合同{i}", status=ContractStatus.SIGNING,
                                       created_at=datetime(2026, 5, 1, 3, i, tzinfo=UTC)))
        uow.commit()
    with engine.begin() as conn:
        conn.execute(t.contract_stats_daily.delete())  # lost outside esign
    result = run("--data-dir", str(data_dir), "db", "rebuild-statistics")
    assert result.exit_code == 0, result.output
    assert "1 day rows, 1 month rows" in result.output
    with engine.connect() as conn:
        assert conn.execute(sa.select(t.contract_stats_daily.c.contracts)).scalar_one() == 3
    engine.dispose()
