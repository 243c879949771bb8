"""The signing password in the portal (manual 三.1.2 "signing password or SMS code"): set after an
SMS check, then accepted instead of a code; wrong passwords share the link's 5 tries; refused when
the settings ask for SMS codes only."""

from __future__ import annotations

from http_flows import csrf_of
from test_portal import ID_NUMBER, contract_status, drawn_signature, portal, set_section, verify

from esign_core.model.contract import ContractStatus
from esign_core.model.policy import SignerVerification, SigningSettings

__all__ = ["portal"]  # the fixture, shared with test_portal.py
PASSWORD = "Qm7pLx2026"


def _set_password(client, platform, path: str, token: str) -> None:  # type: ignore[no-untyped-def]
    verify(client, platform, path, token)
    page = client.get(path)
    assert 'id="password-set-form"' in page.text
    differ = client.post("/portal/password/set", data={"_csrf_token": csrf_of(page.text), "viewToken": token,
                                                        "password": PASSWORD, "password_again": "other-1"})
    assert "两次输入的签署密码不一致" in differ.text
    done = client.post("/portal/password/set", data={"_csrf_token": csrf_of(page.text), "viewToken": token,
                                                      "password": PASSWORD, "password_again": PASSWORD})
    assert "签署密码已设置" in done.text


def _new_browser(client) -> None:  # type: ignore[no-untyped-def]
    client.cookies.clear()


def test_a_signer_sets_a_signing_password_and_signs_with_it(portal) -> None:  # type: ignore[no-untyped-def]
    client, platform, token, path = portal["client"], portal["platform"], portal["token"], portal["path"]
    _set_password(client, platform, path, token)
    _new_browser(client)
    page = client.get(path)
    assert 'id="password-form"' in page.text
    wrong = client.post("/portal/password/verify", data={"_csrf_token": csrf_of(page.text), "viewToken": token,
                                                         "password": "wrong-password"})
    assert wrong.status_code == 400 and "签署密码错误，还可尝试 4 次" in wrong.text
    right = client.post("/portal/password/verify", data={"_csrf_token": csrf_of(wrong.text), "viewToken": token,
                                                         "password": PASSWORD}, follow_redirects=False)
    assert right.status_code in (302, 303), right.text
    page = client.get(path)
    signed = client.post("/portal/sign", data={"_csrf_token": csrf_of(page.text), "viewToken": token,
                                               "confirm": "on", "signature_mode": "drawn",
                                               "signature_data": drawn_signature(), "id_number": ID_NUMBER},
                              follow_redirects=False)
    assert signed.status_code in (302, 303), signed.text
    assert contract_status(platform, portal["contract_id"]) is ContractStatus.COMPLETE
    with platform.uow() as uow:
        checks = [e.record.details.get("verification") for e in uow.evidence.entries(contract_id=portal["contract_id"])
                  if e.record.action == "contract.signed"]
        user = uow.users.by_account("13900139002")
    assert checks == ["SIGNING_PASSWORD"]
    assert user is not None and PASSWORD not in (user.signing_password_hash or "") and "signing_password" not in repr(
        user)


def test_wrong_signing_passwords_lock_the_link_like_wrong_codes(portal) -> None:  # type: ignore[no-untyped-def]
    client, platform, token, path = portal["client"], portal["platform"], portal["token"], portal["path"]
    _set_password(client, platform, path, token)
    _new_browser(client)
    page = client.get(path)
    for _ in range(5):
        answer = client.post("/portal/password/verify", data={"_csrf_token": csrf_of(page.text),
                                                              "viewToken": token, "password": "wrong-password"})
    assert answer.status_code == 423 and "已被锁定" in answer.text
    right = client.post("/portal/password/verify", data={"_csrf_token": csrf_of(page.text), "viewToken": token,
                                                         "password": PASSWORD})
    assert right.status_code == 423
    assert client.get(path).text.count('id="password-form"') == 0


def test_with_sms_codes_only_the_password_is_neither_offered_nor_accepted(portal) -> None:  # type: ignore[no-untyped-def]
    client, platform, token, path = portal["client"], portal["platform"], portal["token"], portal["path"]
    _set_password(client, platform, path, token)
    with platform.uow() as uow:
        current = uow.settings.get(SigningSettings)
    import attrs

    set_section(platform, attrs.evolve(current, signer_verification=SignerVerification.SMS_ONLY))
    _new_browser(client)
    page = client.get(path)
    assert 'id="password-form"' not in page.text
    refused = client.post("/portal/password/verify", data={"_csrf_token": csrf_of(page.text), "viewToken": token,
                                                           "password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 400
    assert client.get(path, follow_redirects=False).text.count("获取验证码") == 1
