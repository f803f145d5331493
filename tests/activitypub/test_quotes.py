"""The quote parts of a Note as Mastodon 4.5 and older quoting software send them
(activitypub/quotes.py, through parse_note), and the documents we build."""

from __future__ import annotations

import json
from pathlib import Path

from activitypub import quotes
from activitypub.parse_note import parse_note

DATA = Path(__file__).parent.parent / "data" / "mastodon" / "quotes"
ACTOR = "https://masto.example/users/carol"
QUOTED = "https://other.example/users/dave/statuses/1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _note(**fields: object) -> dict[str, object]:
    return {"id": f"{ACTOR}/statuses/2", "type": "Note", "attributedTo": ACTOR,
            "content": "<p>hi</p>", "to": [PUBLIC], **fields}


def test_mastodon_quote_note() -> None:
    text = (DATA / "quote_note.json").read_text()
    for key, value in {"ACTOR": ACTOR, "BASE": "https://masto.example", "USERNAME": "carol",
                       "QUOTED": QUOTED, "QUOTED_AUTHOR": "https://other.example/users/dave",
                       "STAMP": "https://other.example/users/dave/quote_authorizations/9"
                       }.items():
        text = text.replace("{" + key + "}", value)
    note = parse_note(json.loads(text))
    assert note.quote == QUOTED
    assert note.quote_authorization == "https://other.example/users/dave/quote_authorizations/9"
    assert note.can_quote == quotes.CanQuote(automatic=(PUBLIC,), manual=())


def test_older_quote_spellings_are_read_in_mastodons_order() -> None:
    assert parse_note(_note(quoteUri=QUOTED)).quote == QUOTED  # Fedibird
    assert parse_note(_note(_misskey_quote=QUOTED)).quote == QUOTED  # Misskey
    assert parse_note(_note(quoteUrl=QUOTED)).quote == QUOTED
    assert parse_note(_note(quote={"id": QUOTED, "type": "Note"})).quote == QUOTED
    assert parse_note(_note(quote=QUOTED, quoteUri="https://x.example/1")).quote == QUOTED
    assert parse_note(_note(quote="javascript:alert(1)")).quote is None
    assert parse_note(_note()).quote is None and parse_note(_note()).can_quote is None


def test_can_quote_scopes() -> None:
    followers, following = f"{ACTOR}/followers", f"{ACTOR}/following"
    policy = quotes.parse_can_quote({"interactionPolicy": {"canQuote": {
        "automaticApproval": [followers, ACTOR, "as:Public"],
        "manualApproval": "https://x.example/users/eve"}}})
    assert policy is not None
    scopes = quotes.scopes(policy.automatic, author=ACTOR, followers=followers,
                           following=following)
    assert scopes == {quotes.PUBLIC_SCOPE, quotes.FOLLOWERS_SCOPE}
    assert quotes.scopes(policy.manual, author=ACTOR, followers=followers,
                         following=following) == {quotes.UNSUPPORTED_SCOPE}
    # "nobody": the author alone (an empty list would vanish once canonicalized).
    assert quotes.can_quote(author=ACTOR, followers=followers, following=following,
                            automatic=frozenset()) == {"automaticApproval": [ACTOR],
                                                       "manualApproval": []}


def test_quote_authorization_round_trip() -> None:
    stamp = quotes.quote_authorization(f"{ACTOR}/quote_authorizations/1", ACTOR,
                                       "https://x.example/statuses/5", f"{ACTOR}/statuses/1")
    parsed = quotes.parse_quote_authorization(stamp)
    assert parsed is not None
    assert (parsed.attributed_to, parsed.interacting_object, parsed.interaction_target) == (
        ACTOR, "https://x.example/statuses/5", f"{ACTOR}/statuses/1")
    assert quotes.parse_quote_authorization({**stamp, "type": "Note"}) is None
    assert quotes.parse_quote_authorization({**stamp, "attributedTo": None}) is None
