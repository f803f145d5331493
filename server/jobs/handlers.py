"""The handlers a worker runs, by job kind."""

from __future__ import annotations

from typing import Any

from server.jobs.delivery import deliver
from server.jobs.registry import JobContext, JobRegistry
from server.services import fetch_posts, generation, inbox_apply, threads
from server.services.delivery import DELIVER
from server.services.inbox_writer import APPLY_ACTIVITY
from server.services.remote_media import CACHE_REMOTE, RemoteMediaDeps, run_cache_job
from storage.media_files import LocalMediaStore


async def apply_inbox_activity(ctx: JobContext, payload: dict[str, Any]) -> None:
    await inbox_apply.apply(ctx.resources.services, int(payload["inbox_activity_id"]))


async def generate_images(ctx: JobContext, payload: dict[str, Any]) -> None:
    if ctx.resources.images is None:
        raise RuntimeError("this worker pool was started without an image backend")
    await generation.generation_job(ctx.resources.images, int(payload["generation_id"]),
                                    ctx.attempt)


async def fetch_parent(ctx: JobContext, payload: dict[str, Any]) -> None:
    await threads.fetch_parent(ctx.resources.services, payload)


async def cache_remote_media(ctx: JobContext, payload: dict[str, Any]) -> None:
    config, images = ctx.resources.config, ctx.resources.images
    store = images.store if images is not None else LocalMediaStore(config.media.path)
    deps = RemoteMediaDeps(config=config, db=ctx.resources.services.db,
                           http=ctx.resources.services.http, store=store)
    await run_cache_job(deps, payload, ctx.attempt)


def default_registry() -> JobRegistry:
    """Every job kind Dreamfeed knows, for `dreamfeed serve` and `dreamfeed worker`."""
    registry = JobRegistry()
    registry.register(DELIVER, deliver)
    registry.register(APPLY_ACTIVITY, apply_inbox_activity)
    registry.register(generation.GENERATE, generate_images)
    registry.register(fetch_posts.FETCH_PARENT, fetch_parent)
    registry.register(CACHE_REMOTE, cache_remote_media)
    return registry
