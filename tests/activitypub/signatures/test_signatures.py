"""HTTP signatures: round trips for both schemes, the policy (required components, time
window, digests, algorithms) and the attacks it must refuse. Pure: no sockets, fixed clocks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from email.utils import formatdate
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from multidict import CIMultiDict

from activitypub.digests import (
    content_digest_header_matches,
    digest_header_matches,
    make_content_digest_header,
    make_digest_header,
)
from activitypub.keys import generate_rsa_keypair
from activitypub.signatures import (
    BadSignatureError,
    DigestMismatchError,
    FutureSignatureError,
    InvalidKeyError,
    MalformedSignatureError,
    MissingComponentError,
    MissingSignatureError,
    SignatureRequest,
    StaleSignatureError,
    UnsupportedAlgorithmError,
    UnsupportedComponentError,
    cavage_signing_string,
    load_private_key,
    load_public_key,
    parse_cavage_signature_header,
    parse_request_signature,
    rfc9421_signature_base,
    sign_cavage,
    sign_rfc9421,
)

NOW = 1_700_000_000
MINUTE = 60
INBOX = "https://our.example/users/alice/inbox"
OUTBOX_PAGE = "https://our.example/users/alice/outbox?page=2&max_id=9"
BODY = b'{"type": "Follow", "actor": "https://remote.example/users/bob"}'
POST_HEADERS = {"Content-Type": "application/activity+json"}
GET_HEADERS = {"Accept": "application/activity+json"}
KEY_ID = "https://remote.example/users/bob#main-key"

RSA = generate_rsa_keypair()
OTHER_RSA = generate_rsa_keypair()
_ED = ed25519.Ed25519PrivateKey.generate()
ED_PRIVATE = _ED.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
ED_PUBLIC = (
    _ED.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _sent(
    scheme: str,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    *,
    private_pem: str = RSA.private_pem,
    now: float = NOW,
) -> dict[str, str]:
    """The headers a request goes out with, signed by `scheme`."""
    sign = sign_cavage if scheme == "cavage" else sign_rfc9421
    return {**headers, **sign(method, url, headers, body, KEY_ID, private_pem, now=now)}


def _receive(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    now: float = NOW,
) -> SignatureRequest:
    """What the inbox handler does: parse with the URL this server is configured for."""
    return parse_request_signature(method, _path(url), headers, url, body, now=now)


def _cavage_header(
    covered: list[str],
    headers: Mapping[str, str],
    method: str = "POST",
    url: str = INBOX,
    *,
    algorithm: str = "rsa-sha256",
    extra: str = "",
    private_pem: str = RSA.private_pem,
) -> str:
    """A cavage Signature header over exactly `covered`, for tests that need odd ones."""
    params = {"algorithm": algorithm, **parse_cavage_signature_header(extra or 'x="y"')}
    signing = cavage_signing_string(covered, params, headers, method, _path(url))
    signature = base64.b64encode(_raw_sign(private_pem, signing)).decode()
    prefix = f"{extra}," if extra else ""
    return (
        f'{prefix}keyId="{KEY_ID}",algorithm="{algorithm}",headers="{" ".join(covered)}",'
        f'signature="{signature}"'
    )


def _raw_sign(private_pem: str, data: str) -> bytes:
    key = load_private_key(private_pem)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data.encode())
    return key.sign(data.encode(), padding.PKCS1v15(), hashes.SHA256())


def _rfc9421_headers(member: str, *, private_pem: str = RSA.private_pem) -> dict[str, str]:
    """A POST to INBOX signed over a hand-written Signature-Input member labelled sig1."""
    headers = {**POST_HEADERS, "Content-Digest": make_content_digest_header(BODY)}
    headers["Signature-Input"] = f"sig1={member}"
    base = rfc9421_signature_base("POST", INBOX, headers, headers["Signature-Input"])
    signature = base64.b64encode(_raw_sign(private_pem, base)).decode()
    return headers | {"Signature": f"sig1=:{signature}:"}


def _base_headers(now: float = NOW, body: bytes = BODY) -> dict[str, str]:
    return {
        "Host": "our.example",
        "Date": formatdate(now, usegmt=True),
        "Digest": make_digest_header(body),
        "Content-Type": "application/activity+json",
    }


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_post_round_trip(scheme: str) -> None:
    headers = _sent(scheme, "POST", INBOX, POST_HEADERS, BODY)
    parsed = _receive("POST", INBOX, headers, BODY)
    assert (parsed.key_id, parsed.scheme) == (KEY_ID, scheme)
    parsed.verify(RSA.public_pem)
    with pytest.raises(BadSignatureError):
        parsed.verify(OTHER_RSA.public_pem)


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_get_round_trip(scheme: str) -> None:
    headers = _sent(scheme, "GET", OUTBOX_PAGE, GET_HEADERS, None)
    assert "Digest" not in headers and "Content-Digest" not in headers
    parsed = _receive("GET", OUTBOX_PAGE, headers, None)
    parsed.verify(RSA.public_pem)


def test_cavage_signs_what_mastodon_signs() -> None:
    post = _sent("cavage", "POST", INBOX, POST_HEADERS, BODY)
    params = parse_cavage_signature_header(post["Signature"])
    assert params["algorithm"] == "rsa-sha256"
    assert params["headers"] == "(request-target) host date digest content-type"
    assert post["Host"] == "our.example"
    assert post["Date"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert post["Digest"] == make_digest_header(BODY)
    get = _sent("cavage", "GET", OUTBOX_PAGE, GET_HEADERS, None)
    assert parse_cavage_signature_header(get["Signature"])["headers"] == (
        "(request-target) host date accept"
    )


def test_rfc9421_signs_what_mastodon_signs() -> None:
    post = _sent("rfc9421", "POST", INBOX, POST_HEADERS, BODY)
    assert post["Signature-Input"] == (
        f'sig1=("@method" "@target-uri" "content-digest");created={NOW};keyid="{KEY_ID}"'
    )
    assert post["Content-Digest"] == make_content_digest_header(BODY)
    assert post["Signature"].startswith("sig1=:") and post["Signature"].endswith(":")
    get = _sent("rfc9421", "GET", OUTBOX_PAGE, GET_HEADERS, None)
    assert get["Signature-Input"].startswith('sig1=("@method" "@target-uri");')


def test_signer_keeps_existing_date_and_host_and_adds_port() -> None:
    date = formatdate(NOW - 10, usegmt=True)
    added = sign_cavage(
        "GET", "https://our.example/x", {"Date": date}, None, KEY_ID, RSA.private_pem
    )
    assert "Date" not in added and added["Host"] == "our.example"
    added = sign_cavage("GET", "http://Our.Example:8080/x", {}, None, KEY_ID, RSA.private_pem)
    assert added["Host"] == "our.example:8080"
    with pytest.raises(ValueError, match="key id"):
        sign_cavage("GET", INBOX, {}, None, 'bad"id', RSA.private_pem)


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_ed25519_round_trip(scheme: str) -> None:
    headers = _sent(scheme, "POST", INBOX, POST_HEADERS, BODY, private_pem=ED_PRIVATE)
    parsed = _receive("POST", INBOX, headers, BODY)
    parsed.verify(ED_PUBLIC)
    with pytest.raises(BadSignatureError):
        parsed.verify(RSA.public_pem)  # hs2019 / no alg: the RSA key is tried, and fails


def test_multidict_headers_and_repeated_fields_are_joined() -> None:
    headers = CIMultiDict(_base_headers())
    headers.add("X-Note", "one")
    headers.add("X-Note", "two")
    signing = cavage_signing_string(["x-note"], {}, headers, "POST", "/inbox")
    assert signing == "x-note: one, two"
    headers["Signature"] = _cavage_header(
        ["(request-target)", "host", "date", "digest", "x-note"], headers
    )
    _receive("POST", INBOX, headers, BODY).verify(RSA.public_pem)


# --- (request-target) and the query string ------------------------------------------------------


def test_query_string_signed_and_received() -> None:
    headers = _sent("cavage", "GET", OUTBOX_PAGE, GET_HEADERS, None)
    _receive("GET", OUTBOX_PAGE, headers, None).verify(RSA.public_pem)


def test_query_string_left_out_by_signer_still_verifies() -> None:
    """Older Mastodon signed the path alone; Mastodon and GoToSocial retry without it."""
    without_query = "https://our.example/users/alice/outbox"
    headers = _sent("cavage", "GET", without_query, GET_HEADERS, None)
    parsed = _receive("GET", OUTBOX_PAGE, headers, None)
    assert len(parsed.signed_data) == 2
    parsed.verify(RSA.public_pem)


def test_other_query_string_does_not_verify() -> None:
    headers = _sent("cavage", "GET", OUTBOX_PAGE, GET_HEADERS, None)
    other = "https://our.example/users/alice/outbox?page=3&max_id=9"
    with pytest.raises(BadSignatureError):
        _receive("GET", other, headers, None).verify(RSA.public_pem)


def test_rfc9421_target_uri_comes_from_the_caller_not_the_host_header() -> None:
    headers = _sent("rfc9421", "POST", "https://evil.example/users/alice/inbox", POST_HEADERS, BODY)
    headers["Host"] = "our.example"
    with pytest.raises(BadSignatureError):
        _receive("POST", INBOX, headers, BODY).verify(RSA.public_pem)


# --- hs2019, pseudo-headers, parsing ------------------------------------------------------------


def test_hs2019_as_gotosocial_sends_it() -> None:
    headers = _base_headers()
    covered = ["(request-target)", "host", "date", "digest"]
    headers["Signature"] = _cavage_header(covered, headers, algorithm="hs2019")
    parsed = _receive("POST", INBOX, headers, BODY)
    assert parsed.algorithm == "hs2019"
    parsed.verify(RSA.public_pem)


def test_hs2019_with_created_and_expires_pseudo_headers() -> None:
    headers = _base_headers()
    del headers["Date"]
    extra = f"created={NOW - 30 * MINUTE},expires={NOW + 600}"
    covered = ["(request-target)", "(created)", "(expires)", "host", "digest"]
    headers["Signature"] = _cavage_header(covered, headers, algorithm="hs2019", extra=extra)
    parsed = _receive("POST", INBOX, headers, BODY)
    assert parsed.created == NOW - 30 * MINUTE and parsed.expires == NOW + 600
    parsed.verify(RSA.public_pem)


def test_created_pseudo_header_is_refused_with_rsa_sha256() -> None:
    headers = _base_headers()
    with pytest.raises(MalformedSignatureError, match="rsa-sha256"):
        _cavage_header(["(created)"], headers, extra=f"created={NOW}")


def test_missing_headers_parameter_means_date_or_created() -> None:
    """Mastodon: without `headers`, rsa-sha256 covers the Date alone and hs2019 (also the
    default algorithm) covers (created) alone; neither is enough for us."""
    headers = _base_headers()
    headers["Signature"] = 'keyId="k",algorithm="rsa-sha256",signature="AAAA"'
    with pytest.raises(MissingComponentError, match="request-target"):
        _receive("POST", INBOX, headers, BODY)
    headers["Signature"] = f'keyId="k",created={NOW},signature="AAAA"'
    with pytest.raises(MissingComponentError, match="request-target"):
        _receive("POST", INBOX, headers, BODY)
    headers["Signature"] = 'keyId="k",signature="AAAA"'  # (created) signed, no parameter
    with pytest.raises(MalformedSignatureError, match="created"):
        _receive("POST", INBOX, headers, BODY)


def test_signature_header_parsing() -> None:
    parsed = parse_cavage_signature_header(
        'Signature keyId="https://x.example/a,b#k" , algorithm=hs2019,'
        'headers="(request-target) host",signature="a\\"b=="'
    )
    assert parsed == {
        "keyId": "https://x.example/a,b#k",
        "algorithm": "hs2019",
        "headers": "(request-target) host",
        "signature": 'a"b==',
    }
    for bad in ['keyId="a', 'keyId="a",', 'keyId="a" x', 'keyId="a",keyId="b"', "", "keyId"]:
        with pytest.raises(MalformedSignatureError):
            parse_cavage_signature_header(bad)


def test_header_with_line_break_is_refused() -> None:
    headers = _base_headers()
    headers["Signature"] = _cavage_header(["(request-target)", "host", "date", "digest"], headers)
    headers["Host"] = "our.example\ndate: x"
    with pytest.raises(MalformedSignatureError, match="line break"):
        _receive("POST", INBOX, headers, BODY)


# --- digests ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "digest",
    [
        "SHA-256={s256}",
        "sha-256={s256}",
        "SHA-256={s256},SHA-512={s512}",
        "SHA-512={s512}, sha-256={s256}",
        "MD5=whatever, SHA-256={s256}",
    ],
)
def test_digest_header_forms_accepted(digest: str) -> None:
    value = digest.format(
        **{
            "s256": base64.b64encode(hashlib.sha256(BODY).digest()).decode(),
            "s512": base64.b64encode(hashlib.sha512(BODY).digest()).decode(),
        }
    )
    assert digest_header_matches(value, BODY)
    headers = _base_headers() | {"Digest": value}
    headers["Signature"] = _cavage_header(["(request-target)", "host", "date", "digest"], headers)
    _receive("POST", INBOX, headers, BODY).verify(RSA.public_pem)


@pytest.mark.parametrize(
    "digest",
    [
        "SHA-512={s512}",  # no SHA-256 offered
        "SHA-256={s256},SHA-512={bad512}",  # every digest offered must match
        "SHA-256=not base64!",
        "SHA-256=" + base64.b64encode(b"short").decode(),
        "SHA-256",
    ],
)
def test_digest_header_forms_refused(digest: str) -> None:
    value = digest.format(
        **{
            "s256": base64.b64encode(hashlib.sha256(BODY).digest()).decode(),
            "s512": base64.b64encode(hashlib.sha512(BODY).digest()).decode(),
            "bad512": base64.b64encode(hashlib.sha512(b"other").digest()).decode(),
        }
    )
    headers = _base_headers() | {"Digest": value}
    headers["Signature"] = _cavage_header(["(request-target)", "host", "date", "digest"], headers)
    with pytest.raises(DigestMismatchError):
        _receive("POST", INBOX, headers, BODY)


def test_content_digest_helpers() -> None:
    assert content_digest_header_matches(make_content_digest_header(BODY), BODY)
    assert not content_digest_header_matches(make_content_digest_header(b"x"), BODY)
    sha512 = base64.b64encode(hashlib.sha512(BODY).digest()).decode()
    assert content_digest_header_matches(
        f"{make_content_digest_header(BODY)}, sha-512=:{sha512}:", BODY
    )
    for bad in [f"sha-512=:{sha512}:", "sha-256=abc", "sha-256=:AAAA:", "nonsense=", "SHA-256=:a:"]:
        with pytest.raises(ValueError):
            content_digest_header_matches(bad, BODY)


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_tampered_body_is_a_digest_mismatch(scheme: str) -> None:
    headers = _sent(scheme, "POST", INBOX, POST_HEADERS, BODY)
    with pytest.raises(DigestMismatchError):
        _receive("POST", INBOX, headers, BODY.replace(b"Follow", b"Block"))


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_replaced_digest_header_breaks_the_signature(scheme: str) -> None:
    forged = BODY.replace(b"Follow", b"Block")
    headers = _sent(scheme, "POST", INBOX, POST_HEADERS, BODY)
    headers["Digest"] = make_digest_header(forged)
    headers["Content-Digest"] = make_content_digest_header(forged)
    with pytest.raises(BadSignatureError):
        _receive("POST", INBOX, headers, forged).verify(RSA.public_pem)


# --- tampering and missing pieces ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Date", formatdate(NOW + 1, usegmt=True)),
        ("Host", "other.example"),
        ("Content-Type", "text/plain"),
    ],
)
def test_tampered_signed_header_is_a_bad_signature(name: str, value: str) -> None:
    headers = _sent("cavage", "POST", INBOX, POST_HEADERS, BODY)
    headers[name] = value
    with pytest.raises(BadSignatureError):
        _receive("POST", INBOX, headers, BODY).verify(RSA.public_pem)


def test_tampered_method_is_a_bad_signature() -> None:
    headers = _sent("rfc9421", "POST", INBOX, POST_HEADERS, BODY)
    with pytest.raises(BadSignatureError):
        _receive("PUT", INBOX, headers, BODY).verify(RSA.public_pem)


def test_unsigned_request_is_refused() -> None:
    with pytest.raises(MissingSignatureError):
        _receive("POST", INBOX, _base_headers(), BODY)
    headers = _sent("rfc9421", "POST", INBOX, POST_HEADERS, BODY)
    del headers["Signature"]
    with pytest.raises(MissingSignatureError):
        _receive("POST", INBOX, headers, BODY)


@pytest.mark.parametrize(
    ("covered", "missing"),
    [
        (["host", "date", "digest"], "(request-target)"),
        (["(request-target)", "date", "digest"], "host"),
        (["(request-target)", "host", "date"], "digest"),
        (["(request-target)", "host", "digest"], "Date header or the (created)"),
    ],
)
def test_cavage_required_components(covered: list[str], missing: str) -> None:
    headers = _base_headers()
    headers["Signature"] = _cavage_header(covered, headers)
    with pytest.raises(MissingComponentError, match=re.escape(missing)):
        _receive("POST", INBOX, headers, BODY)


def test_digest_required_on_empty_post_but_not_on_get() -> None:
    headers = _base_headers(body=b"")
    headers["Signature"] = _cavage_header(["(request-target)", "host", "date"], headers)
    with pytest.raises(MissingComponentError, match="digest"):
        _receive("POST", INBOX, headers, b"")
    get = _base_headers()
    get["Signature"] = _cavage_header(["(request-target)", "host", "date"], get, "GET")
    _receive("GET", INBOX, get, None).verify(RSA.public_pem)


def test_signed_header_absent_from_request() -> None:
    headers = _base_headers()
    headers["Signature"] = _cavage_header(
        ["(request-target)", "host", "date", "digest", "content-type"], headers
    )
    del headers["Content-Type"]
    with pytest.raises(MissingComponentError, match="content-type"):
        _receive("POST", INBOX, headers, BODY)


@pytest.mark.parametrize(
    ("signature_input", "error"),
    [
        ('sig1=("@method" "content-digest");created={now};keyid="k"', MissingComponentError),
        ('sig1=("@target-uri" "content-digest");created={now};keyid="k"', MissingComponentError),
        ('sig1=("@method" "@target-uri");created={now};keyid="k"', MissingComponentError),
        ('sig1=("@method" "@target-uri" "content-digest");keyid="k"', MissingComponentError),
        ('sig1=("@method" "@target-uri" "content-digest");created={now}', MalformedSignatureError),
        ('sig1=("@method" "@method");created={now};keyid="k"', MalformedSignatureError),
        ('sig1=("@status");created={now};keyid="k"', UnsupportedComponentError),
        ('sig1=("date";sf);created={now};keyid="k"', UnsupportedComponentError),
        ('sig1=("@signature-params");created={now};keyid="k"', MalformedSignatureError),
        ("sig1=(@method);created={now}", MalformedSignatureError),
        ('sig1="not a list"', MalformedSignatureError),
        (
            'sig2=("@method" "@target-uri" "content-digest");created={now};keyid="k"',
            MalformedSignatureError,
        ),  # no Signature labelled sig2
    ],
)
def test_rfc9421_policy_refusals(signature_input: str, error: type[Exception]) -> None:
    headers = _sent("rfc9421", "POST", INBOX, POST_HEADERS, BODY)
    headers["Signature-Input"] = signature_input.format(now=NOW)
    with pytest.raises(error):
        _receive("POST", INBOX, headers, BODY)


def test_rfc9421_picks_the_signature_it_can_verify() -> None:
    headers = _sent("rfc9421", "POST", INBOX, POST_HEADERS, BODY)
    proxy_input = f'proxy=("@authority");created={NOW};keyid="p";alg="ecdsa-p256-sha256"'
    headers["Signature-Input"] = f"{proxy_input}, {headers['Signature-Input']}"
    headers["Signature"] = f"proxy=:AAAA:, {headers['Signature']}"
    parsed = _receive("POST", INBOX, headers, BODY)
    assert parsed.key_id == KEY_ID
    parsed.verify(RSA.public_pem)
    headers["Signature-Input"] = proxy_input
    with pytest.raises(UnsupportedAlgorithmError):
        _receive("POST", INBOX, headers, BODY)


# --- the time window --------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
@pytest.mark.parametrize(
    ("offset", "error"),
    [
        (-64 * MINUTE, None),
        (-65 * MINUTE, None),  # five minutes of validity + one hour of skew, inclusive
        (-65 * MINUTE - 1, StaleSignatureError),
        (-66 * MINUTE, StaleSignatureError),
        (59 * MINUTE, None),
        (60 * MINUTE, None),  # one hour of skew into the future, inclusive
        (60 * MINUTE + 1, FutureSignatureError),
        (61 * MINUTE, FutureSignatureError),
    ],
)
def test_time_window(scheme: str, offset: int, error: type[Exception] | None) -> None:
    headers = _sent(scheme, "POST", INBOX, POST_HEADERS, BODY, now=NOW + offset)
    if error is None:
        _receive("POST", INBOX, headers, BODY).verify(RSA.public_pem)
    else:
        with pytest.raises(error):
            _receive("POST", INBOX, headers, BODY)


@pytest.mark.parametrize(
    ("expires", "age", "error"),
    [
        (24 * 3600, 13 * 3600, None),  # capped at 12 h, plus the hour of skew
        (24 * 3600, 13 * 3600 + 1, StaleSignatureError),
        (60, 60 + 3600, None),  # an earlier explicit expiry is honoured
        (60, 60 + 3601, StaleSignatureError),
    ],
)
def test_rfc9421_expires(expires: int, age: int, error: type[Exception] | None) -> None:
    created = NOW - age
    headers = {
        **POST_HEADERS,
        **sign_rfc9421(
            "POST",
            INBOX,
            POST_HEADERS,
            BODY,
            KEY_ID,
            RSA.private_pem,
            now=created,
            expires=created + expires,
        ),
    }
    if error is None:
        _receive("POST", INBOX, headers, BODY).verify(RSA.public_pem)
    else:
        with pytest.raises(error):
            _receive("POST", INBOX, headers, BODY)


def test_cavage_unsigned_expires_is_ignored() -> None:
    """Stricter than Mastodon: an `expires` the signature does not cover cannot stretch it."""
    date = NOW - 2 * 3600
    headers = _base_headers(now=date)
    covered = ["(request-target)", "host", "date", "digest"]
    extra = f"expires={date + 12 * 3600}"
    headers["Signature"] = _cavage_header(covered, headers, algorithm="hs2019", extra=extra)
    with pytest.raises(StaleSignatureError):
        _receive("POST", INBOX, headers, BODY)
    covered.append("(expires)")
    headers["Signature"] = _cavage_header(covered, headers, algorithm="hs2019", extra=extra)
    _receive("POST", INBOX, headers, BODY).verify(RSA.public_pem)


def test_unparsable_date_is_malformed() -> None:
    headers = _base_headers() | {"Date": "yesterday"}
    headers["Signature"] = _cavage_header(["(request-target)", "host", "date", "digest"], headers)
    with pytest.raises(MalformedSignatureError, match="Date"):
        _receive("POST", INBOX, headers, BODY)


# --- algorithms and keys ----------------------------------------------------------------------


def test_hmac_keyed_with_the_public_pem_is_refused() -> None:
    """httpsig 1.3.0 verified this forgery: the attacker knows the victim's public PEM and
    uses it as an HMAC secret. The algorithm must come from the key, not the header."""
    headers = _base_headers()
    covered = ["(request-target)", "host", "date", "digest"]
    signing = cavage_signing_string(covered, {}, headers, "POST", "/users/alice/inbox")
    forged = base64.b64encode(
        hmac.new(RSA.public_pem.encode(), signing.encode(), hashlib.sha256).digest()
    ).decode()
    base = f'keyId="{KEY_ID}",headers="{" ".join(covered)}",signature="{forged}"'
    headers["Signature"] = f'{base},algorithm="hmac-sha256"'
    with pytest.raises(UnsupportedAlgorithmError):
        _receive("POST", INBOX, headers, BODY)
    # Declared as hs2019 it parses, and then fails as what it is: not an RSA signature.
    headers["Signature"] = f'{base},algorithm="hs2019"'
    with pytest.raises(BadSignatureError):
        _receive("POST", INBOX, headers, BODY).verify(RSA.public_pem)


def test_rfc9421_hmac_is_refused() -> None:
    headers = _sent("rfc9421", "POST", INBOX, POST_HEADERS, BODY)
    headers["Signature-Input"] = headers["Signature-Input"] + ';alg="hmac-sha256"'
    with pytest.raises(UnsupportedAlgorithmError):
        _receive("POST", INBOX, headers, BODY)


@pytest.mark.parametrize(
    "algorithm", ["rsa-sha512", "rsa-sha1", "ecdsa-sha256", "none", "hmac-sha1"]
)
def test_other_cavage_algorithms_refused(algorithm: str) -> None:
    headers = _base_headers()
    headers["Signature"] = _cavage_header(
        ["(request-target)", "host", "date", "digest"], headers, algorithm=algorithm
    )
    with pytest.raises(UnsupportedAlgorithmError):
        _receive("POST", INBOX, headers, BODY)


def test_algorithm_must_fit_the_key() -> None:
    headers = _base_headers()
    headers["Signature"] = _cavage_header(
        ["(request-target)", "host", "date", "digest"], headers, private_pem=ED_PRIVATE
    )
    with pytest.raises(UnsupportedAlgorithmError, match="ed25519 key"):
        _receive("POST", INBOX, headers, BODY).verify(ED_PUBLIC)

    headers = _sent("rfc9421", "POST", INBOX, POST_HEADERS, BODY)
    headers["Signature-Input"] += ';alg="ed25519"'
    with pytest.raises(UnsupportedAlgorithmError, match="rsa key"):
        _receive("POST", INBOX, headers, BODY).verify(RSA.public_pem)


@pytest.mark.parametrize(
    ("alg", "private_pem", "public_pem"),
    [("rsa-v1_5-sha256", RSA.private_pem, RSA.public_pem), ("ed25519", ED_PRIVATE, ED_PUBLIC)],
)
def test_rfc9421_declared_alg_that_fits_is_accepted(
    alg: str, private_pem: str, public_pem: str
) -> None:
    member = f'("@method" "@target-uri" "content-digest");created={NOW};keyid="k";alg="{alg}"'
    headers = _rfc9421_headers(member, private_pem=private_pem)
    parsed = _receive("POST", INBOX, headers, BODY)
    assert parsed.algorithm == alg
    parsed.verify(public_pem)


def test_public_keys_are_cached_and_checked() -> None:
    assert load_public_key(RSA.public_pem) is load_public_key(RSA.public_pem)
    with pytest.raises(InvalidKeyError):
        load_public_key("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    ec_public = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(InvalidKeyError, match="unsupported"):
        load_public_key(ec_public)
    headers = _sent("cavage", "POST", INBOX, POST_HEADERS, BODY)
    with pytest.raises(InvalidKeyError):
        _receive("POST", INBOX, headers, BODY).verify(ec_public)


def test_signature_not_base64_is_malformed() -> None:
    headers = _base_headers()
    headers["Signature"] = (
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",'
        'headers="(request-target) host date digest",signature="!!"'
    )
    with pytest.raises(MalformedSignatureError, match="base64"):
        _receive("POST", INBOX, headers, BODY)
