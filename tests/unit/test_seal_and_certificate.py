"""Seals, the seal-type catalogue and certificate metadata."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from esign_core.errors import DomainError, InvalidTransition, InvalidValue, PermissionDenied
from esign_core.model.certificate import (
    Certificate,
    CertificateKind,
    CertificateRevoked,
    CertificateStatus,
    SubjectType,
)
from esign_core.model.seal import (
    DEFAULT_SEAL_TYPES,
    SEAL_SPECS,
    SEAL_STATUS_LABELS,
    Seal,
    SealKind,
    SealSpec,
    SealStatus,
    SealType,
    SealUsed,
)

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
KEEPER, STRANGER = 41, 42


def seal() -> Seal:
    s = Seal(id=60, owner_id=10, name="合同专用章", kind=SealKind.COMPANY, created_at=T0)
    s.authorize(KEEPER)
    return s


# -- seals -------------------------------------------------------------------------------------


def test_authorized_member_uses_a_normal_seal_and_the_use_is_counted() -> None:
    s = seal()
    s.use(by_member_id=KEEPER, contract_id=1)
    s.use(by_member_id=KEEPER, contract_id=None)
    assert s.use_count == 2
    assert s.collect_events() == [SealUsed(60, KEEPER, 1), SealUsed(60, KEEPER, None)]


def test_unauthorized_member_cannot_use_the_seal() -> None:
    s = seal()
    with pytest.raises(PermissionDenied):
        s.use(by_member_id=STRANGER, contract_id=1)
    assert s.use_count == 0
    assert s.collect_events() == []


def test_deauthorized_member_can_no_longer_use_the_seal() -> None:
    s = seal()
    s.deauthorize(KEEPER)
    with pytest.raises(PermissionDenied):
        s.use(by_member_id=KEEPER, contract_id=1)


@pytest.mark.parametrize("status", [SealStatus.FREEZE, SealStatus.DELETE, SealStatus.INVALID])
def test_seal_that_is_not_normal_cannot_be_used_even_by_its_keeper(status: SealStatus) -> None:
    s = seal()
    s.status = status
    with pytest.raises(InvalidTransition):
        s.use(by_member_id=KEEPER, contract_id=1)
    assert s.use_count == 0


def test_frozen_seal_is_refused_and_usable_again_after_unfreeze() -> None:
    s = seal()
    s.freeze()
    with pytest.raises(InvalidTransition):
        s.use(by_member_id=KEEPER, contract_id=1)
    s.unfreeze()
    assert s.status is SealStatus.NORMAL
    s.use(by_member_id=KEEPER, contract_id=1)
    assert s.use_count == 1


@pytest.mark.parametrize("status", [SealStatus.NORMAL, SealStatus.DELETE, SealStatus.INVALID])
def test_unfreeze_is_only_allowed_from_freeze(status: SealStatus) -> None:
    s = seal()
    s.status = status
    with pytest.raises(InvalidTransition):
        s.unfreeze()
    assert s.status is status


def test_deleted_seal_cannot_be_frozen() -> None:
    s = seal()
    s.delete()
    with pytest.raises(InvalidTransition):
        s.freeze()
    assert s.status is SealStatus.DELETE


def test_seal_name_is_required() -> None:
    with pytest.raises(InvalidValue):
        Seal(id=1, owner_id=1, name=" ", kind=SealKind.PERSONAL, created_at=T0)


def test_every_seal_status_has_a_label() -> None:
    assert set(SEAL_STATUS_LABELS) == set(SealStatus)


# -- specs and types ---------------------------------------------------------------------------


def test_seal_defaults_to_a_42mm_circle() -> None:
    assert seal().spec == SealSpec("CIRCULAR_42", "CIRCULAR", 42, 42)


@pytest.mark.parametrize(
    "key, shape, width, height",
    [
        ("CIRCULAR_58", "CIRCULAR", 58, 58),
        ("OVAL_45_30", "OVAL", 45, 30),
        ("SQUARE_20_20", "SQUARE", 20, 20),
        ("RECTANGLE_40_16", "RECTANGLE", 40, 16),
    ],
)
def test_seal_spec_of_a_known_key(key: str, shape: str, width: int, height: int) -> None:
    assert SealSpec.of(key) == SealSpec(key, shape, width, height)


@pytest.mark.parametrize("key", ["CIRCULAR_99", "circular_42", ""])
def test_seal_spec_of_an_unknown_key_is_refused(key: str) -> None:
    with pytest.raises(DomainError) as exc:
        SealSpec.of(key)
    assert exc.value.fields["field"] == "spec"
    assert exc.value.fields["allowed"] == sorted(SEAL_SPECS)


def test_seal_type_is_renamed_disabled_and_enabled() -> None:
    t = SealType(id=1, name="公章", builtin=True)
    t.rename(" 单位公章 ")
    t.disable()
    assert (t.name, t.enabled) == ("单位公章", False)
    t.enable()
    assert t.enabled
    with pytest.raises(InvalidValue):
        t.rename("章" * 21)


def test_default_seal_types_include_the_common_company_seals() -> None:
    assert DEFAULT_SEAL_TYPES[:2] == ("公章", "合同专用章")
    assert len(set(DEFAULT_SEAL_TYPES)) == len(DEFAULT_SEAL_TYPES)


# -- certificates ------------------------------------------------------------------------------

NOT_BEFORE = T0
NOT_AFTER = T0 + timedelta(days=365)


def certificate(**overrides: object) -> Certificate:
    fields: dict[str, object] = {
        "id": 70,
        "kind": CertificateKind.LONG_TERM,
        "subject_name": "示例集团",
        "subject_type": SubjectType.ENTERPRISE,
        "subject_code": "91350100M000100Y43",
        "serial": "0a1b2c",
        "issuer": "CN=Test CA",
        "ca_name": "Test CA",
        "not_before": NOT_BEFORE,
        "not_after": NOT_AFTER,
        "key_ref": "keystore:70",
    }
    fields.update(overrides)
    return Certificate(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("not_after", [NOT_BEFORE, NOT_BEFORE - timedelta(seconds=1)])
def test_certificate_ending_before_it_starts_is_refused(not_after: datetime) -> None:
    with pytest.raises(DomainError):
        certificate(not_after=not_after)


@pytest.mark.parametrize(
    "at, valid",
    [
        (NOT_BEFORE - timedelta(seconds=1), False),
        (NOT_BEFORE, True),
        (NOT_AFTER - timedelta(seconds=1), True),
        (NOT_AFTER, False),
    ],
)
def test_certificate_is_valid_from_not_before_until_not_after(at: datetime, valid: bool) -> None:
    assert certificate().is_valid_at(at) is valid


def test_revoked_certificate_is_no_longer_valid() -> None:
    cert = certificate()
    cert.revoke(reason=" 私钥泄露 ", at=T0 + timedelta(days=1))
    assert cert.status is CertificateStatus.REVOKED
    assert (cert.revoked_at, cert.revocation_reason) == (T0 + timedelta(days=1), "私钥泄露")
    assert not cert.is_valid_at(T0 + timedelta(days=2))
    assert cert.collect_events() == [CertificateRevoked(70, "0a1b2c", "私钥泄露", T0 + timedelta(days=1))]


def test_revoking_twice_is_refused() -> None:
    cert = certificate()
    cert.revoke(reason="私钥泄露", at=T0)
    with pytest.raises(InvalidTransition):
        cert.revoke(reason="again", at=T0 + timedelta(days=1))
    assert (cert.revoked_at, cert.revocation_reason) == (T0, "私钥泄露")


def test_revoking_with_a_blank_reason_is_refused_and_changes_nothing() -> None:
    cert = certificate()
    with pytest.raises(InvalidValue):
        cert.revoke(reason=" ", at=T0)
    assert cert.status is CertificateStatus.VALID


def test_certificate_repr_hides_subject_code_and_key_reference() -> None:
    text = repr(certificate())
    assert "91350100M000100Y43" not in text
    assert "keystore:70" not in text
