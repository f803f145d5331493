"""The handlers a worker runs, by job kind. Each is handed the one Services of its process
(server.services.context): database, HTTP client, media store, image backend and caches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from server.jobs.delivery import DELIVER_BATCH, deliver_many
from server.jobs.registry import JobContext, JobRegistry
from server.services.accounts import account_deletion, link_verification
from server.services.federation import featured, fetch_posts, remote, thread_context, threads
from server.services.federation.inbound import (
    inbox_apply,
    inbox_retention,
    quote_links,
    quotes,
)
from server.services.federation.inbound.inbox_writer import APPLY_ACTIVITY
from server.services.federation.outbound.delivery import DELIVER
from server.services.federation.remote_media import CACHE_REMOTE, run_cache_job
from server.services.generation import generate
from server.services.moderation.domain_blocks import PURGE_DOMAIN, purge_domain_data
from server.services.statuses import media_purge, mentions, posts, uploads

# Received activities applied together by one worker task: one read of the rows, their actors
# and the posts they name, and one commit marking them. Different actors' activities are
# applied side by side within a batch, so a larger batch loses no parallelism; at 16 the shared
# work was still more than half of an ignored activity's CPU (bench/inbox.py: 0.84 ms an
# activity on SQLite at 16, 0.33 ms at 64).
APPLY_BATCH = 64


async def apply_inbox_activities(ctxs: Sequence[JobContext], payloads: Sequence[dict[str, Any]]
                                 ) -> list[Exception | None]:
    """`inbox.apply` jobs, a batch at a time (inbox_apply.apply_many); each job fails alone."""
    outcomes = await inbox_apply.apply_many(ctxs[0].resources.require_services(),
                                            [int(p["inbox_activity_id"]) for p in payloads])
    return [o if isinstance(o, Exception) else None for o in outcomes]


async def purge_inbox(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Received activities past the retention
    (server.services.federation.inbound.inbox_retention)."""
    slot = payload.get("slot")
    await inbox_retention.purge_job(ctx.resources.require_services().db, ctx.resources.config,
                                    int(slot) if slot is not None else None)


async def generate_images(ctx: JobContext, payload: dict[str, Any]) -> None:
    await generate.generation_job(ctx.resources.require_services(),
                                  int(payload["generation_id"]), ctx.attempt)


async def process_upload(ctx: JobContext, payload: dict[str, Any]) -> None:
    """An image uploaded through the client API (server.services.statuses.uploads)."""
    await uploads.upload_job(ctx.resources.require_services(), int(payload["media_id"]),
                             ctx.attempt)


async def fetch_parent(ctx: JobContext, payload: dict[str, Any]) -> None:
    await threads.fetch_parent(ctx.resources.require_services(), payload)


async def fetch_context(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A remote post's thread, as someone opened it
    (server.services.federation.thread_context)."""
    await thread_context.fetch_context(ctx.resources.require_services(),
                                       int(payload["status_id"]))


async def cache_remote_media(ctx: JobContext, payload: dict[str, Any]) -> None:
    await run_cache_job(ctx.resources.require_services(), payload, ctx.attempt)


async def purge_account(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Remove the data of a deleted account (server.services.accounts.account_deletion)."""
    services = ctx.resources.require_services()
    keep = payload.get("keep_activity_id")
    await account_deletion.purge_account(services.db, services.media,
                                         int(payload["account_id"]),
                                         str(keep) if keep else None)


async def purge_post_media(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Remove a deleted post's images (server.services.statuses.media_purge)."""
    services = ctx.resources.require_services()
    await media_purge.purge_status_media(services.db, services.media,
                                         int(payload["status_id"]))


async def purge_domain(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Remove what a suspended domain left here (server.services.moderation.domain_blocks)."""
    services = ctx.resources.require_services()
    await purge_domain_data(services, services.media, str(payload["domain"]))


async def resolve_mentions(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A post's unknown remote mentions, then its Create or Update
    (server.services.statuses.mentions)."""
    await posts.resolve_mentions_job(ctx.resources.require_services(), payload)


async def verify_profile_links(ctx: JobContext, payload: dict[str, Any]) -> None:
    """An account's profile field links, checked for rel="me" links back
    (server.services.accounts.link_verification)."""
    await link_verification.verify_links(ctx.resources.require_services(),
                                         int(payload["account_id"]))


async def fetch_account_totals(ctx: JobContext, payload: dict[str, Any]) -> None:
    await remote.fetch_totals(ctx.resources.require_services(), int(payload["account_id"]))


async def fetch_account_featured(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A remote account's pins (server.services.federation.featured)."""
    await featured.fetch_featured(ctx.resources.require_services(), int(payload["account_id"]))


async def verify_quote(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A third-party quote's stamp, fetched and checked (inbound/quotes.py)."""
    await quotes.verify(ctx.resources.require_services(), payload)


def default_registry() -> JobRegistry:
    """Every job kind Dreamfeed knows, for `dreamfeed serve` and `dreamfeed worker`."""
    registry = JobRegistry()
    registry.register_batch(DELIVER, deliver_many, max_batch=DELIVER_BATCH)
    registry.register_batch(APPLY_ACTIVITY, apply_inbox_activities, max_batch=APPLY_BATCH)
    registry.register(inbox_retention.PURGE_INBOX, purge_inbox)
    registry.register(generate.GENERATE, generate_images)
    registry.register(uploads.PROCESS_UPLOAD, process_upload)
    registry.register(fetch_posts.FETCH_PARENT, fetch_parent)
    registry.register(thread_context.FETCH_CONTEXT, fetch_context)
    registry.register(CACHE_REMOTE, cache_remote_media)
    registry.register(account_deletion.PURGE, purge_account)
    registry.register(PURGE_DOMAIN, purge_domain)
    registry.register(remote.FETCH_TOTALS, fetch_account_totals)
    registry.register(remote.FETCH_FEATURED, fetch_account_featured)
    registry.register(media_purge.PURGE_MEDIA, purge_post_media)
    registry.register(mentions.RESOLVE_MENTIONS, resolve_mentions)
    registry.register(quote_links.VERIFY, verify_quote)
    registry.register(link_verification.VERIFY_LINKS, verify_profile_links)
    return registry
