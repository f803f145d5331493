"""Formats every entity shares."""

from __future__ import annotations

from datetime import UTC, date, datetime


def iso(moment: datetime) -> str:
    """2026-12-06T19:18:30.123Z: UTC with milliseconds, as Mastodon answers."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


def day(moment: date) -> str:
    """2026-12-06: Account.last_status_at is a date only."""
    return moment.strftime("%Y-%m-%d")


def midnight(moment: datetime) -> str:
    """Account.created_at is the day at midnight UTC (Mastodon hides the time of sign-up)."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT00:00:00.000Z")


def id_or_none(value: int | None) -> str | None:
    return None if value is None else str(value)
