"""`dreamfeed admin report list|show|resolve|reopen|forward`: reports from users and remote
servers. Actions are audited (report.resolve, report.reopen, report.forward) as the
operator's."""

from __future__ import annotations

import argparse

from server.cli.common import (
    page_limit,
    row_id,
    run_with_services,
)
from server.services.context import Services
from server.services.moderation import reports
from server.services.moderation.reports import ReportView
from storage.pagination import Page


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's sub-commands to `dreamfeed admin`."""
    parser = commands.add_parser("report", help="reports from users and remote servers")
    actions = parser.add_subparsers(dest="report_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list reports, newest first")
    listing.add_argument("--state", choices=("open", "resolved", "all"), default="open")
    listing.add_argument("--limit", type=page_limit, default=40)
    listing.add_argument("--max-id", type=row_id, help="reports older than this id")
    listing.set_defaults(handler=_list)
    show = actions.add_parser("show", help="a report with its posts")
    show.add_argument("id", type=row_id)
    show.set_defaults(handler=_show)
    resolve = actions.add_parser("resolve", help="mark a report resolved")
    resolve.add_argument("id", type=row_id)
    resolve.add_argument("--note", default="", help="what was done about it")
    resolve.set_defaults(handler=_resolve)
    reopen = actions.add_parser("reopen", help="open a resolved report again")
    reopen.add_argument("id", type=row_id)
    reopen.set_defaults(handler=_reopen)
    forward = actions.add_parser("forward", help="send a report about a remote account to "
                                 "its server (if it was not forwarded yet)")
    forward.add_argument("id", type=row_id)
    forward.set_defaults(handler=_forward)



def _list(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        state = None if args.state == "all" else args.state
        views = await reports.list_reports(services, state,
                                           Page(limit=args.limit, max_id=args.max_id))
        if not views:
            print(f"no {'' if state is None else state + ' '}reports")
        for view in views:
            posts = f"  {len(view.status_ids)} post(s)" if view.status_ids else ""
            print(f"{view.id}  {view.created_at:%Y-%m-%d %H:%M}Z  {view.state}  "
                  f"{view.category}  {view.target}  by {view.reporter}{posts}")

    return run_with_services(args, action)


def _show(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        _print(await reports.get_report(services, args.id))

    return run_with_services(args, action)


def _print(view: ReportView) -> None:
    print(f"report {view.id} ({view.state}), {view.created_at:%Y-%m-%d %H:%M}Z")
    print(f"  reporter: {view.reporter}")
    print(f"  target:   {view.target}  {view.target_uri}")
    print(f"  category: {view.category}")
    print(f"  comment:  {view.comment or '(none)'}")
    if view.forwarded_at is not None:
        print(f"  forwarded {view.forwarded_at:%Y-%m-%d %H:%M}Z as {view.uri}")
    elif view.uri:
        print(f"  received as {view.uri}")
    if view.resolved_at is not None:
        note = f": {view.resolution_note}" if view.resolution_note else ""
        print(f"  resolved {view.resolved_at:%Y-%m-%d %H:%M}Z{note}")
    print(f"  posts ({len(view.posts)}):")
    for post in view.posts:
        gone = " [deleted]" if post.deleted else ""
        print(f"    {post.id}  {post.uri}{gone}")
        print(f"      {post.text or '(no text)'}")


def _resolve(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        await reports.resolve_report(services, args.id, note=args.note)
        print(f"report {args.id} resolved")

    return run_with_services(args, action)


def _reopen(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        await reports.reopen_report(services, args.id)
        print(f"report {args.id} reopened")

    return run_with_services(args, action)


def _forward(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        view = await reports.forward_report(services, args.id)
        print(f"report {args.id} forwarded to {view.target.partition('@')[2]} as {view.uri}")

    return run_with_services(args, action)
