"""App access (集成中心 → 应用接入) on the fakes: app management, both request-signature schemes
with their time window and replay store, the IP lists, callable seals and single-sign-on tickets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from esign_core.errors import AlreadyExists, InvalidValue
from esign_core.model.audit import AuditQuery
from esign_core.model.integration import AuthScheme, IntegrationApp, SealNotCallable, SealScope
from esign_core.model.open_signing import (
    body_sha256,
    canonical_path,
    canonical_query,
    canonical_request,
    hmac_signature,
    sign_request,
)
from esign_core.model.sso_ticket import issue_ticket
from esign_core.services.audit import search_audit
from esign_core.services.integration import (
    AuthenticateApp,
    ChangeApp,
    CreateApp,
    OpenAuthRefused,
    ResetAppSecret,
    authenticate_app,
    change_app,
    create_app,
    request_signature,
    reset_app_secret,
)
from esign_core.services.sso import RedeemSsoTicket, SsoTicketRefused, redeem_sso_ticket
from esign_core.testing.fake_replay import InMemoryReplayGuard
from esign_core.testing.fakes import TestPlatform, XorSecretBox

BOX = XorSecretBox()
NONCE = "n0nce-0123456789abcdef"


@pytest.fixture
def replays() -> InMemoryReplayGuard:
    return InMemoryReplayGuard()


@pytest.fixture
def app(platform: TestPlatform, initialized):  # type: ignore[no-untyped-def]
    return create_app(CreateApp(name="ERP"), uow=platform.uow, ids=platform.ids, clock=platform.clock, secrets=BOX)


def _now_ms(platform: TestPlatform) -> int:
    return int(platform.clock.now().timestamp() * 1000)


def _qys(platform: TestPlatform, replays: InMemoryReplayGuard, token: str, secret: str, *, ts: str | None = None,
         peer: str = "192.0.2.10") -> IntegrationApp:
    ts = ts if ts is not None else str(_now_ms(platform))
    command = AuthenticateApp(app_token=token, timestamp=ts, signature=request_signature(token, secret, ts), peer=peer)
    return authenticate_app(command, uow=platform.uow, clock=platform.clock, secrets=BOX, replays=replays)


def _hmac_command(platform: TestPlatform, token: str, secret: str, *, nonce: str = NONCE, ts: str | None = None,
                  method: str = "POST", path: str = "/contract/send", query: str = "a=1&b=2",
                  body: bytes = b'{"contractId":"1"}', peer: str = "192.0.2.10") -> AuthenticateApp:
    ts = ts if ts is not None else str(_now_ms(platform))
    headers = sign_request(token, secret, method, path, query=query, body=body, timestamp=ts, nonce=nonce)
    return AuthenticateApp(app_token=token, timestamp=ts, signature=headers["x-esign-signature"], nonce=nonce,
                           scheme=AuthScheme.HMAC_SHA256, peer=peer, method=method, path=path, query=query,
                           body_sha256=body_sha256(body))


def _auth(platform: TestPlatform, replays: InMemoryReplayGuard, command: AuthenticateApp) -> IntegrationApp:
    return authenticate_app(command, uow=platform.uow, clock=platform.clock, secrets=BOX, replays=replays)


def _refused(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(OpenAuthRefused) as caught:
        call()
    assert caught.value.fields["api_code"] == 1000000
    return caught.value.reason


def _change(platform: TestPlatform, app_id: int, **changes) -> IntegrationApp:  # type: ignore[no-untyped-def]
    return change_app(ChangeApp(app_id=app_id, **changes), uow=platform.uow, clock=platform.clock)


# -- app management -------------------------------------------------------------------------

def test_an_app_name_is_required_and_at_most_30_characters(platform: TestPlatform, initialized) -> None:  # type: ignore[no-untyped-def]
    ok = create_app(CreateApp(name="名" * 30), uow=platform.uow, ids=platform.ids, clock=platform.clock, secrets=BOX)
    assert ok.app_token
    for bad in ("", "   ", "名" * 31):
        with pytest.raises(InvalidValue) as caught:
            create_app(CreateApp(name=bad), uow=platform.uow, ids=platform.ids, clock=platform.clock, secrets=BOX)
        assert caught.value.fields["field"] == "name"
    assert "30" in str(caught.value)


def test_a_reset_secret_works_at_once_and_the_old_one_does_not(platform: TestPlatform, app, replays) -> None:  # type: ignore[no-untyped-def]
    new = reset_app_secret(ResetAppSecret(app_id=app.app_id), uow=platform.uow, clock=platform.clock, secrets=BOX)
    assert new.app_secret != app.app_secret and new.app_token == app.app_token
    assert new.app_secret not in repr(new)
    assert _refused(lambda: _qys(platform, replays, app.app_token, app.app_secret)) == "signature"
    platform.clock.advance(milliseconds=1)
    assert _qys(platform, replays, app.app_token, new.app_secret).id == app.app_id


def test_changes_are_validated_and_audited(platform: TestPlatform, app) -> None:  # type: ignore[no-untyped-def]
    for bad in ({"ip_allow": ["10.0.0.300"]}, {"ip_deny": ["not-an-ip"]}, {"personal_auth_url": "ftp://x"},
                {"schemes": frozenset()}, {"name": "x" * 31}):
        with pytest.raises(InvalidValue):
            _change(platform, app.app_id, **bad)
    create_app(CreateApp(name="CRM"), uow=platform.uow, ids=platform.ids, clock=platform.clock, secrets=BOX)
    with pytest.raises(AlreadyExists):
        _change(platform, app.app_id, name="CRM")
    changed = _change(platform, app.app_id, ip_allow=["10.0.0.7", "10.1.0.0/16", "2001:db8::/32"],
                      personal_auth_url="https://oa.example.com/auth/person", sso_enabled=True)
    assert changed.ip_allow == ("10.0.0.7/32", "10.1.0.0/16", "2001:db8::/32")
    with platform.uow as uow:
        stored = uow.apps.get(app.app_id)
    assert stored.sso_enabled and stored.personal_auth_url == "https://oa.example.com/auth/person"
    entries = search_audit(AuditQuery(section="integration.apps"), uow=platform.uow)
    assert {e.summary.split()[0] for e in entries} >= {"create", "change"}
    assert all(app.app_secret not in str(e.changes) for e in entries)


# -- IP lists ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("allow", "deny", "peer", "allowed"), [
    ((), (), "203.0.113.9", True),
    (("192.0.2.0/24",), (), "192.0.2.77", True),
    (("192.0.2.0/24",), (), "198.51.100.1", False),
    (("192.0.2.0/24",), ("192.0.2.77",), "192.0.2.77", False),  # deny wins
    ((), ("192.0.2.0/24",), "192.0.2.5", False),
    ((), ("192.0.2.0/24",), "198.51.100.1", True),
    (("2001:db8::/32",), (), "2001:db8::1", True),
    (("2001:db8::/32",), (), "2001:db9::1", False),
    (("192.0.2.1",), (), "::ffff:192.0.2.1", True),  # IPv4-mapped IPv6 is the IPv4 address
    (("192.0.2.1",), (), "testclient", False),  # an unparsable peer never passes a list
])
def test_ip_lists_allow_and_deny(allow, deny, peer, allowed) -> None:  # type: ignore[no-untyped-def]
    app = IntegrationApp(id=1, name="x", app_token="t", sealed_secret="s", tenant_id=1,
                         created_at=datetime(2026, 1, 1, tzinfo=UTC))
    app.set_ip_lists(allow=allow, deny=deny)
    assert app.ip_allowed(peer) is allowed


def test_a_denied_address_is_refused_even_with_a_valid_signature(platform: TestPlatform, app, replays) -> None:  # type: ignore[no-untyped-def]
    _change(platform, app.app_id, ip_allow=["192.0.2.0/24"], ip_deny=["192.0.2.66"])
    assert _qys(platform, replays, app.app_token, app.app_secret, peer="192.0.2.10").name == "ERP"
    platform.clock.advance(milliseconds=1)
    assert _refused(lambda: _qys(platform, replays, app.app_token, app.app_secret, peer="192.0.2.66")) == "ip"
    platform.clock.advance(milliseconds=1)
    assert _refused(lambda: _qys(platform, replays, app.app_token, app.app_secret, peer="198.51.100.1")) == "ip"


# -- x-qys-* ----------------------------------------------------------------------------------

def test_a_qys_signature_is_accepted_once(platform: TestPlatform, app, replays) -> None:  # type: ignore[no-untyped-def]
    ts = str(_now_ms(platform))
    assert _qys(platform, replays, app.app_token, app.app_secret, ts=ts).name == "ERP"
    assert _refused(lambda: _qys(platform, replays, app.app_token, app.app_secret, ts=ts)) == "replay"


@pytest.mark.parametrize(("offset_ms", "accepted"), [(-300_000, True), (300_000, True), (-300_001, False),
                                                     (300_001, False)])
def test_the_timestamp_window_is_five_minutes_each_way(platform: TestPlatform, app, replays, offset_ms: int,
                                                       accepted: bool) -> None:
    ts = str(_now_ms(platform) + offset_ms)
    if accepted:
        assert _qys(platform, replays, app.app_token, app.app_secret, ts=ts).name == "ERP"
    else:
        assert _refused(lambda: _qys(platform, replays, app.app_token, app.app_secret, ts=ts)) == "timestamp"


def test_wrong_secret_and_unknown_token_give_the_same_answer(platform: TestPlatform, app, replays) -> None:  # type: ignore[no-untyped-def]
    assert _refused(lambda: _qys(platform, replays, app.app_token, "x" * 64)) == "signature"
    assert _refused(lambda: _qys(platform, replays, "unknown", app.app_secret)) == "signature"


def test_the_legacy_switch_skips_the_window_and_the_replay_check(platform: TestPlatform, app, replays) -> None:  # type: ignore[no-untyped-def]
    assert _refused(lambda: _qys(platform, replays, app.app_token, app.app_secret, ts="0")) == "timestamp"
    _change(platform, app.app_id, legacy_static_signature=True)
    for _ in range(2):
        assert _qys(platform, replays, app.app_token, app.app_secret, ts="0").name == "ERP"
    _change(platform, app.app_id, legacy_static_signature=False)
    assert _refused(lambda: _qys(platform, replays, app.app_token, app.app_secret, ts="0")) == "timestamp"


def test_a_disabled_app_and_a_scheme_switched_off_are_refused(platform: TestPlatform, app, replays) -> None:  # type: ignore[no-untyped-def]
    _change(platform, app.app_id, schemes=frozenset({AuthScheme.HMAC_SHA256}))
    assert _refused(lambda: _qys(platform, replays, app.app_token, app.app_secret)) == "scheme"
    assert _auth(platform, replays, _hmac_command(platform, app.app_token, app.app_secret)).name == "ERP"
    _change(platform, app.app_id, enabled=False)
    assert _refused(lambda: _auth(platform, replays, _hmac_command(platform, app.app_token, app.app_secret,
                                                                   nonce="another-nonce-000001"))) == "disabled"


# -- x-esign-* HMAC ---------------------------------------------------------------------------

def test_the_canonical_string_of_the_documented_example() -> None:
    # docs/open-api.md, "Worked example": keep both in step.
    body = b'{"contractId":"3001"}'
    assert body_sha256(body) == "618e3a8f1ec64cc312c31f25d279dc02d42b4ad66062cb15d089853ce2cb2e94"
    canonical = canonical_request("POST", canonical_path("/contract/send"), canonical_query("b=2&a=1&a=0"),
                                  "1767225600000", "k3Jv8sQw2mZp7LxN4cTb", body_sha256(body))
    assert canonical == ("ESIGN-HMAC-SHA256\nPOST\n/contract/send\na=0&a=1&b=2\n1767225600000\n"
                         "k3Jv8sQw2mZp7LxN4cTb\n618e3a8f1ec64cc312c31f25d279dc02d42b4ad66062cb15d089853ce2cb2e94")
    assert hmac_signature("9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c", canonical) == \
        "37338bcaf72abfa87d964b6eb428b40bd312a886811e25977e5ffc29195b6704"
    assert canonical_query("q=a+b&x=%2F&y") == "q=a%20b&x=%2F&y="
    assert canonical_path("/open%20api/合同") == "/open%20api/%E5%90%88%E5%90%8C"


def test_an_hmac_request_is_accepted_once_per_nonce(platform: TestPlatform, app, replays) -> None:  # type: ignore[no-untyped-def]
    assert _auth(platform, replays, _hmac_command(platform, app.app_token, app.app_secret)).name == "ERP"
    platform.clock.advance(seconds=1)
    assert _refused(lambda: _auth(platform, replays, _hmac_command(platform, app.app_token, app.app_secret))) \
        == "replay"
    assert _refused(lambda: _auth(platform, replays, _hmac_command(platform, app.app_token, app.app_secret,
                                                                   nonce="short"))) == "nonce"


@pytest.mark.parametrize("field", ["method", "path", "query", "body_sha256", "timestamp", "nonce"])
def test_every_bound_part_of_an_hmac_request_is_checked(platform: TestPlatform, app, replays, field: str) -> None:  # type: ignore[no-untyped-def]
    import attrs

    good = _hmac_command(platform, app.app_token, app.app_secret)
    tampered = {"method": "GET", "path": "/contract/delete", "query": "a=1&b=3",
                "body_sha256": body_sha256(b'{"contractId":"2"}'), "timestamp": str(int(good.timestamp) + 1),
                "nonce": "n0nce-0123456789abcdeX"}[field]
    assert _refused(lambda: _auth(platform, replays, attrs.evolve(good, **{field: tampered}))) == "signature"
    assert _auth(platform, replays, good).name == "ERP"  # the untouched request still passes


def test_hmac_query_order_and_encoding_do_not_matter(platform: TestPlatform, app, replays) -> None:  # type: ignore[no-untyped-def]
    import attrs

    good = _hmac_command(platform, app.app_token, app.app_secret, query="b=2&a=1")
    assert _auth(platform, replays, attrs.evolve(good, query="a=1&b=%32")).name == "ERP"


# -- callable seals ---------------------------------------------------------------------------

def test_a_custom_seal_list_limits_the_seals_an_app_may_use() -> None:
    app = IntegrationApp(id=1, name="x", app_token="t", sealed_secret="s", tenant_id=1,
                         created_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert app.may_use_seal(42)
    app.set_callable_seals(SealScope.CUSTOM, [7])
    assert app.may_use_seal(7) and not app.may_use_seal(42)
    with pytest.raises(SealNotCallable) as caught:
        app.check_seal(42, "合同专用章")
    assert caught.value.code == "open.seal_not_callable" and caught.value.fields["seal_name"] == "合同专用章"
    app.set_callable_seals(SealScope.ALL_INTERNAL, [7])
    assert app.may_use_seal(42) and app.callable_seal_ids == frozenset()


# -- single sign-on tickets ---------------------------------------------------------------------

def _redeem(platform: TestPlatform, replays: InMemoryReplayGuard, ticket: str):  # type: ignore[no-untyped-def]
    return redeem_sso_ticket(RedeemSsoTicket(ticket=ticket), uow=platform.uow, clock=platform.clock, secrets=BOX,
                             replays=replays)


def _sso_reason(platform: TestPlatform, replays: InMemoryReplayGuard, ticket: str) -> str:
    with pytest.raises(SsoTicketRefused) as caught:
        _redeem(platform, replays, ticket)
    return caught.value.reason


def test_sso_tickets_are_refused_until_the_app_may_sign_users_on(platform: TestPlatform, app, replays) -> None:  # type: ignore[no-untyped-def]
    exp = int(platform.clock.now().timestamp()) + 60
    ticket = issue_ticket(app.app_token, app.app_secret, account="13800138000", contract_id=1, expires_at=exp,
                          nonce=NONCE)
    assert _sso_reason(platform, replays, ticket) == "disabled"
    _change(platform, app.app_id, sso_enabled=True)
    assert _sso_reason(platform, replays, ticket) == "contract"  # no such contract
    forged = issue_ticket(app.app_token, "f" * 64, account="13800138000", contract_id=1, expires_at=exp, nonce=NONCE)
    assert _sso_reason(platform, replays, forged) == "invalid"
    assert _sso_reason(platform, replays, "garbage") == "invalid"
    too_long = issue_ticket(app.app_token, app.app_secret, account="13800138000", contract_id=1,
                            expires_at=exp + 300, nonce=NONCE)
    assert _sso_reason(platform, replays, too_long) == "lifetime"
    platform.clock.advance(seconds=61)
    assert _sso_reason(platform, replays, ticket) == "expired"
    unknown = issue_ticket(app.app_token, app.app_secret, account="13900000000", contract_id=1,
                           expires_at=exp + 120, nonce=NONCE)
    assert _sso_reason(platform, replays, unknown) == "account"


def test_trusted_proxies_come_from_the_environment_or_esign_toml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from esign_adapters.settings import Settings
    from esign_core.errors import ConfigurationError

    assert Settings.load(tmp_path, env={}).trusted_proxies == ()
    loaded = Settings.load(tmp_path, env={"ESIGN_TRUSTED_PROXIES": "10.0.0.5, 2001:db8::/32"})
    assert loaded.trusted_proxies == ("10.0.0.5/32", "2001:db8::/32")
    (tmp_path / "esign.toml").write_text('[server]\ntrusted_proxies = ["192.0.2.0/24"]\n')
    assert Settings.load(tmp_path, env={}).trusted_proxies == ("192.0.2.0/24",)
    with pytest.raises(ConfigurationError):
        Settings.load(tmp_path, env={"ESIGN_TRUSTED_PROXIES": "proxy.local"})
