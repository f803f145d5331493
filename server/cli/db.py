"""`dreamfeed db upgrade|current`: schema migrations."""

from __future__ import annotations

import argparse

from server.cli.common import open_database, run_command
from server.config import Config
from storage.migrate import current_revision, head_revision, upgrade


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("db", help="database schema migrations")
    commands = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    commands.add_parser("upgrade", help="apply every pending migration").set_defaults(
        handler=_upgrade)
    commands.add_parser("current", help="show the schema revision").set_defaults(
        handler=_current)


def _upgrade(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_database(config) as (engine, _):
            before = await current_revision(engine)
            await upgrade(engine)
            after = await current_revision(engine)
        if before == after:
            print(f"database is up to date (revision {after})")
        else:
            print(f"database upgraded from {before or 'empty'} to {after}")

    return run_command(body)


def _current(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_database(config) as (engine, _):
            current = await current_revision(engine)
        head = head_revision()
        state = "up to date" if current == head else f"behind (latest is {head})"
        print(f"revision {current or 'none'}: {state}")

    return run_command(body)
