"""Throughput of HTTP signatures on this machine: figures, not assertions.

    .venv/bin/python bench/signatures.py [--seconds 1.0]

Prints cavage RSA-2048 signs/s, cavage and RFC 9421 verifies/s (parse + verify, public key
from the cache, as the inbox does after the first request from an actor), the cost of a cold
public-key load, and of the SHA-256 digest of a 4 KB body (make and check).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from activitypub.digests import digest_header_matches, make_digest_header
from activitypub.keys import generate_rsa_keypair
from activitypub.signatures import (
    load_public_key,
    parse_request_signature,
    sign_cavage,
    sign_rfc9421,
)

INBOX = "https://our.example/users/alice/inbox"
KEY_ID = "https://remote.example/users/bob#main-key"
BODY = os.urandom(2048).hex().encode()  # 4 KB, like a Create with a few images
HEADERS = {"Content-Type": "application/activity+json"}


def _rate(label: str, fn: Callable[[], object], seconds: float, unit: str = "/s") -> None:
    fn()  # warm caches and imports
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(10):
            fn()
        count += 10
    per_second = count / elapsed
    print(f"{label:<44} {per_second:>12,.0f} {unit:<4} ({1e6 / per_second:,.1f} µs each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time spent per figure")
    seconds = parser.parse_args().seconds
    keys = generate_rsa_keypair(2048)
    path = urlsplit(INBOX).path
    now = time.time()

    def sign(scheme: Callable[..., dict[str, str]]) -> dict[str, str]:
        return HEADERS | scheme("POST", INBOX, HEADERS, BODY, KEY_ID, keys.private_pem, now=now)

    cavage, rfc9421 = sign(sign_cavage), sign(sign_rfc9421)

    def verify(headers: dict[str, str]) -> None:
        parse_request_signature("POST", path, headers, INBOX, BODY, now=now).verify(keys.public_pem)

    print(f"RSA-{2048}, body {len(BODY)} bytes, {seconds:.1f}s per figure")
    _rate("cavage sign (POST, with Digest)", lambda: sign(sign_cavage), seconds)
    _rate("RFC 9421 sign (POST, with Content-Digest)", lambda: sign(sign_rfc9421), seconds)
    _rate("cavage verify (parse + verify, key cached)", lambda: verify(cavage), seconds)
    _rate("RFC 9421 verify (parse + verify, key cached)", lambda: verify(rfc9421), seconds)
    _rate(
        "public key PEM load (cache bypassed)",
        lambda: load_public_key.__wrapped__(keys.public_pem),
        seconds,
    )
    digest = make_digest_header(BODY)
    _rate("Digest make, 4 KB body", lambda: make_digest_header(BODY), seconds)
    _rate("Digest check, 4 KB body", lambda: digest_header_matches(digest, BODY), seconds)


if __name__ == "__main__":
    main()
