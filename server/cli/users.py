"""`dreamfeed user add NAME [--admin] [--password-stdin] [--email E]`."""

from __future__ import annotations

import argparse
import getpass
import sys

from server.cli import lifecycle
from server.cli.common import CommandError, open_database, run_command
from server.config import Config, sqlite_file
from server.services.accounts import users as account_service
from server.services.errors import ServiceError
from server.services.federation.instance import prepare_instance
from storage.migrate import upgrade


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("user", help="manage local users")
    commands = parser.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = commands.add_parser("add", help="create a local user")
    add.add_argument("name", help="username: a-z, 0-9 and _, at most 30 characters")
    add.add_argument("--admin", action="store_true", help="make the user an administrator")
    add.add_argument("--email", help="e-mail address for the login")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add.set_defaults(handler=_add)
    # delete, export, alias, move: the account's lifecycle (server/cli/lifecycle.py).
    lifecycle.register(commands)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for a password: use --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise CommandError("the passwords do not match")
    return first


def _add(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        # Validate the name before asking for a password.
        try:
            account_service.normalize_username(args.name)
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        password = _read_password(args.password_stdin)
        async with open_database(config) as (engine, sessionmaker):
            await upgrade(engine)
            try:
                await prepare_instance(sessionmaker, config)
                user = await account_service.create_local_user(
                    sessionmaker, config, username=args.name, password=password,
                    admin=args.admin, email=args.email)
            except ServiceError as exc:
                raise CommandError(str(exc)) from None
        role = "administrator" if args.admin else "user"
        # Which instance, in words: the database it went into and the address to sign in at.
        where = sqlite_file(config.database.url) or "the PostgreSQL database"
        print(f"created {role} @{user.username}@{config.instance.domain} ({user.actor_uri}) "
              f"in {where}; sign in at {config.base_url}/auth/sign_in")

    return run_command(body)
