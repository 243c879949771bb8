"""Every console setting of the manual as a validated value object with the manual's defaults.

Each section is frozen; change one with :func:`attrs.evolve` (which re-validates) or
:meth:`Section.from_dict`, which refuses unknown keys.  Sections are stored as a whole, keyed
by ``SECTION``.
"""

from __future__ import annotations

import enum
import functools
import re
from datetime import datetime, timedelta
from importlib import resources
from typing import Any, ClassVar, TypeVar

import attrs

from esign_core.errors import InvalidValue

S = TypeVar("S", bound="Section")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
_EMAIL = re.compile(r"^[^@\s<>,;]{1,64}@[A-Za-z0-9.-]{1,253}$")


def _in_range(lo: int, hi: int):  # type: ignore[no-untyped-def]
    def check(inst: object, attribute: attrs.Attribute, value: int) -> None:  # type: ignore[type-arg]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise InvalidValue(attribute.name, f"{attribute.name} must be a whole number from {lo} to {hi}")

    return check


def _text(max_len: int, *, required: bool = True):  # type: ignore[no-untyped-def]
    def check(inst: object, attribute: attrs.Attribute, value: str) -> None:  # type: ignore[type-arg]
        if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_len:
            raise InvalidValue(attribute.name, f"{attribute.name} must be text of 1 to {max_len} characters")

    return check


def _bool(inst: object, attribute: attrs.Attribute, value: object) -> None:  # type: ignore[type-arg]
    if not isinstance(value, bool):
        raise InvalidValue(attribute.name, f"{attribute.name} must be true or false")


def _url_or_empty(inst: object, attribute: attrs.Attribute, value: str) -> None:  # type: ignore[type-arg]
    if value and not _URL.match(value):
        raise InvalidValue(attribute.name, f"{attribute.name} must be an http(s) address")


def _enum(cls: type[enum.Enum]) -> attrs.Converter:  # type: ignore[type-arg]
    def convert(value: Any, _self: object, field: attrs.Attribute) -> enum.Enum:  # type: ignore[type-arg]
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in cls)
            raise InvalidValue(field.name, f"{field.name}: {value!r} is not one of: {allowed}") from None

    return attrs.Converter(convert, takes_self=True, takes_field=True)  # type: ignore[call-overload]


@attrs.frozen
class Section:
    SECTION: ClassVar[str] = ""
    #: False for sections that only their own use cases may change (not `esign settings set`).
    DIRECT_CHANGE: ClassVar[bool] = True

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self, value_serializer=lambda _i, _a, v: v.value if isinstance(v, enum.Enum) else v)

    @classmethod
    def from_dict(cls: type[S], data: dict[str, Any]) -> S:
        """Build from stored or submitted data; unknown keys are refused, missing ones default."""
        names = {a.name for a in attrs.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise InvalidValue(sorted(unknown)[0], f"unknown setting(s) in {cls.SECTION}: {', '.join(sorted(unknown))}")
        return cls(**data)

    def evolve(self: S, **changes: Any) -> S:
        return self.from_dict({**self.to_dict(), **changes})


class SignerVerification(enum.Enum):
    DEFAULT = "DEFAULT"  # signing password or SMS code
    SMS_ONLY = "SMS_ONLY"
    NONE = "NONE"


class VoidPolicy(enum.Enum):
    OPERATOR_CHOOSES = "OPERATOR_CHOOSES"
    KEEP_ORIGINAL = "KEEP_ORIGINAL"
    DESTROY_ORIGINAL = "DESTROY_ORIGINAL"


@attrs.frozen
class SigningSettings(Section):
    """文件签署设置 (manual 三.1.2)."""

    SECTION: ClassVar[str] = "signing"
    validity_days: int = attrs.field(default=30, validator=_in_range(1, 3650))
    signer_verification: SignerVerification = attrs.field(
        default=SignerVerification.DEFAULT, converter=_enum(SignerVerification)
    )
    require_read_confirmation: bool = attrs.field(default=True, validator=_bool)
    internal_real_name_required: bool = attrs.field(default=False, validator=_bool)
    allow_unfinished_download: bool = attrs.field(default=False, validator=_bool)
    allow_custom_seals: bool = attrs.field(default=True, validator=_bool)
    void_policy: VoidPolicy = attrs.field(default=VoidPolicy.OPERATOR_CHOOSES, converter=_enum(VoidPolicy))
    expiry_reminder_enabled: bool = attrs.field(default=False, validator=_bool)
    expiry_reminder_days: int = attrs.field(default=3, validator=_in_range(1, 365))


class EvidenceMode(enum.Enum):
    PLATFORM = "PLATFORM"
    PLATFORM_AND_NOTARY = "PLATFORM_AND_NOTARY"


@attrs.frozen
class EvidenceSettings(Section):
    """电子签约文件存证方式 (三.1.3): our own evidence is always on; notary is optional."""

    SECTION: ClassVar[str] = "evidence"
    notary_enabled: bool = attrs.field(default=False, validator=_bool)


@attrs.frozen
class PhysicalSealSettings(Section):
    """物理用印设置 (三.1.4): photos must cover every use before a new application."""

    SECTION: ClassVar[str] = "physical_seal"
    photos_must_cover_uses: bool = attrs.field(default=False, validator=_bool)
    callback_url: str = attrs.field(default="", validator=_url_or_empty)  # 回调配置 (三.4, API §4.2)


@attrs.frozen
class AppSettings(Section):
    """APP设置 (三.1.5)."""

    SECTION: ClassVar[str] = "app"
    show_download_entry: bool = attrs.field(default=True, validator=_bool)
    single_device_login: bool = attrs.field(default=False, validator=_bool)
    ios_url: str = attrs.field(default="", validator=_url_or_empty)
    android_url: str = attrs.field(default="", validator=_url_or_empty)


class PasswordStrength(enum.Enum):
    NORMAL = "NORMAL"
    STRONG = "STRONG"
    VERY_STRONG = "VERY_STRONG"


@attrs.frozen
class PasswordPolicy(Section):
    """密码安全设置 (一.4, 三.1.6). The strength levels (also in docs/admin-guide.md):

    - NORMAL (正常): at least 8 characters, with a letter and a digit;
    - STRONG (强): at least 10 characters, with a lower-case letter, an upper-case letter and a digit;
    - VERY_STRONG (极强): at least 12 characters, with a lower-case letter, an upper-case letter,
      a digit and a symbol (any character that is not a letter or a digit).

    Every level refuses passwords longer than 128 characters and, when ``refuse_common`` is on,
    the 10,000 most common (breached) passwords, compared without case, offline.
    """

    SECTION: ClassVar[str] = "password"
    strength: PasswordStrength = attrs.field(default=PasswordStrength.NORMAL, converter=_enum(PasswordStrength))
    rotation_enabled: bool = attrs.field(default=False, validator=_bool)  # login passwords
    rotation_days: int = attrs.field(default=90, validator=_in_range(7, 3650))
    signing_rotation_enabled: bool = attrs.field(default=False, validator=_bool)  # signing passwords
    signing_rotation_days: int = attrs.field(default=90, validator=_in_range(7, 3650))
    lockout_threshold: int = attrs.field(default=5, validator=_in_range(3, 20))
    lockout_minutes: int = attrs.field(default=15, validator=_in_range(1, 1440))
    refuse_common: bool = attrs.field(default=True, validator=_bool)

    def login_password_expired(self, changed_at: datetime, now: datetime) -> bool:
        return self.rotation_enabled and now - changed_at >= timedelta(days=self.rotation_days)

    def signing_password_expired(self, changed_at: datetime, now: datetime) -> bool:
        return self.signing_rotation_enabled and now - changed_at >= timedelta(days=self.signing_rotation_days)

    @property
    def lock_for(self) -> timedelta:
        return timedelta(minutes=self.lockout_minutes)

    def check(self, password: str, *, field: str = "password") -> None:
        """Raise :class:`InvalidValue` naming what the password lacks for this strength (its
        ``rule`` field is the strength, or ``COMMON`` for a listed password)."""
        need = {PasswordStrength.NORMAL: 8, PasswordStrength.STRONG: 10, PasswordStrength.VERY_STRONG: 12}[
            self.strength
        ]
        problems = []
        if len(password) < need:
            problems.append(f"at least {need} characters")
        if len(password) > 128:
            problems.append("at most 128 characters")
        has_lower = any(c.islower() for c in password)
        has_upper = any(c.isupper() for c in password)
        has_digit = any(c.isdigit() for c in password)
        has_symbol = any(not c.isalnum() for c in password)
        if self.strength is PasswordStrength.NORMAL:
            if not (has_lower or has_upper):
                problems.append("a letter")
        else:
            if not has_lower:
                problems.append("a lower-case letter")
            if not has_upper:
                problems.append("an upper-case letter")
        if not has_digit:
            problems.append("a digit")
        if self.strength is PasswordStrength.VERY_STRONG and not has_symbol:
            problems.append("a symbol")
        if problems:
            raise InvalidValue(
                field, f"password too weak for strength {self.strength.value}: needs " + ", ".join(problems),
                rule=self.strength.value,
            )
        if self.refuse_common and is_common_password(password):
            raise InvalidValue(field, "this password is one of the most common (breached) passwords", rule="COMMON")


@functools.cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("esign_core.model").joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def is_common_password(password: str) -> bool:
    """True for one of the 10,000 most common passwords (case-insensitive; checked offline
    against the list shipped as package data: no online breach service is called)."""
    return password.lower() in _common_passwords()


class DepartedPolicy(enum.Enum):
    AUTO_FREEZE = "AUTO_FREEZE"
    NO_FREEZE = "NO_FREEZE"
    FREEZE_IF_NO_FILES = "FREEZE_IF_NO_FILES"


@attrs.frozen
class LoginSettings(Section):
    """其他设置 (三.1.7)."""

    SECTION: ClassVar[str] = "login"
    mfa_required: bool = attrs.field(default=False, validator=_bool)
    departed_policy: DepartedPolicy = attrs.field(default=DepartedPolicy.AUTO_FREEZE, converter=_enum(DepartedPolicy))

    def freeze_departed(self, *, has_files: bool) -> bool:
        """Whether a departing employee's personal account is frozen (``Member.depart(freeze=...)``):
        always, never, or only when the account has no files."""
        if self.departed_policy is DepartedPolicy.FREEZE_IF_NO_FILES:
            return not has_files
        return self.departed_policy is DepartedPolicy.AUTO_FREEZE


class PrintMode(enum.Enum):
    BROWSER = "BROWSER"
    CLIENT = "CLIENT"
    REMOTE = "REMOTE"


@attrs.frozen
class PrintSettings(Section):
    """打印设置 (三.3)."""

    SECTION: ClassVar[str] = "print"
    mode: PrintMode = attrs.field(default=PrintMode.BROWSER, converter=_enum(PrintMode))


#: The three built-in login backgrounds and an uploaded one (kept in BrandImages).
LOGIN_BACKGROUNDS: tuple[str, ...] = ("builtin-1", "builtin-2", "builtin-3", "custom")


@attrs.frozen
class DisplaySettings(Section):
    """系统显示设置 and theme (一.3)."""

    SECTION: ClassVar[str] = "display"
    console_name: str = attrs.field(default="电子合同管理控制台", validator=_text(30))
    platform_name: str = attrs.field(default="电子签约平台", validator=_text(30))
    english_abbr: str = attrs.field(default="ESIGN", validator=_text(20))
    short_name: str = attrs.field(default="电子签约", validator=_text(20))
    screenshot_watermark: bool = attrs.field(default=True, validator=_bool)
    theme_color: str = attrs.field(default="#1677FF")
    login_background: str = attrs.field(default="builtin-1")
    custom_css: str = attrs.field(default="", validator=_text(20000, required=False))
    # Short digests of the uploaded images kept in BrandImages ("" = none, use the default).
    nav_logo_id: str = attrs.field(default="", validator=_text(64, required=False))
    login_logo_id: str = attrs.field(default="", validator=_text(64, required=False))
    background_id: str = attrs.field(default="", validator=_text(64, required=False))

    @login_background.validator
    def _check_background(self, attribute: attrs.Attribute, value: str) -> None:  # type: ignore[type-arg]
        if value not in LOGIN_BACKGROUNDS:
            raise InvalidValue("login_background", f"login background must be one of {', '.join(LOGIN_BACKGROUNDS)}")

    @theme_color.validator
    def _check_color(self, attribute: attrs.Attribute, value: str) -> None:  # type: ignore[type-arg]
        if not isinstance(value, str) or not _COLOR.match(value):
            raise InvalidValue("theme_color", "theme colour must look like #1677FF")


@attrs.frozen
class SystemParameters(Section):
    """系统参数设置 (一.2.2): the external address prefixes every signing link."""

    SECTION: ClassVar[str] = "system"
    external_address: str = attrs.field(default="http://127.0.0.1:9181", validator=_url_or_empty)
    use_external_api: bool = attrs.field(default=True, validator=_bool)


class ConversionService(enum.Enum):
    BUILTIN = "BUILTIN"
    OFFICE = "OFFICE"


@attrs.frozen
class ConversionSettings(Section):
    """文档转换服务 (一.2.2 4): built-in by default."""

    SECTION: ClassVar[str] = "conversion"
    service: ConversionService = attrs.field(default=ConversionService.BUILTIN, converter=_enum(ConversionService))
    office_path: str = attrs.field(default="", validator=_text(500, required=False))


class SmsChannelMode(enum.Enum):
    PLATFORM = "PLATFORM"
    OWN = "OWN"


@attrs.frozen
class SmsSettings(Section):
    """短信设置 (三.6.1): platform channel by default."""

    SECTION: ClassVar[str] = "sms"
    #: Changed through the messaging use cases (``esign sms``, the console's SMS page), which check
    #: the provider settings and seal its secrets first.
    DIRECT_CHANGE: ClassVar[bool] = False
    channel: SmsChannelMode = attrs.field(default=SmsChannelMode.PLATFORM, converter=_enum(SmsChannelMode))
    provider: str = attrs.field(default="", validator=_text(50, required=False))
    #: The own channel's provider settings; secrets only as sealed ``*_secret_ref`` tokens.
    config: dict[str, Any] = attrs.field(factory=dict, repr=lambda c: _masked(c), hash=False)

    @config.validator
    def _check_config(self, attribute: attrs.Attribute, value: dict[str, Any]) -> None:  # type: ignore[type-arg]
        _storage_config(self, attribute, value)


@attrs.frozen
class MailSettings(Section):
    """邮件服务配置. The password is kept as a reference to an encrypted secret, never in clear."""

    SECTION: ClassVar[str] = "mail"
    DIRECT_CHANGE: ClassVar[bool] = False  # through `esign mail configure` / the mail page (password sealed)
    sender: str = attrs.field(default="", validator=_text(254, required=False))
    smtp_host: str = attrs.field(default="", validator=_text(255, required=False))
    smtp_port: int = attrs.field(default=465, validator=_in_range(1, 65535))
    tls: str = attrs.field(default="SSL")
    username: str = attrs.field(default="", validator=_text(254, required=False))
    password_secret_ref: str = attrs.field(default="", repr=False)
    timeout: int = attrs.field(default=15, validator=_in_range(1, 300))
    #: A PEM file of the CA that issued the mail server's certificate (a private CA); empty = system CAs.
    ca_file: str = attrs.field(default="", validator=_text(500, required=False))

    @sender.validator
    def _check_sender(self, attribute: attrs.Attribute, value: str) -> None:  # type: ignore[type-arg]
        if value and not _EMAIL.match(value):
            raise InvalidValue("sender", "the sender must be an e-mail address such as noreply@example.com")

    @property
    def configured(self) -> bool:
        return bool(self.sender and self.smtp_host)

    @tls.validator
    def _check_tls(self, attribute: attrs.Attribute, value: str) -> None:  # type: ignore[type-arg]
        if value not in ("NONE", "STARTTLS", "SSL"):
            raise InvalidValue("tls", "tls must be NONE, STARTTLS or SSL")


def _image(inst: object, attribute: attrs.Attribute, value: str) -> None:  # type: ignore[type-arg]
    if not isinstance(value, str) or len(value) > 4_000_000:
        raise InvalidValue(attribute.name, f"{attribute.name} must be a base64 image of at most 3 MB")


@attrs.frozen
class BrandImages(Section):
    """The navigation-bar and login-page logos and the uploaded login background (一.3), as
    base64 of the images the server produced (cropped, re-encoded, metadata stripped). Changed
    only through the console's upload, which checks and re-encodes them."""

    SECTION: ClassVar[str] = "brand_images"
    DIRECT_CHANGE: ClassVar[bool] = False
    nav_logo: str = attrs.field(default="", validator=_image, repr=False)
    login_logo: str = attrs.field(default="", validator=_image, repr=False)
    login_background: str = attrs.field(default="", validator=_image, repr=False)


#: The storage backends the manual offers (一.2.2 2); plugins registered under the ``esign.storage``
#: entry-point group add more names.
STORAGE_BACKENDS: tuple[str, ...] = ("local", "nas", "smb", "s3", "hdfs", "fastdfs")
#: Settings that hold a secret are stored only as ``<name>_secret_ref`` (a SecretBox token).
SECRET_SETTING = re.compile(r"password|secret|token|passphrase|private_key|credential")
_BACKEND_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_SETTING_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _storage_config(inst: object, attribute: attrs.Attribute, value: object) -> None:  # type: ignore[type-arg]
    if not isinstance(value, dict) or len(value) > 50:
        raise InvalidValue("config", "storage config must be a mapping of at most 50 settings")
    for key, item in value.items():
        if not isinstance(key, str) or not _SETTING_NAME.match(key):
            raise InvalidValue("config", f"storage setting name {key!r} must be lower-case letters, digits and _")
        if SECRET_SETTING.search(key) and not key.endswith("_secret_ref"):
            raise InvalidValue(key, f"storage setting {key!r} is a secret: store it sealed, as {key}_secret_ref")
        if item is not None and not isinstance(item, str | int | float | bool):
            raise InvalidValue(key, f"storage setting {key!r} must be text, a number or true/false")
        if isinstance(item, str) and len(item) > 4000:
            raise InvalidValue(key, f"storage setting {key!r} is too long")


def _masked(config: dict[str, Any]) -> str:
    return repr({k: "***" if k.endswith("_secret_ref") else v for k, v in config.items()})


@attrs.frozen
class StorageSettings(Section):
    """文件存储方式 (一.2.2 2): which backend holds contract files and its settings. Backend-specific
    settings are checked by the adapter (``esign_adapters.storage.registry``) before they are
    saved; secrets appear only as sealed ``*_secret_ref`` tokens and never in ``repr``. Changed
    only through the storage use cases (tested first; switched after a verified migration), never
    through the generic settings command."""

    SECTION: ClassVar[str] = "storage"
    DIRECT_CHANGE: ClassVar[bool] = False
    backend: str = attrs.field(default="local")
    config: dict[str, Any] = attrs.field(factory=dict, validator=_storage_config, repr=_masked, hash=False)

    @backend.validator
    def _check_backend(self, attribute: attrs.Attribute, value: str) -> None:  # type: ignore[type-arg]
        if not isinstance(value, str) or not _BACKEND_NAME.match(value):
            raise InvalidValue("backend", f"storage backend must be one of {', '.join(STORAGE_BACKENDS)} "
                                          "or a plugin's name")

    @property
    def for_testing_only(self) -> bool:
        """The manual's warning: local storage loses every contract file with the disk."""
        return self.backend == "local"


@attrs.frozen
class EventPublishing(Section):
    """Domain events published to the message broker (``mq`` outbox rows, docs/messaging.md)."""

    SECTION: ClassVar[str] = "event_publishing"
    enabled: bool = attrs.field(default=False, validator=_bool)


ALL_SECTIONS: tuple[type[Section], ...] = (
    SigningSettings,
    EvidenceSettings,
    PhysicalSealSettings,
    AppSettings,
    PasswordPolicy,
    LoginSettings,
    PrintSettings,
    DisplaySettings,
    SystemParameters,
    ConversionSettings,
    SmsSettings,
    MailSettings,
    StorageSettings,
    BrandImages,
    EventPublishing,
)
SECTIONS_BY_NAME: dict[str, type[Section]] = {s.SECTION: s for s in ALL_SECTIONS}


def section_class(name: str) -> type[Section]:
    try:
        return SECTIONS_BY_NAME[name]
    except KeyError:
        raise InvalidValue(
            "section", f"unknown settings section {name!r}; known: {', '.join(SECTIONS_BY_NAME)}"
        ) from None
