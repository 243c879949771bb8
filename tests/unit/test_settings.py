"""Changing console settings through the bus: form strings are coerced, bad input refused."""

from __future__ import annotations

import pytest

from esign_core.errors import InvalidValue
from esign_core.model.policy import (
    DisplaySettings,
    PasswordPolicy,
    PasswordStrength,
    SignerVerification,
    SigningSettings,
)
from esign_core.services.commands import ChangeSettings
from esign_core.services.settings import get_settings
from esign_core.testing import InMemoryUnitOfWork
from esign_core.testing.fakes import TestPlatform


def stored(platform: TestPlatform, section: str) -> object:
    return get_settings(section, uow=InMemoryUnitOfWork(platform.uow.db))


def test_unsaved_section_reads_as_its_defaults(platform: TestPlatform) -> None:
    assert stored(platform, "signing") == SigningSettings()


def test_change_settings_coerces_form_strings_and_stores_the_section(platform: TestPlatform) -> None:
    updated = platform.bus.handle(
        ChangeSettings(
            "signing",
            {
                "validity_days": "30 ",
                "expiry_reminder_enabled": "true",
                "require_read_confirmation": "off",
                "expiry_reminder_days": "7",
                "signer_verification": "SMS_ONLY",
            },
        )
    )
    expected = SigningSettings(
        expiry_reminder_enabled=True,
        require_read_confirmation=False,
        expiry_reminder_days=7,
        signer_verification=SignerVerification.SMS_ONLY,
    )
    assert updated == expected
    assert stored(platform, "signing") == expected


@pytest.mark.parametrize(
    "raw, value",
    [
        ("true", True),
        ("TRUE", True),
        ("on", True),
        ("1", True),
        ("yes", True),
        ("false", False),
        ("Off", False),
        ("0", False),
        ("no", False),
    ],
)
def test_boolean_form_values_are_understood(platform: TestPlatform, raw: str, value: bool) -> None:
    assert platform.bus.handle(ChangeSettings("evidence", {"notary_enabled": raw})).notary_enabled is value


def test_real_values_pass_through_unchanged(platform: TestPlatform) -> None:
    updated = platform.bus.handle(ChangeSettings("signing", {"validity_days": 45, "allow_custom_seals": False}))
    assert (updated.validity_days, updated.allow_custom_seals) == (45, False)


def test_successive_changes_keep_earlier_ones(platform: TestPlatform) -> None:
    platform.bus.handle(ChangeSettings("password", {"strength": "STRONG"}))
    platform.bus.handle(ChangeSettings("password", {"rotation_enabled": "true", "rotation_days": "60"}))
    assert stored(platform, "password") == PasswordPolicy(
        strength=PasswordStrength.STRONG, rotation_enabled=True, rotation_days=60
    )


@pytest.mark.parametrize(
    "section, changes, field",
    [
        ("signing", {"validity_days": "abc"}, "validity_days"),
        ("signing", {"validity_days": "0"}, "validity_days"),
        ("signing", {"validity_days": "-5"}, "validity_days"),
        ("signing", {"require_read_confirmation": "maybe"}, "require_read_confirmation"),
        ("display", {"theme_color": "blue"}, "theme_color"),
        ("signing", {"no_such_key": "1"}, "no_such_key"),
    ],
)
def test_bad_change_is_refused_and_nothing_is_stored(
    platform: TestPlatform, section: str, changes: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidValue) as exc:
        platform.bus.handle(ChangeSettings(section, changes))
    assert exc.value.field == field
    assert platform.uow.db.settings == {}


def test_unknown_section_is_refused(platform: TestPlatform) -> None:
    with pytest.raises(InvalidValue) as exc:
        platform.bus.handle(ChangeSettings("nonsense", {"a": "1"}))
    assert exc.value.field == "section"
    with pytest.raises(InvalidValue):
        get_settings("nonsense", uow=platform.uow)


def test_one_bad_key_refuses_the_whole_change(platform: TestPlatform) -> None:
    with pytest.raises(InvalidValue):
        platform.bus.handle(ChangeSettings("display", {"console_name": "新控制台", "theme_color": "red"}))
    assert stored(platform, "display") == DisplaySettings()


def test_non_decimal_digits_are_refused_as_invalid_value(platform: TestPlatform) -> None:
    with pytest.raises(InvalidValue) as exc:
        platform.bus.handle(ChangeSettings("signing", {"validity_days": "²"}))
    assert exc.value.field == "validity_days"
