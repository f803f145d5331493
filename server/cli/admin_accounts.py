"""`dreamfeed admin account ...`: suspend, unsuspend, silence, unsilence and show an
account, local (`alice`) or remote (`bob@example.com`); rotate a local account's key pair.
Every change is audited (account.suspend, account.unsuspend, account.silence,
account.unsilence, account.rotate_key) as the operator's."""

from __future__ import annotations

import argparse
from datetime import datetime

from server.cli.common import run_with_services
from server.services.accounts import key_rotation
from server.services.context import Services
from server.services.moderation import account_moderation

ACTIONS: dict[str, tuple[account_moderation.Moderate, str, str]] = {
    "suspend": (account_moderation.suspend, "suspended",
                "suspend an account: it can do nothing, its posts are hidden"),
    "unsuspend": (account_moderation.unsuspend, "unsuspended", "lift a suspension"),
    "silence": (account_moderation.silence, "silenced",
                "silence an account: only its followers see it, follows need approval"),
    "unsilence": (account_moderation.unsilence, "unsilenced", "lift a silence"),
}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's sub-commands to `dreamfeed admin`."""
    parser = commands.add_parser("account", help="suspend or silence accounts")
    actions = parser.add_subparsers(dest="account_command", required=True, metavar="ACTION")
    for name, (_, _, help_text) in ACTIONS.items():
        sub = actions.add_parser(name, help=help_text)
        sub.add_argument("handle", help="alice (local), bob@example.com or an actor URL")
        sub.add_argument("--reason", help="why (kept in the audit log)")
        sub.set_defaults(handler=_act, account_action=name)
    show = actions.add_parser("show", help="an account's moderation state and counts")
    show.add_argument("handle")
    show.set_defaults(handler=_show)
    rotate = actions.add_parser("rotate-key", help="give a local account a new key pair (a "
                                "leaked key); its followers' servers are sent the new one")
    rotate.add_argument("user", help="local username")
    rotate.set_defaults(handler=_rotate_key)



def _act(args: argparse.Namespace) -> int:
    function, done, _ = ACTIONS[args.account_action]

    async def action(services: Services) -> None:
        account = await function(services, args.handle, reason=args.reason)
        print(f"{account_moderation.handle_of(account, services)} {done}")

    return run_with_services(args, action)


def _rotate_key(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        rotated = await key_rotation.rotate_key(services, args.user)
        print(f"{rotated.username}: new key pair for {rotated.key_id}; an Update with it is "
              "queued to its followers' servers")

    return run_with_services(args, action)


def _when(value: datetime | None) -> str:
    return "no" if value is None else f"since {value:%Y-%m-%d %H:%M}Z"


def _show(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        state = await account_moderation.show(services, args.handle)
        print(f"{state.handle}  ({'local' if state.local else 'remote'})  {state.uri}")
        print(f"suspended: {_when(state.suspended_at)}")
        print(f"silenced: {_when(state.silenced_at)}")
        if state.deleted_at is not None:
            print(f"deleted: {_when(state.deleted_at)}")
        if state.domain_block is not None:
            print(f"domain block: {state.domain_block}")
        print(f"posts: {state.statuses}  followers: {state.followers}  "
              f"following: {state.following}")

    return run_with_services(args, action)
