"""The facade embedding applications hold: typed methods over the use cases. Each method is one
command on the message bus (one unit of work); errors are the :class:`~esign.EsignError` tree."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from esign._types import Placement, Signer
from esign_core.errors import ConfigurationError, InvalidValue, NotFoundError
from esign_core.model.certificate import Certificate, CertificateKind, SubjectType, normalize_serial
from esign_core.model.contract import StamperType
from esign_core.model.import_rows import ImportKind
from esign_core.model.org import Member, Organization
from esign_core.model.org_sync import SyncReport, SyncScope
from esign_core.model.seal import Seal, SealKind
from esign_core.ports.signing import SealDesign, SealStyle, SignatureLevel, Stamp, Subject
from esign_core.services import certificates as cert_cases
from esign_core.services import contract_queries as queries
from esign_core.services import seals as seal_cases
from esign_core.services.commands import Command, InitializePlatform
from esign_core.services.contract_signing import SignAsCompany
from esign_core.services.contract_specs import SignatorySpec, StamperSpec
from esign_core.services.contracts import CreateContract, SendContract
from esign_core.services.directory_import import ImportReport
from esign_core.services.documents import CreateDocument
from esign_core.services.personal_signing import SignAsPerson
from esign_core.services.setup import InitResult
from esign_core.services.signing import SignPdf, VerifyPdf
from esign_core.values import IdNumber, Uscc, ValidationReport

#: Default mark sizes in millimetres (as ``esign sign``): company seal, personal signature, timestamp.
_SIZES = {SealStyle.COMPANY_ROUND: (42.0, 42.0), SealStyle.PERSONAL_SIGNATURE: (40.0, 15.0)}
_TIMESTAMP_MM = (40.0, 12.0)


class EsignPlatform:
    """An open platform: made by :func:`esign.open_platform`, closed by :meth:`close` (or ``with``).

    Thread-safe when opened on a database (each call has its own unit of work); a ``memory=True``
    platform is for one thread."""

    def __init__(self, platform: Any, *, cleanup: Callable[[], None] | None = None,
                 licence_key: Any = None) -> None:
        self._platform = platform
        self._cleanup = cleanup
        self._licence_key = licence_key

    def _handle(self, command: Command) -> Any:
        return self._platform.handle(command)

    # -- life cycle ------------------------------------------------------------------------------
    def __enter__(self) -> EsignPlatform:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Write what is still queued (signing-call records, system logs), give back the node lease
        and release the database connections (and, in memory, remove the temporary directory)."""
        self._platform.close()
        if self._cleanup is not None:
            self._cleanup()
            self._cleanup = None

    def migrate(self) -> None:
        """Bring the database schema up to date (``esign db upgrade``); safe to repeat."""
        self._platform.migrate()

    @property
    def data_dir(self) -> str:
        return str(self._platform.settings.data_dir)

    @property
    def product_code(self) -> str:
        """The product identification code a licence is issued for."""
        return str(self._platform.product_code)

    def is_initialized(self) -> bool:
        return bool(self._platform.is_initialized())

    def initialize(self, *, platform_name: str, platform_admin_name: str, platform_admin_mobile: str,
                   admin_username: str, admin_password: str, licence_code: str | None = None,
                   platform_uscc: str | None = None) -> InitResult:
        """Activate the platform (the wizard of manual 一.1; ``esign init``): licence, console
        account, platform enterprise, internal CA — once, all or nothing. A ``memory=True``
        platform licenses itself when ``licence_code`` is None. Raises LicenceError,
        AlreadyInitialized, InvalidValue (weak password, bad mobile or USCC), QuotaExceeded."""
        if licence_code is None:
            licence_code = self._development_licence()
        return self._platform.initialize(InitializePlatform(  # type: ignore[no-any-return]
            product_code=self.product_code, licence_code=licence_code, admin_username=admin_username,
            admin_password=admin_password, platform_name=platform_name, platform_admin_name=platform_admin_name,
            platform_admin_mobile=platform_admin_mobile, platform_uscc=platform_uscc))

    def _development_licence(self) -> str:
        if self._licence_key is None:
            raise InvalidValue("licence_code", "a licence code is required (only memory=True licenses itself)")
        from cryptography.hazmat.primitives import serialization

        from esign_adapters.licensing import issue_licence
        from esign_core.model.installation import Quotas

        pem = self._licence_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())
        now = self._platform.clock.now()
        return issue_licence(pem, product_code=self.product_code, licensee="esign in memory",
                             expires_at=now + timedelta(days=365), issued_at=now - timedelta(minutes=1),
                             quotas=Quotas())

    # -- PDFs outside a contract (esign sign / esign verify) --------------------------------------
    def sign_pdf(self, pdf: bytes, signer: Signer, *placements: Placement, level: SignatureLevel | str = "B-T",
                 reason: str = "", location: str = "", seal_image: bytes | None = None) -> bytes:
        """Return ``pdf`` with one more PAdES signature carrying every placement (none: an invisible
        signature). The seal or signature image is ``seal_image`` (a PNG) or drawn from the signer's
        name. Raises InvalidValue (not a PDF, bad ID number/USCC, screening refused it),
        NotFoundError (unknown certificate serial), SigningError (keyword not found, TSA down)."""
        subject: Subject | None = None
        if signer.certificate_serial is not None:
            name, enterprise = self._certificate_holder(signer.certificate_serial)
        else:
            if not signer.name.strip():
                raise InvalidValue("signer", "the signer needs a name")
            enterprise = signer.is_enterprise
            code = str(Uscc(signer.code)) if enterprise else str(IdNumber(signer.code))
            name = signer.name.strip()
            subject = Subject(name, SubjectType.ENTERPRISE if enterprise else SubjectType.PERSONAL, code)
        stamps = tuple(self._stamp(p, name, enterprise, seal_image) for p in placements)
        out = self._handle(SignPdf(pdf, subject, stamps, SignatureLevel(level), reason=reason, location=location,
                                   certificate_serial=signer.certificate_serial))
        return out  # type: ignore[no-any-return]

    def _certificate_holder(self, serial: str) -> tuple[str, bool]:
        with self._platform.uow() as uow:
            stored = uow.certificates.by_serial(normalize_serial(serial, field="certificate_serial"))
        if stored is None:
            raise NotFoundError("no certificate with that serial", field="certificate_serial", serial=serial)
        return stored.subject_name, stored.subject_type is SubjectType.ENTERPRISE

    def _stamp(self, placement: Placement, name: str, enterprise: bool, seal_image: bytes | None) -> Stamp:
        kind = placement.type or (StamperType.SEAL_CORPORATE if enterprise else StamperType.SEAL_PERSONAL)
        style = SealStyle.PERSONAL_SIGNATURE if kind is StamperType.SEAL_PERSONAL or not enterprise \
            else SealStyle.COMPANY_ROUND
        default = _TIMESTAMP_MM if kind is StamperType.TIMESTAMP else _SIZES[style]
        w, h = placement.width_mm or default[0], placement.height_mm or default[1]
        renderer = self._platform.seal_renderer
        if kind is StamperType.TIMESTAMP:
            image = b""
        elif seal_image is not None:
            image = renderer.normalise_upload(seal_image)
        else:
            image = renderer.render(SealDesign(style, name, width_mm=w, height_mm=h))
        return Stamp(kind, image, placement.position, w, h)

    def verify_pdf(self, pdf: bytes) -> ValidationReport:
        """Validate every signature: an answer (TOTAL_PASSED / TOTAL_FAILED / INDETERMINATE per
        signature and overall), not an exception; only an unreadable file raises InvalidValue."""
        return self._handle(VerifyPdf(pdf))  # type: ignore[no-any-return]

    # -- documents and contracts (open API §2) ----------------------------------------------------
    def upload_document(self, title: str, pdf: bytes, *, attachment: bool = False) -> int:
        """Screen and store a PDF as a document; return its id (for ``create_contract``)."""
        return self._handle(CreateDocument(title=title, pdf=pdf, attachment=attachment))  # type: ignore[no-any-return]

    def create_contract(self, subject: str, *, documents: Sequence[int], signatories: Sequence[SignatorySpec],
                        send: bool = True, ordinal: bool = False, biz_id: str | None = None,
                        sponsor: str | None = None, category_name: str | None = None,
                        expire_time: datetime | None = None, description: str = "", actor: str = "") -> int:
        """Create a contract (sent unless ``send=False``); return its id. ``sponsor`` is an internal
        enterprise (default: the platform enterprise). Repeating a create with the same ``biz_id``
        and the same request returns the same id. Raises AlreadyExists, NotFoundError,
        InvalidTransition, DomainError, InvalidValue; nothing is written on error."""
        return self._handle(CreateContract(  # type: ignore[no-any-return]
            subject=subject, documents=tuple(documents), signatories=tuple(signatories), send=send,
            ordinal=ordinal, biz_id=biz_id, tenant_name=sponsor, category_name=category_name,
            expire_time=expire_time, description=description, actor=actor))

    def send_contract(self, contract_id: int, *, expire_time: datetime | None = None) -> None:
        self._handle(SendContract(contract_id=contract_id, expire_time=expire_time))

    def sign_contract_as_company(self, contract_id: int, *, company: str | None = None, member_id: int | None = None,
                                 seal_id: int | None = None, stampers: Sequence[StamperSpec] = ()) -> None:
        """Apply the company seal of ``company`` (default: the platform enterprise), as ``member_id``
        (default: its first member authorised for the seal used). Raises PermissionDenied,
        InvalidTransition (not its turn), NotFoundError, SigningError."""
        org = self._enterprise(company)
        if member_id is None:
            member_id = self._seal_holder(org, seal_id)
        self._handle(SignAsCompany(contract_id=contract_id, tenant_name=org.name, by_member_id=member_id,
                                   seal_id=seal_id, stampers=tuple(stampers)))

    def sign_contract_as_person(self, contract_id: int, *, name: str, contact: str, id_number: str | None = None,
                                signature_png: bytes | None = None, stampers: Sequence[StamperSpec] = ()) -> None:
        """Sign as a personal signatory (``contact``: the mobile or e-mail on the contract)."""
        self._handle(SignAsPerson(contract_id=contract_id, name=name, contact=contact, id_number=id_number,
                                  signature_png=signature_png, stampers=tuple(stampers)))

    def contract(self, contract_id: int | None = None, *, biz_id: str | None = None) -> queries.ContractView:
        """The contract with its documents (status, signatories, actions)."""
        return self._handle(queries.GetContract(contract_id=contract_id, biz_id=biz_id))  # type: ignore[no-any-return]

    def download_contract(self, contract_id: int | None = None, *,
                          biz_id: str | None = None) -> tuple[queries.DocumentFile, ...]:
        """The current (signed) PDF of every document of the contract."""
        return self._handle(  # type: ignore[no-any-return]
            queries.GetContractFiles(contract_id=contract_id, biz_id=biz_id))

    def download_document(self, document_id: int) -> bytes:
        file: queries.DocumentFile = self._handle(queries.GetDocumentFile(document_id=document_id))
        return file.pdf

    # -- enterprises, members, seals ---------------------------------------------------------------
    def import_directory(self, kind: ImportKind | str, path: str | os.PathLike[str], *,
                         atomic: bool = True) -> ImportReport:
        """Batch-import one spreadsheet (.xlsx or .xls) of a template kind (org units, external
        enterprises, members, enterprise or personal contacts), as 用户管理 → 批量导入 does. With
        ``atomic`` any rejected row means nothing is written; re-importing the same file changes
        nothing. Returns the counts and the rejected rows with their reasons. Raises InvalidValue
        (unsafe, unreadable or wrong file), QuotaExceeded, LicenceError."""
        from pathlib import Path

        from esign_adapters.directory_io import run_import

        outcome = run_import(self._platform, ImportKind(kind), Path(path), atomic=atomic)
        return outcome.report

    def configure_directory_sync(self, source: str, config: dict[str, str] | None = None, *,
                                 companies: Sequence[SyncScope] | None = None, member_sync: bool = True) -> None:
        """集成中心 → 组织成员同步: save an OA connector's settings (e.g. ``ecology`` with
        ``address`` and ``namespace``; None keeps the stored ones) and the companies to sync (None
        keeps them). Raises ConfigurationError for a bad setting and DomainError when another
        system is already the member-sync source (only one may be)."""
        self._platform.configure_org_sync(source, config, member_sync=member_sync,
                                          scopes=tuple(companies) if companies is not None else None)

    def sync_directory(self, source: str | None = None) -> SyncReport:
        """Run (or resume) a directory sync from ``source`` (default: the member-sync source) and
        return its report: status, created / updated / disabled counts, row errors. An OA that
        cannot be read gives an INTERRUPTED report (resumed by the next call), not an exception."""
        report: SyncReport = self._platform.sync_directory(source, trigger="library")
        return report

    def _enterprise(self, name: str | None) -> Organization:
        with self._platform.uow() as uow:
            org = uow.organizations.platform() if not name else uow.organizations.by_name(name)
        if org is None:
            raise NotFoundError(f"no internal enterprise {name!r}" if name else "the platform is not initialised",
                                field="company")
        return org  # type: ignore[no-any-return]

    def platform_enterprise(self) -> str:
        """The name of the platform enterprise (the default sponsor and seal owner)."""
        return self._enterprise(None).name

    def members(self, company: str | None = None) -> Sequence[Member]:
        """The members (employees) of ``company`` (default: the platform enterprise)."""
        org = self._enterprise(company)
        with self._platform.uow() as uow:
            return tuple(uow.members.of_org(org.id))

    def _seal_holder(self, org: Organization, seal_id: int | None) -> int:
        for seal in self.seals(org.name):
            if (seal_id is None or seal.id == seal_id) and seal.kind is SealKind.COMPANY \
                    and seal.authorized_member_ids:
                return min(seal.authorized_member_ids)
        raise NotFoundError(f"no member of {org.name} is authorised for a company seal: give member_id",
                            field="member_id")

    def seals(self, company: str | None = None) -> Sequence[Seal]:
        """The seals of ``company`` (default: the platform enterprise), deleted ones left out."""
        return self._handle(queries.ListSeals(company_name=company))  # type: ignore[no-any-return]

    def create_seal(self, *, company: str | None = None, kind: SealKind = SealKind.COMPANY, name: str | None = None,
                    spec: str = "CIRCULAR_42", image: bytes | None = None,
                    authorize_member_ids: Sequence[int] = ()) -> int:
        """Make a seal for an enterprise, drawn from its name or from ``image`` (a PNG); return its
        id. Raises NotFoundError, DomainError, PermissionDenied (custom images not allowed)."""
        org = self._enterprise(company)
        return self._handle(seal_cases.CreateSeal(  # type: ignore[no-any-return]
            owner_id=org.id, kind=kind, name=name, spec=spec, upload=image,
            authorize_member_ids=tuple(authorize_member_ids)))

    def authorize_seal(self, seal_id: int, member_id: int, *, revoke: bool = False) -> None:
        self._handle(seal_cases.AuthorizeSeal(seal_id=seal_id, member_id=member_id, revoke=revoke))

    def draw_seal(self, text: str, *, style: SealStyle = SealStyle.COMPANY_ROUND, type_text: str = "",
                  width_mm: float = 42.0, height_mm: float = 42.0, dpi: int = 300) -> bytes:
        """A seal or signature image (PNG, transparent background), as ``esign seal make``."""
        design = SealDesign(style, text, type_text, width_mm=width_mm, height_mm=height_mm)
        return self._platform.seal_renderer.render(design, dpi=dpi)  # type: ignore[no-any-return]

    # -- certificates --------------------------------------------------------------------------------
    def issue_certificate(self, name: str, code: str, *, enterprise: bool = False, days: int = 730) -> Certificate:
        """Issue a long-term certificate from the internal CA (``code``: USCC or ID number)."""
        subject_type = SubjectType.ENTERPRISE if enterprise else SubjectType.PERSONAL
        cert_id = self._handle(cert_cases.IssueLongTermCertificate(name, subject_type, code, days))
        return self._certificate(cert_id)

    def import_certificate(self, data: bytes, *, password: bytes | None = None) -> Certificate:
        """Import a PKCS#12 or PEM certificate with its key."""
        return self._certificate(self._handle(cert_cases.ImportCertificate(data, password)))

    def revoke_certificate(self, serial: str, *, reason: str = "unspecified") -> None:
        self._handle(cert_cases.RevokeCertificate(serial, reason))

    def certificates(self, *, kind: CertificateKind | None = None, subject_name: str | None = None,
                     limit: int = 100, offset: int = 0) -> Sequence[Certificate]:
        with self._platform.uow() as uow:
            return tuple(uow.certificates.search(kind=kind, subject_name=subject_name, limit=limit, offset=offset))

    def _certificate(self, cert_id: int) -> Certificate:
        with self._platform.uow() as uow:
            found = uow.certificates.find(cert_id)
        if found is None:
            raise ConfigurationError("the certificate just recorded cannot be read back", id=str(cert_id))
        return found  # type: ignore[no-any-return]
