"""What both HTTP-signature schemes share besides keys: the validity window (Mastodon's
SignedRequest rules), header and URL canonicalisation (RFC 9110 field combining, RFC 9421
section 2.2 derived components), the body-digest check, and the parsed `SignatureRequest`
that does the cryptography once the caller has fetched the key.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import SplitResult

from activitypub.signatures.errors import (
    BadSignatureError,
    DigestMismatchError,
    FutureSignatureError,
    MalformedSignatureError,
    MissingComponentError,
    StaleSignatureError,
    UnsupportedAlgorithmError,
)
from activitypub.signatures.keys import (
    CAVAGE_ALGORITHMS,
    RFC9421_ALGORITHMS,
    key_kind,
    load_public_key,
    verifies,
)

__all__ = [
    "CLOCK_SKEW_MARGIN",
    "DEFAULT_VALIDITY",
    "EXPIRATION_WINDOW_LIMIT",
    "Now",
    "Scheme",
    "SignatureRequest",
    "authority",
    "b64decode_signature",
    "check_digest",
    "check_time_window",
    "combined_headers",
    "field_value",
    "has_body",
    "http_date",
    "origin_form",
    "target_uri_of",
    "unix_time",
]

# Mastodon's SignedRequest constants, in seconds: a signature is valid for five minutes from
# its creation (or until an explicit expiry, at most twelve hours after it), with an hour of
# clock skew allowed on either side.
CLOCK_SKEW_MARGIN = 3600
DEFAULT_VALIDITY = 300
EXPIRATION_WINDOW_LIMIT = 12 * 3600

Scheme = Literal["cavage", "rfc9421"]
Now = float | datetime | None

_DEFAULT_PORTS = {"http": 80, "https": 443}


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


def check_digest(
    header: str, body: bytes | None, matches: Callable[[str, bytes], bool], name: str
) -> None:
    """Raise DigestMismatchError unless the signed `Digest` / `Content-Digest` value matches
    the body; `matches` is the activitypub.digests check for that header."""
    try:
        ok = matches(header, body or b"")
    except ValueError as exc:
        raise DigestMismatchError(f"{name}: {exc}") from exc
    if not ok:
        raise DigestMismatchError(f"{name} does not match the body")


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
        if not any(verifies(key, self.signature, data) for data in self.signed_data):
            raise BadSignatureError(f"signature does not verify with key {self.key_id}")
