"""Signing-portal SMS codes in the database: the policy of esign_core.ports.verification holds
across unit-of-work-free calls from several threads (as from several server processes), and only
hashes are stored. The same scenarios run against the in-memory fake."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from esign_adapters.db import tables as t
from esign_adapters.db.verification_codes import SqlVerificationCodes
from esign_core.ports.verification import MAX_TRIES, CodeRefused, VerificationCodes
from esign_core.testing.fake_verification import InMemoryVerificationCodes

T0 = 1_800_000_000.0
LINK = "a" * 64
LINK_END = T0 + 7 * 86400


def _reason(call: Callable[[], object]) -> CodeRefused:
    with pytest.raises(CodeRefused) as caught:
        call()
    return caught.value


def _scenario_right_code_once(codes: VerificationCodes) -> None:
    code = codes.issue(LINK, link_expires_at=LINK_END, now=T0)
    assert len(code) == 6 and code.isdigit()
    codes.check(LINK, f" {code} ", now=T0 + 10)
    assert _reason(lambda: codes.check(LINK, code, now=T0 + 11)).reason == "no_code"


def _scenario_resend_limit_and_expiry(codes: VerificationCodes) -> None:
    code = codes.issue(LINK, link_expires_at=LINK_END, now=T0)
    refused = _reason(lambda: codes.issue(LINK, link_expires_at=LINK_END, now=T0 + 30))
    assert (refused.reason, refused.retry_after) == ("too_soon", 31)
    assert _reason(lambda: codes.check(LINK, code, now=T0 + 301)).reason == "no_code"
    fresh = codes.issue(LINK, link_expires_at=LINK_END, now=T0 + 302)
    codes.check(LINK, fresh, now=T0 + 303)


def _scenario_five_wrong_codes_lock(codes: VerificationCodes) -> None:
    code = codes.issue(LINK, link_expires_at=LINK_END, now=T0)
    wrong = "000000" if code != "000000" else "111111"
    for left in range(MAX_TRIES - 1, 0, -1):
        refused = _reason(lambda: codes.check(LINK, wrong, now=T0 + 1))
        assert (refused.reason, refused.tries_left) == ("wrong", left)
    assert _reason(lambda: codes.check(LINK, wrong, now=T0 + 1)).reason == "locked"
    assert codes.locked(LINK)
    assert _reason(lambda: codes.check(LINK, code, now=T0 + 2)).reason == "locked"
    assert _reason(lambda: codes.issue(LINK, link_expires_at=LINK_END, now=T0 + 120)).reason == "locked"
    assert not codes.locked("b" * 64)


SCENARIOS = [_scenario_right_code_once, _scenario_resend_limit_and_expiry, _scenario_five_wrong_codes_lock]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_policy_in_memory(scenario: Callable[[VerificationCodes], None]) -> None:
    scenario(InMemoryVerificationCodes())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_policy_in_the_database(sql_engine: Engine, scenario: Callable[[VerificationCodes], None]) -> None:
    scenario(SqlVerificationCodes(sql_engine))


def test_only_a_hash_of_the_code_is_stored(sql_engine: Engine) -> None:
    code = SqlVerificationCodes(sql_engine).issue(LINK, link_expires_at=LINK_END, now=T0)
    with sql_engine.connect() as conn:
        row = conn.execute(sa.select(t.portal_codes)).one()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.failures == 0


def test_a_code_sent_by_one_process_is_checked_by_another(sql_engine: Engine) -> None:
    sender, checker = SqlVerificationCodes(sql_engine), SqlVerificationCodes(sql_engine)
    code = sender.issue(LINK, link_expires_at=LINK_END, now=T0)
    _reason(lambda: checker.check(LINK, "999999" if code != "999999" else "888888", now=T0 + 1))
    checker.check(LINK, code, now=T0 + 2)


def test_concurrent_sends_give_one_code(sql_engine: Engine) -> None:
    codes = SqlVerificationCodes(sql_engine)

    def send(_: int) -> str:
        try:
            return codes.issue(LINK, link_expires_at=LINK_END, now=T0)
        except CodeRefused as refused:
            return refused.reason

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, range(8)))
    assert sum(a.isdigit() for a in answers) == 1
    assert answers.count("too_soon") == 7


def test_concurrent_wrong_codes_are_all_counted(sql_engine: Engine) -> None:
    codes = SqlVerificationCodes(sql_engine)
    code = codes.issue(LINK, link_expires_at=LINK_END, now=T0)
    wrong = "000000" if code != "000000" else "111111"

    def guess(_: int) -> str:
        try:
            codes.check(LINK, wrong, now=T0 + 1)
        except CodeRefused as refused:
            return refused.reason
        return "accepted"

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(guess, range(MAX_TRIES)))
    assert "accepted" not in answers
    assert codes.locked(LINK)
    assert _reason(lambda: codes.check(LINK, code, now=T0 + 2)).reason == "locked"


def test_dead_links_are_forgotten(sql_engine: Engine) -> None:
    codes = SqlVerificationCodes(sql_engine)
    codes.issue(LINK, link_expires_at=T0 + 100, now=T0)
    codes.issue("b" * 64, link_expires_at=LINK_END, now=T0 + 200)
    with sql_engine.connect() as conn:
        assert conn.execute(sa.select(t.portal_codes.c.link)).scalars().all() == ["b" * 64]
