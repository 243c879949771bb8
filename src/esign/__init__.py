"""esign as a library: the one supported entry point for applications that embed the platform.

::

    import esign

    with esign.open_platform(memory=True) as platform:
        signed = platform.sign_pdf(pdf, esign.Signer.person("张三", "11010519491231002X"),
                                   esign.Placement.page(1, 0.6, 0.1))
        assert platform.verify_pdf(signed).indication is esign.Indication.TOTAL_PASSED

Everything importable from this module (``esign.__all__``) is the public, typed surface (checked
by ``mypy --strict``) and follows semantic versioning. The packages ``esign_core``,
``esign_adapters``, ``esign_http`` and ``esign_cli`` are the implementation: usable, but they change
without notice — except ``esign_core.testing`` (in-memory fakes of every port) and
``esign_adapters.testing`` (port contract suites), which plugin authors rely on. See
docs/embedding.md.
"""


from esign._open import PORT_NAMES, open_platform
from esign._open_client import issue_sso_ticket, qys_open_headers, sign_open_request
from esign._platform import EsignPlatform
from esign._types import Placement, Signer
from esign_core import __version__
from esign_core.errors import (
    AlreadyExists,
    ConfigurationError,
    DomainError,
    EsignError,
    InvalidTransition,
    InvalidValue,
    LicenceError,
    NotFoundError,
    PermissionDenied,
    PortError,
    QuotaExceeded,
    SigningError,
    StorageError,
)
from esign_core.model.certificate import Certificate, CertificateKind, SubjectType
from esign_core.model.contract import ActionType, Contract, ContractStatus, StamperType
from esign_core.model.import_rows import ImportKind
from esign_core.model.org import Member, TenantType
from esign_core.model.org_sync import SyncReport, SyncScope, SyncStatus
from esign_core.model.seal import Seal, SealKind
from esign_core.ports.signing import SealStyle, SignatureLevel
from esign_core.services.contract_queries import ContractView, DocumentFile
from esign_core.services.contract_specs import ActionSpec, SignatorySpec, StamperSpec
from esign_core.services.directory_import import ImportReport
from esign_core.services.setup import InitResult
from esign_core.values import Indication, KeywordPosition, PagePosition, SignatureReport, ValidationReport

__all__ = [
    # opening a platform
    "open_platform",
    "EsignPlatform",
    "PORT_NAMES",
    "InitResult",
    # signing loose PDFs
    "Signer",
    "Placement",
    "PagePosition",
    "KeywordPosition",
    "SignatureLevel",
    "ValidationReport",
    "SignatureReport",
    "Indication",
    # contracts
    "SignatorySpec",
    "ActionSpec",
    "StamperSpec",
    "TenantType",
    "ActionType",
    "StamperType",
    "Contract",
    "ContractStatus",
    "ContractView",
    "DocumentFile",
    "Member",
    # the directory (用户管理)
    "ImportKind",
    "ImportReport",
    "SyncScope",
    "SyncReport",
    "SyncStatus",
    # seals and certificates
    "Seal",
    "SealKind",
    "SealStyle",
    "Certificate",
    "CertificateKind",
    "SubjectType",
    # errors
    "EsignError",
    "DomainError",
    "InvalidValue",
    "InvalidTransition",
    "AlreadyExists",
    "LicenceError",
    "QuotaExceeded",
    "NotFoundError",
    "PermissionDenied",
    "PortError",
    "ConfigurationError",
    "StorageError",
    "SigningError",
    # calling the open API, single sign-on (docs/open-api.md)
    "sign_open_request",
    "qys_open_headers",
    "issue_sso_ticket",
    "__version__",
]
