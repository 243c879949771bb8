"""证书管理 pages (manual 四.3) over real data: certificates issued by real signatures, a PKCS#12
imported through the page (good and bad files), UKeys registered, lost and revoked; the pages
need the 证书管理 permission and show in the console navigation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from http_flows import activate, csrf_of, login
from test_open_api import contract_pdf

from esign_core.model.certificate import SubjectType
from esign_core.ports.signing import Subject
from esign_core.services.signing import SignPdf

BASE = "/console/certificates"
COMPANY = Subject("示例科技有限公司", SubjectType.ENTERPRISE, "91350100M000100Y43")
PERSON = Subject("张三", SubjectType.PERSONAL, "11010519491231002X")


@pytest.fixture
def logged_in(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    assert login(client).status_code == 302
    return client


def _p12(*, days: int = 365, password: bytes = b"pw", key_usage_signing: bool = True) -> bytes:
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Foreign CA")])
    now = datetime.now(UTC)
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
               .serial_number(1).not_valid_before(now - timedelta(days=400)).not_valid_after(now + timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .sign(ca_key, hashes.SHA256()))
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "导入科技有限公司"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "导入科技有限公司")])
    usage = x509.KeyUsage(key_usage_signing, key_usage_signing, not key_usage_signing, False, False, False, False,
                          False, False)
    leaf = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(key.public_key())
            .serial_number(0xABCDEF).not_valid_before(now - timedelta(days=400))
            .not_valid_after(now + timedelta(days=days))
            .add_extension(usage, critical=True).sign(ca_key, hashes.SHA256()))
    return pkcs12.serialize_key_and_certificates(b"a", key, leaf, [ca_cert],
                                                 serialization.BestAvailableEncryption(password))


def _import(client, data: bytes, password: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(f"{BASE}/long-term").text)
    return client.post(f"{BASE}/long-term/import", data={"_csrf_token": token, "password": password},
                       files={"file": ("cert.p12", data, "application/x-pkcs12")})


def test_certificate_pages_need_a_login_and_are_in_the_navigation(client, platform, licence_for):
    activate(client, platform, licence_for(platform.product_code))
    for path in ("statistics", "events", "long-term", "ukeys"):
        r = client.get(f"{BASE}/{path}", follow_redirects=False)
        assert r.status_code == 302 and r.headers["location"].startswith("/console/login")
    assert login(client).status_code == 302
    home = client.get("/console").text
    assert f'href="{BASE}/statistics"' in home and "证书管理" in home and f'href="{BASE}/ukeys"' in home


def test_statistics_and_event_certificates_show_real_signatures(logged_in, platform):
    for who in (COMPANY, COMPANY, PERSON):
        platform.handle(SignPdf(pdf=contract_pdf(), signer=who))
    r = logged_in.get(f"{BASE}/statistics")
    assert r.status_code == 200
    assert 'id="cert-total">3<' in r.text and 'id="cert-EVENT">3<' in r.text and 'id="cert-VALID">3<' in r.text
    month = datetime.now(UTC).strftime("%Y-%m")
    assert f'data-label="{month}" data-value="3"' in r.text  # the SVG chart
    issuer = re.search(r'<table class="list" id="by-issuer">.*?</table>', r.text, re.S).group(0)  # type: ignore[union-attr]
    assert "Issuing CA" in issuer and "<td>3</td>" in issuer
    subjects = logged_in.get(f"{BASE}/statistics", params={"type": "ENTERPRISE"}).text
    table = re.search(r'id="by-subject">.*?</table>', subjects, re.S).group(0)  # type: ignore[union-attr]
    assert COMPANY.name in table and "<td>2</td>" in table and PERSON.name not in table

    events = logged_in.get(f"{BASE}/events", params={"name": "张"}).text
    assert 'id="cert-count">共 1 条' in events and PERSON.name in events
    today = datetime.now(UTC).date()
    window = {"nb_from": (today - timedelta(days=1)).isoformat(), "nb_to": today.isoformat()}
    assert '共 3 条' in logged_in.get(f"{BASE}/events", params=window).text
    assert '共 0 条' in logged_in.get(f"{BASE}/events", params={"na_to": "2000-01-01"}).text
    bad = logged_in.get(f"{BASE}/events", params={"nb_from": "yesterday"}).text
    assert 'id="error"' in bad


def test_long_term_import_good_and_bad_files(logged_in, platform):
    r = _import(logged_in, _p12(), "pw")
    assert r.status_code == 200 and "证书已导入：导入科技有限公司（序列号 abcdef）" in r.text
    assert 'data-serial="abcdef"' in r.text and "Foreign CA" in r.text
    assert "PRIVATE KEY" not in b"".join(p.read_bytes() for p in (platform.settings.data_dir / "pki" / "imported")
                                         .iterdir()).decode("latin-1")
    wrong = _import(logged_in, _p12(), "nope")
    assert wrong.status_code == 400 and "wrong password" in wrong.text
    expired = _import(logged_in, _p12(days=-1), "pw")
    assert expired.status_code == 400 and "the certificate expired on" in expired.text
    no_signing = _import(logged_in, _p12(key_usage_signing=False), "pw")
    assert no_signing.status_code == 400 and "key usage does not allow signing" in no_signing.text
    garbage = _import(logged_in, b"not a certificate", "pw")
    assert garbage.status_code == 400
    again = _import(logged_in, _p12(), "pw")  # same serial
    assert again.status_code == 409 and "already stored" in again.text
    stats = logged_in.get(f"{BASE}/statistics").text
    assert 'id="cert-LONG_TERM">1<' in stats


def test_ukey_registry_add_lose_revoke(logged_in, platform):
    page = f"{BASE}/ukeys"
    token = csrf_of(logged_in.get(page).text)
    form = {"_csrf_token": token, "device_no": "uk-0001", "certificate_serial": "AB:CD:EF", "holder": "张三",
            "subject_code": PERSON.code}
    r = logged_in.post(page, data=form)
    assert r.status_code == 200 and 'data-device="UK-0001" data-status="ACTIVE"' in r.text
    assert PERSON.code not in r.text  # the ID number is masked
    dup = logged_in.post(page, data=form)
    assert dup.status_code == 409 and 'id="error"' in dup.text
    lost = logged_in.post(f"{page}/UK-0001/status", data={"_csrf_token": token, "status": "LOST"})
    assert 'data-status="LOST"' in lost.text
    revoked = logged_in.post(f"{page}/UK-0001/status", data={"_csrf_token": token, "status": "REVOKED",
                                                            "reason": "设备损坏"})
    assert 'data-status="REVOKED"' in revoked.text and "设备损坏" in revoked.text
    again = logged_in.post(f"{page}/UK-0001/status", data={"_csrf_token": token, "status": "ACTIVE"})
    assert again.status_code == 409
    assert "共 1 条" in logged_in.get(page, params={"status": "REVOKED"}).text
    assert "共 0 条" in logged_in.get(page, params={"status": "ACTIVE"}).text


def test_english_certificate_pages(logged_in):
    logged_in.cookies.set("esign_lang", "en")
    text = logged_in.get(f"{BASE}/ukeys").text
    assert "UKey management" in text and "Register a UKey" in text
    assert "Certificate statistics" in logged_in.get(f"{BASE}/statistics").text


def test_event_certificates_page_newest_first(logged_in, platform):
    with platform.uow() as uow:
        for i in range(25):
            who = Subject(f"用户{i:02d}", SubjectType.PERSONAL, PERSON.code)
            uow.certificates.add(platform.ca.issue_event_certificate(who, at=platform.clock.now()).certificate)
        uow.commit()
    first = logged_in.get(f"{BASE}/events").text
    assert "共 25 条" in first and "1 / 2" in first
    names = re.findall(r"<td>(用户\d\d)</td>", first)
    assert names[0] == "用户24" and len(names) == 20
    second = re.findall(r"<td>(用户\d\d)</td>", logged_in.get(f"{BASE}/events", params={"page": 2}).text)
    assert second == ["用户04", "用户03", "用户02", "用户01", "用户00"]
