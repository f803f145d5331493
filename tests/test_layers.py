"""A rule import-linter cannot see: HTTP handlers never open database sessions themselves.

The contracts in pyproject.toml keep storage's query modules out of handlers, but a handler
could still reach the Database through the app and open a session; this walks their syntax
and refuses any `.reader(`, `.writer` or `sessionmaker` there. Services own transactions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENTRY_POINTS = sorted([*(ROOT / "server" / "handlers").rglob("*.py"),
                       ROOT / "server" / "middlewares.py"])
SESSION_NAMES = {"reader", "writer", "sessionmaker", "make_sessionmaker"}


def _session_uses(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        name = node.attr if isinstance(node, ast.Attribute) else \
            node.id if isinstance(node, ast.Name) else None
        if name in SESSION_NAMES:
            found.append(f"{path.relative_to(root)}:{node.lineno} uses {name}")
    return found


@pytest.mark.parametrize("path", ENTRY_POINTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_handlers_open_no_database_sessions(path: Path) -> None:
    assert _session_uses(path) == []


def test_the_rule_sees_a_session(tmp_path: Path) -> None:
    bad = tmp_path / "handler.py"
    bad.write_text("async def h(request):\n"
                   "    async with request.app['db'].reader() as session:\n"
                   "        pass\n")
    assert _session_uses(bad, root=tmp_path) == ["handler.py:2 uses reader"]
