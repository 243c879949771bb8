"""Ports: ``typing.Protocol`` classes named for the role an adapter plays."""

from esign_core.ports.repositories import (
    AdminAccountRepository,
    CategoryRepository,
    CertificateRepository,
    ContactRepository,
    ContractRepository,
    DocumentRepository,
    InstallationRepository,
    MemberRepository,
    OrganizationRepository,
    RoleRepository,
    SealRepository,
    SealTypeRepository,
    SettingsRepository,
    UKeyRepository,
    UserRepository,
)
from esign_core.ports.system import Clock, IdGenerator, LicenceVerifier, PasswordHasher, SecretBox
from esign_core.ports.uow import UnitOfWork

__all__ = [
    "AdminAccountRepository",
    "CategoryRepository",
    "CertificateRepository",
    "Clock",
    "ContactRepository",
    "ContractRepository",
    "DocumentRepository",
    "IdGenerator",
    "InstallationRepository",
    "LicenceVerifier",
    "MemberRepository",
    "OrganizationRepository",
    "PasswordHasher",
    "RoleRepository",
    "SealRepository",
    "SealTypeRepository",
    "SecretBox",
    "SettingsRepository",
    "UKeyRepository",
    "UnitOfWork",
    "UserRepository",
]
