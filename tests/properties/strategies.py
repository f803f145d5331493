"""Hypothesis strategies for what a remote server (or a visitor) can send: JSON-ish values
with the awkward corners (NUL, lone surrogates, huge integers, deep and wide nesting, the
field names our parsers look at), URLs that nearly pass, and header strings."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

# Modest, so the whole directory runs in seconds; deadline off: the first example of a test
# pays for imports and the shared machine has two busy cores. A longer hunt:
# DREAMFEED_PROPERTY_EXAMPLES=5000 pytest tests/properties
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("DREAMFEED_PROPERTY_EXAMPLES", "200")), deadline=None)

# Surrogates (category Cs) are left out of st.text() by default; a JSON body can carry them
# as \ud800 escapes, so ours keep them.
ANY_CHAR = st.characters(exclude_categories=())
AWKWARD = st.sampled_from([
    "\x00", "\ud800", "\udfff", "\u202e", "\u200b", "\t", "\r\n", "\\", '"', "%00", "%0d%0a",
    " ", "\x7f", "\x85", "\ufeff", "\U0001f600", "@", "#", "?", "//", ":", "[", "]",
])
TEXT = st.lists(ANY_CHAR.map(str) | AWKWARD, max_size=20).map("".join)

HOSTS = st.sampled_from(["remote.example", "a.test:8443", "[::1]", "127.0.0.1", "xn--e1a.example",
                         "", "remote.example:99999", "user@remote.example", "REMOTE.example"])
URLS = st.builds(lambda scheme, host, path: f"{scheme}{host}{path}",
                 st.sampled_from(["https://", "http://", "ftp://", "javascript:", "//", ""]),
                 HOSTS, TEXT.map(lambda t: "/" + t) | st.sampled_from(["", "/users/carol"]))
LONG_URL = st.integers(min_value=2000, max_value=2100).map(
    lambda n: "https://remote.example/" + "a" * n)

FIELDS = st.sampled_from([
    "id", "type", "actor", "object", "target", "to", "cc", "attributedTo", "content",
    "contentMap", "summary", "name", "tag", "attachment", "url", "href", "mediaType", "rel",
    "links", "subject", "publicKey", "publicKeyPem", "owner", "inbox", "outbox", "endpoints",
    "sharedInbox", "preferredUsername", "icon", "image", "totalItems", "published", "updated",
    "inReplyTo", "sensitive", "followers", "following", "alsoKnownAs", "movedTo", "blurhash",
    "width", "height", "focalPoint", "seed", "prompt", "model", "generator", "remixOf",
    "canRemix", "manuallyApprovesFollowers", "discoverable", "@context",
])
SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70) | st.sampled_from([10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT, URLS, LONG_URL,
    st.sampled_from(["Note", "Image", "Person", "Create", "Follow", "Hashtag", "Mention",
                     "PropertyValue", "Document", "Key", "self", "application/activity+json",
                     "https://www.w3.org/ns/activitystreams#Public",
                     "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
                     "2024-02-30T25:61:00Z", "9999-12-31T23:59:59+14:00"]),
)
JSON: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(FIELDS | TEXT, children, max_size=6),
    max_leaves=25,
)


def deeply_nested(depth: int) -> Any:
    value: Any = "https://remote.example/x"
    for i in range(depth):
        value = {"id": value} if i % 2 else [value]
    return value


DEEP = st.integers(min_value=50, max_value=400).map(deeply_nested)
ANY_JSON = JSON | DEEP


def overriding(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """`base` (a document that parses) with some fields replaced, removed or added: the
    examples that get past the first checks and reach the deep ones."""
    def build(changes: dict[str, Any], removed: list[str]) -> dict[str, Any]:
        doc = {k: v for k, v in base.items() if k not in removed}
        doc.update(changes)
        return doc
    return st.builds(build, st.dictionaries(FIELDS, ANY_JSON, max_size=4),
                     st.lists(st.sampled_from(sorted(base)), max_size=3))


HEADER_TEXT = st.lists(
    st.characters(max_codepoint=0x2FF, exclude_categories=()).map(str)
    | st.sampled_from([",", "=", '"', ";", ":", "(", ")", "\\", " ", "\t", "sig1", "keyId",
                       "created", "keyid", "alg", "expires", "headers", "algorithm",
                       "signature", "@method", "@target-uri", "content-digest", "date",
                       "(request-target)", "host", "digest", "rsa-sha256", "hs2019",
                       "sha-256=", "SHA-256=", "=:", ":", "1700000000", "99999999999999999"]),
    max_size=40).map("".join)
