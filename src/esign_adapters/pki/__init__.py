"""Internal PKI: root + issuing CA, event and long-term certificates, CRL and OCSP.

``pyhanko_bridge`` (imported on its own, it pulls in pyHanko) turns credentials into pyHanko
signers and builds validation contexts that need no network.
"""

from esign_adapters.pki.ca import DEFAULT_BASE_URL, InternalCertificateAuthority
from esign_adapters.pki.keystore import PkiKeyStore
from esign_adapters.pki.revocation import JsonRevocationStore, RevocationEntry, RevocationStore

__all__ = [
    "DEFAULT_BASE_URL",
    "InternalCertificateAuthority",
    "JsonRevocationStore",
    "PkiKeyStore",
    "RevocationEntry",
    "RevocationStore",
]
