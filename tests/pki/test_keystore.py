"""CA keys at rest: sealed under the KEK, reloadable with the same KEK only, never overwritten."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from esign_adapters.pki import InternalCertificateAuthority, PkiKeyStore
from esign_adapters.security import AesGcmSecretBox
from esign_core.errors import AlreadyExists, ConfigurationError, InvalidValue
from esign_core.model.certificate import CertificateKind

from .conftest import PERSON


def _all_bytes(directory: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in directory.rglob("*") if p.is_file()]


def test_init_creates_root_and_issuing_ca_that_reload_with_the_same_kek(make_ca, kek, clock) -> None:
    first = make_ca(kek)
    root, issuing = first.init(at=clock.now())
    assert (root.kind, issuing.kind) == (CertificateKind.CA, CertificateKind.CA)
    assert (issuing.not_after - issuing.not_before).days >= 5 * 365
    assert (root.not_after - root.not_before).days >= 10 * 365

    again = make_ca(kek)  # a new process: nothing cached
    assert again.is_initialized()
    assert again.trust_anchors_pem() == first.trust_anchors_pem()
    cred = again.issue_event_certificate(PERSON, at=clock.now())
    assert cred.chain_der[1:] == first.ca_chain_der()


def test_wrong_kek_is_a_clear_configuration_error(make_ca, kek, clock) -> None:
    make_ca(kek).init(at=clock.now())
    other = make_ca(os.urandom(32))
    with pytest.raises(ConfigurationError, match="key-encryption key") as info:
        other.issue_event_certificate(PERSON, at=clock.now())
    assert info.value.fields["path"].endswith("root.key")


def test_private_keys_on_disk_are_neither_pem_nor_raw(ca: InternalCertificateAuthority, clock, tmp_path) -> None:
    long_term = ca.issue_long_term_certificate(PERSON, at=clock.now(), days=365)
    ca.tsa_credential(at=clock.now())
    root_key = ca.keystore.load_ca("root")[1]
    issuing_key = ca.keystore.load_ca("issuing")[1]
    secrets = []
    for key in (root_key, issuing_key, long_term.key_handle):
        secrets.append(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
        secrets.append(key.private_numbers().private_value.to_bytes(32, "big"))
    files = _all_bytes(tmp_path / "pki")
    assert any(p.suffix == ".key" for p, _ in files)
    for path, data in files:
        assert b"PRIVATE KEY" not in data, path
        for secret in secrets:
            assert secret not in data, path
    for path, _ in files:
        if path.suffix == ".key":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_init_over_an_existing_ca_is_refused_and_leaves_it_untouched(ca, make_ca, kek, clock, tmp_path) -> None:
    before = _all_bytes(tmp_path / "pki")
    with pytest.raises(AlreadyExists):
        make_ca(kek).init(at=clock.now())
    with pytest.raises(AlreadyExists):
        ca.init(at=clock.now())
    assert _all_bytes(tmp_path / "pki") == before


def test_partial_ca_directory_also_blocks_init(make_ca, kek, clock, tmp_path) -> None:
    (tmp_path / "pki" / "ca").mkdir(parents=True)
    (tmp_path / "pki" / "ca" / "root.key").write_text("v1.left-over")
    with pytest.raises(AlreadyExists):
        make_ca(kek).init(at=clock.now())


def test_uninitialised_ca_refuses_to_issue(make_ca, kek, clock) -> None:
    with pytest.raises(ConfigurationError, match="not initialised"):
        make_ca(kek).issue_event_certificate(PERSON, at=clock.now())


def test_damaged_key_file_is_a_configuration_error(ca, make_ca, kek, clock, tmp_path) -> None:
    (tmp_path / "pki" / "ca" / "issuing.key").write_text("v1.!!!")
    with pytest.raises(ConfigurationError):
        make_ca(kek).crl()


@pytest.mark.parametrize("key_ref", ["file:longterm/../ca/root.key", "file:/etc/passwd", "longterm/ab.key",
                                     "file:ca/root.key"])
def test_key_references_outside_the_store_are_refused(tmp_path, kek, key_ref) -> None:
    store = PkiKeyStore(tmp_path, AesGcmSecretBox(kek))
    with pytest.raises(InvalidValue):
        store.load_entity(key_ref)


def test_ca_validity_bounds_are_checked(make_ca, kek, clock) -> None:
    with pytest.raises(InvalidValue):
        make_ca(kek).init(at=clock.now(), root_years=30)
    with pytest.raises(InvalidValue):
        make_ca(kek).init(at=clock.now(), root_years=10, issuing_years=11)


def test_base_url_must_be_http(make_ca, kek) -> None:
    with pytest.raises(ConfigurationError):
        make_ca(kek, base_url="ldap://x/pki")


def test_settings_reject_unknown_keys(tmp_path, kek, clock) -> None:
    from esign_core.testing import SequentialIds

    kwargs = dict(default_base_url="http://127.0.0.1:9181/pki", secret_box=AesGcmSecretBox(kek), clock=clock,
                  ids=SequentialIds())
    ca = InternalCertificateAuthority.from_settings(tmp_path, {"base_url": "https://sign.example.cn/pki"}, **kwargs)
    assert ca.ocsp_url == "https://sign.example.cn/pki/ocsp"
    with pytest.raises(ConfigurationError, match="unknown"):
        InternalCertificateAuthority.from_settings(tmp_path, {"base_ur": "x"}, **kwargs)


def test_organization_and_periods_are_checked(make_ca, kek) -> None:
    from datetime import timedelta

    with pytest.raises(ConfigurationError):
        make_ca(kek, organization="x" * 41)
    with pytest.raises(ConfigurationError):
        make_ca(kek, event_validity=timedelta(0))
