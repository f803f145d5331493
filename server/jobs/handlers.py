"""The handlers a worker runs, by job kind."""

from __future__ import annotations

from typing import Any

from server.jobs.delivery import deliver
from server.jobs.registry import JobContext, JobRegistry
from server.services import generation, inbox_apply
from server.services.delivery import DELIVER
from server.services.inbox_writer import APPLY_ACTIVITY


async def apply_inbox_activity(ctx: JobContext, payload: dict[str, Any]) -> None:
    await inbox_apply.apply(ctx.resources.services, int(payload["inbox_activity_id"]))


async def generate_images(ctx: JobContext, payload: dict[str, Any]) -> None:
    if ctx.resources.images is None:
        raise RuntimeError("this worker pool was started without an image backend")
    await generation.generation_job(ctx.resources.images, int(payload["generation_id"]),
                                    ctx.attempt)


def default_registry() -> JobRegistry:
    """Every job kind Dreamfeed knows, for `dreamfeed serve` and `dreamfeed worker`."""
    registry = JobRegistry()
    registry.register(DELIVER, deliver)
    registry.register(APPLY_ACTIVITY, apply_inbox_activity)
    registry.register(generation.GENERATE, generate_images)
    return registry
