"""`dreamfeed user delete|export|alias|move`: an account's lifecycle, under `dreamfeed user`.

    dreamfeed user delete NAME [--yes]
    dreamfeed user export NAME --output FILE.zip
    dreamfeed user alias add|remove NAME HANDLE_OR_URL
    dreamfeed user alias list NAME
    dreamfeed user move NAME NEW_HANDLE

Activities are queued; the workers of `dreamfeed serve` (or `dreamfeed worker`) send them
and remove a deleted account's data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from server.cli.common import CommandError, open_services, run_command
from server.config import Config
from server.services.accounts import account_deletion, account_export, moves
from server.services.errors import ServiceError


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the lifecycle actions to the `user` group's sub-commands."""
    delete = commands.add_parser("delete", help="delete a local account for good")
    delete.add_argument("name", help="local username")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(handler=_delete)

    export = commands.add_parser("export", help="write an account's archive (zip)")
    export.add_argument("name", help="local username")
    export.add_argument("--output", required=True, metavar="FILE.zip", type=Path,
                        help="the archive to write (must not exist)")
    export.set_defaults(handler=_export)

    alias = commands.add_parser("alias", help="accounts this one also is (to move here)")
    actions = alias.add_subparsers(dest="alias_command", required=True, metavar="ACTION")
    for name, help_text in (("add", "add an alias (the account you move from)"),
                            ("remove", "remove an alias")):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("name", help="local username")
        action.add_argument("account", metavar="HANDLE_OR_URL",
                            help="user@host or an actor URL")
        action.set_defaults(handler=_alias, alias_action=name)
    listing = actions.add_parser("list", help="show the aliases and where the account moved")
    listing.add_argument("name", help="local username")
    listing.set_defaults(handler=_alias, alias_action="list", account=None)

    move = commands.add_parser("move", help="move an account to another (which must list "
                                            "it as an alias)")
    move.add_argument("name", help="local username (the account that moves away)")
    move.add_argument("target", metavar="NEW_HANDLE", help="user@host or an actor URL")
    move.set_defaults(handler=_move)


def _confirm(name: str) -> None:
    if not sys.stdin.isatty():
        raise CommandError("no terminal to confirm the deletion: add --yes")
    answer = input(f"This deletes {name!r} and all its posts for good. Type the username to "
                   "confirm: ")
    if answer.strip().lower() != name.strip().lower():
        raise CommandError("not confirmed: nothing was deleted")


def _delete(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        if not args.yes:
            _confirm(args.name)
        async with open_services(config) as services:
            try:
                deleted = await account_deletion.delete_local_account(services, args.name)
            except ServiceError as exc:
                raise CommandError(str(exc)) from None
        print(f"deleted @{deleted.username}@{config.instance.domain}: Delete queued to "
              f"{deleted.inboxes} inboxes; its data is removed by the job queue")

    return run_command(body)


def _export(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_services(config) as services:
            try:
                size = await account_export.write_archive(
                    services, services.media, args.name, args.output)
            except ServiceError as exc:
                raise CommandError(str(exc)) from None
            except OSError as exc:
                raise CommandError(f"cannot write {args.output}: {exc.strerror or exc}") \
                    from None
        print(f"wrote {args.output} ({size} bytes)")

    return run_command(body)


def _alias(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_services(config) as services:
            try:
                if args.alias_action == "add":
                    aliases = await moves.add_alias(services, args.name, args.account)
                elif args.alias_action == "remove":
                    aliases = await moves.remove_alias(services, args.name, args.account)
                else:
                    aliases = await moves.list_aliases(services, args.name)
            except ServiceError as exc:
                raise CommandError(str(exc)) from None
        for uri in aliases.also_known_as:
            print(f"also known as {uri}")
        if not aliases.also_known_as:
            print(f"{args.name} has no aliases")
        if aliases.moved_to:
            print(f"moved to {aliases.moved_to}")

    return run_command(body)


def _move(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_services(config) as services:
            try:
                result = await moves.move_account(services, args.name, args.target)
            except ServiceError as exc:
                raise CommandError(str(exc)) from None
        print(f"{args.name} moved to {result.target}: Move queued to {result.inboxes} "
              f"inboxes, {result.local_followers} local followers now follow the new account")

    return run_command(body)
