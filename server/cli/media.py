"""`dreamfeed media migrate --to s3|disk`: copy every stored media file into the other store
(server.services.media.migration), with a progress bar on a terminal and plain progress lines
otherwise. It needs no database: it copies keys, and the running instance reads through to
the old store for keys not copied yet (server.services.media.stores)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

from server.cli.common import CommandError, run_command
from server.config import Config
from server.services.media import migration
from server.services.media.stores import MediaStoreUnavailable, disk_store, s3_store

BAR_WIDTH = 30
LINE_EVERY = 5.0  # seconds between plain progress lines


def register(subparsers: Any) -> None:
    media = subparsers.add_parser("media", help="where media files are kept")
    sub = media.add_subparsers(dest="media_command", required=True, metavar="ACTION")
    move = sub.add_parser("migrate", help="copy every media file into the other store "
                          "(resumable: what is already there is skipped)")
    move.add_argument("--to", required=True, choices=("s3", "disk"), dest="target",
                      help="s3: from [media] path into [media] s3_bucket; disk: back")
    move.set_defaults(handler=_migrate_command)


class ProgressPrinter:
    """A bar redrawn in place on a terminal; elsewhere (a log, a pipe) a line at most every
    LINE_EVERY seconds."""

    def __init__(self, out: TextIO, tty: bool) -> None:
        self.out = out
        self.tty = tty
        self._last = 0.0

    def __call__(self, report: migration.MigrationReport, key: str) -> None:
        done, total = report.done, report.total
        now = time.monotonic()
        if self.tty:
            filled = BAR_WIDTH * done // max(total, 1)
            self.out.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} "
                           f"files, {_size(report.copied_bytes)} copied")
            if done == total:
                self.out.write("\n")
        elif done == total or now - self._last >= LINE_EVERY:
            self.out.write(f"{done}/{total} files ({report.copied} copied, {report.skipped} "
                           f"already there), last: {key}\n")
            self._last = now
        self.out.flush()


def _size(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{count} bytes"


def _migrate_command(args: argparse.Namespace) -> int:
    config: Config = args.config_obj
    to_s3 = args.target == "s3"
    outcome: list[int] = []

    async def body() -> None:
        if not config.media.s3_bucket:
            raise CommandError("media.s3_bucket is not set: there is no bucket to copy to "
                               "or from")
        disk, bucket = disk_store(config), s3_store(config)
        source, target = (disk, bucket) if to_s3 else (bucket, disk)
        try:
            await bucket.check()
            print(f"copying media from {_name(config, s3=not to_s3)} to "
                  f"{_name(config, s3=to_s3)}", file=sys.stderr)
            report = await migration.migrate(source, target,
                                             ProgressPrinter(sys.stderr, sys.stderr.isatty()))
        except MediaStoreUnavailable as exc:
            raise CommandError(f"media: {exc}") from None
        finally:
            await bucket.close()
        outcome.append(_summary(report, config, args.target))

    return run_command(body) or outcome[0]


def _name(config: Config, *, s3: bool) -> str:
    media = config.media
    if not s3:
        return f"directory {media.path!r}"
    return f"bucket {media.s3_bucket!r}" + (f" at {media.s3_endpoint}" if media.s3_endpoint
                                            else "")


def _summary(report: migration.MigrationReport, config: Config, target: str) -> int:
    print(f"{report.total} files ({_size(report.total_bytes)}) in the source: "
          f"{report.copied} copied ({_size(report.copied_bytes)}), {report.skipped} "
          f"already there, {report.vanished} deleted meanwhile, {len(report.failed)} failed")
    if report.ignored:
        print(f"{len(report.ignored)} objects left alone: not media keys of Dreamfeed's "
              f"(e.g. {report.ignored[0]!r})")
    for key, error in report.failed[:20]:
        print(f"  failed: {key}: {error}", file=sys.stderr)
    if report.failed:
        print("run the same command again to copy what failed", file=sys.stderr)
        return 1
    if config.media.backend != target:
        print(f"next: set [media] backend = \"{target}\" and restart every process, then "
              f"run this again to copy what was stored meanwhile")
    return 0
