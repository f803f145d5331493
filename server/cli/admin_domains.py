"""`dreamfeed admin ...`: domain blocks and the allow-list."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's sub-commands to `dreamfeed admin`."""
