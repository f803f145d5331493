"""Sign hooks for the HTTP client: each request is signed at send time, on every hop and
every retry, so no signed header is ever stored."""

from __future__ import annotations

from collections.abc import Mapping

from activitypub.http import SignHook
from activitypub.signatures import sign_cavage
from server.services.context import SigningKey


def signer(key: SigningKey) -> SignHook:
    def sign(method: str, url: str, headers: dict[str, str],
             body: bytes | None) -> Mapping[str, str]:
        return sign_cavage(method, url, headers, body, key_id=key.key_id,
                           private_key_pem=key.private_key_pem)
    return sign
