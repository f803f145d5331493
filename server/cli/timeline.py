"""`dreamfeed timeline USER [home|local|federated] [--limit N] [--max-id ID]`: one page of a
timeline as USER sees it, newest first, one post per line."""

from __future__ import annotations

import argparse
import sys

from server.cli.common import CommandError, open_services, page_limit, row_id, run_command
from server.config import Config
from server.services.errors import ServiceError
from server.services.reading.timelines import TIMELINES, TimelineItem, timeline
from storage.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

SNIPPET_LENGTH = 60


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = subparsers.add_parser("timeline", help="show a page of a user's timeline")
    command.add_argument("user", help="local username")
    command.add_argument("name", nargs="?", default="home", metavar="TIMELINE",
                         help=f"{' | '.join(TIMELINES)} (default home)")
    command.add_argument("--limit", type=page_limit, default=DEFAULT_LIMIT, metavar="N",
                         help=f"posts per page (1-{MAX_LIMIT}, default {DEFAULT_LIMIT})")
    command.add_argument("--max-id", type=row_id, metavar="ID",
                         help="only older than this entry (the id printed last)")
    command.set_defaults(handler=_timeline)


def _snippet(text: str) -> str:
    if len(text) <= SNIPPET_LENGTH:
        return text
    return text[:SNIPPET_LENGTH - 1].rstrip() + "\u2026"


def format_line(item: TimelineItem) -> str:
    """`id  @handle · time · text · N images · likes/boosts`, with who boosted it."""
    images = f"{item.images} image" + ("" if item.images == 1 else "s")
    boost = f"  (boosted by @{item.boosted_by})" if item.boosted_by else ""
    return (f"{item.id}  @{item.author_handle} \u00b7 {item.created_at:%Y-%m-%d %H:%M} "
            f"\u00b7 {_snippet(item.text) or '(no text)'} \u00b7 {images} \u00b7 "
            f"{item.favourites_count} likes/{item.reblogs_count} boosts{boost}")


def _timeline(args: argparse.Namespace) -> int:
    config: Config = args.config_obj
    if args.name not in TIMELINES:
        print(f"dreamfeed: unknown timeline {args.name!r} "
              f"(choose one of {', '.join(TIMELINES)})", file=sys.stderr)
        return 2

    async def body() -> None:
        async with open_services(config) as services:
            try:
                items = await timeline(services, args.name, args.user,
                                       Page(max_id=args.max_id, limit=args.limit))
            except ServiceError as exc:
                raise CommandError(str(exc)) from None
        if not items:
            print(f"{args.user}: {args.name} timeline is empty")
        for item in items:
            print(format_line(item))
        if items:
            print(f"(older: --max-id {items[-1].id})")

    return run_command(body)
