"""Published test vectors, byte for byte: draft-cavage-12 Appendix C and RFC 9421 Appendix B
and section 4.3 (files in tests/data/signatures/, each naming its source).

RSASSA-PKCS1-v1_5 and Ed25519 are deterministic, so for those the published signature is also
reproduced from the private key: that proves the signing string / signature base we build is
exactly the one that was signed, not merely one our own verifier agrees with."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from activitypub.signatures import (
    BadSignatureError,
    MissingComponentError,
    SignatureRequest,
    UnsupportedComponentError,
    cavage_signing_string,
    load_private_key,
    parse_cavage_signature_header,
    parse_request_signature,
    rfc9421_signature_base,
)

DATA = Path(__file__).parents[2] / "data" / "signatures"
CAVAGE: dict[str, Any] = json.loads((DATA / "cavage-draft-12-appendix-c.json").read_text())
RFC: dict[str, Any] = json.loads((DATA / "rfc9421-appendix-b.json").read_text())
CAVAGE_NOW = 1388957500  # Sun, 05 Jan 2014 21:31:40 GMT, the Date of the draft's request
RFC_NOW = 1618884480


def _sig_bytes(header: str) -> bytes:
    """The byte sequence of a one-member Signature dictionary: `label=:base64:`."""
    return base64.b64decode(header.split("=:", 1)[1].rstrip(":"))


def _request(
    scheme: str, key_id: str, covered: tuple[str, ...], signature: bytes, data: str
) -> SignatureRequest:
    return SignatureRequest(
        key_id=key_id,
        scheme="cavage" if scheme == "cavage" else "rfc9421",
        algorithm=None,
        covered=covered,
        created=0.0,
        expires=0.0,
        signature=signature,
        signed_data=(data.encode("utf-8"),),
    )


# --- draft-cavage-12, Appendix C --------------------------------------------------------------


@pytest.mark.parametrize("case", CAVAGE["cases"], ids=lambda case: case["name"])
def test_cavage_signing_string_and_signature(case: dict[str, str]) -> None:
    request = CAVAGE["request"]
    params = parse_cavage_signature_header(case["signature_header"])
    assert params["keyId"] == "Test"
    assert params["algorithm"] == "rsa-sha256"
    covered = params.get("headers", "date").split()  # rsa-sha256 without headers: date
    signing = cavage_signing_string(
        covered, params, request["headers"], request["method"], request["path"]
    )
    assert signing == case["signing_string"]

    key = load_private_key(CAVAGE["private_key_pem"])
    assert isinstance(key, RSAPrivateKey)
    reproduced = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert base64.b64encode(reproduced).decode() == params["signature"]

    _request("cavage", "Test", tuple(covered), reproduced, signing).verify(CAVAGE["public_key_pem"])


def test_cavage_all_headers_vector_passes_the_whole_pipeline() -> None:
    request = CAVAGE["request"]
    headers = {**request["headers"], "Signature": CAVAGE["cases"][2]["signature_header"]}
    parsed = parse_request_signature(
        request["method"],
        request["path"],
        headers,
        "https://example.com/foo?param=value&pet=dog",
        request["body"].encode(),
        now=CAVAGE_NOW,
    )
    assert (parsed.key_id, parsed.scheme, parsed.algorithm) == ("Test", "cavage", "rsa-sha256")
    assert parsed.signed_data[0].decode() == CAVAGE["cases"][2]["signing_string"]
    parsed.verify(CAVAGE["public_key_pem"])


@pytest.mark.parametrize("index", [0, 1])
def test_cavage_weaker_vectors_are_refused_by_policy(index: int) -> None:
    """C.1 signs only the date and C.2 no digest: fine for the draft, not for a POST to us."""
    request = CAVAGE["request"]
    headers = {**request["headers"], "Signature": CAVAGE["cases"][index]["signature_header"]}
    with pytest.raises(MissingComponentError):
        parse_request_signature(
            request["method"],
            request["path"],
            headers,
            "https://example.com/foo?param=value&pet=dog",
            request["body"].encode(),
            now=CAVAGE_NOW,
        )


def test_cavage_vector_with_tampered_signing_string_fails() -> None:
    case = CAVAGE["cases"][1]
    params = parse_cavage_signature_header(case["signature_header"])
    signature = base64.b64decode(params["signature"])
    tampered = case["signing_string"].replace("example.com", "example.org")
    with pytest.raises(BadSignatureError):
        _request("cavage", "Test", (), signature, tampered).verify(CAVAGE["public_key_pem"])


# --- RFC 9421 ---------------------------------------------------------------------------------


def _case(section: str) -> dict[str, str]:
    return next(case for case in RFC["cases"] if case["section"] == section)


@pytest.mark.parametrize("section", ["B.2.1", "B.2.3", "B.2.6"])
def test_rfc9421_signature_base_matches_appendix_b(section: str) -> None:
    case = _case(section)
    request = RFC["test_request"]
    base = rfc9421_signature_base(
        request["method"], request["target_uri"], request["headers"], case["signature_input"]
    )
    assert base == case["signature_base"]


@pytest.mark.parametrize("section", ["B.2.1", "B.2.3"])
def test_rfc9421_rsa_pss_vectors_verify_over_our_base(section: str) -> None:
    """RSA-PSS is not accepted in production; the published PSS signatures still prove the
    bases we build for them are the ones the RFC signed."""
    case = _case(section)
    request = RFC["test_request"]
    base = rfc9421_signature_base(
        request["method"], request["target_uri"], request["headers"], case["signature_input"]
    )
    key = serialization.load_pem_public_key(
        RFC["keys"]["test-key-rsa-pss"]["public_key_pem"].encode()
    )
    assert isinstance(key, RSAPublicKey)
    key.verify(
        _sig_bytes(case["signature"]),
        base.encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64),
        hashes.SHA512(),
    )


def test_rfc9421_query_param_component_is_refused() -> None:
    """B.2.2 covers `"@query-param";name="Pet"`, which we do not implement: refused, not
    mis-built."""
    request = RFC["test_request"]
    with pytest.raises(UnsupportedComponentError):
        rfc9421_signature_base(
            request["method"],
            request["target_uri"],
            request["headers"],
            _case("B.2.2")["signature_input"],
        )


def test_rfc9421_ed25519_vector_verifies_and_reproduces() -> None:
    case = _case("B.2.6")
    keys = RFC["keys"]["test-key-ed25519"]
    signature = _sig_bytes(case["signature"])
    private = load_private_key(keys["private_key_pem"])
    assert isinstance(private, Ed25519PrivateKey)
    assert private.sign(case["signature_base"].encode()) == signature
    _request("rfc9421", "test-key-ed25519", (), signature, case["signature_base"]).verify(
        keys["public_key_pem"]
    )


def test_rfc9421_proxy_rsa_v1_5_sha256_vector() -> None:
    """Section 4.3's proxy_sig is the RFC's rsa-v1_5-sha256 example, over test-key-rsa
    (a PKCS#1 `RSA PUBLIC KEY` PEM)."""
    proxy = RFC["proxy_request"]
    keys = RFC["keys"]["test-key-rsa"]
    base = rfc9421_signature_base(
        proxy["method"],
        proxy["target_uri"],
        proxy["headers"],
        proxy["headers"]["Signature-Input"],
        label="proxy_sig",
    )
    assert base == proxy["signature_base"]
    published = base64.b64decode(
        proxy["headers"]["Signature"].split("proxy_sig=:", 1)[1].rstrip(":")
    )
    private = load_private_key(keys["private_key_pem"])
    assert isinstance(private, RSAPrivateKey)
    assert private.sign(base.encode(), padding.PKCS1v15(), hashes.SHA256()) == published
    _request("rfc9421", "test-key-rsa", (), published, base).verify(keys["public_key_pem"])


def test_rfc9421_proxy_vector_through_the_pipeline_is_refused_for_policy() -> None:
    """Neither signature covers @target-uri (and sig1 is ECDSA): our policy refuses it."""
    proxy = RFC["proxy_request"]
    with pytest.raises(MissingComponentError):
        parse_request_signature(
            proxy["method"],
            "/foo?param=Value&Pet=dog",
            proxy["headers"],
            proxy["target_uri"],
            proxy["body"].encode(),
            now=RFC_NOW,
        )
