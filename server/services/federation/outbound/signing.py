"""Sign hooks for the HTTP client: each request is signed at send time, on every hop and
every retry, so no signed header is ever stored.

Signed on the event loop. An RSA-2048 signature costs ~0.3 ms of CPU; cryptography releases
the GIL while signing, but a worker thread for it made no measurable difference to delivery
(bench/delivery.py, four alternating runs on PostgreSQL: 1.47-1.54 ms of CPU a delivery
against 1.45-1.64 ms on the loop) while adding a hop and GIL hand-offs per request, and
`dreamfeed worker --processes N` is what puts a second core to use."""

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
