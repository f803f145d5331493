"""Any JSON a remote server sends as a Note or a QuoteAuthorization gives the quote parsers
a storable URI or None, a bounded policy, never an exception."""

from __future__ import annotations

from typing import Any

from hypothesis import given

from activitypub import quotes
from activitypub.parse import remote_uri
from tests.properties.strategies import ANY_JSON, PROPERTY_SETTINGS


@PROPERTY_SETTINGS
@given(ANY_JSON)
def test_quote_parsers(doc: Any) -> None:
    if not isinstance(doc, dict):
        doc = {"quote": doc, "interactionPolicy": {"canQuote": {"automaticApproval": doc}}}
    for found in (quotes.quote_of(doc), quotes.quote_authorization_of(doc)):
        assert found is None or remote_uri(found) == found
    policy = quotes.parse_can_quote(doc)
    if policy is not None:
        assert len(policy.automatic) <= quotes.MAX_POLICY_ENTRIES
        assert len(policy.manual) <= quotes.MAX_POLICY_ENTRIES
    quotes.parse_quote_authorization(doc)
