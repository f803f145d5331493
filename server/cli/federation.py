"""`dreamfeed follow`, `unfollow` and `follows list|approve|reject`.

These call the same services as the web UI and client API. Deliveries are queued; the
workers of `dreamfeed serve` (or `dreamfeed worker`) send them.
"""

from __future__ import annotations

import argparse

from server.cli.common import CommandError, open_services, run_command
from server.config import Config
from server.services.errors import ServiceError
from server.services.federation.remote import RemoteError
from server.services.social import follows


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    follow = subparsers.add_parser("follow", help="follow an account from a local user")
    follow.add_argument("user", help="local username")
    follow.add_argument("handle", help="user@host or an actor URL")
    follow.set_defaults(handler=_follow)

    unfollow = subparsers.add_parser("unfollow", help="stop following an account")
    unfollow.add_argument("user", help="local username")
    unfollow.add_argument("handle", help="user@host or an actor URL")
    unfollow.set_defaults(handler=_unfollow)

    requests = subparsers.add_parser("follows", help="followers, following, follow requests")
    actions = requests.add_subparsers(dest="follows_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="show followers, following and requests")
    listing.add_argument("user", help="local username")
    listing.set_defaults(handler=_list)
    for name, approve in (("approve", True), ("reject", False)):
        action = actions.add_parser(name, help=f"{name} a pending follow request")
        action.add_argument("user", help="local username (the one being followed)")
        action.add_argument("handle", help="the requester: user@host or an actor URL")
        action.set_defaults(handler=_answer, approve=approve)


def _follow(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_services(config) as services:
            try:
                result = await follows.follow(services, args.user, args.handle)
            except (ServiceError, RemoteError) as exc:
                raise CommandError(str(exc)) from None
        state = "following" if result.state == follows.ACCEPTED else \
            "follow requested (waiting for the account to accept)"
        print(f"{args.user}: {state} {result.target}")

    return run_command(body)


def _unfollow(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_services(config) as services:
            try:
                await follows.unfollow(services, args.user, args.handle)
            except (ServiceError, RemoteError) as exc:
                raise CommandError(str(exc)) from None
        print(f"{args.user}: no longer following {args.handle}")

    return run_command(body)


def _answer(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_services(config) as services:
            try:
                await follows.answer_request(services, args.user, args.handle,
                                             approve=args.approve)
            except (ServiceError, RemoteError) as exc:
                raise CommandError(str(exc)) from None
        print(f"{args.user}: follow request from {args.handle} "
              f"{'approved' if args.approve else 'rejected'}")

    return run_command(body)


def _list(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_services(config) as services:
            try:
                listing = await follows.relationships(services, args.user)
            except ServiceError as exc:
                raise CommandError(str(exc)) from None
        for title, handles in (("followers", listing.followers),
                               ("following", listing.following),
                               ("follow requests", listing.requests),
                               ("requested (not yet accepted)", listing.requested)):
            print(f"{title} ({len(handles)}):")
            for handle in handles:
                print(f"  {handle}")

    return run_command(body)
