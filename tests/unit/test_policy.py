"""Console settings: the manual's defaults, validation, evolve and (de)serialisation."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

from esign_core.errors import InvalidValue
from esign_core.model.policy import (
    ALL_SECTIONS,
    SECTIONS_BY_NAME,
    AppSettings,
    BrandImages,
    ConversionService,
    ConversionSettings,
    DepartedPolicy,
    DisplaySettings,
    EventPublishing,
    EvidenceSettings,
    LoginSettings,
    MailSettings,
    PasswordPolicy,
    PasswordStrength,
    PhysicalSealSettings,
    PrintMode,
    PrintSettings,
    Section,
    SignerVerification,
    SigningSettings,
    SmsChannelMode,
    SmsSettings,
    StorageSettings,
    SystemParameters,
    VoidPolicy,
    section_class,
)

# -- defaults of the manual --------------------------------------------------------------------


def test_signing_settings_default_to_the_manual() -> None:
    s = SigningSettings()
    assert s.validity_days == 30
    assert s.signer_verification is SignerVerification.DEFAULT
    assert s.require_read_confirmation is True
    assert s.internal_real_name_required is False
    assert s.allow_unfinished_download is False
    assert s.allow_custom_seals is True
    assert s.void_policy is VoidPolicy.OPERATOR_CHOOSES
    assert s.expiry_reminder_enabled is False


def test_display_settings_default_to_screenshot_watermark_on() -> None:
    d = DisplaySettings()
    assert d.screenshot_watermark is True
    assert d.theme_color == "#1677FF"
    assert d.console_name == "电子合同管理控制台"


def test_password_policy_defaults_to_normal_strength_without_rotation() -> None:
    p = PasswordPolicy()
    assert p.strength is PasswordStrength.NORMAL
    assert p.rotation_enabled is False


def test_login_settings_default_to_no_mfa_and_auto_freeze_of_departed_staff() -> None:
    s = LoginSettings()
    assert s.mfa_required is False
    assert s.departed_policy is DepartedPolicy.AUTO_FREEZE


def test_print_sms_and_conversion_default_to_builtin_channels() -> None:
    assert PrintSettings().mode is PrintMode.BROWSER
    assert SmsSettings().channel is SmsChannelMode.PLATFORM
    assert ConversionSettings().service is ConversionService.BUILTIN


def test_evidence_app_and_physical_seal_defaults() -> None:
    assert EvidenceSettings().notary_enabled is False
    app = AppSettings()
    assert app.show_download_entry is True
    assert app.single_device_login is False
    assert PhysicalSealSettings().photos_must_cover_uses is False
    assert PhysicalSealSettings().callback_url == ""


def test_system_parameters_default_to_using_the_external_api() -> None:
    assert SystemParameters().use_external_api is True


def test_mail_settings_default_to_ssl_on_465() -> None:
    m = MailSettings()
    assert (m.smtp_port, m.tls) == (465, "SSL")


# -- from_dict / to_dict -----------------------------------------------------------------------


@pytest.mark.parametrize("cls", ALL_SECTIONS, ids=lambda c: c.SECTION)
def test_every_section_refuses_unknown_keys(cls: type[Section]) -> None:
    with pytest.raises(InvalidValue) as exc:
        cls.from_dict({"no_such_setting": 1})
    assert exc.value.field == "no_such_setting"
    assert cls.SECTION in str(exc.value)


@pytest.mark.parametrize("cls", ALL_SECTIONS, ids=lambda c: c.SECTION)
def test_every_section_defaults_missing_keys(cls: type[Section]) -> None:
    assert cls.from_dict({}) == cls()


@pytest.mark.parametrize("cls", ALL_SECTIONS, ids=lambda c: c.SECTION)
def test_every_section_round_trips_its_defaults_through_json(cls: type[Section]) -> None:
    data = json.loads(json.dumps(cls().to_dict()))
    assert cls.from_dict(data) == cls()


NON_DEFAULT: dict[type[Section], dict[str, Any]] = {
    SigningSettings: {
        "validity_days": 90,
        "signer_verification": "SMS_ONLY",
        "require_read_confirmation": False,
        "internal_real_name_required": True,
        "allow_unfinished_download": True,
        "allow_custom_seals": False,
        "void_policy": "DESTROY_ORIGINAL",
        "expiry_reminder_enabled": True,
        "expiry_reminder_days": 7,
    },
    EvidenceSettings: {"notary_enabled": True},
    PhysicalSealSettings: {"photos_must_cover_uses": True, "callback_url": "https://oa.example.com/seal/callback"},
    AppSettings: {
        "show_download_entry": False,
        "single_device_login": True,
        "ios_url": "https://apps.apple.com/app/id1",
        "android_url": "http://example.com/app.apk",
    },
    PasswordPolicy: {"strength": "VERY_STRONG", "rotation_enabled": True, "rotation_days": 30,
                     "signing_rotation_enabled": True, "signing_rotation_days": 60, "lockout_threshold": 3,
                     "lockout_minutes": 30, "refuse_common": False},
    LoginSettings: {"mfa_required": True, "departed_policy": "FREEZE_IF_NO_FILES"},
    PrintSettings: {"mode": "REMOTE"},
    DisplaySettings: {
        "console_name": "合同控制台",
        "platform_name": "签约平台",
        "english_abbr": "SIGN",
        "short_name": "签约",
        "screenshot_watermark": False,
        "theme_color": "#00aa00",
        "login_background": "custom",
        "custom_css": ".card { border-radius: 0; }",
        "nav_logo_id": "0123456789abcdef",
        "login_logo_id": "",
        "background_id": "fedcba9876543210",
    },
    SystemParameters: {"external_address": "https://sign.example.com", "use_external_api": False},
    ConversionSettings: {"service": "OFFICE", "office_path": "/opt/libreoffice"},
    SmsSettings: {"channel": "OWN", "provider": "aliyun",
                  "config": {"access_key_id": "LTAI", "access_key_secret_secret_ref": "tok"}},
    MailSettings: {
        "sender": "noreply@example.com",
        "smtp_host": "smtp.example.com",
        "smtp_port": 587,
        "tls": "STARTTLS",
        "username": "noreply",
        "password_secret_ref": "secret:mail",
        "timeout": 30,
        "ca_file": "/etc/esign/mail-ca.pem",
    },
    BrandImages: {"nav_logo": "iVBORw0KGgo=", "login_logo": "", "login_background": ""},
    EventPublishing: {"enabled": True},
    StorageSettings: {"backend": "s3", "config": {"bucket": "contracts", "secret_access_key_secret_ref": "tok"}},
}


def test_every_section_has_a_non_default_example() -> None:
    assert set(NON_DEFAULT) == set(ALL_SECTIONS)


@pytest.mark.parametrize("cls", ALL_SECTIONS, ids=lambda c: c.SECTION)
def test_every_section_round_trips_non_default_values(cls: type[Section]) -> None:
    section = cls.from_dict(NON_DEFAULT[cls])
    assert section != cls()
    assert section.to_dict() == NON_DEFAULT[cls]
    assert cls.from_dict(json.loads(json.dumps(section.to_dict()))) == section


def test_to_dict_stores_enums_by_value() -> None:
    assert SigningSettings().to_dict()["signer_verification"] == "DEFAULT"


def test_sections_are_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        SigningSettings().validity_days = 5  # type: ignore[misc]


def test_section_class_finds_sections_by_name() -> None:
    for name, cls in SECTIONS_BY_NAME.items():
        assert section_class(name) is cls
        assert cls.SECTION == name
    assert len(SECTIONS_BY_NAME) == len(ALL_SECTIONS)


def test_section_class_refuses_unknown_section_and_lists_known_ones() -> None:
    with pytest.raises(InvalidValue) as exc:
        section_class("nope")
    assert exc.value.field == "section"
    assert "signing" in str(exc.value)


# -- evolve re-validates -----------------------------------------------------------------------


def test_evolve_returns_a_changed_copy() -> None:
    s = SigningSettings()
    changed = s.evolve(validity_days=60, signer_verification="NONE")
    assert changed.validity_days == 60
    assert changed.signer_verification is SignerVerification.NONE
    assert s.validity_days == 30


@pytest.mark.parametrize("value", [0, -1, 3651, True, "30", 30.0, None])
def test_evolve_refuses_validity_days_outside_one_to_3650(value: object) -> None:
    with pytest.raises(InvalidValue) as exc:
        SigningSettings().evolve(validity_days=value)
    assert exc.value.field == "validity_days"


@pytest.mark.parametrize("value", [1, 3650])
def test_validity_days_bounds_are_inclusive(value: int) -> None:
    assert SigningSettings().evolve(validity_days=value).validity_days == value


@pytest.mark.parametrize("value", ["blue", "#1677F", "#1677FFF", "1677FF", "#12345G", ""])
def test_evolve_refuses_a_theme_colour_that_is_not_hex(value: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        DisplaySettings().evolve(theme_color=value)
    assert exc.value.field == "theme_color"


def test_evolve_refuses_unknown_keys() -> None:
    with pytest.raises(InvalidValue) as exc:
        SigningSettings().evolve(validity=10)
    assert exc.value.field == "validity"


def test_bad_enum_value_names_the_allowed_values() -> None:
    with pytest.raises(InvalidValue) as exc:
        SigningSettings().evolve(signer_verification="FACE")
    assert "'FACE'" in str(exc.value)
    for allowed in ("DEFAULT", "SMS_ONLY", "NONE"):
        assert allowed in str(exc.value)


def test_bad_enum_value_is_reported_on_the_setting_key() -> None:
    with pytest.raises(InvalidValue) as exc:
        SigningSettings().evolve(signer_verification="FACE")
    assert exc.value.field == "signer_verification"


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_booleans_must_be_real_booleans(value: object) -> None:
    with pytest.raises(InvalidValue) as exc:
        EvidenceSettings().evolve(notary_enabled=value)
    assert exc.value.field == "notary_enabled"


@pytest.mark.parametrize("url", ["ftp://example.com/app", "example.com", "https://", "http:// spaced"])
def test_app_download_addresses_must_be_http(url: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        AppSettings().evolve(ios_url=url)
    assert exc.value.field == "ios_url"


@pytest.mark.parametrize("name", ["", "   ", "x" * 31])
def test_console_name_is_one_to_thirty_characters(name: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        DisplaySettings().evolve(console_name=name)
    assert exc.value.field == "console_name"


def test_mail_tls_and_port_are_checked() -> None:
    with pytest.raises(InvalidValue) as exc:
        MailSettings().evolve(tls="TLS1.3")
    assert exc.value.field == "tls"
    with pytest.raises(InvalidValue) as exc:
        MailSettings().evolve(smtp_port=70000)
    assert exc.value.field == "smtp_port"


def test_mail_settings_repr_hides_the_password_reference() -> None:
    mail = MailSettings(password_secret_ref="vault:mail-password-4711")
    assert "vault:mail-password-4711" not in repr(mail)
    assert "password_secret_ref" not in repr(mail)


# -- password strength -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "strength, password",
    [
        (PasswordStrength.NORMAL, "kfcq7293"),
        (PasswordStrength.NORMAL, "KFCQ7293"),
        (PasswordStrength.NORMAL, "密码很长abc12345"),
        (PasswordStrength.STRONG, "Abcdefgh12"),
        (PasswordStrength.VERY_STRONG, "Abcdefgh12!x"),
        (PasswordStrength.VERY_STRONG, "Abcd efgh 12"),
    ],
)
def test_password_meeting_the_strength_is_accepted(strength: PasswordStrength, password: str) -> None:
    PasswordPolicy(strength=strength).check(password)  # raises if refused


@pytest.mark.parametrize(
    "strength, password, missing",
    [
        (PasswordStrength.NORMAL, "abc1234", ["at least 8 characters"]),
        (PasswordStrength.NORMAL, "abcdefgh", ["a digit"]),
        (PasswordStrength.NORMAL, "12345678", ["a letter"]),
        (PasswordStrength.NORMAL, "abc", ["at least 8 characters", "a digit"]),
        (PasswordStrength.NORMAL, "a1" * 65, ["at most 128 characters"]),
        (PasswordStrength.STRONG, "Abcdefg12", ["at least 10 characters"]),
        (PasswordStrength.STRONG, "abcdefgh12", ["an upper-case letter"]),
        (PasswordStrength.STRONG, "ABCDEFGH12", ["a lower-case letter"]),
        (PasswordStrength.STRONG, "Abcdefghij", ["a digit"]),
        (PasswordStrength.VERY_STRONG, "Abcdefgh1234", ["a symbol"]),
        (PasswordStrength.VERY_STRONG, "Abc1!", ["at least 12 characters"]),
        (PasswordStrength.VERY_STRONG, "abcdefghijkl", ["an upper-case letter", "a digit", "a symbol"]),
    ],
)
def test_weak_password_is_refused_naming_what_is_missing(
    strength: PasswordStrength, password: str, missing: list[str]
) -> None:
    with pytest.raises(InvalidValue) as exc:
        PasswordPolicy(strength=strength).check(password)
    message = str(exc.value)
    assert exc.value.field == "password"
    assert strength.value in message
    for part in missing:
        assert part in message


def test_password_strong_enough_for_normal_is_refused_at_very_strong() -> None:
    PasswordPolicy().check("kfcq7293")
    with pytest.raises(InvalidValue):
        PasswordPolicy(strength=PasswordStrength.VERY_STRONG).check("kfcq7293")


def test_password_check_reports_on_the_given_field() -> None:
    with pytest.raises(InvalidValue) as exc:
        PasswordPolicy().check("short", field="admin_password")
    assert exc.value.field == "admin_password"


@pytest.mark.parametrize("password", ["password1", "Password1", "qwerty123", "abcd1234", "iloveyou1"])
def test_common_passwords_are_refused_whatever_their_case(password: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        PasswordPolicy().check(password)
    assert exc.value.fields["rule"] == "COMMON"


def test_common_passwords_are_accepted_when_the_check_is_switched_off() -> None:
    PasswordPolicy(refuse_common=False).check("password1")


def test_the_shipped_list_holds_ten_thousand_passwords() -> None:
    from esign_core.model.policy import _common_passwords

    assert len(_common_passwords()) >= 9900
    assert "123456" in _common_passwords()


def test_login_password_expires_after_the_period_only_when_rotation_is_on() -> None:
    from datetime import UTC, datetime, timedelta

    changed = datetime(2026, 1, 1, tzinfo=UTC)
    assert not PasswordPolicy().login_password_expired(changed, changed + timedelta(days=400))
    policy = PasswordPolicy(rotation_enabled=True, rotation_days=30)
    assert not policy.login_password_expired(changed, changed + timedelta(days=29))
    assert policy.login_password_expired(changed, changed + timedelta(days=30))
    signing = PasswordPolicy(signing_rotation_enabled=True, signing_rotation_days=60)
    assert signing.signing_password_expired(changed, changed + timedelta(days=60))
    assert not signing.login_password_expired(changed, changed + timedelta(days=60))
