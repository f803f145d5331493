"""`dreamfeed admin registrations ...` (the approval queue) and `admin invites ...`."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from server.cli.common import CommandError, open_app_database, run_command
from server.config import Config
from server.services.accounts import registrations
from server.services.errors import ServiceError
from storage.database import Database


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's sub-commands to `dreamfeed admin`."""
    queue = commands.add_parser("registrations", help="sign-ups waiting for approval")
    actions = queue.add_subparsers(dest="registrations_command", required=True,
                                   metavar="ACTION")
    actions.add_parser("list", help="list pending sign-ups, oldest first") \
        .set_defaults(handler=_list_pending)
    for name, helptext in (("approve", "let a pending sign-up in"),
                           ("reject", "delete a pending sign-up (its name becomes free)")):
        action = actions.add_parser(name, help=helptext)
        action.add_argument("user", help="the pending user's name")
        action.set_defaults(handler=_approve if name == "approve" else _reject)

    invites = commands.add_parser("invites", help="invite codes for sign-ups")
    actions = invites.add_subparsers(dest="invites_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="make an invite code")
    create.add_argument("--max-uses", type=_positive, help="how many sign-ups (default: any)")
    create.add_argument("--expires-in", type=_positive, metavar="SECONDS",
                        help="valid for this many seconds (default: forever)")
    create.add_argument("--comment", default="", help="a note for admins")
    create.set_defaults(handler=_create)
    listing = actions.add_parser("list", help="list invite codes, newest first")
    listing.add_argument("--all", action="store_true",
                         help="include revoked, expired and used-up codes")
    listing.set_defaults(handler=_list_invites)
    revoke = actions.add_parser("revoke", help="make an invite code unusable")
    revoke.add_argument("code")
    revoke.set_defaults(handler=_revoke)


def _run(args: argparse.Namespace, body: Callable[[Database, Config], Awaitable[None]]) -> int:
    config: Config = args.config_obj

    async def main() -> None:
        async with open_app_database(config) as database:
            try:
                await body(database, config)
            except ServiceError as exc:
                raise CommandError(str(exc)) from None

    return run_command(main)


def _list_pending(args: argparse.Namespace) -> int:
    async def body(db: Database, config: Config) -> None:
        rows = await registrations.pending(db)
        if not rows:
            print("no sign-ups are waiting for approval")
        for row in rows:
            email = f" <{row.email}>" if row.email else ""
            print(f"{row.created_at:%Y-%m-%d %H:%M}Z  @{row.username}{email}  {row.reason!r}")
    return _run(args, body)


def _approve(args: argparse.Namespace) -> int:
    async def body(db: Database, config: Config) -> None:
        await registrations.approve(db, args.user, actor_account_id=None)
        print(f"approved @{args.user.strip().lower()}: they can sign in now")
    return _run(args, body)


def _reject(args: argparse.Namespace) -> int:
    async def body(db: Database, config: Config) -> None:
        await registrations.reject(db, args.user, actor_account_id=None)
        print(f"rejected @{args.user.strip().lower()}: the sign-up was deleted")
    return _run(args, body)


def _create(args: argparse.Namespace) -> int:
    async def body(db: Database, config: Config) -> None:
        invite = await registrations.create_invite(
            db, actor_account_id=None, max_uses=args.max_uses, expires_in=args.expires_in,
            comment=args.comment)
        print(f"invite {invite.code}: {config.base_url}/invite/{invite.code}")
    return _run(args, body)


def _list_invites(args: argparse.Namespace) -> int:
    async def body(db: Database, config: Config) -> None:
        rows = await registrations.list_invites(db, include_inactive=args.all)
        if not rows:
            print("no invite codes" if args.all else "no usable invite codes")
        for row in rows:
            uses = f"{row.uses}/{row.max_uses}" if row.max_uses is not None \
                else f"{row.uses}/unlimited"
            expires = f"expires {row.expires_at:%Y-%m-%d %H:%M}Z" if row.expires_at \
                else "never expires"
            state = "revoked" if row.revoked else ("usable" if row.usable else "spent")
            comment = f"  {row.comment!r}" if row.comment else ""
            print(f"{row.code}  {state}  uses {uses}  {expires}{comment}")
    return _run(args, body)


def _revoke(args: argparse.Namespace) -> int:
    async def body(db: Database, config: Config) -> None:
        await registrations.revoke_invite(db, args.code, actor_account_id=None)
        print(f"revoked invite {args.code}")
    return _run(args, body)
