"""Moderation on the wire: the Flag that forwards a report to the reported account's server.
Pure functions over loaded rows."""

from __future__ import annotations

from typing import Any

from activitypub import builders
from storage.models import Account, Report, Status


def flag(report: Report, instance_actor: str, target: Account,
         statuses: list[Status]) -> dict[str, Any]:
    """Sent by the instance actor, so the reporter stays unnamed (Mastodon's FlagSerializer)."""
    return builders.flag(report.uri or "", instance_actor, target.uri,
                         [status.uri for status in statuses], report.comment)
