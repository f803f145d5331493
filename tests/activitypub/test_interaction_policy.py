"""GoToSocial's interaction controls on the wire: recorded policies, requests, answers and
authorizations (tests/data/gotosocial/, from GoToSocial's docs) read, and ours written in
both spellings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from activitypub import interaction_policy as wire
from activitypub.parse_note import parse_note
from activitypub.vocab import PUBLIC

DATA = Path(__file__).parent.parent / "data" / "gotosocial"
ZORK = "https://example.org/users/the_mighty_zork"


def recorded(name: str) -> dict[str, Any]:
    return dict(json.loads((DATA / f"{name}.json").read_text()))


def test_current_names_are_read() -> None:
    policy = wire.parse_policy(recorded("note_policy_limited_conversation"))
    assert policy is not None
    assert policy.rule(wire.LIKE) == wire.Rule((PUBLIC,))
    assert policy.rule(wire.REPLY) == wire.Rule(
        (ZORK, "https://example.org/users/booblover6969", "https://example.org/users/hodor"),
        (PUBLIC,))
    assert f"{ZORK}/followers" in policy.rule(wire.ANNOUNCE).automatic


def test_old_names_and_single_values_are_read() -> None:
    policy = wire.parse_policy(recorded("note_policy_solo_thread_old_names"))
    assert policy is not None
    assert policy.rule(wire.REPLY) == wire.Rule((ZORK,))
    assert policy.rule(wire.ANNOUNCE) == wire.Rule((PUBLIC,))


def test_the_parsed_note_carries_its_policy() -> None:
    note = parse_note(recorded("note_policy_limited_conversation"))
    assert note.interaction_policy is not None
    assert note.interaction_policy.rule(wire.REPLY).manual == (PUBLIC,)


def test_remix_consent_is_read_from_the_policy_when_no_boolean_says() -> None:
    base = recorded("note_policy_limited_conversation")
    mine_alone = {**base, "interactionPolicy": {**base["interactionPolicy"],
                                                "canRemix": {"automaticApproval": [ZORK]}}}
    assert parse_note(mine_alone).can_remix is False
    anyone = {**base, "interactionPolicy": {**base["interactionPolicy"],
                                            "canRemix": {"always": PUBLIC}}}
    assert parse_note(anyone).can_remix is True
    assert parse_note({**mine_alone, "canRemix": True}).can_remix is True  # the boolean wins
    assert parse_note(base).can_remix is None  # not stated


def test_absent_or_empty_policy_is_none_and_missing_sub_policies_open() -> None:
    assert wire.parse_policy({"type": "Note"}) is None
    assert wire.parse_policy({"interactionPolicy": {}}) is None
    policy = wire.parse_policy({"interactionPolicy": {"canReply": {"always": ["as:Public"]},
                                                      "canLike": None, "canAnnounce": {}}})
    assert policy is not None and set(policy.rules) == {"canReply"}
    assert policy.rule(wire.ANNOUNCE) == wire.Rule((PUBLIC,))  # the open default
    assert policy.rule(wire.REPLY) == wire.Rule((PUBLIC,))  # as:Public is Public


def test_hostile_entries_are_dropped() -> None:
    policy = wire.parse_policy({"interactionPolicy": {"canReply": {
        "automaticApproval": ["javascript:alert(1)", 5, {"id": "https://x.test/u/a"},
                              *[f"https://x.test/u/{n}" for n in range(500)]]}}})
    assert policy is not None
    automatic = policy.rule(wire.REPLY).automatic
    assert automatic[0] == "https://x.test/u/a"
    assert len(automatic) < wire.MAX_ENTRIES


def test_we_write_both_spellings_and_read_our_own_back() -> None:
    policy = wire.Policy({"canReply": wire.Rule((ZORK,), (PUBLIC,)),
                          "canLike": wire.Rule((PUBLIC,))})
    doc = wire.policy_document(policy)
    assert doc["canReply"] == {"automaticApproval": [ZORK], "always": [ZORK],
                               "manualApproval": [PUBLIC], "approvalRequired": [PUBLIC]}
    assert doc["canLike"] == {"automaticApproval": [PUBLIC], "always": [PUBLIC]}
    assert wire.parse_policy({"interactionPolicy": doc}) == policy
    assert wire.Policy.from_json(policy.to_json()) == policy


def test_a_reply_request_and_its_answers() -> None:
    request = wire.parse_request(recorded("reply_request"))
    assert request is not None and request.interaction is wire.REPLY
    assert request.target.endswith("/statuses/01KFGBJN586W5EZFHE16R7FMJ1")
    assert request.instrument is not None and request.instrument["type"] == "Note"
    accepted = wire.parse_answer(recorded("accept_reply_request"))
    assert accepted.interacting == request.instrument_id
    assert accepted.request_id == recorded("reply_request")["id"]
    assert accepted.result is not None and "/authorizations/" in accepted.result
    rejected = wire.parse_answer(recorded("reject_reply_request"))
    assert (rejected.interacting, rejected.result) == (request.instrument_id, None)
    impolite = wire.parse_answer(recorded("accept_impolite_reply"))
    assert impolite.interacting == request.instrument_id and impolite.request_id is None


def test_our_authorization_is_the_documented_shape() -> None:
    doc = recorded("reply_authorization")
    ours = wire.authorization(wire.REPLY, doc["id"], doc["attributedTo"],
                              doc["interactingObject"], doc["interactionTarget"])
    assert ours == doc


def test_proof_is_read_from_either_property() -> None:
    assert wire.proof_of({"replyAuthorization": "https://a.test/auth/1"}, wire.REPLY) \
        == "https://a.test/auth/1"
    assert wire.proof_of({"approvedBy": "https://a.test/accept/1"}, wire.REPLY) \
        == "https://a.test/accept/1"
    assert wire.proof_of({"likeAuthorization": "https://a.test/auth/1"}, wire.REPLY) is None
    assert wire.proved({}, wire.ANNOUNCE, "https://a.test/auth/2") == {
        "announceAuthorization": "https://a.test/auth/2", "approvedBy": "https://a.test/auth/2"}
