"""draft-cavage-http-signatures (version 12, the one every fediverse server sends): parse the
`Signature` header, build the signing string, sign as Mastodon does, and check an incoming
signature up to the key.

Rules follow Mastodon's app/lib/signed_request.rb (SignedRequest) and app/lib/request.rb,
with the differences marked "Stricter than Mastodon" where they are.
"""

from __future__ import annotations

import base64
import email.utils
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from activitypub.digests import digest_header_matches, make_digest_header
from activitypub.signatures.common import (
    Now,
    SignatureRequest,
    authority,
    b64decode_signature,
    check_digest,
    check_time_window,
    combined_headers,
    field_value,
    has_body,
    http_date,
    origin_form,
    unix_time,
)
from activitypub.signatures.errors import (
    MalformedSignatureError,
    MissingComponentError,
    UnsupportedAlgorithmError,
)
from activitypub.signatures.keys import (
    CAVAGE_ALGORITHMS,
    key_kind,
    load_private_key,
    sign_bytes,
)

__all__ = [
    "cavage_signing_string",
    "parse_cavage_request",
    "parse_cavage_signature_header",
    "sign_cavage",
]

_TOKEN = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"  # noqa: S105 - the RFC 7230 token grammar
# Possessive quantifiers: linear time on any input, and fast on 344-character signatures.
_CAVAGE_PARAM = re.compile(
    rf'[ \t]*+({_TOKEN})[ \t]*+=[ \t]*+(?:"((?:[^"\\]++|\\.)*+)"|({_TOKEN}))[ \t]*+'
)
_TIMESTAMP = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,9})?")


# --- the Signature header and the signing string ----------------------------------------------


def parse_cavage_signature_header(value: str) -> dict[str, str]:
    """The parameters of a cavage `Signature` header: comma-separated `name="quoted"` or
    `name=token` pairs (commas inside quotes are data; quoted-pairs are unescaped). Tolerates
    the `Signature ` prefix old node-http-signature added, as Mastodon's SignatureParser does.
    Raises MalformedSignatureError, also for a repeated parameter."""
    text = value.strip()
    if text.startswith("Signature "):
        text = text[len("Signature ") :]
    params: dict[str, str] = {}
    pos = 0
    while True:
        match = _CAVAGE_PARAM.match(text, pos)
        if match is None:
            raise MalformedSignatureError("Signature header cannot be parsed")
        name, quoted, token = match.groups()
        if name in params:
            raise MalformedSignatureError(f"Signature parameter {name!r} is repeated")
        if quoted is None:
            params[name] = token
        else:
            params[name] = re.sub(r"\\(.)", r"\1", quoted) if "\\" in quoted else quoted
        pos = match.end()
        if pos == len(text):
            return params
        if text[pos] != ",":
            raise MalformedSignatureError("Signature header cannot be parsed")
        pos += 1


def _cavage_algorithm(params: Mapping[str, str]) -> str:
    # Mastodon: a missing algorithm means hs2019.
    return params.get("algorithm", "hs2019").lower()


def _cavage_covered(params: Mapping[str, str]) -> tuple[str, ...]:
    # Mastodon: no `headers` means "(created)" under hs2019 and "date" otherwise.
    default = "(created)" if _cavage_algorithm(params) == "hs2019" else "date"
    return tuple(params.get("headers", default).lower().split())


def cavage_signing_string(
    covered: Sequence[str],
    params: Mapping[str, str],
    headers: Mapping[str, str],
    method: str,
    request_target: str,
) -> str:
    """The draft's signing string: one `name: value` line per covered header, where
    `(request-target)` is the lowercased method and `request_target` (path, with or without
    the query), and `(created)`/`(expires)` are the signature parameters as written."""
    return _cavage_string(covered, params, combined_headers(headers), method, request_target)


def _cavage_string(
    covered: Sequence[str],
    params: Mapping[str, str],
    fields: Mapping[str, str],
    method: str,
    request_target: str,
) -> str:
    lines = []
    for name in covered:
        if name == "(request-target)":
            value = f"{method.lower()} {request_target}"
        elif name in ("(created)", "(expires)"):
            value = _pseudo_header(name, params)
        else:
            value = field_value(fields, name)
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _pseudo_header(name: str, params: Mapping[str, str]) -> str:
    if _cavage_algorithm(params) == "rsa-sha256":
        # draft-12 section 2.3 and Mastodon: only algorithms that hide the hash may use them.
        raise MalformedSignatureError(f"pseudo-header {name} is not allowed with rsa-sha256")
    value = params.get(name[1:-1], "")
    if not _TIMESTAMP.fullmatch(value):
        raise MalformedSignatureError(f"pseudo-header {name} signed without a valid parameter")
    return value


# --- signing ----------------------------------------------------------------------------------


def sign_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    *,
    now: Now = None,
) -> dict[str, str]:
    """Headers to add to a request, signed as Mastodon's lib/request.rb does: `Date` and `Host`
    when absent, `Digest` when there is a body (always on POST), and `Signature` over
    `(request-target) host date [digest] [content-type] [accept]` with algorithm rsa-sha256
    (hs2019 for an Ed25519 key). `(request-target)` includes the query, as Mastodon now signs."""
    _check_quotable(key_id)
    parts = urlsplit(url)
    fields = combined_headers(headers)
    added: dict[str, str] = {}
    if "host" not in fields:
        added["Host"] = fields["host"] = authority(parts)
    if "date" not in fields:
        added["Date"] = fields["date"] = email.utils.formatdate(unix_time(now), usegmt=True)
    covered = ["(request-target)", "host", "date"]
    if body is not None or method.upper() == "POST":
        added["Digest"] = fields["digest"] = make_digest_header(body or b"")
        covered.append("digest")
    covered += [name for name in ("content-type", "accept") if name in fields]
    key = load_private_key(private_key_pem)
    algorithm = "rsa-sha256" if key_kind(key) == "rsa" else "hs2019"
    params = {"algorithm": algorithm}
    signed = _cavage_string(covered, params, fields, method, origin_form(parts))
    signature = base64.b64encode(sign_bytes(key, signed.encode("utf-8"))).decode("ascii")
    added["Signature"] = (
        f'keyId="{key_id}",algorithm="{algorithm}",headers="{" ".join(covered)}",'
        f'signature="{signature}"'
    )
    return added


def _check_quotable(key_id: str) -> None:
    if not key_id or any(c in key_id for c in '"\\\r\n'):
        raise ValueError(f"key id {key_id!r} cannot be sent in a Signature header")


# --- verifying --------------------------------------------------------------------------------


def parse_cavage_request(
    fields: Mapping[str, str], method: str, path_with_query: str, body: bytes | None, now: float
) -> SignatureRequest:
    """Every check of a cavage `Signature` that needs no key; `fields` are `combined_headers`
    output and `now` a unix time. Raises SignatureError subclasses."""
    params = parse_cavage_signature_header(fields["signature"])
    key_id, encoded = params.get("keyId", ""), params.get("signature", "")
    if not key_id or not encoded:
        raise MalformedSignatureError("Signature needs keyId and signature parameters")
    algorithm = _cavage_algorithm(params)
    if algorithm not in CAVAGE_ALGORITHMS:
        raise UnsupportedAlgorithmError(
            f"algorithm {algorithm!r} is not supported (only rsa-sha256 and hs2019)"
        )
    covered = _cavage_covered(params)
    created, expires = _cavage_times(covered, params, fields)
    until = check_time_window(created, expires, now)
    _require_cavage_components(covered, method, body)
    if "digest" in covered:
        check_digest(field_value(fields, "digest"), body, digest_header_matches, "Digest")
    path = path_with_query.partition("?")[0]
    # Mastodon and GoToSocial check (request-target) with the query, then without it.
    targets = dict.fromkeys((path_with_query, path))
    strings = tuple(
        _cavage_string(covered, params, fields, method, target).encode("utf-8")
        for target in targets
    )
    return SignatureRequest(
        key_id=key_id,
        scheme="cavage",
        algorithm=algorithm,
        covered=covered,
        created=created,
        expires=until,
        signature=b64decode_signature(encoded),
        signed_data=strings,
    )


def _cavage_times(
    covered: Sequence[str], params: Mapping[str, str], fields: Mapping[str, str]
) -> tuple[float, float | None]:
    """(created, expires) from what is SIGNED. Stricter than Mastodon, which reads `created`
    and `expires` even when unsigned: an attacker could then stretch a captured request's
    life to twelve hours by adding `expires`."""
    if "(created)" in covered:
        created = float(_pseudo_header("(created)", params))
    elif "date" in covered:
        created = http_date(field_value(fields, "date"))
    else:
        raise MissingComponentError("the Date header or the (created) pseudo-header must be signed")
    expires = float(_pseudo_header("(expires)", params)) if "(expires)" in covered else None
    return created, expires


def _require_cavage_components(covered: Sequence[str], method: str, body: bytes | None) -> None:
    # Stricter than Mastodon, which accepts digest in place of (request-target) and wants
    # host on GET only: every implementation we federate with signs both.
    required = ["(request-target)", "host"]
    if has_body(method, body):
        required.append("digest")
    missing = [name for name in required if name not in covered]
    if missing:
        raise MissingComponentError(f"the signature must cover {', '.join(missing)}")
