"""HTTP signatures on server-to-server requests: the cavage draft every fediverse server sends
and RFC 9421, which Mastodon retries with after a 401. Signing and verifying both.

Verification is split so the caller can fetch the key in between: `parse_request_signature`
does every check that needs no key (syntax, covered components, time window, body digest) and
returns a `SignatureRequest` naming `key_id`; its `verify(public_key_pem)` does the
cryptography. The algorithm is taken from the KEY's type (RSA: PKCS#1 v1.5 with SHA-256;
Ed25519), never from the header, which may only name one that fits the key: letting the header
pick is how an `hmac-sha256` signature keyed with the victim's public PEM verified in httpsig
1.3.0.

Rules follow Mastodon's app/lib/signed_request.rb (SignedRequest) and app/lib/request.rb,
with the differences marked "Stricter than Mastodon" where they are. This module is the one to
import: it re-exports what it uses from `sigcore` (errors, keys, time window) and `digests`.
"""

from __future__ import annotations

import base64
import email.utils
import re
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import SplitResult, urlsplit

from http_sfv.dictionary import Dictionary
from http_sfv.item import InnerList, Item

from activitypub.digests import (
    content_digest_header_matches,
    digest_header_matches,
    make_content_digest_header,
    make_digest_header,
)
from activitypub.sigcore import (
    CAVAGE_ALGORITHMS,
    CLOCK_SKEW_MARGIN,
    DEFAULT_VALIDITY,
    EXPIRATION_WINDOW_LIMIT,
    RFC9421_ALGORITHMS,
    BadSignatureError,
    DigestMismatchError,
    FutureSignatureError,
    InvalidKeyError,
    MalformedSignatureError,
    MissingComponentError,
    MissingSignatureError,
    Now,
    SignatureError,
    SignatureRequest,
    SignatureTimeError,
    StaleSignatureError,
    UnsupportedAlgorithmError,
    UnsupportedComponentError,
    authority,
    b64decode_signature,
    check_time_window,
    combined_headers,
    field_value,
    has_body,
    http_date,
    key_kind,
    load_private_key,
    load_public_key,
    origin_form,
    sign_bytes,
    target_uri_of,
    unix_time,
)

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

_DERIVED = frozenset(
    {"@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"}
)
_TOKEN = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"  # noqa: S105 - the RFC 7230 token grammar
# Possessive quantifiers: linear time on any input, and fast on 344-character signatures.
_CAVAGE_PARAM = re.compile(
    rf'[ \t]*+({_TOKEN})[ \t]*+=[ \t]*+(?:"((?:[^"\\]++|\\.)*+)"|({_TOKEN}))[ \t]*+'
)
_TIMESTAMP = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,9})?")
_SF_KEY = re.compile(r"[a-z*][a-z0-9_.*-]*")


# --- cavage draft -----------------------------------------------------------------------------


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


def _parse_cavage(
    fields: Mapping[str, str], method: str, path_with_query: str, body: bytes | None, now: float
) -> SignatureRequest:
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
        _check_digest(field_value(fields, "digest"), body, digest_header_matches, "Digest")
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


# --- RFC 9421 ---------------------------------------------------------------------------------


def rfc9421_signature_base(
    method: str,
    target_uri: str,
    headers: Mapping[str, str],
    signature_input: str,
    label: str | None = None,
) -> str:
    """The RFC 9421 section 2.5 signature base for one member of a Signature-Input header
    (the only one when `label` is None). Raises SignatureError subclasses."""
    inputs = _sf_dictionary(signature_input, "Signature-Input")
    if label is None:
        if len(inputs) != 1:
            raise MalformedSignatureError("Signature-Input has several labels; name one")
        label = next(iter(inputs))
    member = inputs.get(label)
    if not isinstance(member, InnerList):
        raise MalformedSignatureError(f"Signature-Input has no inner list labelled {label!r}")
    components = _components(member)
    return _signature_base(components, member, combined_headers(headers), method, target_uri)


def _sf_dictionary(value: str, name: str) -> Dictionary:
    parsed = Dictionary()
    try:
        parsed.parse(value.encode("ascii"))
    except (ValueError, UnicodeError) as exc:
        raise MalformedSignatureError(f"{name} is not a structured-field dictionary") from exc
    return parsed


def _components(member: InnerList) -> list[str]:
    names: list[str] = []
    for item in member:
        name = item.value
        if type(name) is not str:
            raise MalformedSignatureError("a covered component is not a string")
        if item.params:
            raise UnsupportedComponentError(f"component parameters on {name!r} are not supported")
        if name in names or name == "@signature-params":
            raise MalformedSignatureError(f"component {name!r} is repeated or not allowed")
        if name.startswith("@") and name not in _DERIVED:
            raise UnsupportedComponentError(f"component {name!r} is not supported")
        if name != name.lower() or not name:
            raise MalformedSignatureError(f"component {name!r} is not a lowercase field name")
        names.append(name)
    return names


def _signature_base(
    components: Sequence[str],
    member: InnerList,
    fields: Mapping[str, str],
    method: str,
    target_uri: str,
) -> str:
    target = urlsplit(target_uri)
    lines = [
        f"{Item(name)}: {_component(name, fields, method, target, target_uri)}"
        for name in components
    ]
    # Re-serialised canonically, as Linzer (Mastodon's library) does.
    lines.append(f'"@signature-params": {member}')
    return "\n".join(lines)


def _component(
    name: str, fields: Mapping[str, str], method: str, target: SplitResult, target_uri: str
) -> str:
    match name:
        case "@method":
            return method
        case "@target-uri":
            return target_uri
        case "@authority":
            return authority(target)
        case "@scheme":
            return target.scheme.lower()
        case "@request-target":
            return origin_form(target)
        case "@path":
            return target.path or "/"
        case "@query":
            return f"?{target.query}"
    return field_value(fields, name)


def sign_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    *,
    now: Now = None,
    expires: int | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """Headers to add for an RFC 9421 signature as Mastodon sends it: rsa-v1_5-sha256 (the
    key's type decides) over `@method`, `@target-uri` and, when there is a body (always on
    POST), `content-digest`, with `created` and `keyid` parameters."""
    if not _SF_KEY.fullmatch(label):
        raise ValueError(f"label {label!r} is not a structured-field key")
    components = ["@method", "@target-uri"]
    fields = combined_headers(headers)
    added: dict[str, str] = {}
    if body is not None or method.upper() == "POST":
        added["Content-Digest"] = fields["content-digest"] = make_content_digest_header(body or b"")
        components.append("content-digest")
    member = InnerList(list(components))
    member.params["created"] = int(unix_time(now))
    member.params["keyid"] = key_id  # serialising refuses what a string cannot hold
    if expires is not None:
        member.params["expires"] = expires
    base = _signature_base(components, member, fields, method.upper(), target_uri_of(urlsplit(url)))
    signature = sign_bytes(load_private_key(private_key_pem), base.encode("utf-8"))
    added["Signature-Input"] = f"{label}={member}"
    added["Signature"] = f"{label}=:{base64.b64encode(signature).decode('ascii')}:"
    return added


def _parse_rfc9421(
    fields: Mapping[str, str], method: str, target_uri: str, body: bytes | None, now: float
) -> SignatureRequest:
    inputs = _sf_dictionary(fields["signature-input"], "Signature-Input")
    if "signature" not in fields:
        raise MissingSignatureError("Signature-Input without a Signature header")
    signatures = _sf_dictionary(fields["signature"], "Signature")
    # Linzer (Mastodon) refuses several signatures; we take the first one our policy accepts
    # (a proxy may add its own), and report the first refusal when none is.
    first_error: SignatureError | None = None
    for label, member in inputs.items():
        try:
            return _rfc9421_candidate(
                label, member, signatures, fields, method, target_uri, body, now
            )
        except SignatureError as exc:
            first_error = first_error or exc
    raise first_error or MalformedSignatureError("Signature-Input is empty")


def _rfc9421_candidate(
    label: str,
    member: object,
    signatures: Dictionary,
    fields: Mapping[str, str],
    method: str,
    target_uri: str,
    body: bytes | None,
    now: float,
) -> SignatureRequest:
    if not isinstance(member, InnerList):
        raise MalformedSignatureError(f"Signature-Input {label!r} is not an inner list")
    value = signatures.get(label)
    if not isinstance(value, Item) or not isinstance(value.value, bytes):
        raise MalformedSignatureError(f"no Signature byte sequence labelled {label!r}")
    components = _components(member)
    key_id, created, expires, algorithm = _rfc9421_params(member)
    until = check_time_window(created, expires, now)
    required = ["@method", "@target-uri"] + (["content-digest"] if has_body(method, body) else [])
    missing = [name for name in required if name not in components]
    if missing:
        raise MissingComponentError(f"the signature must cover {', '.join(missing)}")
    if "content-digest" in components:
        digest = field_value(fields, "content-digest")
        _check_digest(digest, body, content_digest_header_matches, "Content-Digest")
    base = _signature_base(components, member, fields, method, target_uri)
    return SignatureRequest(
        key_id=key_id,
        scheme="rfc9421",
        algorithm=algorithm,
        covered=tuple(components),
        created=float(created),
        expires=until,
        signature=value.value,
        signed_data=(base.encode("utf-8"),),
    )


def _rfc9421_params(member: InnerList) -> tuple[str, int, int | None, str | None]:
    params = member.params
    key_id, created = params.get("keyid"), params.get("created")
    expires, algorithm = params.get("expires"), params.get("alg")
    if type(key_id) is not str or not key_id:
        raise MalformedSignatureError("the keyid parameter is required")
    if type(created) is not int:
        raise MissingComponentError("the created parameter is required")
    if expires is not None and type(expires) is not int:
        raise MalformedSignatureError("the expires parameter is not an integer")
    if algorithm is not None and (
        type(algorithm) is not str or algorithm not in RFC9421_ALGORITHMS
    ):
        raise UnsupportedAlgorithmError(f"alg {algorithm!r} is not supported")
    return key_id, created, expires, algorithm


# --- both --------------------------------------------------------------------------------------


def _check_digest(
    header: str, body: bytes | None, matches: Callable[[str, bytes], bool], name: str
) -> None:
    try:
        ok = matches(header, body or b"")
    except ValueError as exc:
        raise DigestMismatchError(f"{name}: {exc}") from exc
    if not ok:
        raise DigestMismatchError(f"{name} does not match the body")


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
        return _parse_rfc9421(fields, method, target_uri, body, current)
    if "signature" not in fields:
        raise MissingSignatureError("the request is not signed")
    return _parse_cavage(fields, method, path_with_query, body, current)
