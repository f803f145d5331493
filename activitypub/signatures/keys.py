"""Keys and the two signature algorithms both schemes use: RSASSA-PKCS1-v1_5 with SHA-256
(RFC 8017; cavage `rsa-sha256`/`hs2019`, RFC 9421 `rsa-v1_5-sha256`) and Ed25519 (RFC 8032).

The algorithm always follows the KEY's type; a declared algorithm name may only pick one that
fits it (the tables below). Letting the header choose is how an `hmac-sha256` signature keyed
with the victim's public PEM verified in httpsig 1.3.0.
"""

from __future__ import annotations

import functools

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from activitypub.signatures.errors import InvalidKeyError

__all__ = [
    "CAVAGE_ALGORITHMS",
    "MIN_RSA_KEY_BITS",
    "RFC9421_ALGORITHMS",
    "PrivateKey",
    "PublicKey",
    "key_kind",
    "load_private_key",
    "load_public_key",
    "sign_bytes",
    "verifies",
]

MIN_RSA_KEY_BITS = 1024  # the cavage draft's own test key is 1024-bit

PublicKey = RSAPublicKey | Ed25519PublicKey
PrivateKey = RSAPrivateKey | Ed25519PrivateKey

# Which declared algorithm names fit which key type. Anything else is refused.
CAVAGE_ALGORITHMS = {"rsa-sha256": ("rsa",), "hs2019": ("rsa", "ed25519"), "ed25519": ("ed25519",)}
RFC9421_ALGORITHMS = {"rsa-v1_5-sha256": ("rsa",), "ed25519": ("ed25519",)}


@functools.lru_cache(maxsize=1024)
def load_public_key(pem: str) -> PublicKey:
    """A public key from PEM (SPKI or PKCS#1), cached by its text: parsing costs more than a
    verification. Raises InvalidKeyError."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode("ascii"))
    except (ValueError, UnicodeError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidKeyError(f"cannot load public key: {exc}") from exc
    if isinstance(key, RSAPublicKey):
        _check_rsa_size(key.key_size)
        return key
    if isinstance(key, Ed25519PublicKey):
        return key
    raise InvalidKeyError(f"unsupported public key type {type(key).__name__}")


@functools.lru_cache(maxsize=64)
def load_private_key(pem: str) -> PrivateKey:
    """A private key from unencrypted PEM, cached: loading an RSA key checks it, which is slow."""
    try:
        key = serialization.load_pem_private_key(pem.strip().encode("ascii"), password=None)
    except (ValueError, UnicodeError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidKeyError(f"cannot load private key: {exc}") from exc
    if isinstance(key, RSAPrivateKey):
        _check_rsa_size(key.key_size)
        return key
    if isinstance(key, Ed25519PrivateKey):
        return key
    raise InvalidKeyError(f"unsupported private key type {type(key).__name__}")


def _check_rsa_size(bits: int) -> None:
    if bits < MIN_RSA_KEY_BITS:
        raise InvalidKeyError(f"RSA key of {bits} bits is too small")


def key_kind(key: PublicKey | PrivateKey) -> str:
    return "rsa" if isinstance(key, RSAPublicKey | RSAPrivateKey) else "ed25519"


def sign_bytes(key: PrivateKey, data: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 with SHA-256 for RSA keys, Ed25519 for Ed25519 keys."""
    if isinstance(key, RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(data)


def verifies(key: PublicKey, signature: bytes, data: bytes) -> bool:
    """Whether `signature` is the key's signature of `data`, by the algorithm `sign_bytes` uses."""
    try:
        if isinstance(key, RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
