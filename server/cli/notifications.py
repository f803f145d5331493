"""`dreamfeed notifications USER [--limit N] [--max-id ID]`: a local user's notifications,
newest first, one per line."""

from __future__ import annotations

import argparse

from server.cli.common import CommandError, open_services, page_limit, row_id, run_command
from server.config import Config
from server.services.errors import ServiceError
from server.services.social.notifications import NotificationView, list_notifications
from storage.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = subparsers.add_parser("notifications", help="show a local user's notifications")
    command.add_argument("user", help="local username")
    command.add_argument("--limit", type=page_limit, default=DEFAULT_LIMIT, metavar="N",
                         help=f"how many, newest first (1-{MAX_LIMIT}, default {DEFAULT_LIMIT})")
    command.add_argument("--max-id", type=row_id, metavar="ID",
                         help="only older than this notification id (the last one shown)")
    command.set_defaults(handler=_notifications)


def format_line(item: NotificationView) -> str:
    """id, time, type, who, and what it is about."""
    about = f"  {item.status_uri}" if item.status_uri else ""
    excerpt = f"  \u201c{item.status_excerpt}\u201d" if item.status_excerpt else ""
    return (f"{item.id}  {item.created_at:%Y-%m-%d %H:%M}  {item.type:<14}  "
            f"{item.from_handle}{about}{excerpt}")


def _notifications(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_services(config) as services:
            try:
                items = await list_notifications(services, args.user,
                                                 Page(max_id=args.max_id, limit=args.limit))
            except ServiceError as exc:
                raise CommandError(str(exc)) from None
        if not items:
            print(f"{args.user}: no notifications")
        for item in items:
            print(format_line(item))

    return run_command(body)
