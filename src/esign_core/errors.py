"""One error tree for the whole platform.

Every error carries a stable ``code`` (dotted, machine readable), a human message and
structured ``fields``.  Entry points (HTTP, CLI) translate these once; raising code never
imports a web framework.  Errors subclass the stdlib error callers already catch where one
fits (``ValueError`` for bad input, ``LookupError`` for missing things, ``PermissionError``).
"""

from __future__ import annotations

from typing import Any


class EsignError(Exception):
    """Root of every error raised on purpose by esign."""

    code = "esign.error"

    def __init__(self, message: str = "", **fields: Any) -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)
        self.message = message or (self.__class__.__doc__ or self.code).strip()
        self.fields: dict[str, Any] = fields

    def __str__(self) -> str:
        return self.message


class DomainError(EsignError, ValueError):
    """A business rule refused the operation."""

    code = "domain.rule"


class InvalidValue(DomainError):
    """A value failed validation (the ``field`` names it)."""

    code = "domain.invalid_value"

    def __init__(self, field: str, message: str, **fields: Any) -> None:
        super().__init__(message, field=field, **fields)
        self.field = field


class InvalidTransition(DomainError):
    """The aggregate is not in a state that allows this operation."""

    code = "domain.invalid_transition"


class CredentialExpired(DomainError):
    """A right password whose period (the password policy's forced change) has passed."""

    code = "domain.credential_expired"


class AlreadyExists(DomainError):
    """Something with the same identity already exists."""

    code = "domain.already_exists"


class AlreadyInitialized(DomainError):
    """The platform has already been initialised; ``esign init`` runs once."""

    code = "setup.already_initialized"


class NotInitialized(DomainError):
    """The platform has not been initialised yet."""

    code = "setup.not_initialized"


class LicenceError(DomainError):
    """The licence code was refused."""

    code = "licence.invalid"


class QuotaExceeded(DomainError):
    """The licence quota for this kind of entity is used up."""

    code = "licence.quota_exceeded"


class NotFoundError(EsignError, LookupError):
    """The requested thing does not exist."""

    code = "not_found"


class PermissionDenied(EsignError, PermissionError):
    """The actor may not do this."""

    code = "permission_denied"


class AuthenticationFailed(PermissionDenied):
    """Wrong account or password."""

    code = "auth.failed"


class AccountLocked(PermissionDenied):
    """Too many failed attempts; try again later."""

    code = "auth.locked"


class ConcurrencyError(EsignError):
    """Someone else changed this record first; reload and retry."""

    code = "concurrency"


class PortError(EsignError):
    """An adapter could not reach or use an outside system."""

    code = "port"


class ConfigurationError(PortError):
    """The configuration is missing or wrong."""

    code = "config"


class DatabaseError(PortError):
    """The database could not be reached or refused the operation."""

    code = "port.database"


class StorageError(PortError):
    """The file storage failed."""

    code = "port.storage"


class SigningError(PortError):
    """The signing engine failed."""

    code = "port.signing"


class SmsError(PortError):
    """The SMS channel failed."""

    code = "port.sms"


class MailError(PortError):
    """The mail server failed."""

    code = "port.mail"


class OaError(PortError):
    """The OA / directory system failed."""

    code = "port.oa"


class DeviceError(PortError):
    """A physical seal device failed."""

    code = "port.device"


class SshError(PortError):
    """A server could not be reached, authenticated or commanded over SSH (the cluster's restart)."""

    code = "port.ssh"


class WebhookError(PortError):
    """A webhook receiver could not be reached or did not accept the message."""

    code = "port.webhook"


class MqError(PortError):
    """The message broker could not be reached or did not confirm the message (retried)."""

    code = "port.mq"
