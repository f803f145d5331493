"""Real clients signing in: Mastodon.py (the library most Python apps and bots use) and toot
(a command-line client, run as a process), each registering its app and logging in with
the password grant and with the code flow, the person's part done on the web pages."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError
from PIL import Image

from tests.api.harness import Api
from tests.api.oauth_flow import CALLBACK, OOB, PASSWORD, browser, query_of

SCOPES = ["read", "write", "follow", "push"]
TOOT = Path(sys.executable).parent / "toot"


async def _registered_client(api: Api) -> Mastodon:
    """Mastodon.create_app, then a client holding the app's id and secret."""
    client = api.mastodon()
    client_id, client_secret = await asyncio.to_thread(
        Mastodon.create_app, "Mastodon.py tests", scopes=SCOPES,
        redirect_uris=[CALLBACK, OOB], website="https://example.org/bot",
        api_base_url=api.base, session=client.session)
    client.client_id, client.client_secret = client_id, client_secret
    return client


async def test_mastodon_py_password_grant(api: Api) -> None:
    await api.instance.add_user("alice", email="alice@example.com")
    client = await _registered_client(api)
    token = await asyncio.to_thread(client.log_in, username="alice@example.com",
                                    password=PASSWORD, scopes=SCOPES, allow_http=True)
    assert token
    app = await asyncio.to_thread(client.app_verify_credentials)
    assert app["name"] == "Mastodon.py tests" and app["website"] == "https://example.org/bot"
    info = await asyncio.to_thread(client.oauth_authorization_server_info)
    assert "password" in info["grant_types_supported"]

    with pytest.raises(Exception, match="Invalid user name, password"):
        await asyncio.to_thread(client.log_in, username="alice@example.com",
                                password="not it", scopes=SCOPES, allow_http=True)


async def test_mastodon_py_code_flow(api: Api) -> None:
    await api.instance.add_user("alice")
    client = await _registered_client(api)
    url = await asyncio.to_thread(client.auth_request_url, redirect_uris=CALLBACK,
                                  scopes=SCOPES, state="from-mastodon-py", allow_http=True)
    assert url.startswith(api.base + "/oauth/authorize?")
    async with browser(api) as alice:
        await alice.sign_in("alice")
        status, page, _ = await alice.get(url.removeprefix(api.base))
        assert status == 200 and "Mastodon.py tests" in page
        status, _, location = await alice.decide(page, "authorize")
    assert status == 303
    params = query_of(location)
    assert params["state"] == "from-mastodon-py"

    token = await asyncio.to_thread(client.log_in, code=params["code"],
                                    redirect_uri=CALLBACK, scopes=SCOPES, allow_http=True)
    assert token
    app = await asyncio.to_thread(client.app_verify_credentials)
    assert app["scopes"] == SCOPES
    await asyncio.to_thread(client.revoke_access_token, allow_http=True)
    client.access_token = token
    with pytest.raises(MastodonAPIError):
        await asyncio.to_thread(client.app_verify_credentials)


def _toot_env(config_home: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CONFIG_HOME": str(config_home), "NO_COLOR": "1"}


def _saved_login(config_home: Path) -> dict[str, str]:
    """The user toot saved: {"username", "instance", "access_token"}."""
    saved = json.loads((config_home / "toot" / "config.json").read_text())
    return dict(saved["users"][saved["active_user"]])


async def test_toot_login_with_password(api: Api, tmp_path: Path) -> None:
    await api.instance.add_user("alice", email="alice@example.com")
    process = await asyncio.create_subprocess_exec(
        str(TOOT), "login_cli", "--instance", api.base, "--email", "alice@example.com",
        "--password", PASSWORD, env=_toot_env(tmp_path), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()
    assert "Successfully logged in" in output.decode()
    user = _saved_login(tmp_path)
    assert user["username"] == "alice"
    me = await api.get("/api/v1/apps/verify_credentials", token=user["access_token"])
    assert me.status == 200 and me.body["name"] == "toot - a Mastodon CLI client"


async def test_toot_login_in_the_browser(api: Api, tmp_path: Path) -> None:
    """`toot login` prints the authorization URL (out of band), the person authorizes on
    the page and types the code it shows."""
    await api.instance.add_user("alice")
    process = await asyncio.create_subprocess_exec(
        str(TOOT), "login", "--instance", api.base, env=_toot_env(tmp_path),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    assert process.stdin is not None and process.stdout is not None
    url = ""
    while not url:
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
        assert line, "toot ended before printing the login URL"
        if line.startswith(api.base):
            url = line.strip()
    # toot links to /oauth/authorize/ (with a slash) and asks for the out-of-band code.
    assert "/oauth/authorize/?" in url and "urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob" in url
    async with browser(api) as alice:
        await alice.sign_in("alice")
        status, page, _ = await alice.get(url.removeprefix(api.base))
        assert status == 200, page[:300]
        status, page, _ = await alice.decide(page, "authorize")
    assert status == 200
    code = page.split('id="oauth-code"')[1].split('value="')[1].split('"')[0]
    process.stdin.write(f"n\n{code}\n".encode())
    await process.stdin.drain()
    rest, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, rest.decode()
    assert "Successfully logged in" in rest.decode()
    assert _saved_login(tmp_path)["username"] == "alice"


async def test_toot_posts_an_image(api: Api, tmp_path: Path) -> None:
    """`toot post --media`: uploads through POST /api/v2/media, polls GET /api/v1/media/:id
    until the (test's) worker has processed it, then posts with media_ids."""
    await api.instance.add_user("alice", email="alice@example.com")
    login = await asyncio.create_subprocess_exec(
        str(TOOT), "login_cli", "--instance", api.base, "--email", "alice@example.com",
        "--password", PASSWORD, env=_toot_env(tmp_path), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(login.communicate(), timeout=60)
    assert login.returncode == 0, output.decode()
    picture = tmp_path / "kite.png"
    Image.new("RGB", (300, 200), (30, 120, 200)).save(picture)
    posting = await asyncio.create_subprocess_exec(
        str(TOOT), "post", "A kite over the bay", "--media", str(picture),
        "--description", "a blue kite", env=_toot_env(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    waited = asyncio.ensure_future(posting.communicate())
    for _ in range(600):
        if waited.done():
            break
        await api.run_jobs()
        await asyncio.sleep(0.1)
    output, _ = await asyncio.wait_for(waited, timeout=60)
    assert posting.returncode == 0, output.decode()
    token = _saved_login(tmp_path)["access_token"]
    me = await api.get("/api/v1/accounts/verify_credentials", token=token)
    statuses = await api.get(f"/api/v1/accounts/{me.body['id']}/statuses", token=token)
    [status] = statuses.body
    assert "A kite over the bay" in status["content"]
    [media] = status["media_attachments"]
    assert media["description"] == "a blue kite" and media["url"]
    assert media["dreamfeed"]["ai_generated"] is False
