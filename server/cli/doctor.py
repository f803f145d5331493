"""`dreamfeed doctor`: is this configuration's instance usable by other servers? Prints one
line per finding in plain words; exit code 1 when something is a problem."""

from __future__ import annotations

import argparse
import asyncio
import os

from server.config import Config
from server.services.doctor import Probe, diagnose

MARKS = {"ok": "ok     ", "warning": "warning", "problem": "PROBLEM"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor", help="check the configuration, database and generator here, and the "
                       "public URL as another server reaches it")
    parser.add_argument("--address", metavar="IP",
                        help="connect to this address instead of what DNS says for "
                             "instance.domain (to check a server before DNS points at it)")
    parser.add_argument("--ca-file", metavar="PATH",
                        help="also trust the certificate authorities in this PEM file")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="seconds each check may take (default: 10)")
    parser.set_defaults(handler=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    config: Config = args.config_obj
    if args.ca_file and not os.path.isfile(args.ca_file):
        print(f"dreamfeed: --ca-file {args.ca_file} does not exist")
        return 2
    probe = Probe(address=args.address, ca_file=args.ca_file, timeout=args.timeout)
    print(f"checking {config.base_url} (instance.domain {config.instance.domain})")
    findings = asyncio.run(diagnose(config, probe))
    for finding in findings:
        print(f"{MARKS[finding.level]}  {finding.subject}: {finding.text}")
    problems = sum(1 for finding in findings if finding.level == "problem")
    if problems:
        print(f"{problems} problem{'s' if problems > 1 else ''} to fix before other servers "
              "can use this instance")
        return 1
    print("other servers can reach this instance")
    return 0
