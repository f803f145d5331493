"""Local statuses: create, edit and delete AI-image posts.

A post holds 1 to 4 generated images; a reply may be text alone. Its content
(statuses/content.py) is the formatted caption plus a visible AI label (none on a text reply)
and, for remixes, a visible "Remix of" link. The change and
its deliveries (to federation/outbound/audience.py's inboxes, as render/to_activitypub
builds them) are written in one transaction. Who may see a status: statuses/visibility.py;
what it replies to or remixes: statuses/remix.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.interaction_policy import REPLY
from server.i18n import N_
from server.jobs.queue import enqueue
from server.render.to_activitypub import (
    NoteParts,
    create_activity,
    delete_activity,
    note,
    update_activity,
)
from server.services.accounts.posting_language import posting_language
from server.services.context import Services
from server.services.errors import Conflict, InvalidInput, NotFound
from server.services.federation.outbound import delivery
from server.services.federation.outbound.audience import audience_inboxes, parent_authors
from server.services.media import credentials
from server.services.moderation.moderation_checks import ensure_not_suspended
from server.services.social import conversations
from server.services.social.blocks import refuse_reply
from server.services.social.notifications import notify, notify_subscribers
from server.services.statuses import quotes
from server.services.statuses.content import (
    compose,
    credentials_link,
    link_tags_and_mentions,
    remix_url,
)
from server.services.statuses.interaction_policy import checked_choices
from server.services.statuses.media_purge import enqueue_media_purge
from server.services.statuses.mentions import RESOLVE_MENTIONS, fetch_unknown, stored_mentions
from server.services.statuses.notes import note_parts
from server.services.statuses.policy_requests import needs_request, send_request
from server.services.statuses.remix import Parent, find_parent
from server.services.streaming.publish import queue_deleted, queue_event, status_event
from storage import accounts as account_queries
from storage import media as media_queries
from storage import pending_media as pending_queries
from storage import statuses as status_queries
from storage import timelines as timeline_queries
from storage.generations import get_generation
from storage.models import Account, MediaAttachment, Status
from storage.types import utcnow

log = logging.getLogger(__name__)

VISIBILITIES = ("public", "unlisted", "private", "direct")
MAX_IMAGES = 4
MAX_CAPTION = 2000
MAX_ALT = 1500
MAX_CW = 500
NEEDS_IMAGE = N_("a Dreamfeed post needs an image: attach 1 to 4 images (only a reply may "
                 "be text alone)")
NEEDS_TEXT = N_("a reply without images needs some text")
# Mastodon's words (config/locales/en.yml), which its clients show as they are.
PROCESSING = N_("Cannot attach files that have not finished processing. Try again in a "
                "moment!")
REPLY_NOT_FOUND = N_("The post you are trying to reply to does not appear to exist.")


@dataclass(frozen=True)
class NewStatus:
    """What a new status is made of, as the compose form, the CLI (and the client API) give
    it. `in_reply_to` and `remix_of` name a status by its id or URI; `can_remix` None: allowed
    when the status is public or unlisted."""

    media_ids: list[int]  # none: only for a text reply
    caption: str = ""
    alt_texts: list[str] = field(default_factory=list)  # one per image, or none
    spoiler_text: str = ""
    sensitive: bool = False
    visibility: str = "public"
    language: str | None = None
    idempotency_key: str | None = None  # a retried form is the same status
    in_reply_to: str | None = None
    remix_of: str | None = None
    publish_prompt: bool = False  # the prompt, model and seed go public
    can_remix: bool | None = None
    # FEP-044f: the status it quotes (our id or its URI), and who may quote this one (the
    # client API's quote_approval_policy: public, followers, nobody; None: public).
    quote_of: str | None = None
    quote_approval_policy: str | None = None
    # Who may reply and boost ({"canReply": "followers"}: statuses/interaction_policy.py);
    # what it leaves out follows the author's defaults.
    interaction_choices: dict[str, str] | None = None


@dataclass(frozen=True)
class StatusView:
    id: int
    uri: str
    url: str
    visibility: str
    replayed: bool = False  # an idempotency key's earlier status, not a new one


def _view(status: Status, author: Account, services: Services) -> StatusView:
    return StatusView(status.id, status.uri,
                      status.url or services.urls.status_page(author.username, status.id),
                      status.visibility)


async def _author(session: AsyncSession, username: str) -> Account:
    account = await account_queries.local_account_by_username(session, username)
    if account is None or account.actor_type == "Application" or account.deleted_at:
        raise NotFound(N_("no local account named %(username)r"), username=username)
    await ensure_not_suspended(session, account.id)
    return account


def _check(caption: str, spoiler_text: str, visibility: str, alt_texts: list[str]) -> None:
    if visibility not in VISIBILITIES:
        raise InvalidInput(N_("visibility must be one of %(choices)s"),
                           choices=", ".join(VISIBILITIES))
    if len(caption) > MAX_CAPTION:
        raise InvalidInput(N_("the caption is longer than %(limit)s characters"),
                           limit=MAX_CAPTION)
    if len(spoiler_text) > MAX_CW:
        raise InvalidInput(N_("the content warning is longer than %(limit)s characters"),
                           limit=MAX_CW)
    if any(len(alt) > MAX_ALT for alt in alt_texts):
        raise InvalidInput(N_("alt text is limited to %(limit)s characters"), limit=MAX_ALT)


def _check_media(new: NewStatus) -> None:
    """Images or, for a reply only, text alone."""
    if not new.media_ids:
        if not new.in_reply_to and not new.quote_of:
            raise InvalidInput(NEEDS_IMAGE)
        if not new.caption.strip():
            raise InvalidInput(NEEDS_TEXT)
    if len(new.media_ids) > MAX_IMAGES:
        raise InvalidInput(N_("a post has 1 to %(limit)s images"), limit=MAX_IMAGES)
    if len(set(new.media_ids)) != len(new.media_ids):
        raise InvalidInput(N_("the same image is attached twice"))
    if new.alt_texts and len(new.alt_texts) != len(new.media_ids):
        raise InvalidInput(N_("give one alt text per image, or none"))


async def _attach(session: AsyncSession, author: Account, media_ids: list[int],
                  alt_texts: list[str]) -> list[MediaAttachment]:
    attached: list[MediaAttachment] = []
    for position, media_id in enumerate(media_ids):
        media = await media_queries.attachment_by_id(session, media_id)
        if media is None:
            pending = await pending_queries.pending_by_id(session, media_id)
            if pending is not None and pending.account_id == author.id:
                raise InvalidInput(PROCESSING)  # an upload or generation not done yet
        if media is None or media.account_id != author.id:
            raise InvalidInput(N_("no image %(media_id)s of yours"), media_id=media_id)
        if media.status_id is not None:
            raise InvalidInput(N_("image %(media_id)s is already in a post"), media_id=media_id)
        media.position = position
        if alt_texts:
            media.description = alt_texts[position].strip()
        attached.append(media)
    return attached


def _new_row(author: Account, new: NewStatus, html: str, generator: str | None,
             parent: Parent | None, remixed: Parent | None) -> Status:
    can_remix = new.visibility in ("public", "unlisted") if new.can_remix is None \
        else new.can_remix
    if not new.media_ids:
        can_remix = False  # a text reply: no image to remix
    return Status(
        uri="", account_id=author.id, local=True, visibility=new.visibility,
        content=html, caption=new.caption, spoiler_text=new.spoiler_text.strip(),
        sensitive=new.sensitive or bool(new.spoiler_text.strip()), language=new.language,
        idempotency_key=new.idempotency_key, generator_name=generator, can_remix=can_remix,
        in_reply_to_uri=parent.uri if parent else None,
        in_reply_to_id=parent.status.id if parent and parent.status else None,
        in_reply_to_account_id=parent.author.id if parent and parent.author else None,
        remix_of_uri=remixed.uri if remixed else None,
        remix_of_id=remixed.status.id if remixed and remixed.status else None)


async def create_status(services: Services, username: str, new: NewStatus) -> StatusView:
    """Post `new` as `username`: its images attached, its reply and remix linked, the people
    it concerns told, and its Create queued to its audience (after any unknown mentions are
    looked up: resolve_mentions_job)."""
    _check(new.caption, new.spoiler_text, new.visibility, new.alt_texts)
    _check_media(new)
    async with services.db.reader() as session:
        author = await _author(session, username)
        if new.idempotency_key:
            existing = await status_queries.by_idempotency_key(session, author.id,
                                                               new.idempotency_key)
            if existing is not None:
                return replace(_view(existing, author, services), replayed=True)
    if services.limiter is not None:  # counted after the idempotent replay: retries are free
        await services.limiter.hit("posting", str(author.id))
    # The prompt published: the images' content credentials (and XMP) now carry it.
    resigned = await credentials.resign_with_prompt(services, author.id, new.media_ids) \
        if new.publish_prompt else []
    try:
        view = await _create(services, username, new, resigned)
    except BaseException:
        await credentials.drop_files(services, [k for r in resigned for k in r.new_keys])
        raise
    await credentials.drop_files(services, [k for r in resigned for k in r.old_keys])
    return view


async def _create(services: Services, username: str, new: NewStatus,
                  resigned: list[credentials.Resigned]) -> StatusView:
    async with services.db.writer.begin() as session:
        author = await _author(session, username)
        if author.moved_to_uri:  # its followers follow the new account now
            raise Conflict(N_("this account has moved to %(uri)s and can no longer post"),
                           uri=author.moved_to_uri)
        attached = await _attach(session, author, new.media_ids, new.alt_texts)
        parent = await _reply_parent(session, author, new.in_reply_to) \
            if new.in_reply_to else None
        if parent is not None and parent.author is not None:
            await refuse_reply(session, author, parent.author)
        remixed = await find_parent(session, new.remix_of, "remix") if new.remix_of else None
        if remixed is not None and remixed.status is not None \
                and not remixed.status.can_remix:
            raise Conflict(N_("the author of that post does not allow remixes"))
        quoted = await quotes.target(session, author, new.quote_of) if new.quote_of else None
        remix_quote = quoted is None and remixed is not None and remixed.status is not None \
            and not remixed.status.local
        if remix_quote and remixed is not None and remixed.status is not None:
            # Its server sees a remix as a quote of its post: its quote policy decides.
            quoted = await quotes.remix_target(session, author, remixed.status)
        # The AI label names what made the first generated image; a post of uploads only
        # (no generation behind them) and a text reply carry none.
        generator = next((m.generator for m in attached if m.generation_id is not None),
                         None)
        mentions = await stored_mentions(session, services.config.instance.domain, new.caption)
        content = compose(services, new.caption, generator, mentions.targets,
                          remixed.url if remixed else None,
                          credentials_link(services, attached))
        status = _new_row(author, new, content.html + (quotes.fallback_html(
            quoted.status.url or quoted.status.uri) if quoted and not remix_quote else ""),
            generator, parent, remixed)
        # Named by the post, else its author's default posting language, else the instance's.
        status.language = await posting_language(session, services.config, author.id,
                                                 new.language)
        status.interaction_choices = await _interaction_choices(session, author, new)
        if parent is not None and parent.status is not None:
            status.pending_approval = await needs_request(session, author, parent.status,
                                                          REPLY)
        if new.publish_prompt and attached:
            await _publish_prompt(session, status, attached[0])
            credentials.apply_resigned(attached, resigned)
        session.add(status)
        await session.flush()
        status.uri = services.urls.status(author.username, status.id)
        status.url = services.urls.status_page(author.username, status.id)
        for media in attached:
            media.status_id = status.id
        if quoted is not None:
            await quotes.record(session, status, author, quoted)
        await quotes.set_approval_policy(session, status, new.quote_approval_policy
                                         or await quotes.default_choice(session, author))
        await link_tags_and_mentions(session, status, content)
        await conversations.record_status(session, status)
        if parent and parent.status and not status.pending_approval:
            await status_queries.increment(session, parent.status.id, "replies_count")
        if remixed and remixed.status:
            await status_queries.increment(session, remixed.status.id, "remixes_count")
        parts = await note_parts(services, session, status, author)
        await _notify_locals(session, status, author, parent, remixed, parts)
        # Followers who rang the bell (follows.notify) hear of it in the same transaction.
        await notify_subscribers(session, status, author)
        queue_event(session, await status_event(session, "update", status))
        if mentions.unknown:  # the Create waits for them: see resolve_mentions_job
            await _enqueue_resolution(session, status, mentions.unknown, "create")
        else:
            await _publish_create(services, session, status, parts)
        return _view(status, author, services)


async def _interaction_choices(session: AsyncSession, author: Account,
                               new: NewStatus) -> dict[str, str] | None:
    """The post's own choices, its author's defaults for the others; None: everyone may."""
    user = await account_queries.user_by_account_id(session, author.id)
    defaults = dict(user.interaction_defaults) if user and user.interaction_defaults else {}
    return checked_choices({**defaults, **(new.interaction_choices or {})}) or None


async def _reply_parent(session: AsyncSession, author: Account, ref: str) -> Parent:
    """What a reply answers: a status the author may see (a hidden one does not exist for
    it, as Mastodon's set_thread answers), or a remote one we do not store, by its URI."""
    try:
        parent = await find_parent(session, ref, "reply")
    except NotFound:
        raise NotFound(REPLY_NOT_FOUND) from None
    if parent.status is not None and (
            parent.status.reblog_of_id is not None
            or not await timeline_queries.visible(session, [parent.status.id], author.id)):
        raise NotFound(REPLY_NOT_FOUND)
    return parent


async def _publish_create(services: Services, session: AsyncSession, status: Status,
                          parts: NoteParts) -> None:
    if status.pending_approval:  # only its parent's author hears of it, asked to approve
        await _request_reply_approval(services, session, status, parts)
        return
    # The authors of what it replies to and remixes hear of it even if they don't follow.
    extra = await parent_authors(session, status)
    extra += await quotes.quoted_authors(session, status)
    await delivery.publish(session, status.account_id,
                           create_activity(status, parts, services.config),
                           await audience_inboxes(session, status, parts, extra))
    await quotes.request_approval(services, session, status, parts)


async def _request_reply_approval(services: Services, session: AsyncSession, status: Status,
                                  parts: NoteParts) -> None:
    parent = await status_queries.by_id(session, status.in_reply_to_id or 0)
    parent_author = await account_queries.account_by_id(session, parent.account_id) \
        if parent else None
    if parent is None or parent_author is None:
        return  # the parent went meanwhile: nobody to ask
    await send_request(session, parts.author, parent_author, parent, REPLY, status.id,
                       note(status, parts, services.config))


async def publish_approved_reply(services: Services, session: AsyncSession,
                                 status: Status) -> None:
    """A pending reply its parent's author approved: to its whole audience now, with the
    authorization (set on the row by the caller)."""
    author = await account_queries.account_by_id(session, status.account_id)
    if author is None:
        return
    if status.in_reply_to_id is not None:
        await status_queries.increment(session, status.in_reply_to_id, "replies_count")
    await _publish_create(services, session, status,
                          await note_parts(services, session, status, author))


async def _enqueue_resolution(session: AsyncSession, status: Status, handles: list[str],
                              activity: str) -> None:
    await enqueue(session, RESOLVE_MENTIONS, {"status_id": status.id, "handles": handles,
                                              "activity": activity})


async def resolve_mentions_job(services: Services, payload: dict[str, Any]) -> None:
    """Look up the remote accounts a post mentioned that were unknown when it was written,
    link them, and only then send the post's Create (or an edit's Update): the newly found
    servers get it with everyone else. A handle that does not resolve stays text."""
    await fetch_unknown(services, [str(h) for h in payload["handles"]])
    async with services.db.writer.begin() as session:
        status = await status_queries.by_id(session, int(payload["status_id"]))
        if status is None or status.deleted_at is not None:
            return  # deleted meanwhile: its audience never heard of it, nor will
        author = await account_queries.account_by_id(session, status.account_id)
        if author is None:
            return
        mentions = await stored_mentions(session, services.config.instance.domain,
                                         status.caption)
        content = compose(services, status.caption, status.generator_name,
                          mentions.targets, await remix_url(session, status),
                          credentials_link(services, await status_queries.attachments(
                              session, status.id)))
        status.content = await quotes.with_fallback(session, status, content.html)
        await status_queries.replace_tags_and_mentions(session, status.id)
        await link_tags_and_mentions(session, status, content)
        # The new participants found: the status moves to their conversations.
        await conversations.record_status(session, status,
                                          edited=payload.get("activity") == "update")
        parts = await note_parts(services, session, status, author)
        if payload.get("activity") == "update":
            await _publish_update(services, session, status, parts)
        else:
            await _publish_create(services, session, status, parts)


async def _notify_locals(session: AsyncSession, status: Status, author: Account,
                         parent: Parent | None, remixed: Parent | None,
                         parts: NoteParts) -> None:
    """Local people this post concerns hear of it here (remote ones on their server)."""
    for other, kind in ((remixed, "remix"), (parent, "reply")):
        if other is not None and other.author is not None and other.author.is_local:
            await notify(session, other.author.id, author.id, kind, status.id)
    for account in parts.mentions:
        if account.is_local:
            await notify(session, account.id, author.id, "mention", status.id)


async def _publish_prompt(session: AsyncSession, status: Status,
                          media: MediaAttachment) -> None:
    """Publish the prompt (and model, seed) only because the author asked to."""
    if media.generation_id is None:
        return
    generation = await get_generation(session, media.generation_id)
    if generation is not None:
        status.prompt, status.model, status.seed = (generation.prompt, generation.model,
                                                    generation.seed)


async def _own_status(session: AsyncSession, username: str, status_id: int
                      ) -> tuple[Account, Status]:
    author = await _author(session, username)
    status = await status_queries.by_id(session, status_id)
    if status is None or status.account_id != author.id or status.deleted_at is not None \
            or status.reblog_of_id is not None:
        raise NotFound(N_("no post %(status_id)s of %(username)s"), status_id=status_id,
                       username=username)
    return author, status


async def edit_status(services: Services, username: str, status_id: int, *,
                      caption: str | None = None, alt_texts: list[str] | None = None,
                      spoiler_text: str | None = None, sensitive: bool | None = None,
                      language: str | None = None,
                      descriptions: dict[int, str] | None = None,
                      media_ids: list[int] | None = None) -> StatusView:
    """Change caption, alt text (all in order: alt_texts; some by image id: descriptions),
    content warning, sensitivity or language; followers get an Update. The images stay:
    `media_ids`, as clients send them back with every edit, must name the same ones."""
    _check(caption or "", spoiler_text or "", "public",
           [*(alt_texts or []), *(descriptions or {}).values()])
    unknown: list[str] = []
    async with services.db.writer.begin() as session:
        author, status = await _own_status(session, username, status_id)
        media = await status_queries.attachments(session, status.id)
        if media_ids is not None and sorted(media_ids) != sorted(m.id for m in media):
            raise InvalidInput(N_("the images of a post cannot be changed by an edit: "
                                  "delete it and post it again"))
        if alt_texts is not None:
            if len(alt_texts) != len(media):
                raise InvalidInput(N_("this post has %(count)s images: give one alt text each"),
                                   count=len(media))
            for item, alt in zip(media, alt_texts, strict=True):
                item.description = alt.strip()
        by_id = {m.id: m for m in media}
        for media_id, description in (descriptions or {}).items():
            if media_id not in by_id:
                raise InvalidInput(N_("image %(media_id)s is not in this post"), media_id=media_id)
            by_id[media_id].description = description.strip()
        if caption is not None:
            if not media and not caption.strip():
                raise InvalidInput(NEEDS_TEXT)
            mentions = await stored_mentions(session, services.config.instance.domain, caption)
            unknown = mentions.unknown
            content = compose(services, caption, status.generator_name,
                              mentions.targets, await remix_url(session, status),
                              credentials_link(services, media))
            status.caption = caption
            status.content = await quotes.with_fallback(session, status, content.html)
            await status_queries.replace_tags_and_mentions(session, status.id)
            await link_tags_and_mentions(session, status, content)
        if spoiler_text is not None:
            status.spoiler_text = spoiler_text.strip()
        if sensitive is not None or spoiler_text:
            status.sensitive = bool(sensitive) or bool(status.spoiler_text)
        if language is not None:
            status.language = language or None
        status.edited_at = utcnow()
        await session.flush()
        await conversations.record_status(session, status, edited=True)
        queue_event(session, await status_event(session, "status.update", status))
        if unknown:  # the Update waits for them: see resolve_mentions_job
            await _enqueue_resolution(session, status, unknown, "update")
        else:
            await _publish_update(services, session, status,
                                  await note_parts(services, session, status, author))
        return _view(status, author, services)


async def _publish_update(services: Services, session: AsyncSession, status: Status,
                          parts: NoteParts) -> None:
    update = update_activity(status, parts, services.config, at=status.edited_at or utcnow())
    await delivery.publish(session, status.account_id, update,
                           await audience_inboxes(session, status, parts, []))


async def delete_status(services: Services, username: str, status_id: int) -> None:
    """The post becomes a tombstone (its id answers 410); its audience gets a Delete; its
    images are removed by a job (server.services.statuses.media_purge)."""
    async with services.db.writer.begin() as session:
        author, status = await _own_status(session, username, status_id)
        parts = await note_parts(services, session, status, author)
        inboxes = await audience_inboxes(session, status, parts, [])
        activity = delete_activity(status, parts, services.config)
        status.deleted_at = utcnow()
        if status.in_reply_to_id is not None:
            await status_queries.increment(session, status.in_reply_to_id, "replies_count", -1)
        if status.remix_of_id is not None:
            await status_queries.increment(session, status.remix_of_id, "remixes_count", -1)
        await delivery.publish(session, author.id, activity, inboxes)
        await enqueue_media_purge(session, status.id)
        await conversations.remove_status(session, status)
        await queue_deleted(session, status)

