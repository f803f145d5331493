"""What users do to protect themselves: `dreamfeed block|unblock|blocks`,
`mute|unmute|mutes` and `filter add|list|remove`.

These call the same services as the web UI. A block of a remote account queues a `Block`
(and the Undo/Reject of the follows it ends) for the workers to deliver; mutes and filters
stay on this server.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime

from server.cli.common import row_id, run_with_services
from server.services.context import Services
from server.services.social import blocks, filters, mutes


def _seconds(text: str) -> int:
    """argparse type for durations in seconds."""
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return int(text)


def _contexts(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in filters.CONTEXTS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"contexts are a comma-separated list of {', '.join(filters.CONTEXTS)}")
    return names


def _pair(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str,
          help_text: str, handler: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=help_text)
    parser.add_argument("user", help="local username")
    parser.add_argument("handle", help="user@host, a local name, or an actor URL")
    parser.set_defaults(handler=handler)
    return parser


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _pair(subparsers, "block", "block an account (ends follows both ways)", _block)
    _pair(subparsers, "unblock", "lift a block", _unblock)
    listing = subparsers.add_parser("blocks", help="list the accounts a user blocks")
    listing.add_argument("user", help="local username")
    listing.set_defaults(handler=_blocks)

    mute = _pair(subparsers, "mute", "hide an account from a user's timelines", _mute)
    mute.add_argument("--keep-notifications", action="store_true",
                      help="still show notifications from the account")
    mute.add_argument("--duration", type=_seconds, metavar="SECONDS",
                      help="lift the mute after this many seconds (default: never)")
    _pair(subparsers, "unmute", "lift a mute", _unmute)
    listing = subparsers.add_parser("mutes", help="list the accounts a user mutes")
    listing.add_argument("user", help="local username")
    listing.set_defaults(handler=_mutes)

    group = subparsers.add_parser("filter", help="a user's phrase and hashtag filters")
    actions = group.add_subparsers(dest="filter_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a filter (a phrase, or #tag for a hashtag)")
    add.add_argument("user", help="local username")
    add.add_argument("phrase", help="the phrase to filter; #tag also matches the hashtag")
    add.add_argument("--context", type=_contexts, default=list(filters.CONTEXTS),
                     metavar="LIST",
                     help=f"where it applies, comma-separated: {', '.join(filters.CONTEXTS)} "
                          "(default: all)")
    add.add_argument("--warn", action="store_true",
                     help="show matching posts behind a warning instead of hiding them")
    add.add_argument("--no-whole-word", dest="whole_word", action="store_false",
                     help="match inside words too")
    add.add_argument("--expires-in", type=_seconds, metavar="SECONDS",
                     help="stop filtering after this many seconds (default: never)")
    add.set_defaults(handler=_filter_add)
    flist = actions.add_parser("list", help="list a user's filters")
    flist.add_argument("user", help="local username")
    flist.set_defaults(handler=_filter_list)
    remove = actions.add_parser("remove", help="remove one of a user's filters")
    remove.add_argument("user", help="local username")
    remove.add_argument("id", type=row_id, help="the filter's id (from `filter list`)")
    remove.set_defaults(handler=_filter_remove)



def _when(at: datetime | None) -> str:
    return "never" if at is None else f"{at:%Y-%m-%d %H:%M:%S} UTC"


def _block(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        view = await blocks.block(services, args.user, args.handle)
        print(f"{args.user}: blocking {view.handle}")
    return run_with_services(args, action)


def _unblock(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        await blocks.unblock(services, args.user, args.handle)
        print(f"{args.user}: no longer blocking {args.handle}")
    return run_with_services(args, action)


def _blocks(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        views = await blocks.list_blocks(services, args.user)
        print(f"{args.user} blocks {len(views)} account" + ("" if len(views) == 1 else "s"))
        for view in views:
            print(f"  {view.handle}  (since {_when(view.created_at)})")
    return run_with_services(args, action)


def _mute(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        view = await mutes.mute(services, args.user, args.handle,
                                notifications=not args.keep_notifications,
                                duration=args.duration)
        extent = "posts and notifications" if view.hide_notifications else "posts"
        print(f"{args.user}: muting {view.handle} ({extent}) until {_when(view.expires_at)}")
    return run_with_services(args, action)


def _unmute(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        await mutes.unmute(services, args.user, args.handle)
        print(f"{args.user}: no longer muting {args.handle}")
    return run_with_services(args, action)


def _mutes(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        views = await mutes.list_mutes(services, args.user)
        print(f"{args.user} mutes {len(views)} account" + ("" if len(views) == 1 else "s"))
        for view in views:
            extent = "posts and notifications" if view.hide_notifications else "posts"
            print(f"  {view.handle}  ({extent}, until {_when(view.expires_at)})")
    return run_with_services(args, action)


def _filter_add(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        view = await filters.add_filter(
            services, args.user, args.phrase, contexts=args.context,
            action="warn" if args.warn else "hide", whole_word=args.whole_word,
            expires_in=args.expires_in)
        print(f"{args.user}: filter {view.id} added: {_describe(view)}")
    return run_with_services(args, action)


def _describe(view: filters.FilterView) -> str:
    word = "whole word" if view.whole_word else "anywhere"
    state = " [expired]" if view.expired else ""
    return (f"{view.phrase!r} ({word}) {view.action} in {', '.join(view.contexts)}, "
            f"expires {_when(view.expires_at)}{state}")


def _filter_list(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        views = await filters.list_filters(services, args.user)
        if not views:
            print(f"{args.user}: no filters")
        for view in views:
            print(f"{view.id}  {_describe(view)}")
    return run_with_services(args, action)


def _filter_remove(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        await filters.remove_filter(services, args.user, args.id)
        print(f"{args.user}: filter {args.id} removed")
    return run_with_services(args, action)
