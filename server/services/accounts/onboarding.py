"""Getting started after sign-up: three steps instead of an empty home (a profile picture and
a display name, a few people followed, a first image), each done or not from what the
account really has, and put away for good when the person says so (users.
onboarding_dismissed_at). Shown right after sign-up (/welcome) and on home while the account
is new and has not finished or dismissed it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from server.i18n import N_
from server.services.context import Services
from server.services.errors import NotFound
from server.services.reading.post_cards import AccountCard, account_card
from storage import accounts as account_queries
from storage import follows as follow_queries
from storage import statuses as status_queries
from storage import suggestions
from storage.types import utcnow

SUGGESTED = 5
# Home offers the steps this long after sign-up; /welcome offers them any time.
NEW_FOR = timedelta(days=14)


@dataclass(frozen=True)
class Onboarding:
    profile_done: bool  # a profile picture and a display name
    follows_done: bool  # follows someone
    image_done: bool  # has posted
    dismissed: bool
    new: bool  # signed up less than NEW_FOR ago
    suggestions: list[AccountCard]

    @property
    def complete(self) -> bool:
        return self.profile_done and self.follows_done and self.image_done

    @property
    def on_home(self) -> bool:
        """Whether home shows the steps: a new account that has neither finished nor put
        them away."""
        return self.new and not self.dismissed and not self.complete


async def state(services: Services, account_id: int) -> Onboarding:
    async with services.db.reader() as session:
        account = await account_queries.account_by_id(session, account_id)
        user = await account_queries.user_by_account_id(session, account_id)
        if account is None or user is None:
            raise NotFound(N_("no such account"))
        following = await follow_queries.count_following(session, account_id)
        posted = await status_queries.count_public_by_account(session, account_id)
        people = await suggestions.accounts_to_follow(session, account_id, SUGGESTED)
    return Onboarding(
        profile_done=bool(account.avatar_url and account.display_name.strip()),
        follows_done=following > 0, image_done=posted > 0,
        dismissed=user.onboarding_dismissed_at is not None,
        new=utcnow() - user.created_at < NEW_FOR,
        suggestions=[account_card(services.config, person) for person in people])


async def dismiss(services: Services, account_id: int) -> None:
    """Put the steps away; home no longer shows them (/welcome still does)."""
    async with services.db.writer.begin() as session:
        user = await account_queries.user_by_account_id(session, account_id)
        if user is None:
            raise NotFound(N_("no such account"))
        if user.onboarding_dismissed_at is None:
            user.onboarding_dismissed_at = utcnow()
