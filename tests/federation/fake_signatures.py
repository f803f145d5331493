"""The fake remote server's HTTP signatures: a cavage signer as Mastodon and GoToSocial send
and a small cavage VERIFIER, written with `cryptography` alone and nothing of Dreamfeed's, so
that a signature it accepts was checked independently of our own verifier.

Rules (docs.joinmastodon.org spec/security; docs.gotosocial.org federation/http_signatures):
`(request-target) host date` must be signed, and `digest` on POST with a Digest matching the
body; the key is fetched from its keyId, its document names the owner, and when that is a
separate document (GoToSocial's `/main-key` stub may be; a bare Key is) the owner's actor
must hold the same key. We sign at send time, so the Date must be within FRESH_SECONDS.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from multidict import CIMultiDictProxy

ACTIVITY_JSON = "application/activity+json"
FRESH_SECONDS = 300


@dataclass
class KeyPair:
    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @property
    def private_pem(self) -> str:
        return self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()

    @property
    def public_pem(self) -> str:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())


@dataclass(frozen=True)
class Verified:
    key_id: str
    owner: str  # the actor the key belongs to, as its documents say
    algorithm: str
    covered: tuple[str, ...]


class SignatureRefused(Exception):
    pass


_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


def parse_signature_header(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pos = 0
    while pos < len(value):
        match = _PARAM.match(value, pos)
        if match is None:
            raise SignatureRefused(f"cannot parse Signature header {value!r}")
        params[match[1]] = match[2]
        pos = match.end()
    return params


def sha256_digest(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def signing_string(covered: Sequence[str], method: str, path_qs: str,
                   headers: Mapping[str, str]) -> str:
    lines = []
    for name in covered:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {path_qs}")
        else:
            lines.append(f"{name}: {headers[name]}")
    return "\n".join(lines)


def cavage_headers(method: str, url: str, body: bytes | None, key_id: str, key: KeyPair, *,
                   algorithm: str = "rsa-sha256", age: float = 0.0,
                   covered: Sequence[str] | None = None,
                   content_type: str | None = ACTIVITY_JSON,
                   sign_bytes: Callable[[bytes], bytes] | None = None) -> dict[str, str]:
    """Host, Date (`age` seconds ago), Digest, Content-Type and a cavage Signature over
    `covered`, made by `key` (or by `sign_bytes`, for forgeries). By default Mastodon's choice
    for rsa-sha256 (`content-type` signed too), GoToSocial's for hs2019."""
    parts = urlsplit(url)
    path_qs = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"Host": parts.netloc, "Date": formatdate(time.time() - age, usegmt=True)}
    if body is not None:
        headers["Digest"] = sha256_digest(body)
        if content_type:
            headers["Content-Type"] = content_type
    if covered is None:
        covered = ["(request-target)", "host", "date"]
        if body is not None:
            covered.append("digest")
            if content_type and algorithm == "rsa-sha256":
                covered.append("content-type")
    lowered = {k.lower(): v for k, v in headers.items()}
    text = signing_string(covered, method, path_qs, lowered)
    signature = base64.b64encode((sign_bytes or key.sign)(text.encode())).decode()
    headers["Signature"] = (f'keyId="{key_id}",algorithm="{algorithm}",'
                            f'headers="{" ".join(covered)}",signature="{signature}"')
    return headers


Fetch = Callable[[str], Awaitable[dict[str, Any]]]


class CavageVerifier:
    """Verifies requests to `domain`; `fetch(url)` GETs a JSON document or raises
    SignatureRefused. Keys are cached and refetched once when a signature fails (rotation)."""

    def __init__(self, domain: str, fetch: Fetch) -> None:
        self.domain = domain
        self._fetch = fetch
        self._keys: dict[str, tuple[rsa.RSAPublicKey, str]] = {}

    async def verify(self, method: str, path_qs: str, headers: CIMultiDictProxy[str],
                     body: bytes) -> Verified:
        params = parse_signature_header(headers["Signature"])
        key_id, algorithm = params.get("keyId", ""), params.get("algorithm", "hs2019")
        if not key_id or "signature" not in params:
            raise SignatureRefused("keyId and signature are required")
        if algorithm not in ("rsa-sha256", "hs2019"):
            raise SignatureRefused(f"algorithm {algorithm!r} is not accepted")
        covered = params.get("headers", "date").lower().split()
        required = ["(request-target)", "host", "date"] + (["digest"] if method == "POST" else [])
        missing = [name for name in required if name not in covered]
        if missing:
            raise SignatureRefused(f"not signed: {missing}")
        values = _header_values(headers, covered)
        if values["host"] != self.domain:
            raise SignatureRefused(f"signed Host {values['host']!r} is not {self.domain!r}")
        _check_date(values["date"])
        if "digest" in covered:
            _check_digest(values["digest"], body)
        text = signing_string(covered, method, path_qs, values).encode()
        try:
            signature = base64.b64decode(params["signature"], validate=True)
        except ValueError as exc:
            raise SignatureRefused("signature is not base64") from exc
        for refresh in (False, True):
            public_key, owner = await self._key(key_id, refresh=refresh)
            try:
                public_key.verify(signature, text, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                continue
            return Verified(key_id, owner, algorithm, tuple(covered))
        raise SignatureRefused(f"signature does not verify with {key_id}")

    async def _key(self, key_id: str, *, refresh: bool) -> tuple[rsa.RSAPublicKey, str]:
        """The key and its owner: the keyId's document names the owner; unless that document
        is the owner's actor itself (Mastodon's `actor#main-key`), the owner's actor must hold
        the same key (GoToSocial's `/main-key` stub, a bare Key)."""
        if key_id in self._keys and not refresh:
            return self._keys[key_id]
        fetched = key_id.partition("#")[0]
        doc = await self._fetch(fetched)
        key = _find_key(doc, key_id)
        owner = key.get("owner")
        if not isinstance(owner, str):
            raise SignatureRefused(f"{key_id} names no owner")
        inside_its_owner = doc.get("id") == fetched == owner
        if not inside_its_owner and _find_key(await self._fetch(owner), key_id) != key:
            raise SignatureRefused(f"{owner} does not hold {key_id}")
        public_key = serialization.load_pem_public_key(str(key["publicKeyPem"]).encode())
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise SignatureRefused(f"{key_id} is not an RSA key")
        self._keys[key_id] = (public_key, owner)
        return public_key, owner


def _header_values(headers: CIMultiDictProxy[str], covered: Sequence[str]) -> dict[str, str]:
    values = {}
    for name in covered:
        if name.startswith("("):
            continue
        found = headers.getall(name, [])
        if not found:
            raise SignatureRefused(f"signed header {name!r} is missing")
        values[name] = ", ".join(v.strip() for v in found)
    return values


def _check_date(value: str) -> None:
    try:
        sent = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError) as exc:
        raise SignatureRefused(f"Date {value!r} is not an HTTP date") from exc
    if abs(time.time() - sent) > FRESH_SECONDS:
        raise SignatureRefused(f"Date {value!r} is not fresh")


def _check_digest(value: str, body: bytes) -> None:
    offered: dict[str, str] = {}
    for part in value.split(","):
        name, sep, digest = part.partition("=")
        if not sep:
            raise SignatureRefused(f"Digest {value!r} cannot be read")
        offered[name.strip().upper()] = digest.strip()
    if "SHA-256=" + offered.get("SHA-256", "") != sha256_digest(body):
        raise SignatureRefused("Digest does not match the body")


def _find_key(doc: dict[str, Any], key_id: str) -> dict[str, Any]:
    candidates = doc.get("publicKey")
    items = candidates if isinstance(candidates, list) else [candidates]
    if "publicKeyPem" in doc:
        items.append(doc)
    for item in items:
        if isinstance(item, dict) and item.get("id") == key_id and "publicKeyPem" in item:
            return item
    raise SignatureRefused(f"no key {key_id} in its document")
