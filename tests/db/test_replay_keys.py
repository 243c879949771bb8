"""The replay store of the open API and single sign-on (ADR 0042) in the database: a key is accepted
once, across threads as across processes (the primary key decides), until it expires; expired keys
are purged. The same scenarios run against the in-memory fake. Also: integration apps keep every
app-access setting through the SQL mapper."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from esign_adapters.db import tables as t
from esign_adapters.db.replay_keys import SqlReplayGuard
from esign_core.model.integration import AuthScheme, IntegrationApp, SealScope
from esign_core.ports.replay import ReplayGuard, replay_key
from esign_core.testing.fake_replay import InMemoryReplayGuard

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=301)


def _once_then_refused(guard: ReplayGuard) -> None:
    key = replay_key("qys", "1", "1764489600000", "0" * 32)
    assert guard.first_use(key, expires_at=T0 + WINDOW, now=T0)
    assert not guard.first_use(key, expires_at=T0 + WINDOW, now=T0 + timedelta(seconds=1))
    assert guard.first_use(replay_key("qys", "2", "1764489600000", "0" * 32), expires_at=T0 + WINDOW, now=T0)


def _expired_keys_are_forgotten(guard: ReplayGuard) -> None:
    key = replay_key("hmac", "1", "nonce-0123456789ab")
    assert guard.first_use(key, expires_at=T0 + WINDOW, now=T0)
    later = T0 + WINDOW + timedelta(seconds=1)
    assert guard.first_use(key, expires_at=later + WINDOW, now=later)  # taken over once expired
    assert not guard.first_use(key, expires_at=later + WINDOW, now=later)
    assert guard.purge(now=later + WINDOW + timedelta(seconds=1)) >= 1


def _concurrent_uses_accept_one(make: Callable[[], ReplayGuard]) -> None:
    key = replay_key("sso", "9", "nonce-raced-000000")
    guards = [make() for _ in range(8)]  # one per "process"
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda g: g.first_use(key, expires_at=T0 + WINDOW, now=T0), guards))
    assert results.count(True) == 1


SCENARIOS = [_once_then_refused, _expired_keys_are_forgotten]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_replay_store_in_memory(scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(InMemoryReplayGuard())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_replay_store_on_sql(sql_engine: Engine, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(SqlReplayGuard(sql_engine))


def test_concurrent_first_uses_on_sql_accept_exactly_one(sql_engine: Engine) -> None:
    _concurrent_uses_accept_one(lambda: SqlReplayGuard(sql_engine))


def test_only_a_hash_of_the_key_parts_is_stored(sql_engine: Engine) -> None:
    signature = "ab" * 16
    SqlReplayGuard(sql_engine).first_use(replay_key("qys", "1", "1", signature), expires_at=T0 + WINDOW, now=T0)
    with sql_engine.connect() as conn:
        rows = conn.execute(sa.select(t.open_replay_keys)).all()
    assert len(rows) == 1 and len(rows[0].key) == 64 and signature not in rows[0].key


def test_old_keys_are_purged_when_keys_are_checked(sql_engine: Engine) -> None:
    guard = SqlReplayGuard(sql_engine)
    guard.first_use(replay_key("old"), expires_at=T0 + WINDOW, now=T0)
    other = SqlReplayGuard(sql_engine)  # another process, its first check purges
    other.first_use(replay_key("new"), expires_at=T0 + timedelta(hours=1) + WINDOW, now=T0 + timedelta(hours=1))
    with sql_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.open_replay_keys)).scalar_one() == 1


def test_app_access_settings_survive_the_round_trip(uow_factory) -> None:  # type: ignore[no-untyped-def]
    app = IntegrationApp(id=77, name="OA", app_token="tok-77", sealed_secret="sealed", tenant_id=1, created_at=T0)
    app.accept_schemes({AuthScheme.HMAC_SHA256})
    app.set_auth_callbacks(personal_url="https://oa.example.com/p", enterprise_url="")
    app.set_callable_seals(SealScope.CUSTOM, [2407437103157690373, 5])
    app.set_ip_lists(allow=["10.0.0.0/8", "2001:db8::1"], deny=["10.9.9.9"])
    app.allow_sso(True)
    app.reset_secret("sealed-2", at=T0 + timedelta(minutes=1))
    with uow_factory() as uow:
        uow.apps.add(app)
        uow.commit()
    with uow_factory() as uow:
        back = uow.apps.by_token("tok-77")
    assert back is not None
    assert back.accepted_schemes == frozenset({AuthScheme.HMAC_SHA256})
    assert (back.personal_auth_url, back.enterprise_auth_url) == ("https://oa.example.com/p", "")
    assert back.seal_scope is SealScope.CUSTOM and back.callable_seal_ids == {2407437103157690373, 5}
    assert back.ip_allow == ("10.0.0.0/8", "2001:db8::1/128") and back.ip_deny == ("10.9.9.9/32",)
    assert back.sso_enabled and back.sealed_secret == "sealed-2"
    assert back.secret_reset_at == T0 + timedelta(minutes=1)
