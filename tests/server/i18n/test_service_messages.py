"""Every refusal a service raises can be translated: its message is a literal marked with N_
(so `make messages` extracts it), with any values passed as keywords, never an f-string or a
string built by hand (which no catalogue could hold). Pages translate the template, then fill
it in (server.handlers.web.common.page_message)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import server.app  # imports every service, so every error class is defined
from server.errors import ServiceError
from server.handlers.web.common import page_message
from server.i18n import N_, using
from server.services.errors import InvalidInput

ROOT = Path(server.app.__file__).parent
# Errors whose words never reach a page as they are: a page shows its own sentence for a
# remote server's failures (page_message), and the doctor speaks to an admin at a terminal.
NOT_SHOWN = {"RemoteError", "RemoteGone", "RemoteRefused", "RemoteFinding"}


def _service_errors() -> set[str]:
    found: set[str] = set()
    pending: list[type] = [ServiceError]
    while pending:
        cls = pending.pop()
        found.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return found - NOT_SHOWN


def _raised(tree: ast.AST, names: set[str]) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else "")
            if name in names:
                yield node.exc


def _is_marked(arg: ast.expr) -> bool:
    return (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name)
            and arg.func.id == "N_" and len(arg.args) == 1
            and isinstance(arg.args[0], ast.Constant))


def _problem(call: ast.Call) -> str | None:
    if not call.args:
        return None
    message = call.args[0]
    if isinstance(message, ast.JoinedStr):
        return "an f-string (use an N_ template with %(name)s and keywords)"
    if isinstance(message, ast.Constant | ast.BinOp):
        return "not marked with N_"
    if isinstance(message, ast.Call) and not _is_marked(message) and not (
            isinstance(message.func, ast.Name) and message.func.id == "str"):
        return "a message built by a call (use an N_ template with %(name)s and keywords)"
    return None


def test_service_refusals_are_marked_for_translation() -> None:
    names = _service_errors()
    problems = []
    for path in sorted((ROOT / "services").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for call in _raised(tree, names):
            problem = _problem(call)
            if problem:
                where = f"{path.relative_to(ROOT.parent)}:{call.lineno}"
                problems.append(f"{where}: {problem}")
    assert not problems, f"{len(problems)} refusals:\n" + "\n".join(problems)


def test_a_page_translates_the_template_then_fills_it_in() -> None:
    error = InvalidInput(N_("a filter phrase is at most %(limit)s characters"), limit=60)
    assert str(error) == "a filter phrase is at most 60 characters"
    with using("fr"):
        assert page_message(error) == "Une expression de filtre compte au plus 60 caractères."
    assert page_message(error) == "A filter phrase is at most 60 characters."
