"""`dreamfeed report USER HANDLE`: a local user reports an account (and some of its posts)
to this instance's admins, and optionally to the account's own server."""

from __future__ import annotations

import argparse

from server.cli.common import CommandError, open_services, row_id, run_command
from server.config import Config
from server.services.errors import ServiceError
from server.services.moderation import reports


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = subparsers.add_parser("report", help="report an account to the admins")
    report.add_argument("user", help="the local user who reports")
    report.add_argument("handle", help="the reported account: user@host or an actor URL")
    report.add_argument("--status", type=row_id, action="append", default=[], metavar="ID",
                        help="a post of that account to include (repeatable)")
    report.add_argument("--comment", default="", help=f"why (at most {reports.MAX_COMMENT} "
                        "characters)")
    report.add_argument("--category", choices=reports.CATEGORIES, default="other")
    report.add_argument("--forward", action="store_true",
                        help="also send the report (anonymously, from this instance) to the "
                        "account's server, when it is remote")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_services(config) as services:
            try:
                view = await reports.create_report(
                    services, args.user, args.handle, status_ids=args.status,
                    comment=args.comment, category=args.category, forward=args.forward)
            except ServiceError as exc:
                raise CommandError(str(exc)) from None
        posts = f" with {len(view.status_ids)} post(s)" if view.status_ids else ""
        print(f"report {view.id}: {view.target} reported{posts} ({view.category})")
        if view.forward:
            print(f"  forwarded to {view.target.partition('@')[2]} as {view.uri}")
        elif args.forward:
            print("  not forwarded: the account is local")

    return run_command(body)
