"""`make audit` (tools/audit.py): the three answers, from pip-audit's JSON report."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "audit.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_tool", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(monkeypatch: pytest.MonkeyPatch, stdout: str, stderr: str = "",
         returncode: int = 0) -> int:
    tool = _load()

    def fake_run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        assert command[1:3] == ["-m", "pip_audit"]
        return subprocess.CompletedProcess(command, returncode, stdout, stderr)

    monkeypatch.setattr(tool.subprocess, "run", fake_run)
    code: int = tool.main([])
    return code


def _report(*deps: dict[str, Any]) -> str:
    return json.dumps({"dependencies": list(deps), "fixes": []})


CLEAN = {"name": "aiohttp", "version": "3.14.5", "vulns": []}
UNKNOWN = {"name": "jinja2", "skip_reason":
           "Dependency not found on PyPI and could not be audited: jinja2 (3.1.6)"}


def test_clean(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(monkeypatch, _report(CLEAN)) == 0
    assert "no known vulnerabilities in 1 packages" in capsys.readouterr().out


def test_vulnerabilities_fail(monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    vulnerable = {"name": "jinja2", "version": "3.1.5", "vulns": [
        {"id": "GHSA-cpwx-vrp4-4pq7", "fix_versions": ["3.1.6"], "aliases": []}]}
    assert _run(monkeypatch, _report(CLEAN, vulnerable), returncode=1) == 1
    assert "jinja2 3.1.5: GHSA-cpwx-vrp4-4pq7 (fixed in 3.1.6)" in capsys.readouterr().out


def test_a_service_that_knows_nothing_is_not_a_pass(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # What pip-audit reports, status 0, against a PyPI mirror without the JSON API.
    assert _run(monkeypatch, _report(UNKNOWN, UNKNOWN)) == 2
    assert capsys.readouterr().err.strip() == (
        "pip-audit could not reach its advisory database (all 2 packages answered "
        "'not found'): nothing was checked")


def test_an_unreachable_service_is_not_a_vulnerability(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    stderr = ("Traceback (most recent call last):\n  ...\nrequests.exceptions.ConnectionError: "
              "Failed to resolve 'api.osv.dev'\n")
    assert _run(monkeypatch, "", stderr, returncode=1) == 2
    assert capsys.readouterr().err.strip() == (
        "pip-audit could not reach its advisory database (requests.exceptions.ConnectionError:"
        " Failed to resolve 'api.osv.dev'): nothing was checked")


def test_partly_checked_says_what_was_not(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(monkeypatch, _report(CLEAN, UNKNOWN)) == 2
    assert "did not know 1: jinja2" in capsys.readouterr().err
