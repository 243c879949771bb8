"""Applying one action's signatures to a contract's documents: which documents get a signature
(each one the action has a stamper on, or, without any stamper, every signable document with an
invisible signature), the visible marks on each, and the signing itself, one PAdES signature per
document, each new revision stored before the unit of work commits.

Also the shared shape of the signing commands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from esign_core.errors import DomainError, InvalidTransition, NotFoundError
from esign_core.model.contract import TERMINATE_ACTIONS, Action, Contract, Signatory, Stamper, StamperType
from esign_core.model.document import Document
from esign_core.model.evidence import CERTIFICATE_SERIAL, CERTIFICATE_SUBJECT, DOCUMENT_DIGEST, DOCUMENT_ID
from esign_core.model.signing_rules import SignerCheck
from esign_core.ports import UnitOfWork
from esign_core.ports.signing import Credential, PdfSigner, SignatureLevel, SignRequest, Stamp
from esign_core.ports.storage import BlobStore
from esign_core.services.contract_refs import ContractCommand
from esign_core.services.contract_specs import StamperSpec

#: The size of a timestamp mark (drawn as text by the signer).
TIMESTAMP_MM = (40.0, 12.0)


@attrs.frozen(kw_only=True)
class SignCommand(ContractCommand):
    """What every signing command takes: ``stampers`` (default: the action's preset positions; none
    at all signs invisibly), ``action_id`` (default: the signer's action whose turn it is), the
    PAdES ``level`` (B-T unless asked), and how the signer was verified (``signer_check``; silent
    server-side signing is SERVER) with the read-and-agree confirmation."""

    stampers: tuple[StamperSpec, ...] = ()
    action_id: int | None = None
    level: SignatureLevel = SignatureLevel.B_T
    signer_check: SignerCheck = SignerCheck.SERVER
    read_confirmed: bool = False
    #: the client's key for this signing request (open API ``Idempotency-Key``): a request whose
    #: key is already on a signature of the contract is answered without signing again.
    idempotency_key: str | None = None


@attrs.frozen
class Mark:
    """What a stamper of one type looks like: a PNG (empty for a timestamp) and its size."""

    image_png: bytes = attrs.field(repr=False)
    width_mm: float
    height_mm: float


def pick_action(candidates: Sequence[tuple[Signatory, Action]]) -> tuple[Signatory, Action] | None:
    """The candidate whose turn it is, else one still waiting (signing it is then refused as out
    of turn), else the first (refused as already done)."""
    for wanted in ("SIGNING", "WAITING"):
        for signatory, action in candidates:
            if action.status.value == wanted:
                return signatory, action
    return candidates[0] if candidates else None


def action_stampers(contract: Contract, action: Action | None, given: Sequence[StamperSpec]) -> tuple[Stamper, ...]:
    """The stampers to apply: those given (checked against the action's type and the contract's
    documents), else the action's preset ones. A void-statement action always uses its preset
    stamper on the statement (its layout is ours; stampers given for the original are ignored)."""
    if action is not None and action.type in TERMINATE_ACTIONS:
        return action.stampers
    if not given:
        return action.stampers if action is not None else ()
    stampers = tuple(Stamper(id=0, document_id=s.document_id, type=s.type, position=s.position) for s in given)
    if action is not None:
        action.check_stampers(stampers)
    for stamper in stampers:
        if stamper.document_id not in contract.document_ids:
            raise DomainError("a stamper points at a document that is not in the contract", field="documentId",
                              document_id=str(stamper.document_id))
    return stampers


def signing_plan(
    uow: UnitOfWork, contract: Contract, stampers: Sequence[Stamper], marks: Mapping[StamperType, Mark]
) -> list[tuple[Document, tuple[Stamp, ...]]]:
    """(document, its stamps) for every document that gets a signature, in the contract's order.
    Raises DomainError for a stamper on a sponsor-only attachment or of a type without a mark,
    InvalidTransition for a destroyed document."""
    by_document: dict[int, list[Stamp]] = {}
    for stamper in stampers:
        mark = marks.get(stamper.type)
        if mark is None:
            raise DomainError(f"this signature cannot place a {stamper.type.value} stamper", field="type")
        by_document.setdefault(stamper.document_id, []).append(
            Stamp(stamper.type, mark.image_png, stamper.position, mark.width_mm, mark.height_mm)
        )
    plan: list[tuple[Document, tuple[Stamp, ...]]] = []
    for document_id in contract.document_ids:
        if stampers and document_id not in by_document:
            continue
        doc = uow.documents.get(document_id)
        if doc.attachment:
            if stampers:
                raise DomainError("a sponsor-only attachment is never signed", field="documentId",
                                  document_id=str(doc.id))
            continue
        if doc.destroyed:
            raise InvalidTransition("the document was destroyed", document_id=str(doc.id))
        plan.append((doc, tuple(by_document.get(document_id, ()))))
    if not plan:
        raise NotFoundError("the contract has no document to sign", field="documents")
    return plan


def apply_signatures(
    plan: Sequence[tuple[Document, tuple[Stamp, ...]]],
    *,
    credential: Credential,
    signer: PdfSigner,
    blobs: BlobStore,
    level: SignatureLevel,
    signer_name: str,
    reason: str,
    business_system: str = "",
    file_subject: str = "",
) -> list[dict[str, Any]]:
    """Sign each document once with ``credential``, store the new revision and make it current.
    Returns, per document, the SHA-256 before and after (for the evidence). Raises SigningError
    or StorageError; revisions stored before a failure stay as orphans until the next
    ``esign storage verify --repair``."""
    signed_documents = []
    for doc, stamps in plan:
        before = doc.current
        signed = signer.sign(
            blobs.read(before),
            SignRequest(credential=credential, stamps=stamps, level=level, reason=reason, signer_name=signer_name,
                        business_system=business_system, file_subject=file_subject),
        )
        ref = blobs.put([signed])
        doc.add_signed_revision(ref)
        signed_documents.append({DOCUMENT_ID: str(doc.id), "sha256_before": before.digest.hex,
                                 "sha256_after": ref.digest.hex, DOCUMENT_DIGEST: ref.digest.hex})
    return signed_documents


def business_system_of(actor: str | None) -> str:
    """The business system (业务系统) a call-detail record names: the integration app for the
    open API (actor ``open:<app>``), else the platform's own console or portal."""
    if actor and actor.startswith("open:"):
        return actor.removeprefix("open:")[:100]
    return ""


IDEMPOTENCY_KEY = "idempotency_key"


def already_signed_with(uow: UnitOfWork, contract_id: int, key: str | None) -> bool:
    """Whether a signature of the contract was made by a request with this idempotency key (its
    ``contract.signed`` evidence records the key)."""
    if not key:
        return False
    return any(entry.record.action == "contract.signed" and entry.record.details.get(IDEMPOTENCY_KEY) == key
               for entry in uow.evidence.entries(contract_id=contract_id))


def signature_details(
    signed_documents: list[dict[str, Any]], credential: Credential, level: SignatureLevel, check: SignerCheck,
    **extra: Any,
) -> dict[str, Any]:
    """The evidence details of one signing act."""
    return {
        "documents": signed_documents,
        CERTIFICATE_SERIAL: credential.certificate.serial,
        CERTIFICATE_SUBJECT: credential.certificate.subject_name,
        "level": level.value,
        "verification": check.value,
        **{k: v for k, v in extra.items() if v is not None or k != IDEMPOTENCY_KEY},
    }
