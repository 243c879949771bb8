"""RFC 3161 pieces shared by the TSA adapters: requests, checking a response against the request
that caused it, and verifying a token's CMS signature with the certificate it embeds.

Every failure is a SigningError (or InvalidValue for a bad digest handed in by the caller); asn1crypto
and cryptography errors never leave this module.
"""

from __future__ import annotations

import hashlib
import os

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from esign_core.errors import InvalidValue, SigningError

DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
# verification also accepts older digests some public TSAs still use; whether they are acceptable is
# the validator's decision, not the transport's
_PYCA_HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
                "sha512": hashes.SHA512}


class TimeStampResponse(core.Sequence):
    """RFC 3161 TimeStampResp. asn1crypto's ``tsp.TimeStampResp`` declares the token mandatory and so
    cannot parse a rejection; here it is OPTIONAL as in the RFC."""

    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]


def check_imprint(message_imprint: bytes, hash_algorithm: str) -> str:
    """Normalise the algorithm name; raises InvalidValue for an unsupported one or a wrong length."""
    algorithm = (hash_algorithm or "").lower().replace("-", "")
    if algorithm not in DIGEST_SIZES:
        raise InvalidValue("hash_algorithm", f"unsupported hash algorithm {hash_algorithm!r} "
                                             f"(use one of {', '.join(DIGEST_SIZES)})")
    if not isinstance(message_imprint, bytes) or len(message_imprint) != DIGEST_SIZES[algorithm]:
        raise InvalidValue("message_imprint", f"a {algorithm} digest is {DIGEST_SIZES[algorithm]} bytes")
    return algorithm


def new_nonce() -> int:
    return int.from_bytes(os.urandom(8), "big") | (1 << 63)  # fixed width, never zero


def build_request(message_imprint: bytes, hash_algorithm: str, *, nonce: int | None) -> tsp.TimeStampReq:
    req = {
        "version": "v1",
        "message_imprint": tsp.MessageImprint({
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": hash_algorithm}),
            "hashed_message": message_imprint,
        }),
        "cert_req": True,  # the token must carry the TSA certificate so validators can build the path
    }
    if nonce is not None:
        req["nonce"] = nonce
    return tsp.TimeStampReq(req)


def token_from_response(response_der: bytes, *, message_imprint: bytes, hash_algorithm: str, nonce: int | None,
                        source: str) -> bytes:
    """The DER TimeStampToken of a granted response that matches our request. Raises SigningError
    (refused, malformed, nonce or imprint mismatch, bad signature)."""
    try:
        resp = TimeStampResponse.load(response_der)
        status = resp["status"]["status"].native
        if status not in ("granted", "granted_with_mods"):
            text = "; ".join(resp["status"]["status_string"].native or [])
            fail = ", ".join(sorted(resp["status"]["fail_info"].native or []))
            raise SigningError(f"timestamp authority {source} refused the request: {status}"
                               + (f" ({text})" if text else "") + (f" [{fail}]" if fail else ""))
        token = resp["time_stamp_token"]
        if not isinstance(token, cms.ContentInfo) or token["content_type"].native != "signed_data":
            # granted without a token, or a token that is not SignedData
            raise SigningError(f"timestamp authority {source} sent a response without a token")
        token_der = token.dump()
    except SigningError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise SigningError(f"timestamp authority {source} sent a malformed response: {exc}") from None
    info = verify_token(token_der, source=source)
    if info["nonce"].native != nonce:
        raise SigningError(f"timestamp authority {source} answered with a wrong nonce")
    imprint = info["message_imprint"]
    if (imprint["hash_algorithm"]["algorithm"].native != hash_algorithm
            or imprint["hashed_message"].native != message_imprint):
        raise SigningError(f"timestamp authority {source} stamped a different message imprint")
    return token_der


def verify_token(token_der: bytes, *, source: str = "token") -> tsp.TSTInfo:
    """Check that the token is a SignedData over a TSTInfo whose signature verifies with the embedded
    signer certificate (integrity only: trust in the TSA is the validator's job). Returns the
    TSTInfo. Raises SigningError."""
    try:
        return _verify_token(token_der, source)
    except SigningError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, StopIteration, AttributeError, UnsupportedAlgorithm,
            x509.InvalidVersion) as exc:
        # a corrupt token can fail anywhere: ASN.1, an unknown digest OID, an unparseable certificate or key
        raise SigningError(f"{source}: malformed timestamp token: {exc}") from None


def _verify_token(token_der: bytes, source: str) -> tsp.TSTInfo:
    signed = cms.ContentInfo.load(token_der)["content"]
    encap = signed["encap_content_info"]
    if encap["content_type"].native != "tst_info":
        raise SigningError(f"{source}: the token does not encapsulate a TSTInfo")
    info_der = encap["content"].contents
    info = tsp.TSTInfo.load(info_der)
    info.native  # noqa: B018 - forces the lazy parser to read every field now
    signer = signed["signer_infos"][0]
    cert = _signer_certificate(signed, signer)
    attrs = signer["signed_attrs"]
    digest_name = signer["digest_algorithm"]["algorithm"].native
    digested = next(a["values"][0].native for a in attrs if a["type"].native == "message_digest")
    content_type = next(a["values"][0].native for a in attrs if a["type"].native == "content_type")
    if content_type != "tst_info" or digested != hashlib.new(digest_name, info_der).digest():
        raise SigningError(f"{source}: the token's signed attributes do not match its content")
    _check_ess_binding(attrs, cert, source)
    signed_bytes = b"\x31" + attrs.dump()[1:]  # the signature covers the attributes as a SET OF
    _verify_signature(cert, signer["signature"].native, signed_bytes, digest_name, signer["signature_algorithm"],
                      source)
    return info


def _check_ess_binding(attrs: cms.CMSAttributes, cert: x509.Certificate, source: str) -> None:
    """RFC 3161 §2.4.1 / RFC 5816: the signed attributes name the TSA certificate by its hash."""
    der = cert.public_bytes(serialization.Encoding.DER)
    for attr in attrs:
        kind = attr["type"].native
        if kind == "signing_certificate_v2":
            ess = attr["values"][0]["certs"][0]
            algorithm = ess["hash_algorithm"]["algorithm"].native
        elif kind == "signing_certificate":
            ess, algorithm = attr["values"][0]["certs"][0], "sha1"
        else:
            continue
        if ess["cert_hash"].native != hashlib.new(algorithm, der).digest():
            raise SigningError(f"{source}: the token's TSA certificate is not the one it was signed for")
        return
    raise SigningError(f"{source}: the token does not identify its TSA certificate (no ESS signing certificate)")


def _signer_certificate(signed: cms.SignedData, signer: cms.SignerInfo) -> x509.Certificate:
    sid = signer["sid"]
    for choice in signed["certificates"] or []:
        cert = choice.chosen
        if not isinstance(cert, ax509.Certificate):
            continue
        if sid.name == "issuer_and_serial_number":
            match = (cert.issuer == sid.chosen["issuer"] and cert.serial_number == sid.chosen["serial_number"].native)
        else:
            match = cert.key_identifier == sid.chosen.native
        if match:
            return x509.load_der_x509_certificate(cert.dump())
    raise SigningError("the timestamp token does not include the TSA certificate")


def _verify_signature(cert: x509.Certificate, signature: bytes, data: bytes, digest_name: str,
                      sig_algorithm: algos.SignedDigestAlgorithm, source: str) -> None:
    key = cert.public_key()
    try:
        algorithm = _PYCA_HASHES[digest_name]()
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, rsa.RSAPublicKey) and sig_algorithm["algorithm"].native == "rsassa_pss":
            params = sig_algorithm["parameters"]
            pss_hash = _PYCA_HASHES[params["hash_algorithm"]["algorithm"].native]()
            pss = padding.PSS(mgf=padding.MGF1(pss_hash), salt_length=params["salt_length"].native)
            key.verify(signature, data, pss, pss_hash)
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            raise SigningError(f"{source}: unsupported TSA key type {type(key).__name__}")
    except (InvalidSignature, KeyError):
        raise SigningError(f"{source}: the timestamp token's signature does not verify") from None
