"""In-memory fakes of every port, shipped so that integrators' tests can use them too."""

from esign_core.testing.fake_pki import FakeCertificateAuthority
from esign_core.testing.fake_seals import FakeSealRenderer
from esign_core.testing.fake_signing import FakePdfScreener, FakePdfSigner, FakeSignatureValidator
from esign_core.testing.fake_storage import (
    InMemoryBlobReferences,
    InMemoryBlobStore,
    InMemoryMigrationJournal,
    StaticBlobReferences,
)
from esign_core.testing.fakes import (
    FakeLicenceVerifier,
    FixedClock,
    InMemoryDatabase,
    InMemoryUnitOfWork,
    PlainPasswordHasher,
    SequentialIds,
    XorSecretBox,
    bootstrap_test_bus,
)

__all__ = [
    "FakeCertificateAuthority",
    "FakePdfScreener",
    "FakePdfSigner",
    "FakeSealRenderer",
    "FakeSignatureValidator",
    "FakeLicenceVerifier",
    "FixedClock",
    "InMemoryBlobReferences",
    "InMemoryBlobStore",
    "InMemoryMigrationJournal",
    "StaticBlobReferences",
    "InMemoryDatabase",
    "InMemoryUnitOfWork",
    "PlainPasswordHasher",
    "SequentialIds",
    "XorSecretBox",
    "bootstrap_test_bus",
]
