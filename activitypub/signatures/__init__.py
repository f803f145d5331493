"""HTTP signatures on server-to-server requests: the cavage draft every fediverse server sends
and RFC 9421, which Mastodon retries with after a 401. Signing and verifying both.

Verification is split so the caller can fetch the key in between: `parse_request_signature`
does every check that needs no key (syntax, covered components, time window, body digest) and
returns a `SignatureRequest` naming `key_id`; its `verify(public_key_pem)` does the
cryptography. The algorithm is taken from the KEY's type (RSA: PKCS#1 v1.5 with SHA-256;
Ed25519), never from the header, which may only name one that fits the key.

Outgoing requests are signed with `sign_cavage`, as Mastodon signs them (the HTTP client's
sign hook calls it on every hop and retry); `sign_rfc9421` signs the RFC 9421 way.

Rules follow Mastodon's app/lib/signed_request.rb (SignedRequest) and app/lib/request.rb,
with the differences marked "Stricter than Mastodon" where they are.

Import from this package; its modules, by idea:

- `errors`: the `SignatureError` hierarchy.
- `keys`: loading keys, the two algorithms, which declared algorithm names fit which key.
- `common`: the validity window, header and URL canonicalisation, the digest check, and
  `SignatureRequest`.
- `cavage`: draft-cavage-http-signatures-12.
- `rfc9421`: RFC 9421 HTTP Message Signatures.
- `incoming`: `parse_request_signature`, which picks the scheme of an incoming request.

Body digests themselves (`Digest`, `Content-Digest`) are in `activitypub.digests`; the
helpers that make them are re-exported here for signing code.
"""

from __future__ import annotations

from activitypub.digests import make_content_digest_header, make_digest_header
from activitypub.signatures.cavage import (
    cavage_signing_string,
    parse_cavage_signature_header,
    sign_cavage,
)
from activitypub.signatures.common import (
    CLOCK_SKEW_MARGIN,
    DEFAULT_VALIDITY,
    EXPIRATION_WINDOW_LIMIT,
    SignatureRequest,
    check_time_window,
)
from activitypub.signatures.errors import (
    BadSignatureError,
    DigestMismatchError,
    FutureSignatureError,
    InvalidKeyError,
    MalformedSignatureError,
    MissingComponentError,
    MissingSignatureError,
    SignatureError,
    SignatureTimeError,
    StaleSignatureError,
    UnsupportedAlgorithmError,
    UnsupportedComponentError,
)
from activitypub.signatures.incoming import parse_request_signature
from activitypub.signatures.keys import load_private_key, load_public_key
from activitypub.signatures.rfc9421 import rfc9421_signature_base, sign_rfc9421

__all__ = [
    "CLOCK_SKEW_MARGIN",
    "DEFAULT_VALIDITY",
    "EXPIRATION_WINDOW_LIMIT",
    "BadSignatureError",
    "DigestMismatchError",
    "FutureSignatureError",
    "InvalidKeyError",
    "MalformedSignatureError",
    "MissingComponentError",
    "MissingSignatureError",
    "SignatureError",
    "SignatureRequest",
    "SignatureTimeError",
    "StaleSignatureError",
    "UnsupportedAlgorithmError",
    "UnsupportedComponentError",
    "cavage_signing_string",
    "check_time_window",
    "load_private_key",
    "load_public_key",
    "make_content_digest_header",
    "make_digest_header",
    "parse_cavage_signature_header",
    "parse_request_signature",
    "rfc9421_signature_base",
    "sign_cavage",
    "sign_rfc9421",
]
