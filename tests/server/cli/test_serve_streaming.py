"""Two `dreamfeed serve` processes on one PostgreSQL database: a status posted through one
process's API reaches a streaming subscription held by the other (LISTEN/NOTIFY between
them, as between web processes on separate machines)."""

from __future__ import annotations

import asyncio
import io
import json
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from server.cli.common import open_services
from server.services.accounts.users import create_local_user
from server.services.oauth import apps, tokens
from storage.database import is_sqlite
from tests.conftest import make_test_config
from tests.server.cli.cli_helpers import DREAMFEED, cli_env, free_port, wait_until_up


@asynccontextmanager
async def _serve(env: dict[str, str], cwd: Path) -> AsyncIterator[str]:
    port = free_port()
    proc = subprocess.Popen([DREAMFEED, "serve"], env={**env, "DREAMFEED_SERVER_PORT": str(port)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_up(base + "/", proc)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, stderr = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
        assert "Traceback" not in stderr, stderr


async def _token(database_url: str, tmp_path: Path) -> str:
    config = make_test_config(database_url, tmp_path)
    async with open_services(config, migrate=False) as services:
        user = await create_local_user(services.db.writer, config, username="alice",
                                       password="correct horse")
        app = await apps.register_app(services, name="streaming test",
                                      redirect_uris=[apps.OOB_REDIRECT], scopes="read write",
                                      website=None)
        issued = await tokens.issue_token(services, app.id, user.user_id,
                                          frozenset({"read", "write"}))
    return issued.access_token


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 160)).save(buffer, "JPEG")
    return buffer.getvalue()


async def _post_with_image(http: aiohttp.ClientSession, base: str, token: str) -> str:
    auth = {"Authorization": f"Bearer {token}"}
    form = aiohttp.FormData()
    form.add_field("file", _jpeg(), filename="sea.jpg", content_type="image/jpeg")
    async with http.post(base + "/api/v2/media", data=form, headers=auth) as resp:
        assert resp.status in (200, 202), await resp.text()
        media_id = (await resp.json())["id"]
    for _ in range(200):  # processed by a job in whichever process claims it
        async with http.get(f"{base}/api/v1/media/{media_id}", headers=auth) as resp:
            if resp.status == 200:
                break
        await asyncio.sleep(0.05)
    async with http.post(base + "/api/v1/statuses", headers=auth,
                         json={"status": "the sea, live", "media_ids": [media_id]}) as resp:
        assert resp.status == 200, await resp.text()
        status_id: str = (await resp.json())["id"]
    return status_id


@pytest.mark.postgres
async def test_a_post_through_one_process_streams_from_the_other(database_url: str,
                                                                 tmp_path: Path) -> None:
    if is_sqlite(database_url):
        pytest.skip("two processes share a database on PostgreSQL")
    env = cli_env(database_url, tmp_path)
    async with _serve(env, tmp_path) as first:  # migrates; the second finds it done
        token = await _token(database_url, tmp_path)
        async with _serve(env, tmp_path) as second, aiohttp.ClientSession() as http, \
                http.get(second + "/api/v1/streaming/user",
                         headers={"Authorization": f"Bearer {token}"}) as stream:
            assert stream.status == 200
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            status_id = await _post_with_image(http, first, token)
            async with asyncio.timeout(15):
                event = ""
                while True:
                    line = (await stream.content.readline()).decode().rstrip("\n")
                    if line.startswith("event: "):
                        event = line.removeprefix("event: ")
                    elif line.startswith("data: ") and event == "update":
                        payload = json.loads(line.removeprefix("data: "))
                        if payload["id"] == status_id:
                            break
            assert payload["content"] and payload["account"]["username"] == "alice"
