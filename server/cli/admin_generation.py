"""`dreamfeed admin generation disable|enable|refusals`: generation safety, per user.
Switching is audited (generation.disable, generation.enable) as the operator's."""

from __future__ import annotations

import argparse

from server.cli.common import CommandError, open_app_database, page_limit, run_command
from server.config import Config
from server.services.errors import ServiceError
from server.services.generation import prompt_moderation


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's sub-commands to `dreamfeed admin`."""
    parser = commands.add_parser("generation", help="image generation: per-user switches "
                                 "and refused prompts")
    actions = parser.add_subparsers(dest="generation_command", required=True,
                                    metavar="ACTION")
    disable = actions.add_parser("disable", help="stop a user from generating images")
    disable.add_argument("user", help="local username")
    disable.add_argument("--reason", default="", help="kept in the audit log")
    disable.set_defaults(handler=_switch, enabled=False)
    enable = actions.add_parser("enable", help="let a user generate images again")
    enable.add_argument("user", help="local username")
    enable.add_argument("--reason", default="", help="kept in the audit log")
    enable.set_defaults(handler=_switch, enabled=True)
    refusals = actions.add_parser("refusals", help="refused prompts: counts per user and "
                                  "the latest ones")
    refusals.add_argument("--user", help="only this local user")
    refusals.add_argument("--limit", type=page_limit, default=20,
                          help="how many of the latest refusals to list")
    refusals.set_defaults(handler=_refusals)


def _switch(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_app_database(config) as database:
            try:
                changed = await prompt_moderation.set_generation(
                    database, args.user, enabled=args.enabled, reason=args.reason)
            except ServiceError as exc:
                raise CommandError(str(exc)) from None
        state = "enabled" if args.enabled else "disabled"
        print(f"generation {state} for {args.user}" if changed
              else f"generation was already {state} for {args.user}")

    return run_command(body)


def _refusals(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_app_database(config) as database:
            try:
                report = await prompt_moderation.refusals(database, username=args.user,
                                                          limit=args.limit)
            except ServiceError as exc:
                raise CommandError(str(exc)) from None
        if not report.counts:
            print("no refused prompts")
            return
        print("refusals per user:")
        for username, count in report.counts:
            print(f"  {username}  {count}")
        print("latest:")
        for row in report.recent:
            print(f"  {row.id}  {row.created_at:%Y-%m-%d %H:%M}Z  {row.username}  "
                  f"{row.source}: {row.reason}")
            print(f"    prompt: {' '.join(row.prompt.split())[:200]}")

    return run_command(body)
