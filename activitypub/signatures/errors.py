"""The errors signature checking raises, for both schemes (cavage draft and RFC 9421).

Every refusal is a `SignatureError`, so a caller answers 401 to any of them; the subclasses
say why, for logs and tests.
"""

from __future__ import annotations

__all__ = [
    "BadSignatureError",
    "DigestMismatchError",
    "FutureSignatureError",
    "InvalidKeyError",
    "MalformedSignatureError",
    "MissingComponentError",
    "MissingSignatureError",
    "SignatureError",
    "SignatureTimeError",
    "StaleSignatureError",
    "UnsupportedAlgorithmError",
    "UnsupportedComponentError",
]


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
