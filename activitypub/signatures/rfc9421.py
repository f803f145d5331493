"""RFC 9421 HTTP Message Signatures, as Mastodon retries with after a 401 (through Linzer):
the `Signature-Input` and `Signature` structured fields (RFC 8941, parsed with http-sfv), the
covered components and signature base (section 2), signing, and checking an incoming
signature up to the key. Content-Digest is RFC 9530.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from urllib.parse import SplitResult, urlsplit

from http_sfv.dictionary import Dictionary
from http_sfv.item import InnerList, Item

from activitypub.digests import content_digest_header_matches, make_content_digest_header
from activitypub.signatures.common import (
    Now,
    SignatureRequest,
    authority,
    check_digest,
    check_time_window,
    combined_headers,
    field_value,
    has_body,
    origin_form,
    target_uri_of,
    unix_time,
)
from activitypub.signatures.errors import (
    MalformedSignatureError,
    MissingComponentError,
    MissingSignatureError,
    SignatureError,
    UnsupportedAlgorithmError,
    UnsupportedComponentError,
)
from activitypub.signatures.keys import RFC9421_ALGORITHMS, load_private_key, sign_bytes

__all__ = ["parse_rfc9421_request", "rfc9421_signature_base", "sign_rfc9421"]

# The derived components (section 2.2) implemented; any other is refused, not guessed at.
_DERIVED = frozenset(
    {"@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"}
)
_SF_KEY = re.compile(r"[a-z*][a-z0-9_.*-]*")


# --- signature base ---------------------------------------------------------------------------


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


# --- signing ----------------------------------------------------------------------------------


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


# --- verifying --------------------------------------------------------------------------------


def parse_rfc9421_request(
    fields: Mapping[str, str], method: str, target_uri: str, body: bytes | None, now: float
) -> SignatureRequest:
    """Every check of an RFC 9421 signature that needs no key; `fields` are `combined_headers`
    output and `now` a unix time. Raises SignatureError subclasses."""
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
        check_digest(digest, body, content_digest_header_matches, "Content-Digest")
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
