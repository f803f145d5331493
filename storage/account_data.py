"""SQL for an account's whole life: removing everything of a deleted account (local or
remote) in batches, and reading everything of a local one for its export archive.

Purging returns the storage keys of the media files that the removed rows named; the caller
deletes the files. Every function runs in the caller's transaction and never commits.
Counters of other people's posts move only for rows the same statement removed (DELETE ...
RETURNING), so two purges racing on one account never count twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Account,
    AccountDomainBlock,
    AccountKey,
    Block,
    Favourite,
    Filter,
    Follow,
    Generation,
    GenerationQuota,
    Invite,
    MediaAttachment,
    Mention,
    Mute,
    Notification,
    OutgoingActivity,
    PromptRefusal,
    RemoteMedia,
    Status,
    User,
    WebSession,
)
from storage.models.media import DescriptionQuota

# --- deletion, the immediate part -------------------------------------------------------------


async def known_inboxes(session: AsyncSession) -> list[str]:
    """Every remote server's inbox we know (shared inbox preferred): an actor's Delete goes to
    all of them, as Mastodon's `Account.inboxes`."""
    inbox = func.coalesce(Account.shared_inbox_url, Account.inbox_url)
    result = await session.execute(select(inbox).distinct().where(
        Account.domain.is_not(None), Account.deleted_at.is_(None)))
    return sorted(row for row in result.scalars().all() if row)


async def remove_login(session: AsyncSession, account_id: int, at: datetime) -> None:
    """No login, no browser session, no unused invite is left behind."""
    user_ids = select(User.id).where(User.account_id == account_id).scalar_subquery()
    await session.execute(delete(WebSession).where(WebSession.user_id.in_(user_ids)))
    await session.execute(update(Invite).where(
        Invite.account_id == account_id, Invite.uses == 0, Invite.revoked_at.is_(None))
        .values(revoked_at=at))
    await session.execute(delete(User).where(User.account_id == account_id))


def clear_profile(account: Account, at: datetime) -> None:
    """The row stays (the name is never reused, the key signs the Delete); its profile goes."""
    account.deleted_at = at
    account.display_name = ""
    account.note = ""
    account.fields = []
    account.discoverable = False
    account.also_known_as = []
    account.avatar_url = None
    account.header_url = None


async def delete_relationships(session: AsyncSession, account_id: int) -> None:
    """Follows, blocks and mutes, both ways, and the servers the account blocks."""
    for model in (Follow, Block, Mute):
        await session.execute(delete(model).where(
            (model.account_id == account_id) | (model.target_account_id == account_id)))
    await session.execute(delete(AccountDomainBlock).where(
        AccountDomainBlock.account_id == account_id))


async def newest_statuses(session: AsyncSession, account_id: int,
                          limit: int) -> list[tuple[int, str]]:
    """(id, visibility) of the account's newest live posts and boosts."""
    result = await session.execute(
        select(Status.id, Status.visibility)
        .where(Status.account_id == account_id, Status.deleted_at.is_(None))
        .order_by(Status.id.desc()).limit(limit))
    return [(row.id, row.visibility) for row in result]


async def hide_statuses(session: AsyncSession, account_id: int, at: datetime) -> None:
    """Every post answers 410 at once; the purge removes the rows later. Posts deleted by
    this statement carry exactly `at`, so the purge knows which ones were still live."""
    await session.execute(update(Status).where(
        Status.account_id == account_id, Status.deleted_at.is_(None)).values(deleted_at=at))


# --- deletion, the purge ----------------------------------------------------------------------


async def purge_status_batch(session: AsyncSession, account_id: int, live_since: datetime,
                             limit: int) -> list[str] | None:
    """Remove up to `limit` posts and boosts of the account with their media, tags, mentions,
    likes, notifications and the boosts others made of them. Returns the media keys to delete,
    or None when no post was left."""
    ids = list((await session.execute(select(Status.id).where(
        Status.account_id == account_id).order_by(Status.id).limit(limit))).scalars())
    if not ids:
        return None
    keys = await remove_media_of_statuses(session, ids)
    # Boosts of these posts by anyone: they point at nothing once the posts are gone.
    await session.execute(delete(Status).where(Status.reblog_of_id.in_(ids)))
    removed = (await session.execute(
        delete(Status).where(Status.id.in_(ids))
        .returning(Status.in_reply_to_id, Status.remix_of_id, Status.reblog_of_id,
                   Status.deleted_at))).all()
    # Posts still live when the account was deleted (hidden by `hide_statuses` at that very
    # time) still count in what they reply to, remix or boost.
    live = [row for row in removed if row.deleted_at is None or row.deleted_at >= live_since]
    for column, attribute in (("replies_count", "in_reply_to_id"),
                              ("remixes_count", "remix_of_id"),
                              ("reblogs_count", "reblog_of_id")):
        await _decrement(session, column, [getattr(row, attribute) for row in live
                                           if getattr(row, attribute) is not None])
    return keys


async def _decrement(session: AsyncSession, column: str, status_ids: Iterable[int]) -> None:
    """Lower a counter by how often each post appears, never below zero."""
    counter = getattr(Status, column)
    for status_id, by in Counter(status_ids).items():
        await session.execute(update(Status).where(Status.id == status_id).values(
            {counter: case((counter - by < 0, 0), else_=counter - by)}))


async def remove_media_of_statuses(session: AsyncSession,
                                   status_ids: Sequence[int]) -> list[str]:
    """Remove the posts' images (our attachments and cached remote ones); returns the
    storage keys whose files the caller deletes once this is committed."""
    local = list((await session.execute(select(MediaAttachment).where(
        MediaAttachment.status_id.in_(status_ids)))).scalars())
    keys = await _attachment_keys(session, local)
    await session.execute(delete(MediaAttachment).where(
        MediaAttachment.id.in_([m.id for m in local])))
    cached = (await session.execute(
        delete(RemoteMedia).where(RemoteMedia.status_id.in_(status_ids))
        .returning(RemoteMedia.cached_key, RemoteMedia.thumb_key))).all()
    keys += [key for row in cached for key in row if key]
    return keys


async def _attachment_keys(session: AsyncSession,
                           media: Sequence[MediaAttachment]) -> list[str]:
    """Renditions always; an original only when no other attachment shares its content
    (originals are content-addressed)."""
    ids = [m.id for m in media]
    keys: list[str] = []
    for item in media:
        keys += [item.jpeg_key, item.webp_key, item.thumb_key]
        others = await session.execute(select(func.count()).select_from(MediaAttachment).where(
            MediaAttachment.sha256 == item.sha256, MediaAttachment.id.not_in(ids)))
        if int(others.scalar_one()) == 0:
            keys.append(item.original_key)
    return sorted(set(keys))


async def purge_remaining(session: AsyncSession, account: Account,
                          keep_activity_id: str | None) -> list[str]:
    """Everything else of a deleted account once its posts are gone: its likes (counters
    follow), notifications both ways, mentions of it, filters, images never posted,
    generations, cached avatar and header, and activities still waiting to go out (except
    `keep_activity_id`, the actor's own Delete). Returns media keys to delete."""
    account_id = account.id
    liked = await session.execute(delete(Favourite).where(Favourite.account_id == account_id)
                                  .returning(Favourite.status_id))
    await _decrement(session, "favourites_count", liked.scalars().all())
    await session.execute(delete(Notification).where(
        (Notification.account_id == account_id)
        | (Notification.from_account_id == account_id)))
    await session.execute(delete(Mention).where(Mention.account_id == account_id))
    await delete_relationships(session, account_id)
    await session.execute(delete(Filter).where(Filter.account_id == account_id))
    media = list((await session.execute(select(MediaAttachment).where(
        MediaAttachment.account_id == account_id))).scalars())
    keys = await _attachment_keys(session, media)
    await session.execute(delete(MediaAttachment).where(
        MediaAttachment.id.in_([m.id for m in media])))
    for model in (Generation, GenerationQuota, DescriptionQuota, PromptRefusal):
        await session.execute(delete(model).where(model.account_id == account_id))
    outgoing = delete(OutgoingActivity).where(OutgoingActivity.account_id == account_id)
    if keep_activity_id is not None:
        outgoing = outgoing.where(OutgoingActivity.activity_id != keep_activity_id)
    await session.execute(outgoing)
    keys += [key for key in (account.avatar_cached_key, account.header_cached_key) if key]
    account.avatar_cached_key = account.header_cached_key = None
    return keys


# --- export -----------------------------------------------------------------------------------


async def statuses_of(session: AsyncSession, account_id: int) -> list[Status]:
    """An account's live posts and boosts, oldest first (an outbox read forwards)."""
    result = await session.execute(select(Status).where(
        Status.account_id == account_id, Status.deleted_at.is_(None)).order_by(Status.id))
    return list(result.scalars())


async def favourited_uris(session: AsyncSession, account_id: int) -> list[str]:
    result = await session.execute(
        select(Status.uri).join(Favourite, Favourite.status_id == Status.id)
        .where(Favourite.account_id == account_id).order_by(Favourite.id))
    return list(result.scalars())


async def followed_accounts(session: AsyncSession, account_id: int) -> list[Account]:
    """Accounts this one follows (accepted or requested), newest first as Mastodon lists."""
    result = await session.execute(
        select(Account).join(Follow, Follow.target_account_id == Account.id)
        .where(Follow.account_id == account_id).order_by(Follow.id.desc()))
    return list(result.scalars())


async def blocked_accounts(session: AsyncSession, account_id: int) -> list[Account]:
    result = await session.execute(
        select(Account).join(Block, Block.target_account_id == Account.id)
        .where(Block.account_id == account_id).order_by(Block.id.desc()))
    return list(result.scalars())


async def muted_accounts(session: AsyncSession, account_id: int) -> list[tuple[Account, bool]]:
    """(account, hide notifications) for each mute."""
    result = await session.execute(
        select(Account, Mute.hide_notifications).join(Mute, Mute.target_account_id == Account.id)
        .where(Mute.account_id == account_id).order_by(Mute.id.desc()))
    return [(account, bool(hide)) for account, hide in result.all()]


async def generation_of(session: AsyncSession, generation_id: int) -> Generation | None:
    return await session.get(Generation, generation_id)


# --- moves ------------------------------------------------------------------------------------


async def local_followers(session: AsyncSession, account_id: int) -> list[tuple[Follow, Account]]:
    """Local accounts following (or asking to follow) this one, with their follow rows."""
    result = await session.execute(
        select(Follow, Account).join(Account, Account.id == Follow.account_id)
        .where(Follow.target_account_id == account_id, Account.domain.is_(None),
               Account.deleted_at.is_(None)).order_by(Follow.id))
    return [(follow, account) for follow, account in result.all()]


async def delete_keys(session: AsyncSession, account_id: int) -> None:
    """A deleted remote account's keys: nothing it signs is believed any more."""
    await session.execute(delete(AccountKey).where(AccountKey.account_id == account_id))


async def local_blockers(session: AsyncSession, account_id: int) -> list[Account]:
    """Local accounts that block this one."""
    result = await session.execute(
        select(Account).join(Block, Block.account_id == Account.id)
        .where(Block.target_account_id == account_id, Account.domain.is_(None),
               Account.deleted_at.is_(None)).order_by(Block.id))
    return list(result.scalars())


async def local_muters(session: AsyncSession, account_id: int) -> list[tuple[Account, bool]]:
    """Local accounts that mute this one, with whether they hide its notifications."""
    result = await session.execute(
        select(Account, Mute.hide_notifications).join(Mute, Mute.account_id == Account.id)
        .where(Mute.target_account_id == account_id, Account.domain.is_(None),
               Account.deleted_at.is_(None)).order_by(Mute.id))
    return [(account, bool(hide)) for account, hide in result.all()]
