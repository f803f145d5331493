"""Who may reply to, boost and like a status (GoToSocial's interaction controls): the policy
a local status states, derived from its visibility and its author's choices, and the
decision for one account and one kind of interaction, on our statuses (what arrives) and on
remote ones (what our users may do, by the policy their server stated).

The wire is activitypub/interaction_policy.py. A new kind of interaction (FEP-044f's
`canQuote`, our `canRemix`) is an `Interaction` there and a branch of `_rule_for` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.interaction_policy import (
    ANNOUNCE,
    CAN_REMIX,
    INTERACTIONS,
    LIKE,
    REPLY,
    Interaction,
    Policy,
    Rule,
)
from activitypub.vocab import PUBLIC
from server.i18n import N_
from server.services.errors import InvalidInput
from storage import accounts as account_queries
from storage import follows as follow_queries
from storage import statuses as status_queries
from storage.models import Account, Status

# An author's choice for one kind of interaction.
EVERYONE = "everyone"  # whoever can see the post
FOLLOWERS = "followers"  # followers, and the accounts it mentions
MENTIONED = "mentioned"  # only the accounts it mentions
APPROVAL = "approval"  # mentioned accounts at once, anyone else once the author approves
CHOICES = (EVERYONE, FOLLOWERS, MENTIONED, APPROVAL)
# What a user chooses (likes stay open to whoever can see the post).
CHOSEN = (REPLY, ANNOUNCE)
# Translated where a page shows them (server.i18n).
CHOICE_LABELS = {EVERYONE: N_("Everyone"), FOLLOWERS: N_("Followers"),
                 MENTIONED: N_("Mentioned only"), APPROVAL: N_("Anyone, with my approval")}
# The refusal of a choice not in CHOICES, by interaction (whole sentences, for translation).
_UNKNOWN_CHOICE = {REPLY.key: N_("who may reply: one of %(choices)s"),
                   ANNOUNCE.key: N_("who may announce: one of %(choices)s")}
# Why an action is not offered, by interaction and whether the post is ours (else its own
# server stated the policy): whole sentences, so that a page translates them.
_REFUSALS = {
    (REPLY.key, True): N_("The author of this post does not allow you to reply to it."),
    (REPLY.key, False): N_("The author of this post does not allow you to reply to it (as "
                           "its server says)."),
    (ANNOUNCE.key, True): N_("The author of this post does not allow you to boost it."),
    (ANNOUNCE.key, False): N_("The author of this post does not allow you to boost it (as its "
                              "server says)."),
    (LIKE.key, True): N_("The author of this post does not allow you to like it."),
    (LIKE.key, False): N_("The author of this post does not allow you to like it (as its "
                          "server says)."),
}


class Permission(Enum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"  # the author decides
    FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class Decision:
    permission: Permission
    # Allowed at once only as a follower (or followed): third servers cannot check that, so
    # a request still goes to the author, who approves it at once (GoToSocial's case 2).
    via_collection: bool = False

    @property
    def needs_request(self) -> bool:
        return self.permission is Permission.MANUAL or self.via_collection


def checked_choices(values: dict[str, str]) -> dict[str, str]:
    """{"canReply": "followers", ...} as a form or the API gives it: known sub-policies,
    known choices; `everyone` is the default and not stored."""
    chosen: dict[str, str] = {}
    for interaction in CHOSEN:
        value = (values.get(interaction.sub_policy) or EVERYONE).strip()
        if value not in CHOICES:
            unknown = _UNKNOWN_CHOICE[interaction.key]
            raise InvalidInput(unknown, choices=", ".join(CHOICES))
        if value != EVERYONE:
            chosen[interaction.sub_policy] = value
    return chosen


def choices_for(status: Status) -> dict[str, str]:
    return dict(status.interaction_choices or {})


# Our statuses' policies ------------------------------------------------------------------


def local_policy(status: Status, author: Account, followers: str,
                 mentioned: list[str]) -> Policy:
    """The policy a local status states: every sub-policy we enforce, set explicitly (the
    promise that we enforce it), the author and mentioned accounts always in (GoToSocial's
    implicit assumptions, stated so that others need not assume them)."""
    choices = choices_for(status)
    rules = {i.sub_policy: _rule_for(i, choices.get(i.sub_policy, EVERYONE),
                                     status.visibility, author.uri, followers, mentioned)
             for i in INTERACTIONS.values()}
    # Remix consent, in the same family: anyone may remake the image, or its author alone.
    rules[CAN_REMIX] = Rule((PUBLIC,) if status.can_remix else (author.uri,))
    return Policy(rules)


def _rule_for(interaction: Interaction, choice: str, visibility: str, author: str,
              followers: str, mentioned: list[str]) -> Rule:
    public = visibility in ("public", "unlisted")
    # Who can see it: everyone, or its followers and mentioned accounts, or only those.
    seen_by = [PUBLIC] if public else \
        [author, *([followers] if visibility == "private" else []), *mentioned]
    if interaction is LIKE:
        return Rule(tuple(dict.fromkeys(seen_by)))
    if interaction is ANNOUNCE and not public:
        return Rule((author,))  # only its author may boost a followers-only or direct post
    named = [author, *mentioned] if interaction is REPLY else [author]
    if choice == FOLLOWERS:
        return Rule(tuple(dict.fromkeys([author, followers, *mentioned])))
    if choice == MENTIONED:
        return Rule(tuple(dict.fromkeys([author, *mentioned])))
    if choice == APPROVAL:
        return Rule(tuple(dict.fromkeys(named)), (PUBLIC,) if public else tuple(
            u for u in seen_by if u not in named))
    return Rule(tuple(dict.fromkeys(seen_by)))


async def policy_of_local(session: AsyncSession, status: Status, author: Account,
                          followers: str) -> Policy:
    mentioned = [a.uri for a in await status_queries.mentioned_accounts(session, status.id)]
    return local_policy(status, author, followers, mentioned)


# Deciding ------------------------------------------------------------------------------


def evaluate(rule: Rule, actor: str, *, author: str, followers: str | None,
             following: str | None, is_follower: bool, is_followed: bool,
             implicit: bool = False) -> Decision:
    """One account against one rule, the more specific entry first (GoToSocial's
    "Conflicting / Duplicate Values"): the actor named, then the author's collections it is
    in, then Public; automatic before manual at each level. The author, and whoever is
    `implicit`ly allowed (mentioned or replied to, for replies), always may."""
    if actor == author or implicit:
        return Decision(Permission.AUTOMATIC)
    if actor in rule.automatic:
        return Decision(Permission.AUTOMATIC)
    if actor in rule.manual:
        return Decision(Permission.MANUAL)
    collections = {c for c, member in ((followers, is_follower), (following, is_followed))
                   if c and member}
    if collections & set(rule.automatic):
        return Decision(Permission.AUTOMATIC, via_collection=True)
    if collections & set(rule.manual):
        return Decision(Permission.MANUAL)
    if PUBLIC in rule.automatic:
        return Decision(Permission.AUTOMATIC)
    if PUBLIC in rule.manual:
        return Decision(Permission.MANUAL)
    return Decision(Permission.FORBIDDEN)


async def decide(session: AsyncSession, status: Status, actor: Account,
                 interaction: Interaction, *, local_followers: str | None = None) -> Decision:
    """May `actor` do `interaction` to `status`? A local status by its author's choices
    (`local_followers`: its author's followers collection); a remote one by the policy its
    server stated, a server that stated none allowing everything. Visibility is the
    caller's check: nobody interacts with a post they cannot see."""
    author = await account_queries.account_by_id(session, status.account_id)
    if author is None:
        return Decision(Permission.FORBIDDEN)
    if status.local:
        policy: Policy | None = await policy_of_local(session, status, author,
                                                      local_followers or "")
        followers = local_followers
    else:
        policy = Policy.from_json(status.interaction_policy)
        followers = author.followers_url
    if policy is None or interaction.sub_policy not in policy.rules:
        return Decision(Permission.AUTOMATIC)
    rule = policy.rule(interaction)
    # Follows count only where the rule names the author's followers or following; a Like
    # of a public post (Public, nothing else) reads none.
    named = {*rule.automatic, *rule.manual}
    follower = await follow_queries.follow_between(session, actor.id, author.id) \
        if followers in named else None
    followed = await follow_queries.follow_between(session, author.id, actor.id) \
        if author.following_url in named else None
    implicit = interaction is REPLY and await _named_by(session, status, actor)
    return evaluate(rule, actor.uri, author=author.uri,
                    followers=followers, following=author.following_url,
                    is_follower=follower is not None and follower.state == "accepted",
                    is_followed=followed is not None and followed.state == "accepted",
                    implicit=implicit)


async def _named_by(session: AsyncSession, status: Status, actor: Account) -> bool:
    """Mentioned in the status, or the author of what it replies to: always may reply."""
    if status.in_reply_to_account_id == actor.id:
        return True
    return any(a.id == actor.id for a in await status_queries.mentioned_accounts(session,
                                                                                status.id))


def refusal(interaction: Interaction, status: Status) -> str:
    """Why an action is not offered, in words people read: an N_ template without values."""
    return _REFUSALS[interaction.key, status.local]
