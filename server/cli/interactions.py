"""`dreamfeed interactions USER [approve|reject ID]`: the replies, boosts and likes of a
local user's posts that wait for the user's approval (their policy asks for it), and the
user's decision on one of them."""

from __future__ import annotations

import argparse

from server.cli.common import CommandError, open_services, row_id, run_command
from server.config import Config
from server.services.errors import ServiceError
from server.services.statuses import interaction_approvals
from server.services.statuses.interaction_approvals import RequestView


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = subparsers.add_parser(
        "interactions", help="list, approve or reject the interactions waiting for a user")
    command.add_argument("user", help="local username")
    command.add_argument("decision", nargs="?", choices=("approve", "reject"),
                         help="approve or reject request ID (none: list them)")
    command.add_argument("id", nargs="?", type=row_id, help="the request's id, as listed")
    command.set_defaults(handler=_interactions)


def format_line(item: RequestView) -> str:
    return (f"{item.id}  {item.created_at:%Y-%m-%d %H:%M}  {item.kind:<8}  "
            f"{item.from_handle}  on {item.status_uri}  ({item.interaction_uri})")


def _interactions(args: argparse.Namespace) -> int:
    config: Config = args.config_obj
    if args.decision and args.id is None:
        raise SystemExit(f"dreamfeed interactions: {args.decision} needs a request id")

    async def body() -> None:
        async with open_services(config) as services:
            try:
                if args.decision == "approve":
                    await interaction_approvals.approve(services, args.user, args.id)
                elif args.decision == "reject":
                    await interaction_approvals.reject(services, args.user, args.id)
                else:
                    items = await interaction_approvals.pending_requests(services, args.user)
            except ServiceError as exc:
                raise CommandError(str(exc)) from None
        if args.decision:
            print(f"{args.decision}d request {args.id}")
            return
        if not items:
            print(f"{args.user}: no interactions waiting for approval")
        for item in items:
            print(format_line(item))

    return run_command(body)
