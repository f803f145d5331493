"""The handlers a worker runs, by job kind."""

from __future__ import annotations

from typing import Any

from server.jobs.delivery import deliver
from server.jobs.registry import JobContext, JobRegistry
from server.services import inbox_apply
from server.services.delivery import DELIVER
from server.services.inbox_writer import APPLY_ACTIVITY


async def apply_inbox_activity(ctx: JobContext, payload: dict[str, Any]) -> None:
    await inbox_apply.apply(ctx.resources.services, int(payload["inbox_activity_id"]))


def default_registry() -> JobRegistry:
    """Every job kind Dreamfeed knows, for `dreamfeed serve` and `dreamfeed worker`."""
    registry = JobRegistry()
    registry.register(DELIVER, deliver)
    registry.register(APPLY_ACTIVITY, apply_inbox_activity)
    return registry
