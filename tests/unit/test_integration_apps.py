"""Integration apps and the open-API request signature (reference §1.2), on the fakes."""

from __future__ import annotations

import pytest

from esign_core.errors import AlreadyExists, AuthenticationFailed
from esign_core.model.integration import APP_SECRET_PURPOSE
from esign_core.services.integration import (
    AuthenticateApp,
    CreateApp,
    authenticate_app,
    create_app,
    request_signature,
)
from esign_core.testing.fake_replay import InMemoryReplayGuard
from esign_core.testing.fakes import TestPlatform, XorSecretBox

BOX = XorSecretBox()
REPLAYS = InMemoryReplayGuard()


@pytest.fixture
def credentials(platform: TestPlatform, initialized):  # type: ignore[no-untyped-def]
    return create_app(CreateApp(name="ERP"), uow=platform.uow, ids=platform.ids, clock=platform.clock, secrets=BOX)


def _auth(platform: TestPlatform, token: str, secret: str, ts: str | None = None):  # type: ignore[no-untyped-def]
    ts = ts if ts is not None else str(int(platform.clock.now().timestamp() * 1000))
    command = AuthenticateApp(app_token=token, timestamp=ts, signature=request_signature(token, secret, ts))
    return authenticate_app(command, uow=platform.uow, clock=platform.clock, secrets=BOX, replays=REPLAYS)


def test_the_secret_is_stored_only_sealed_and_never_printed(platform: TestPlatform, credentials) -> None:  # type: ignore[no-untyped-def]
    with platform.uow as uow:
        app = uow.apps.by_token(credentials.app_token)
        platform_org = uow.organizations.platform()
    assert app is not None and credentials.app_secret not in app.sealed_secret
    assert BOX.open(app.sealed_secret, purpose=APP_SECRET_PURPOSE).decode() == credentials.app_secret
    assert credentials.app_secret not in repr(app) and credentials.app_secret not in repr(credentials)
    assert app.tenant_id == platform_org.id and app.member_id == platform_org.admin_member_id


def test_a_correctly_signed_fresh_request_authenticates(platform: TestPlatform, credentials) -> None:  # type: ignore[no-untyped-def]
    assert _auth(platform, credentials.app_token, credentials.app_secret).name == "ERP"


def test_the_signature_is_md5_of_token_secret_and_timestamp_in_lowercase_hex() -> None:
    assert request_signature("a", "b", "1") == "68b6a776378decbb4a79cda89087c4ce"


@pytest.mark.parametrize("case", ["bad secret", "unknown token", "stale", "future", "static", "not a number"])
def test_refused_requests_raise_authentication_failed(platform: TestPlatform, credentials, case: str) -> None:  # type: ignore[no-untyped-def]
    now_ms = int(platform.clock.now().timestamp() * 1000)
    token, secret, ts = credentials.app_token, credentials.app_secret, None
    if case == "bad secret":
        secret = "x" * 64
    elif case == "unknown token":
        token = "nope"
    elif case == "stale":
        ts = str(now_ms - 301_000)
    elif case == "future":
        ts = str(now_ms + 301_000)
    elif case == "static":
        ts = "0"
    else:
        ts = "yesterday"
    with pytest.raises(AuthenticationFailed) as raised:
        _auth(platform, token, secret, ts)
    assert raised.value.fields["api_code"] == 1000000


def test_a_disabled_app_is_refused(platform: TestPlatform, credentials) -> None:  # type: ignore[no-untyped-def]
    with platform.uow as uow:
        uow.apps.by_token(credentials.app_token).disable()
        uow.commit()
    with pytest.raises(AuthenticationFailed):
        _auth(platform, credentials.app_token, credentials.app_secret)


def test_the_static_timestamp_is_accepted_only_for_a_legacy_app(platform: TestPlatform, initialized) -> None:  # type: ignore[no-untyped-def]
    legacy = create_app(CreateApp(name="old", legacy_static_signature=True), uow=platform.uow, ids=platform.ids,
                        clock=platform.clock, secrets=BOX)
    assert _auth(platform, legacy.app_token, legacy.app_secret, "0").name == "old"


def test_app_names_are_unique(platform: TestPlatform, credentials) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AlreadyExists):
        create_app(CreateApp(name="ERP"), uow=platform.uow, ids=platform.ids, clock=platform.clock, secrets=BOX)
