"""Whom a GET of our ActivityPub documents counts against, for the `fetch` rate limit.

A signed fetch counts against the signer's host, but only when the signature verifies with
a key we already hold: the limiter must never fetch keys itself (that would make a flood of
requests with made-up keyIds cost us outgoing requests), and a keyId naming another server
must not spend that server's budget. Everything else counts against the client address.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from activitypub.signatures import SignatureError, parse_request_signature
from server.services.context import Services


async def count_fetch(services: Services, *, method: str, path_qs: str,
                      headers: Mapping[str, str], client_ip: str) -> None:
    """Count one document fetch; raises RateLimited over `[ratelimits] fetch`."""
    if services.limiter is None:
        return
    await services.limiter.hit("fetch", fetch_key(services, method=method, path_qs=path_qs,
                                                  headers=headers, client_ip=client_ip))


def fetch_key(services: Services, *, method: str, path_qs: str,
              headers: Mapping[str, str], client_ip: str) -> str:
    by_ip = f"ip:{client_ip}"
    if "Signature" not in headers and "Signature-Input" not in headers:
        return by_ip
    try:
        signed = parse_request_signature(
            method=method, path_with_query=path_qs, headers=headers,
            target_uri=services.config.base_url + path_qs, body=None)
        key = services.keys.peek(signed.key_id)
        if key is None:
            return by_ip
        if signed.scheme == "cavage" \
                and headers.get("Host", "").lower() != services.config.instance.domain:
            return by_ip
        signed.verify(key.public_key_pem)
    except SignatureError:
        return by_ip
    return f"host:{urlsplit(key.key_id).netloc.lower()}"
