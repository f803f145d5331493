"""What `dreamfeed doctor` reports: one finding per thing checked, in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["ok", "warning", "problem"]


@dataclass(frozen=True)
class Finding:
    # "problem": other servers (or people) cannot use the instance until it is fixed;
    # "warning": it works, but something will go wrong or is worth knowing.
    level: Level
    subject: str
    text: str


def ok(subject: str, text: str) -> Finding:
    return Finding("ok", subject, text)


def warning(subject: str, text: str) -> Finding:
    return Finding("warning", subject, text)


def problem(subject: str, text: str) -> Finding:
    return Finding("problem", subject, text)
