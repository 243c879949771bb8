"""The block-wise hex-string reader gives exactly what pyHanko's own reader gives: same string, same
stream position afterwards, same error."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esign_adapters.signing import pyhanko_speedups


def _both(data: bytes) -> tuple[object, object]:
    results = []
    for reader in (pyhanko_speedups._original, pyhanko_speedups.read_hex_string_from_stream):
        stream = io.BytesIO(data)
        try:
            value = reader(stream)
            results.append((type(value), bytes(value.original_bytes), stream.tell()))
        except Exception as exc:  # the same exception type is the contract
            results.append((type(exc), None, None))
    return results[0], results[1]


@pytest.mark.parametrize(
    "data",
    [
        b"<>", b"<00>rest", b"<FEFF5F204E09> /Next", b"<abc>", b"<0 1\n2\r3\t4\x005\x0c6>", b"<4142",
        b"<41%comment\n42>", b"<41zz>", b"<" + b"30" * 20000 + b">trailing", b"<" + b"0" * 8191 + b">",
    ],
)
def test_same_result_as_pyhanko(data: bytes) -> None:
    ours, theirs = _both(data)
    assert ours == theirs


@given(st.binary(max_size=64).map(lambda b: b"<" + b.replace(b">", b"") + b">" + b"tail"))
def test_same_result_for_any_bytes(data: bytes) -> None:
    ours, theirs = _both(data)
    assert ours == theirs


@given(st.text(alphabet="0123456789abcdefABCDEF \n\r\t", max_size=200))
def test_same_result_for_hex_with_whitespace(text: str) -> None:
    ours, theirs = _both(b"<" + text.encode() + b">x")
    assert ours == theirs


def test_installed_by_the_validator() -> None:
    from pyhanko.pdf_utils import generic

    import esign_adapters.signing.validator  # noqa: F401

    assert generic.read_hex_string_from_stream is pyhanko_speedups.read_hex_string_from_stream
    from pyhanko.sign import general

    assert general.match_issuer_serial is pyhanko_speedups.match_issuer_serial


def test_issuer_serial_matching_agrees_with_pyhanko(pki) -> None:  # type: ignore[no-untyped-def]
    from asn1crypto import cms

    certs = [pki.leaf().asn1, pki.issuing.asn1, pki.root.asn1, pki.tsa.asn1]
    for wanted in certs:
        sid = cms.IssuerAndSerialNumber({"issuer": wanted.issuer, "serial_number": wanted.serial_number})
        for cert in certs:
            assert pyhanko_speedups.match_issuer_serial(sid, cert) is pyhanko_speedups._original_match(sid, cert)
            assert pyhanko_speedups.match_issuer_serial(sid, cert) is (cert is wanted)
