"""The entry point for an incoming request: pick the signature scheme as Mastodon does (a
`Signature-Input` header means RFC 9421, see `rfc9421`; otherwise the cavage draft, see
`cavage`) and run that scheme's checks that need no key.
"""

from __future__ import annotations

from collections.abc import Mapping

from activitypub.signatures.cavage import parse_cavage_request
from activitypub.signatures.common import Now, SignatureRequest, combined_headers, unix_time
from activitypub.signatures.errors import MissingSignatureError
from activitypub.signatures.rfc9421 import parse_rfc9421_request

__all__ = ["parse_request_signature"]


def parse_request_signature(
    method: str,
    path_with_query: str,
    headers: Mapping[str, str],
    target_uri: str,
    body: bytes | None,
    now: Now = None,
) -> SignatureRequest:
    """Check a request's signature as far as possible without its key. `path_with_query` is
    the raw request target; `target_uri` is this server's public scheme and host plus that
    path and query, built by the caller from configuration, never from the Host header.
    A Signature-Input header selects RFC 9421, as in Mastodon; otherwise cavage."""
    fields = combined_headers(headers)
    current = unix_time(now)
    if "signature-input" in fields:
        return parse_rfc9421_request(fields, method, target_uri, body, current)
    if "signature" not in fields:
        raise MissingSignatureError("the request is not signed")
    return parse_cavage_request(fields, method, path_with_query, body, current)
