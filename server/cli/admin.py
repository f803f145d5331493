"""`dreamfeed admin ...`: instance moderation from the command line.

Each area lives in its own module (`admin_*.py`) exposing `register(commands)`; this module
gathers them under `admin` and owns `admin audit`, the log every action writes to. Actions
taken here are recorded with no acting account: the operator at the shell.
"""

from __future__ import annotations

import argparse
import json
from types import ModuleType

from server.cli import (
    admin_accounts,
    admin_domains,
    admin_generation,
    admin_registrations,
    admin_reports,
)
from server.cli.common import open_app_database, page_limit, row_id, run_command
from server.config import Config
from server.services.reading import admin_console
from storage.pagination import Page

# Each admin_* module: `register(commands)` adds its area (domain, account, report, ...).
AREAS: tuple[ModuleType, ...] = (admin_domains, admin_accounts, admin_reports,
                                 admin_generation, admin_registrations)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("admin", help="moderate this instance")
    commands = parser.add_subparsers(dest="admin_command", required=True, metavar="AREA")
    log = commands.add_parser("audit", help="list moderation actions, newest first")
    log.add_argument("--action", help="only this action, e.g. domain.block")
    log.add_argument("--limit", type=page_limit, default=40)
    log.add_argument("--max-id", type=row_id, help="entries older than this id")
    log.set_defaults(handler=_audit)
    for area in AREAS:
        area.register(commands)


def _audit(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_app_database(config) as database:
            rows = await admin_console.audit_entries(
                database, Page(limit=args.limit, max_id=args.max_id), action=args.action)
        if not rows:
            print("no moderation actions recorded")
        for row in rows:
            who = "operator" if row.account_id is None else f"account {row.account_id}"
            detail = f" {json.dumps(row.detail, sort_keys=True)}" if row.detail else ""
            print(f"{row.id}  {row.created_at:%Y-%m-%d %H:%M:%S}Z  {who}  {row.action}  "
                  f"{row.target_type}:{row.target}{detail}")

    return run_command(body)
