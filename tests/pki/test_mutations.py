"""Mutated requests and responses (seeded, bounded): the responders answer, the client raises only
SigningError — no vendor exception ever escapes."""

from __future__ import annotations

import hashlib
import random

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from esign_adapters.tsa.protocol import TimeStampResponse, build_request, token_from_response
from esign_core.errors import SigningError

from .conftest import PERSON

DIGEST = hashlib.sha256(b"x").digest()


def _mutations(data: bytes, count: int, seed: int):
    rng = random.Random(seed)
    for _ in range(count):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            i, op = rng.randrange(len(b)), rng.random()
            if op < 0.5:
                b[i] = rng.randrange(256)
            elif op < 0.75:
                del b[i]
            else:
                b.insert(i, rng.randrange(256))
        yield bytes(b)


def test_mutated_ocsp_requests_always_get_an_ocsp_response(ca, clock) -> None:
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    request = (ocsp.OCSPRequestBuilder()
               .add_certificate(x509.load_der_x509_certificate(cred.chain_der[0]),
                                x509.load_der_x509_certificate(ca.ca_chain_der()[0]), hashes.SHA1())
               .add_extension(x509.OCSPNonce(b"0123456789abcdef"), critical=False)
               .build().public_bytes(serialization.Encoding.DER))
    statuses = set()
    for mutated in _mutations(request, 400, seed=1):
        statuses.add(ocsp.load_der_ocsp_response(ca.ocsp_response(mutated)).response_status)
    assert ocsp.OCSPResponseStatus.INTERNAL_ERROR not in statuses


def test_mutated_tsa_requests_always_get_a_tsa_response(tsa) -> None:
    request = build_request(DIGEST, "sha256", nonce=7).dump()
    for mutated in _mutations(request, 400, seed=2):
        assert TimeStampResponse.load(tsa.respond(mutated))["status"]["status"].native in ("granted", "rejection")


def test_mutated_tsa_responses_only_raise_signing_error(tsa) -> None:
    response = tsa.respond(build_request(DIGEST, "sha256", nonce=7).dump())
    accepted = 0
    for mutated in _mutations(response, 600, seed=3):
        try:
            token_from_response(mutated, message_imprint=DIGEST, hash_algorithm="sha256", nonce=7, source="t")
            accepted += 1  # a flip in an unsigned part (e.g. an embedded CA certificate) is harmless
        except SigningError:
            pass
    assert accepted < 600
