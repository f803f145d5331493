"""The `api` fixture: a Dreamfeed instance on loopback, on each kind of database, called
through its client API with every answer checked against Mastodon's OpenAPI schema.

    async def test_x(api: Api) -> None:
        token = await api.user("alice", scopes="read write")
        answer = await api.get("/api/v1/accounts/verify_credentials", token=token)
        assert answer.status == 200 and answer.body["username"] == "alice"
        client = api.mastodon(token)
        me = await asyncio.to_thread(client.account_verify_credentials)

See tests/api/harness.py for the whole interface.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.harness import CHECKED, SKIPPED, Api, open_api


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    async with open_api(database_url, tmp_path) as opened:
        yield opened
        if opened.client_failures:
            pytest.fail("Mastodon.py saw answers that do not fit Mastodon's schema:\n"
                        + "\n".join(opened.client_failures), pytrace=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many answers the schema checked, and which paths it could not (ours, or ones
    Mastodon's schema lacks), so a gap in the checking is visible."""
    if not CHECKED and not SKIPPED:
        return
    terminalreporter.write_sep("-", "Mastodon OpenAPI schema checks")
    terminalreporter.write_line(f"{sum(CHECKED.values())} answers checked against "
                                f"{len(CHECKED)} operations; {sum(SKIPPED.values())} not "
                                "checked (not in the schema):")
    for where, count in sorted(SKIPPED.items()):
        terminalreporter.write_line(f"  {where} ({count})")
