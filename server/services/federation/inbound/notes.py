"""Inbound `Create`, `Update` and `Delete` of a Note (or another status type): storing,
editing and deleting remote statuses. Reached through inbox_apply's dispatch; likes and
boosts of statuses are in likes.py and boosts.py beside this.

Rules that hold throughout:
- A post speaks only for its author: attributedTo must be the activity's actor, on the same
  origin as the note's id; only that author may update or delete it.
- A remote post is kept only when it concerns someone here: its author is followed by a local
  account, or it replies to, remixes, mentions or is addressed to a local account.
- Everything is idempotent on the note's id: a redelivered activity finds its row and does
  nothing. Counters move with the row that justifies them, in one transaction, by SQL
  increments.
- Remote HTML is sanitized before it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.interaction_policy import REPLY
from activitypub.parse import ParsedActivity, ParseError, first_type, same_origin
from activitypub.parse_note import NOTE_TYPES, ParsedNote, parse_note
from server.jobs.queue import enqueue
from server.render.sanitize import sanitize_html
from server.services.context import Services
from server.services.errors import Dropped
from server.services.federation import fetch_posts
from server.services.federation.inbound import quote_links
from server.services.federation.inbound.common import (
    PUBLIC_VISIBILITIES,
    actor_account,
    known_account,
    live_status,
    remove_boost,
    visibility_of,
)
from server.services.federation.inbound.dates import clamped, id_dated
from server.services.federation.remote import (
    RemoteError,
    fetch_document,
)
from server.services.federation.remote_media import schedule_status_media
from server.services.social import conversations, notifications
from server.services.statuses import note_content
from server.services.statuses.interaction_policy import Permission
from server.services.statuses.interaction_requests import screen
from server.services.statuses.media_purge import enqueue_media_purge
from server.services.statuses.visibility import audience_includes
from server.services.streaming.publish import queue_deleted, queue_event, status_event
from storage import accounts as account_queries
from storage import follows as follow_queries
from storage import notifications as notification_queries
from storage import remote_media as remote_media_queries
from storage import statuses as status_queries
from storage import threads as thread_queries
from storage import tombstones
from storage.models import Account, RemoteMedia, Status


async def _incoming_note(services: Services, activity: ParsedActivity) -> ParsedNote | None:
    """The note a Create/Update carries (fetched from its origin when named by id only);
    None when the object is not a post type."""
    doc = activity.object
    if doc is None:
        if activity.object_id is None:
            raise Dropped(f"{activity.type} names no object")
        if not same_origin(activity.object_id, activity.actor):
            raise Dropped("the object is on another origin than the actor")
        try:
            doc, final_url = await fetch_document(services, activity.object_id)
        except RemoteError as exc:
            raise Dropped(f"the object could not be fetched: {exc}") from None
        if doc.get("id") != activity.object_id or not same_origin(final_url, activity.actor):
            raise Dropped("the object's origin serves something else under its id")
    if first_type(doc) not in NOTE_TYPES:
        return None
    try:
        note = parse_note(doc)
    except ParseError as exc:
        raise Dropped(f"bad note: {exc}") from None
    if note.attributed_to != activity.actor:
        raise Dropped(f"the note is attributed to {note.attributed_to}, not to the actor "
                      f"{activity.actor}")
    if not same_origin(note.id, activity.actor):
        raise Dropped("the note's id is on another origin than its author")
    return note_content.readable(note, doc)


@dataclass
class _Context:
    """What a new remote post touches here."""

    parent: Status | None = None
    remix_source: Status | None = None
    addressed: list[Account] = field(default_factory=list)  # local accounts in to/cc
    mentioned: list[Account] = field(default_factory=list)  # ...also named by a Mention tag

    def local_interest(self) -> bool:
        return bool((self.parent and self.parent.local)
                    or (self.remix_source and self.remix_source.local)
                    or self.addressed)


async def _context(session: AsyncSession, note: ParsedNote, author: Account) -> _Context:
    mentioned_uris = {mention.href for mention in note.mentions}
    addressed = await account_queries.local_accounts_by_uri(session, note.addressees)
    # A Mention notifies only an account the note is also addressed to (INTEROP.md): a tag
    # alone does not deliver a post, and must not reveal a non-public one.
    return _Context(parent=await _seen_status(session, note.in_reply_to, author),
                    remix_source=await _seen_status(session, note.remix_of, author),
                    addressed=addressed,
                    mentioned=[a for a in addressed if a.uri in mentioned_uris])


async def _seen_status(session: AsyncSession, uri: str | None, author: Account) -> Status | None:
    """The post a new one replies to or remixes, unless it is one of ours written for an
    audience its author is not in (a direct post it is not in): that one does not exist for
    it, so it is neither counted nor notified nor linked. A blocked author's reply stays
    linked: reading hides it while the block lasts, and an unblock brings it back."""
    status = await live_status(session, uri)
    if status is not None and status.local \
            and not await audience_includes(session, status, author):
        return None
    return status


def _new_status(note: ParsedNote, author: Account, visibility: str,
                context: _Context) -> Status:
    published = clamped(note.published)
    parent, source = context.parent, context.remix_source
    return Status(
        id=id_dated(note.published), uri=note.id, url=note.url, account_id=author.id, local=False,
        visibility=visibility, content=sanitize_html(note.content),
        spoiler_text=note.summary,
        # As Mastodon does: a content warning always hides the media as well.
        sensitive=note.sensitive or bool(note.summary), language=note.language,
        in_reply_to_id=parent.id if parent else None, in_reply_to_uri=note.in_reply_to,
        in_reply_to_account_id=parent.account_id if parent else None,
        generator_name=note.generator_name, prompt=note.prompt, model=note.model,
        seed=note.seed,
        # Remixing needs the author's consent; software that cannot say so has not given it.
        can_remix=note.can_remix is True,
        remix_of_id=source.id if source else None, remix_of_uri=note.remix_of,
        interaction_policy=note.interaction_policy.to_json()
        if note.interaction_policy else None,
        approved_by=note.reply_authorization, created_at=published)


async def on_create(services: Services, activity: ParsedActivity) -> str:
    note = await _incoming_note(services, activity)
    if note is None:
        return f"ignored: Create of {activity.object_type or 'an unknown object'}"
    author = await actor_account(services, activity.actor)
    outcome, _ = await store_remote_note(services, note, author)
    return outcome


async def store_remote_note(services: Services, note: ParsedNote, author: Account, *,
                            fetched: bool = False,
                            depth: int = fetch_posts.MAX_DEPTH) -> tuple[str, Status | None]:
    """Store a remote post (from a Create, or `fetched` from its origin) with its media,
    mentions, tags, counters and notifications; returns (outcome, the stored post).

    A post its author deleted before it reached us stays deleted. A received post is kept
    only when it concerns someone here; a fetched one (boosted by someone followed here, or
    the parent of a post we keep) only when it is public or unlisted. Replies stored before
    it are linked to it; when its own parent is unknown, a job fetches that, `depth` more
    ancestors at most."""
    visibility = visibility_of(note.to, note.cc, author.followers_url)
    async with services.db.writer.begin() as session:
        if await tombstones.deleted_by(session, note.id, author.uri):
            return "ignored: deleted before it arrived", None
        if await status_queries.by_uri(session, note.id) is not None:
            return "ignored: post already stored", None
        context = await _context(session, note, author)
        if context.parent is not None and context.parent.local:
            permission = await screen(services, session, context.parent, author, REPLY,
                                      note.id)
            if permission is Permission.FORBIDDEN:
                return "ignored: dropping unpermitted reply (the post's policy forbids it)", \
                    None
            if permission is Permission.MANUAL:
                return "queued: the reply waits for its author's approval", None
        if fetched:
            if visibility not in PUBLIC_VISIBILITIES:
                return "ignored: a fetched post must be public", None
        else:
            followed = visibility != "direct" and await follow_queries.followed_locally(session,
                                                                                  author.id)
            if not (followed or context.local_interest()):
                return "ignored: the post concerns no local account", None
        status = _new_status(note, author, visibility, context)
        session.add(status)
        await session.flush()
        await remote_media_queries.add_media(session, [RemoteMedia(
            status_id=status.id, position=position, url=media.url, media_type=media.media_type,
            description=media.description, width=media.width, height=media.height,
            blurhash=media.blurhash) for position, media in enumerate(note.attachments)])
        await schedule_status_media(session, services.config, status.id)
        await status_queries.add_mentions(session, status.id, [a.id for a in context.mentioned])
        await status_queries.add_tags(session, status.id, [tag.name for tag in note.hashtags])
        await _count_and_notify(session, status, context)
        await quote_links.link(services, session, status, author, note)
        await conversations.record_status(session, status)
        if not fetched:  # a post as it is made, not an old one fetched for a boost or thread
            await notifications.notify_subscribers(session, status, author)
            queue_event(session, await status_event(session, "update", status))
        await _link_thread(services, session, status, depth)
    return f"stored {visibility} post", status


async def _link_thread(services: Services, session: AsyncSession, status: Status,
                       depth: int) -> None:
    """Adopt the replies that arrived first; fetch an unknown parent (as a job)."""
    adopted = await thread_queries.adopt_orphans(session, status)
    if adopted:
        await status_queries.increment(session, status.id, "replies_count", adopted)
    parent_uri = status.in_reply_to_uri
    if status.in_reply_to_id is not None or not parent_uri or depth <= 0 \
            or same_origin(parent_uri, services.config.base_url) \
            or await status_queries.by_uri(session, parent_uri) is not None:
        return
    payload, dedupe_key = fetch_posts.parent_job(parent_uri, depth)
    await enqueue(session, fetch_posts.FETCH_PARENT, payload, dedupe_key=dedupe_key)


async def _count_and_notify(session: AsyncSession, status: Status, context: _Context) -> None:
    """Bump the parent's and the remixed post's counters; one notification per local account
    per post, the most specific kind first (a remix that also mentions you is a remix)."""
    told: set[int] = set()

    async def tell(account_id: int, kind: str) -> None:
        if account_id not in told:
            told.add(account_id)
            await notifications.notify(session, account_id, status.account_id, kind,
                                       status.id)

    if context.remix_source is not None:
        await status_queries.increment(session, context.remix_source.id, "remixes_count", 1)
        if context.remix_source.local:
            await tell(context.remix_source.account_id, notifications.REMIX)
    if context.parent is not None:
        await status_queries.increment(session, context.parent.id, "replies_count", 1)
        if context.parent.local:
            await tell(context.parent.account_id, notifications.REPLY)
    for account in context.mentioned:
        await tell(account.id, notifications.MENTION)


async def on_update(services: Services, activity: ParsedActivity) -> str:
    """An edit: text, content warning, sensitivity, alt texts (matched by URL, as Mastodon
    matches attachments) and Dreamfeed's terms. Attachments are not added or removed."""
    note = await _incoming_note(services, activity)
    if note is None:
        return f"ignored: Update of {activity.object_type or 'an unknown object'}"
    author = await actor_account(services, activity.actor)
    async with services.db.writer.begin() as session:
        status = await live_status(session, note.id)
        if status is None:
            return "ignored: no such post"
        if status.local or status.account_id != author.id:
            raise Dropped("only its author may update a post")
        edited_at = clamped(note.updated)
        if note.updated is not None and status.edited_at is not None \
                and edited_at <= status.edited_at:
            return "ignored: an older edit than the one stored"
        status.content = sanitize_html(note.content)
        status.spoiler_text = note.summary
        status.sensitive = note.sensitive or bool(note.summary)
        status.language = note.language or status.language
        status.generator_name, status.prompt = note.generator_name, note.prompt
        status.model, status.seed = note.model, note.seed
        status.can_remix = note.can_remix is True
        status.interaction_policy = note.interaction_policy.to_json() \
            if note.interaction_policy else None
        status.edited_at = edited_at
        alt_by_url = {media.url: media.description for media in note.attachments}
        for row in await remote_media_queries.media_of_status(session, status.id):
            if row.url in alt_by_url:
                row.description = alt_by_url[row.url]
        await quote_links.link(services, session, status, author, note)
        await schedule_status_media(session, services.config, status.id)
        await conversations.record_status(session, status, edited=True)
        queue_event(session, await status_event(session, "status.update", status))
    return "post updated"


async def on_delete(services: Services, activity: ParsedActivity) -> str:
    """A post deleted by its author (by id or as a Tombstone): kept as a soft-deleted row, so
    a late redelivery of its Create cannot bring it back."""
    if activity.object_id is None:
        raise Dropped("Delete names no object")
    author = await known_account(services, activity.actor)
    if author is None:
        return "ignored: unknown author"
    async with services.db.writer.begin() as session:
        status = await status_queries.by_uri(session, activity.object_id)
        if status is None:
            if not same_origin(activity.object_id, activity.actor):
                return "ignored: no such post"
            # Deleted before its Create reached us: that Create must not bring it back.
            await tombstones.add(session, activity.object_id, author.uri)
            return "ignored: no such post (tombstone kept)"
        if status.local or status.account_id != author.id:
            raise Dropped("only its author may delete a post")
        if status.reblog_of_id is not None:  # some servers retract a boost with Delete
            return await remove_boost(session, status)
        if not await status_queries.soft_delete(session, status.id):
            return "ignored: already deleted"
        if status.in_reply_to_id is not None:
            await status_queries.increment(session, status.in_reply_to_id, "replies_count", -1)
        if status.remix_of_id is not None:
            await status_queries.increment(session, status.remix_of_id, "remixes_count", -1)
        await notification_queries.delete_notifications_about(session, status.id)
        await enqueue_media_purge(session, status.id)  # its cached images go too
        await conversations.remove_status(session, status)
        await queue_deleted(session, status)
    return "post deleted"


