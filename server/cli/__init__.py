"""`dreamfeed` command line. Each sub-command group lives in a module of this package that
exposes `register(subparsers)`; handlers return an exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from server.cli import (
    admin,
    db,
    doctor,
    federation,
    images,
    interactions,
    jobs,
    media,
    notifications,
    posts,
    reports,
    safety,
    serve,
    timeline,
    users,
)
from server.config import ConfigError, load_config

Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dreamfeed",
                                     description="Dreamfeed: federated AI-image social network")
    parser.add_argument("--config", metavar="PATH",
                        help="TOML config file (default: $DREAMFEED_CONFIG, else built-in)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (serve, db, users, doctor, federation, jobs, images, posts, notifications,
                   timeline, admin, safety, reports, interactions, media):
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.config_obj = load_config(args.config)
    except ConfigError as exc:
        print(f"dreamfeed: configuration error: {exc}", file=sys.stderr)
        return 2
    handler: Command = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"dreamfeed: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
