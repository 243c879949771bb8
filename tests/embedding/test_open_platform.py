"""``esign.open_platform``: in memory (real signatures, nothing left behind), from a dict or a data
directory on SQLite, and with explicit adapters (the in-memory fakes); the facade's use cases end
to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import esign
from esign_adapters.licensing import generate_vendor_keys, issue_licence
from esign_core.model.installation import Quotas
from esign_core.testing import (
    FakeCertificateAuthority,
    FakePdfScreener,
    FakePdfSigner,
    FakeSealRenderer,
    FakeSignatureValidator,
    FixedClock,
    InMemoryUnitOfWork,
    SequentialIds,
)

PERSON_ID = "11010519491231002X"
USCC = "91350100M000100Y43"
COMPANY = "示例集团有限公司"


def activate(platform: esign.EsignPlatform, licence_code: str | None = None) -> esign.InitResult:
    return platform.initialize(licence_code=licence_code, platform_name=COMPANY, platform_uscc=USCC,
                               platform_admin_name="张三", platform_admin_mobile="13800138000",
                               admin_username="admin", admin_password="Passw0rd2026")


def two_party(doc: int) -> list[esign.SignatorySpec]:
    return [
        esign.SignatorySpec(tenant_type=esign.TenantType.CORPORATE, tenant_name=COMPANY, serial_no=1, actions=(
            esign.ActionSpec(type=esign.ActionType.CORPORATE, name="甲方盖章", stampers=(
                esign.StamperSpec(document_id=doc, type=esign.StamperType.SEAL_CORPORATE,
                                  position=esign.PagePosition(1, 0.2, 0.1)),)),)),
        esign.SignatorySpec(tenant_type=esign.TenantType.PERSONAL, tenant_name="王五", serial_no=2,
                            contact="13900139002", actions=(
            esign.ActionSpec(type=esign.ActionType.PERSONAL, name="乙方签字", stampers=(
                esign.StamperSpec(document_id=doc, type=esign.StamperType.SEAL_PERSONAL,
                                  position=esign.PagePosition(1, 0.6, 0.1)),)),)),
    ]


def test_memory_platform_signs_and_verifies_for_real_and_leaves_nothing_behind(pdf: bytes) -> None:
    with esign.open_platform(memory=True) as platform:
        data_dir = Path(platform.data_dir)
        signed = platform.sign_pdf(pdf, esign.Signer.person("张三", PERSON_ID), esign.Placement.page(1, 0.6, 0.1),
                                   esign.Placement.timestamp(1, 0.1, 0.1))
        report = platform.verify_pdf(signed)
        assert data_dir.is_dir()
    assert signed.startswith(pdf[:8]) and len(signed) > len(pdf)
    assert report.indication is esign.Indication.TOTAL_PASSED
    assert [s.signer for s in report.signatures] == ["张三"]
    assert report.signatures[0].timestamp_time is not None
    assert not data_dir.exists()


def test_tampered_pdf_is_an_answer_not_an_exception(pdf: bytes) -> None:
    with esign.open_platform(memory=True) as platform:
        signed = platform.sign_pdf(pdf, esign.Signer.company(COMPANY, USCC), esign.Placement.page(1, 0.5, 0.5))
        tampered = signed.replace(b"ReportLab Generated", b"ReportLab Generatex", 1)
        assert tampered != signed
        assert platform.verify_pdf(tampered).indication is not esign.Indication.TOTAL_PASSED


def test_bad_input_raises_the_public_error_tree(pdf: bytes) -> None:
    with esign.open_platform(memory=True) as platform:
        with pytest.raises(esign.InvalidValue):
            platform.sign_pdf(b"not a pdf", esign.Signer.person("张三", PERSON_ID))
        with pytest.raises(esign.InvalidValue):
            platform.sign_pdf(pdf, esign.Signer.person("张三", "123"))
        with pytest.raises(esign.NotFoundError):
            platform.sign_pdf(pdf, esign.Signer.with_certificate("abcdef"))
        with pytest.raises(ValueError):  # the errors also subclass the stdlib ones
            platform.sign_pdf(b"", esign.Signer.person("张三", PERSON_ID))


def test_contract_life_cycle_through_the_facade(pdf: bytes) -> None:
    with esign.open_platform(memory=True) as platform:
        assert not platform.is_initialized()
        activate(platform)
        assert platform.is_initialized()
        admin = platform.members()[0]
        seal_id = platform.create_seal(authorize_member_ids=[admin.id])
        assert [s.id for s in platform.seals()] == [seal_id]
        doc = platform.upload_document("采购合同", pdf)
        contract_id = platform.create_contract("采购合同", documents=[doc], signatories=two_party(doc), ordinal=True,
                                               biz_id="PO-1")
        assert platform.create_contract("采购合同", documents=[doc], signatories=two_party(doc), ordinal=True,
                                        biz_id="PO-1") == contract_id  # bizId is idempotent
        with pytest.raises(esign.InvalidTransition):  # the person's turn comes second
            platform.sign_contract_as_person(contract_id, name="王五", contact="13900139002", id_number=PERSON_ID)
        platform.sign_contract_as_company(contract_id)
        platform.sign_contract_as_person(contract_id, name="王五", contact="13900139002", id_number=PERSON_ID)
        view = platform.contract(biz_id="PO-1")
        assert view.contract.status is esign.ContractStatus.COMPLETE
        (file,) = platform.download_contract(contract_id)
        assert file.pdf == platform.download_document(doc)
        report = platform.verify_pdf(file.pdf)
        assert report.indication is esign.Indication.TOTAL_PASSED
        assert [s.signer for s in report.signatures] == [COMPANY, "王五"]


def test_long_term_certificates_issue_sign_and_revoke(pdf: bytes) -> None:
    with esign.open_platform(memory=True) as platform:
        cert = platform.issue_certificate("李四", PERSON_ID)
        assert cert.kind is esign.CertificateKind.LONG_TERM
        signed = platform.sign_pdf(pdf, esign.Signer.with_certificate(cert.serial),
                                   esign.Placement.keyword("Purchase", y=0.02))
        assert platform.verify_pdf(signed).signatures[0].signer == "李四"
        platform.revoke_certificate(cert.serial, reason="keyCompromise")
        assert [c.serial for c in platform.certificates(kind=esign.CertificateKind.LONG_TERM)] == [cert.serial]
        with pytest.raises(esign.InvalidTransition):
            platform.sign_pdf(pdf, esign.Signer.with_certificate(cert.serial))


def test_dict_config_on_sqlite_with_a_real_licence(tmp_path: Path, pdf: bytes) -> None:
    private, public = generate_vendor_keys(tmp_path / "vendor")
    config = {"data_dir": str(tmp_path / "data"), "database_url": f"sqlite:///{tmp_path / 'esign.db'}",
              "licence_public_key": str(public), "pki": {"organization": "Embedded Ltd"}}
    with esign.open_platform(config) as platform:
        platform.migrate()
        now = datetime.now(UTC)
        code = issue_licence(private.read_bytes(), product_code=platform.product_code, licensee="x",
                             expires_at=now + timedelta(days=30), quotas=Quotas())
        with pytest.raises(esign.InvalidValue):
            activate(platform)  # only a memory platform licenses itself
        activate(platform, code)
        signed = platform.sign_pdf(pdf, esign.Signer.person("张三", PERSON_ID), esign.Placement.page(1, 0.6, 0.1))
    assert (tmp_path / "esign.db").exists() and (tmp_path / "data" / "pki").is_dir()
    with esign.open_platform(config) as again:  # reopened
        assert again.is_initialized()
        assert again.verify_pdf(signed).indication is esign.Indication.TOTAL_PASSED


def test_directory_import_through_the_facade_is_atomic_and_idempotent(tmp_path: Path) -> None:
    from tests.directory.workbooks import filled

    private, public = generate_vendor_keys(tmp_path / "vendor")
    config = {"data_dir": str(tmp_path / "data"), "database_url": f"sqlite:///{tmp_path / 'esign.db'}",
              "licence_public_key": str(public)}
    good = [["华东分公司", COMPANY, "部门", None, "李四", "13800000011"],
            ["华南分公司", COMPANY, "部门", None, "王五", "13800000012"]]
    with esign.open_platform(config) as platform:
        platform.migrate()
        now = datetime.now(UTC)
        activate(platform, issue_licence(private.read_bytes(), product_code=platform.product_code, licensee="x",
                                         expires_at=now + timedelta(days=30), quotas=Quotas()))
        mixed = platform.import_directory("org-units", filled(esign.ImportKind.ORG_UNITS, good + [
            ["无上级", "不存在的单位", "部门", None, "赵六", "13800000013"]], tmp_path / "mixed.xlsx"))
        assert (mixed.applied, mixed.created, mixed.rejected) == (False, 2, 1)
        path = filled(esign.ImportKind.ORG_UNITS, good, tmp_path / "good.xlsx")
        first = platform.import_directory(esign.ImportKind.ORG_UNITS, path)
        again = platform.import_directory(esign.ImportKind.ORG_UNITS, path)
    assert (first.applied, first.created, first.rejected) == (True, 2, 0)
    assert (again.created, again.updated, again.skipped) == (0, 0, 2)


def test_data_directory_path_reads_esign_toml(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "esign.toml").write_text(f'[database]\nurl = "sqlite:///{tmp_path / "via-toml.db"}"\n')
    for config in (data, data / "esign.toml", str(data)):
        with esign.open_platform(config) as platform:
            platform.migrate()
            assert not platform.is_initialized()
    assert (tmp_path / "via-toml.db").exists()
    with pytest.raises(esign.ConfigurationError):
        esign.open_platform(tmp_path / "other.toml")


def test_bad_configuration_is_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(esign.ConfigurationError, match="data_dir"):
        esign.open_platform({"database_url": "sqlite://"})
    with pytest.raises(esign.ConfigurationError, match="prot"):
        esign.open_platform({"data_dir": str(tmp_path), "prot": 1})
    with pytest.raises(esign.ConfigurationError, match="unknown adapter"):
        esign.open_platform(memory=True, storage=object())
    with pytest.raises(esign.ConfigurationError, match="not both"):
        esign.open_platform({"data_dir": str(tmp_path)}, memory=True)


def test_explicit_adapters_replace_the_ports_by_name(tmp_path: Path, pdf: bytes) -> None:
    clock, ids = FixedClock(), SequentialIds()
    signer = FakePdfSigner()
    with esign.open_platform({"data_dir": str(tmp_path)}, uow=InMemoryUnitOfWork(), clock=clock, ids=ids,
                             ca=FakeCertificateAuthority(ids=ids, clock=clock), signer=signer,
                             screener=FakePdfScreener(), validator=FakeSignatureValidator(),
                             renderer=FakeSealRenderer()) as platform:
        signed = platform.sign_pdf(b"%PDF-1.7\n", esign.Signer.person("张三", PERSON_ID),
                                   esign.Placement.page(1, 0.5, 0.5))
        assert b"%FAKE-SIGNATURE" in signed
        assert platform.verify_pdf(signed).indication is esign.Indication.TOTAL_PASSED
        (cert,) = platform.certificates()
        assert cert.not_before < clock.now()
        signer.fail_with = "hsm offline"
        with pytest.raises(esign.SigningError, match="hsm offline"):
            platform.sign_pdf(b"%PDF-1.7\n", esign.Signer.person("张三", PERSON_ID))
