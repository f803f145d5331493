"""Any Signature / Signature-Input / Date / Digest headers give parse_request_signature a
SignatureRequest or a SignatureError, never another exception: a malformed header is a 401,
not a 500. Examples start from real signatures (cavage as Mastodon signs, RFC 9421) and
change one header, or come from nothing."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from activitypub.signatures import (
    MalformedSignatureError,
    SignatureError,
    SignatureRequest,
    parse_cavage_signature_header,
    parse_request_signature,
    sign_cavage,
    sign_rfc9421,
)
from tests.federation.fake_signatures import KeyPair
from tests.properties.strategies import HEADER_TEXT, PROPERTY_SETTINGS

HOSTILE = Path(__file__).resolve().parent.parent / "data" / "hostile"
URL = "https://dreamfeed.example/users/alice/inbox"
PATH = "/users/alice/inbox"
KEY_ID = "https://remote.example/users/carol#main-key"
BODY = b'{"type":"Follow"}'
NOW = 1_700_000_000
_KEY = KeyPair.generate()
BASE = {"Content-Type": "application/activity+json"}
CAVAGE = {**BASE, **sign_cavage("POST", URL, BASE, BODY, KEY_ID, _KEY.private_pem, now=NOW)}
RFC9421 = {**BASE, **sign_rfc9421("POST", URL, BASE, BODY, KEY_ID, _KEY.private_pem, now=NOW)}
NAMES = st.sampled_from(["Signature", "Signature-Input", "Date", "Digest", "Content-Digest",
                         "Host", "Content-Type", "Accept"])


def _parse(headers: dict[str, str], body: bytes | None = BODY) -> SignatureRequest | None:
    try:
        return parse_request_signature("POST", PATH, headers, URL, body, now=NOW)
    except SignatureError:
        return None


def test_the_base_signatures_parse() -> None:
    assert _parse(CAVAGE) is not None
    assert _parse(RFC9421) is not None


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, str]:
    headers = dict(draw(st.sampled_from([CAVAGE, RFC9421, {}])))
    name = draw(NAMES)
    how = draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
    old = headers.get(name, "")
    if how == "delete":
        headers.pop(name, None)
    elif how == "truncate":
        headers[name] = old[: draw(st.integers(0, max(len(old), 0)))]
    elif how == "insert":
        at = draw(st.integers(0, len(old)))
        headers[name] = old[:at] + draw(HEADER_TEXT) + old[at:]
    else:
        headers[name] = draw(HEADER_TEXT)
    return headers


SIGNATURE_INPUTS = st.builds(
    lambda label, components, params: f"{label}=({components}){params}",
    st.sampled_from(["sig1", "", "Sig1", "sig1;", "*", "a b"]),
    st.lists(st.sampled_from(['"@method"', '"@target-uri"', '"content-digest"', '"@path"',
                              '"@query-param";name="x"', '"date";sf', '"@status"', "x", '""',
                              '"@authority"', '"@request-target"', '"signature"']),
             max_size=5).map(" ".join),
    st.lists(st.sampled_from([";created=1700000000", ";created=-1", ";created=1e3",
                              ';keyid="https://remote.example/k"', ";keyid=token",
                              ';alg="rsa-v1_5-sha256"', ';alg="hmac-sha256"', ";expires=1",
                              ";created=99999999999999999", ';keyid=""', ";tag=\"x\""]),
             max_size=4).map("".join),
)


@PROPERTY_SETTINGS
@given(mutated())
def test_one_header_changed(headers: dict[str, str]) -> None:
    _parse(headers)


@PROPERTY_SETTINGS
@given(SIGNATURE_INPUTS, HEADER_TEXT)
@example('sig1=("@method" "@target-uri");created=1700000000;keyid="https://r.example/k"',
         "sig1=:AAAA:")
def test_signature_input_shapes(signature_input: str, signature: str) -> None:
    headers = {**RFC9421, "Signature-Input": signature_input, "Signature": signature}
    _parse(headers)
    _parse({**headers, "Signature": RFC9421["Signature"]}, body=None)


@PROPERTY_SETTINGS
@given(st.dictionaries(NAMES, HEADER_TEXT, max_size=5), st.binary(max_size=64) | st.none())
def test_headers_from_nothing(headers: dict[str, str], body: bytes | None) -> None:
    _parse(headers, body)


@PROPERTY_SETTINGS
@given(HEADER_TEXT)
@example('keyId="a",keyId="b"')
@example('keyId="a\\')
@example("Signature ")
def test_cavage_signature_header(value: str) -> None:
    try:
        params = parse_cavage_signature_header(value)
    except MalformedSignatureError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())


def test_hostile_signature_headers_are_refused() -> None:
    """The header files of tests/data/hostile, each replayed on a real signature."""
    files = sorted(HOSTILE.glob("signature-*.json"))
    assert files
    for path in files:
        case = json.loads(path.read_text())
        base = CAVAGE if case.get("scheme") == "cavage" else RFC9421
        headers = {**base, **case["headers"]}
        assert _parse(headers) is None, path.name
