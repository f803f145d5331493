"""What both HTTP-signature schemes share: errors, keys, the time window, header and URL
canonicalisation, and the parsed `SignatureRequest` that does the cryptography.

Import from `activitypub.signatures`, which re-exports the public names; this module only
keeps that one under its size.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import SplitResult

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

# Mastodon's SignedRequest constants, in seconds: a signature is valid for five minutes from
# its creation (or until an explicit expiry, at most twelve hours after it), with an hour of
# clock skew allowed on either side.
CLOCK_SKEW_MARGIN = 3600
DEFAULT_VALIDITY = 300
EXPIRATION_WINDOW_LIMIT = 12 * 3600
MIN_RSA_KEY_BITS = 1024  # the cavage draft's own test key is 1024-bit

PublicKey = RSAPublicKey | Ed25519PublicKey
PrivateKey = RSAPrivateKey | Ed25519PrivateKey
Scheme = Literal["cavage", "rfc9421"]
Now = float | datetime | None

# Which declared algorithm names fit which key type. Anything else is refused.
CAVAGE_ALGORITHMS = {"rsa-sha256": ("rsa",), "hs2019": ("rsa", "ed25519"), "ed25519": ("ed25519",)}
RFC9421_ALGORITHMS = {"rsa-v1_5-sha256": ("rsa",), "ed25519": ("ed25519",)}
_DEFAULT_PORTS = {"http": 80, "https": 443}


class SignatureError(Exception):
    """A request signature that must not be trusted; the message says why."""


class MissingSignatureError(SignatureError):
    """The request carries no Signature (or Signature-Input) header."""


class MalformedSignatureError(SignatureError):
    """A signature or related header that cannot be parsed."""


class UnsupportedComponentError(MalformedSignatureError):
    """An RFC 9421 component (or component parameter) this verifier does not implement."""


class MissingComponentError(SignatureError):
    """A component the policy requires is not signed, or a signed one is absent."""


class SignatureTimeError(SignatureError):
    """The signature is outside its validity window."""


class StaleSignatureError(SignatureTimeError):
    """Created too long ago, or past its `expires`."""


class FutureSignatureError(SignatureTimeError):
    """Created more than the allowed clock skew in the future."""


class DigestMismatchError(SignatureError):
    """The body does not match the signed Digest / Content-Digest (or offers no SHA-256)."""


class UnsupportedAlgorithmError(SignatureError):
    """An algorithm we refuse, or one that does not fit the key's type."""


class InvalidKeyError(SignatureError):
    """The PEM cannot be loaded, or holds a key of a type or size we refuse."""


class BadSignatureError(SignatureError):
    """The signature does not verify with the given key."""


# --- keys -------------------------------------------------------------------------------------


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


def _verifies(key: PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        if isinstance(key, RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


# --- time -------------------------------------------------------------------------------------


def unix_time(now: Now) -> float:
    if now is None:
        return time.time()
    return now.timestamp() if isinstance(now, datetime) else float(now)


def check_time_window(created: float, expires: float | None, now: Now = None) -> float:
    """Mastodon's SignedRequest#matches_time_window?: valid from `created` until `expires`
    (default created + 5 min, capped at created + 12 h), with an hour of skew either way.
    Returns the effective expiry; raises FutureSignatureError / StaleSignatureError."""
    current = unix_time(now)
    until = created + DEFAULT_VALIDITY if expires is None else expires
    until = min(until, created + EXPIRATION_WINDOW_LIMIT)
    if created > current + CLOCK_SKEW_MARGIN:
        raise FutureSignatureError(f"signature created {created - current:.0f}s in the future")
    if current > until + CLOCK_SKEW_MARGIN:
        raise StaleSignatureError(f"signature expired {current - until:.0f}s ago")
    return until


def http_date(value: str) -> float:
    """Unix time of an HTTP `Date` value. Raises MalformedSignatureError."""
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError) as exc:
        raise MalformedSignatureError(f"Date header {value!r} is not an HTTP date") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


# --- headers and URLs -------------------------------------------------------------------------


def combined_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lowercased names; repeated fields (a multidict's items()) joined with ", " in order."""
    values: dict[str, list[str]] = {}
    for name, value in headers.items():
        values.setdefault(name.lower(), []).append(value.strip())
    return {name: ", ".join(parts) for name, parts in values.items()}


def field_value(fields: Mapping[str, str], name: str) -> str:
    """A signed header's value from `combined_headers` output."""
    value = fields.get(name)
    if value is None:
        raise MissingComponentError(f"signed header {name!r} is missing from the request")
    if "\r" in value or "\n" in value:
        # A line break would let one header's value pose as further signed lines.
        raise MalformedSignatureError(f"header {name!r} contains a line break")
    return value


def authority(parts: SplitResult) -> str:
    """host[:port] as a Host header carries it: lowercased, the default port left out."""
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError("URL has no host")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return host
    return f"{host}:{port}"


def origin_form(parts: SplitResult) -> str:
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def target_uri_of(parts: SplitResult) -> str:
    return f"{parts.scheme.lower()}://{authority(parts)}{origin_form(parts)}"


def has_body(method: str, body: bytes | None) -> bool:
    # Mastodon requires a signed digest on every POST, whatever its length.
    return method.upper() == "POST" or bool(body)


def b64decode_signature(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedSignatureError("the signature is not base64") from exc


# --- the parsed signature ---------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureRequest:
    """A signature that passed every check needing no key. `signed_data` holds the byte
    strings it may cover (cavage: the signing string with and without the query)."""

    key_id: str
    scheme: Scheme
    algorithm: str | None  # as declared: cavage `algorithm`, RFC 9421 `alg` (None if absent)
    covered: tuple[str, ...]
    created: float
    expires: float  # effective expiry, before the clock-skew margin
    signature: bytes
    signed_data: tuple[bytes, ...]

    def verify(self, public_key_pem: str) -> None:
        """Raise unless the signature verifies with this key. The key's type picks the
        algorithm; a declared algorithm that does not fit it is refused."""
        key = load_public_key(public_key_pem)
        table = CAVAGE_ALGORITHMS if self.scheme == "cavage" else RFC9421_ALGORITHMS
        if self.algorithm is not None and key_kind(key) not in table.get(self.algorithm, ()):
            raise UnsupportedAlgorithmError(
                f"algorithm {self.algorithm!r} does not fit a {key_kind(key)} key"
            )
        if not any(_verifies(key, self.signature, data) for data in self.signed_data):
            raise BadSignatureError(f"signature does not verify with key {self.key_id}")
