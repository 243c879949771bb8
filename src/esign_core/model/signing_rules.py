"""The signing settings of the manual (三.1.2) as rules the use cases apply: how a signer must
prove who they are, the "I have read the file and agree to sign" confirmation, downloading and
printing unfinished files, custom signature images, and what voiding does to the original."""

from __future__ import annotations

import enum

from esign_core.errors import DomainError, PermissionDenied
from esign_core.model.contract import Contract, ContractStatus
from esign_core.model.policy import SignerVerification, SigningSettings, VoidPolicy


class SignerCheck(enum.Enum):
    """How the person applying a signature was verified just before signing."""

    #: silent signing by an authenticated integration (open API), no person at a screen
    SERVER = "SERVER"
    SIGNING_PASSWORD = "SIGNING_PASSWORD"
    SMS_CODE = "SMS_CODE"
    #: a person at a screen who passed no check
    NONE = "NONE"


_ACCEPTED = {
    SignerVerification.DEFAULT: {SignerCheck.SIGNING_PASSWORD, SignerCheck.SMS_CODE},
    SignerVerification.SMS_ONLY: {SignerCheck.SMS_CODE},
    SignerVerification.NONE: {SignerCheck.SIGNING_PASSWORD, SignerCheck.SMS_CODE, SignerCheck.NONE},
}

#: Statuses in which the files are final (signed by everyone, or ended after completion).
FINISHED_FILES = frozenset(
    {ContractStatus.COMPLETE, ContractStatus.FINISHED, ContractStatus.TERMINATING, ContractStatus.TERMINATED}
)


def check_signer(settings: SigningSettings, check: SignerCheck, *, read_confirmed: bool) -> None:
    """Raise PermissionDenied when ``check`` is not a verification the settings accept
    (signing password or SMS code / SMS code only / none), and DomainError (field
    ``readConfirmed``) when the read-and-agree confirmation is required but missing. Silent
    server-side signing (SERVER) is verified by the integration's credentials instead."""
    if check is SignerCheck.SERVER:
        return
    accepted = _ACCEPTED[settings.signer_verification]
    if check not in accepted:
        raise PermissionDenied(
            f"signing needs verification by {' or '.join(sorted(c.value for c in accepted))}",
            field="verification",
            required=settings.signer_verification.value,
        )
    if settings.require_read_confirmation and not read_confirmed:
        raise DomainError("confirm that you have read the file and agree to sign it", field="readConfirmed")


def check_custom_image(settings: SigningSettings) -> None:
    """Raise PermissionDenied when uploaded seal or signature images are not allowed."""
    if not settings.allow_custom_seals:
        raise PermissionDenied("custom signature images are not allowed by the signing settings",
                               field="signatureImage")


def can_download(contract: Contract, settings: SigningSettings) -> bool:
    """Whether the contract's files may be downloaded or printed: always once they are final,
    before that only when the settings allow unfinished downloads; never for a deleted draft."""
    if contract.status is ContractStatus.DELETE:
        return False
    return contract.status in FINISHED_FILES or settings.allow_unfinished_download


def void_removes_original(settings: SigningSettings, choice: bool | None) -> bool:
    """Whether voiding deletes the original files. The operator chooses only under
    OPERATOR_CHOOSES (no choice means keep); otherwise the policy decides, and a contrary
    choice is refused with DomainError (field ``removeContract``)."""
    policy = settings.void_policy
    if policy is VoidPolicy.OPERATOR_CHOOSES:
        return bool(choice)
    forced = policy is VoidPolicy.DESTROY_ORIGINAL
    if choice is not None and choice != forced:
        raise DomainError(
            f"the void policy is {policy.value}: the original is always {'destroyed' if forced else 'kept'}",
            field="removeContract",
            void_policy=policy.value,
        )
    return forced
