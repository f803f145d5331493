"""Body digests that HTTP signatures cover: the cavage-era `Digest` header (RFC 3230, as
Mastodon sends it: `SHA-256=<base64>`) and RFC 9530 `Content-Digest` (`sha-256=:<base64>:`).

The checks answer True/False for a well-formed header and raise `ValueError` for one that
cannot be read or offers no SHA-256; the signature code turns both into its own errors.
Every SHA-256 and SHA-512 value offered must match: an unchecked second digest would let a
sender pair a correct one with a wrong one and have other verifiers disagree with us.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable

from http_sfv.dictionary import Dictionary
from http_sfv.item import Item

__all__ = [
    "content_digest_header_matches",
    "digest_header_matches",
    "make_content_digest_header",
    "make_digest_header",
]

_HASHES: dict[str, Callable[[bytes], bytes]] = {
    "sha-256": lambda body: hashlib.sha256(body).digest(),
    "sha-512": lambda body: hashlib.sha512(body).digest(),
}
_SIZES = {"sha-256": 32, "sha-512": 64}


def make_digest_header(body: bytes) -> str:
    """The `Digest` value Mastodon sends and checks (lib/request.rb `set_digest!`)."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def make_content_digest_header(body: bytes) -> str:
    """The RFC 9530 `Content-Digest` value, a structured-field dictionary."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def digest_header_matches(value: str, body: bytes) -> bool:
    """Whether a `Digest` header (`SHA-256=...`, any case, possibly several, comma-separated)
    matches `body`. Raises ValueError when it is malformed or offers no SHA-256."""
    offered: list[tuple[str, bytes]] = []
    names: list[str] = []
    for part in value.split(","):
        name, sep, encoded = part.strip().partition("=")
        if not sep:
            raise ValueError(f"Digest entry {part.strip()!r} has no '='")
        algorithm = name.strip().lower()
        names.append(algorithm)
        if algorithm in _HASHES:
            offered.append((algorithm, _decode_b64(encoded.strip(), algorithm)))
    return _all_match(offered, names, body)


def content_digest_header_matches(value: str, body: bytes) -> bool:
    """Whether a `Content-Digest` header matches `body`. Raises ValueError when it is not an
    RFC 8941 dictionary of byte sequences or offers no sha-256."""
    parsed = Dictionary()
    try:
        parsed.parse(value.encode("ascii"))
    except (ValueError, UnicodeError) as exc:
        raise ValueError("Content-Digest is not a structured-field dictionary") from exc
    offered: list[tuple[str, bytes]] = []
    for algorithm, member in parsed.items():
        if algorithm not in _HASHES:
            continue  # RFC 9530: unknown algorithms are ignored
        if not isinstance(member, Item) or not isinstance(member.value, bytes):
            raise ValueError(f"Content-Digest {algorithm} is not a byte sequence")
        if len(member.value) != _SIZES[algorithm]:
            raise ValueError(f"Content-Digest {algorithm} has the wrong length")
        offered.append((algorithm, member.value))
    return _all_match(offered, list(parsed), body)


def _decode_b64(encoded: str, algorithm: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"Digest {algorithm} value is not base64") from exc
    if len(raw) != _SIZES[algorithm]:
        raise ValueError(f"Digest {algorithm} value has the wrong length")
    return raw


def _all_match(offered: list[tuple[str, bytes]], names: list[str], body: bytes) -> bool:
    if not any(algorithm == "sha-256" for algorithm, _ in offered):
        raise ValueError(f"no SHA-256 digest offered (offered: {', '.join(names) or 'none'})")
    computed: dict[str, bytes] = {}
    for algorithm, expected in offered:
        if algorithm not in computed:
            computed[algorithm] = _HASHES[algorithm](body)
        if not hmac.compare_digest(computed[algorithm], expected):
            return False
    return True
