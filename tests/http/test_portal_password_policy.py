"""The password policy applies to signing passwords (issue 6, ADR 0037): the strength level and
the common-password list when one is set, and the forced periodic change: once the policy's
signing-password period has passed, the right password is refused with a clear message and the
signer verifies by SMS and sets a new one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from http_flows import csrf_of
from test_portal import portal, set_section, verify
from test_portal_password import PASSWORD, _new_browser, _set_password

from esign_core.model.policy import PasswordPolicy, PasswordStrength
from esign_core.services.signing_password import SetSigningPassword

__all__ = ["portal"]


def _try_set(client, path: str, token: str, password: str):  # type: ignore[no-untyped-def]
    page = client.get(path)
    return client.post("/portal/password/set", data={"_csrf_token": csrf_of(page.text), "viewToken": token,
                                                     "password": password, "password_again": password})


def test_the_strength_level_and_the_common_list_apply_to_signing_passwords(portal) -> None:  # type: ignore[no-untyped-def]
    client, platform, token, path = portal["client"], portal["platform"], portal["token"], portal["path"]
    set_section(platform, PasswordPolicy(strength=PasswordStrength.STRONG))
    verify(client, platform, path, token)
    weak = _try_set(client, path, token, "abcdef12")
    assert "密码强度不足" in weak.text and "至少 10 位" in weak.text
    common = _try_set(client, path, token, "Password123")
    assert "常见" in common.text and "签署密码已设置" not in common.text
    with platform.uow() as uow:
        assert uow.users.by_account("13900139002") is None or uow.users.by_account(
            "13900139002").signing_password_hash is None
    done = _try_set(client, path, token, PASSWORD)
    assert "签署密码已设置" in done.text
    with platform.uow() as uow:
        user = uow.users.by_account("13900139002")
    assert user is not None and user.signing_password_changed_at is not None


def _age_password(platform, days: int) -> None:  # type: ignore[no-untyped-def]
    with platform.uow() as uow:
        user = uow.users.by_account("13900139002")
        user.signing_password_changed_at = datetime.now(UTC) - timedelta(days=days)
        uow.commit()


def _password_verify(client, path: str, token: str, password: str, **kw):  # type: ignore[no-untyped-def]
    page = client.get(path)
    return client.post("/portal/password/verify", data={"_csrf_token": csrf_of(page.text), "viewToken": token,
                                                         "password": password}, **kw)


def test_an_expired_signing_password_is_refused_until_a_new_one_is_set(portal) -> None:  # type: ignore[no-untyped-def]
    client, platform, token, path = portal["client"], portal["platform"], portal["token"], portal["path"]
    # set earlier (as _set_password does through the portal), so that this link's SMS step is still free
    platform.handle(SetSigningPassword(account="13900139002", password=PASSWORD, name="王五"))
    set_section(platform, PasswordPolicy(signing_rotation_enabled=True, signing_rotation_days=30))
    _age_password(platform, 29)
    _new_browser(client)
    fresh = _password_verify(client, path, token, PASSWORD, follow_redirects=False)
    assert fresh.status_code in (302, 303), fresh.text  # inside the period: accepted
    _new_browser(client)
    _age_password(platform, 31)
    wrong = _password_verify(client, path, token, "wrong-password")
    assert wrong.status_code == 400 and "签署密码错误" in wrong.text  # a wrong one says only "wrong"
    expired = _password_verify(client, path, token, PASSWORD, follow_redirects=False)
    assert expired.status_code == 403
    assert "签署密码已超过 30 天未修改，已过期" in expired.text and "短信验证码" in expired.text
    assert 'id="password-set-form"' not in client.get(path).text  # not verified: no way around the SMS
    client.cookies.set("esign_lang", "en")
    english = _password_verify(client, path, token, PASSWORD)
    assert "has expired (not changed for 30 days)" in english.text and "SMS" in english.text
    client.cookies.delete("esign_lang")
    verify(client, platform, path, token)
    assert "签署密码已设置" in _try_set(client, path, token, "Nw8kRt2027").text
    _new_browser(client)
    again = _password_verify(client, path, token, "Nw8kRt2027", follow_redirects=False)
    assert again.status_code in (302, 303), again.text


def test_without_the_forced_change_an_old_signing_password_still_works(portal) -> None:  # type: ignore[no-untyped-def]
    client, platform, token, path = portal["client"], portal["platform"], portal["token"], portal["path"]
    _set_password(client, platform, path, token)
    _age_password(platform, 3650)
    _new_browser(client)
    assert _password_verify(client, path, token, PASSWORD, follow_redirects=False).status_code in (302, 303)
