"""`esign pki` against a real activated installation (SQLite, real CA)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from tests.cli.conftest import init_args


def _p12(tmp_path, password: bytes) -> str:  # type: ignore[no-untyped-def]
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"), x509.NameAttribute(NameOID.COMMON_NAME, "王五")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(0x5EED).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=90))
            .sign(key, hashes.SHA256()))
    path = tmp_path / "wang.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"wang", key, cert, None, serialization.BestAvailableEncryption(password)))
    return str(path)


def test_activation_creates_the_ca_and_pki_commands_work(run, data_dir, licence_for, tmp_path):
    assert run(*init_args(data_dir, licence_for(data_dir))).exit_code == 0
    again = run("--data-dir", str(data_dir), "pki", "init")
    assert again.exit_code != 0 and "already exists" in again.output

    issued = run("--data-dir", str(data_dir), "pki", "issue", "--name", "示例科技有限公司", "--type", "enterprise",
                 "--code", "91350100M000100Y43", "--days", "365")
    assert issued.exit_code == 0, issued.output
    assert "LONG_TERM" in issued.output

    bad = run("--data-dir", str(data_dir), "pki", "import", _p12(tmp_path, b"right"), "--password", "wrong")
    assert bad.exit_code == 2 and "password" in bad.output
    imported = run("--data-dir", str(data_dir), "pki", "import", _p12(tmp_path, b"right"), "--password", "right")
    assert imported.exit_code == 0, imported.output
    assert "王五" in imported.output and "5eed" in imported.output

    listed = run("--data-dir", str(data_dir), "pki", "list", "--kind", "long_term")
    assert "示例科技有限公司" in listed.output and "王五" in listed.output

    serial = next(line.split("│")[4].strip() for line in issued.output.splitlines() if "LONG_TERM" in line)
    assert run("--data-dir", str(data_dir), "pki", "revoke", serial, "--reason", "keyCompromise").exit_code == 0
    assert "REVOKED" in run("--data-dir", str(data_dir), "pki", "list", "--name", "示例").output
    assert run("--data-dir", str(data_dir), "pki", "revoke", "5eed", "--reason", "left").exit_code == 0

    pem = run("--data-dir", str(data_dir), "pki", "root").output
    assert x509.load_pem_x509_certificate(pem.encode()).subject.rfc4514_string().endswith("C=CN")
