"""Two `dreamfeed serve` processes on one database, and the CLI beside them: a change made in
one process (or by the CLI, a third process) holds in the other within two seconds, not when
a cache expires (issue 20). Process B runs no jobs (workers = 0): what A's workers apply
reaches B only through the bus. On PostgreSQL the bus is LISTEN/NOTIFY; on SQLite, Redis.

A fake remote server (tests/federation/fake_remote.py, on 127.0.0.1 so the children can
reach it) posts signed activities to B's inbox:
- its actor rotates its key and sends the Update to A: B refuses the old key;
- an admin suspends the actor through A's admin pages: B drops its activities;
- `dreamfeed admin domain block` (the CLI): B refuses the server's activities;
- `dreamfeed admin account rotate-key alice` (the CLI): B serves her new key;
- `dreamfeed admin generation disable` and `admin account suspend` (the CLI): B refuses
  alice's generation, then her token.
Without the bus, B would follow the first three only when its rules reload (30 s) or never
(keys are kept until an event drops them)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aiohttp
import pytest

from server.cli.common import open_services
from server.services.accounts.users import create_local_user
from server.services.oauth import apps, tokens
from storage.database import is_sqlite
from tests.conftest import make_test_config
from tests.federation.fake_remote import FakeActor, FakeRemote, KeyPair, Reply
from tests.server.cli.cli_helpers import cli_env, free_port, run_cli
from tests.server.cli.cluster_helpers import REDIS_URL, require_redis, scalar, serve, within

PASSWORD = "correct horse battery"
# What the issue asks: "within a second or two".
WITHIN = 2.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _environment(database_url: str, tmp_path: Path, domain: str) -> dict[str, str]:
    env = cli_env(database_url, tmp_path, DREAMFEED_INSTANCE_DOMAIN=domain,
                  DREAMFEED_FEDERATION_ALLOW_PRIVATE_ADDRESSES="true",
                  DREAMFEED_SERVER_PROCESSES="1")
    if is_sqlite(database_url):
        await require_redis()  # SQLite processes share the bus through Redis
        env["DREAMFEED_STREAMING_REDIS_URL"] = REDIS_URL
    return env


async def _alice_token(database_url: str, tmp_path: Path, domain: str) -> str:
    config = make_test_config(database_url, tmp_path, instance={"domain": domain})
    async with open_services(config, migrate=False) as services:
        user = await create_local_user(services.db.writer, config, username="alice",
                                       password=PASSWORD)
        await create_local_user(services.db.writer, config, username="root",
                                password=PASSWORD, admin=True)
        app = await apps.register_app(services, name="cluster test",
                                      redirect_uris=[apps.OOB_REDIRECT], scopes="read write",
                                      website=None)
        issued = await tokens.issue_token(services, app.id, user.user_id,
                                          frozenset({"read", "write"}))
    return issued.access_token


async def _post_to(fake: FakeRemote, actor: FakeActor, domain: str, base: str,
                   key: KeyPair | None = None) -> Reply:
    """A Follow of alice from `actor`, signed for the instance's name (`domain`), POSTed to
    the process at `base` (as a load balancer would pass it on)."""
    body = json.dumps(actor.activity("Follow", f"http://{domain}/users/alice")).encode()
    headers = fake.sign(actor, f"http://{domain}/users/alice/inbox", body, key=key)
    return await fake.send(f"{base}/users/alice/inbox", body, headers)


async def _admin_session(http: aiohttp.ClientSession, base: str) -> None:
    async with http.get(base + "/auth/sign_in") as resp:
        token = CSRF.search(await resp.text())
    assert token, "no CSRF token on the sign-in page"
    async with http.post(base + "/auth/sign_in", allow_redirects=False,
                         data={"login": "root", "password": PASSWORD,
                               "csrf_token": token.group(1)}) as resp:
        assert resp.status in (302, 303), await resp.text()


async def _admin_post(http: aiohttp.ClientSession, base: str, page: str, path: str,
                      form: dict[str, str]) -> None:
    async with http.get(base + page) as resp:
        token = CSRF.search(await resp.text())
    assert token, f"no CSRF token on {page}"
    async with http.post(base + path, data={**form, "csrf_token": token.group(1)},
                         headers={"Accept": "application/json"}) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["ok"] is True


@pytest.mark.postgres
async def test_a_change_in_one_process_holds_in_the_others_within_two_seconds(
        database_url: str, tmp_path: Path) -> None:
    # The instance's name is process A's address: the fake server verifies our signed
    # fetches by reading our actor there (both processes serve the same instance).
    port_a = free_port()
    domain = f"127.0.0.1:{port_a}"
    env = await _environment(database_url, tmp_path, domain)
    async with FakeRemote("masto", host="127.0.0.1") as fake, \
            serve(env, tmp_path, port_a, DREAMFEED_JOBS_WORKERS="1") as a:
        token = await _alice_token(database_url, tmp_path, domain)
        mallory = fake.add_actor("mallory")
        eve = fake.add_actor("eve")
        async with serve(env, tmp_path, free_port(), DREAMFEED_JOBS_WORKERS="0") as b, \
                aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            # B holds mallory's key and the rules in memory.
            reply = await _post_to(fake, mallory, domain, b)
            assert reply.status == 202, reply.text

            # 1. A key rotation applied by A: B refuses the retired key.
            old = fake.rotate_key(mallory)
            update = mallory.activity("Update", mallory.document())
            body = json.dumps(update).encode()
            reply = await fake.send(f"{a}/users/alice/inbox", body, fake.sign(
                mallory, f"http://{domain}/users/alice/inbox", body))
            assert reply.status == 202, reply.text

            async def stored() -> bool:
                pem = await scalar(database_url, "SELECT public_key_pem FROM account_keys "
                                    "WHERE key_id = :key_id", key_id=mallory.key_id)
                return bool(pem == mallory.key.public_pem)

            await within(30, stored, "A stores the new key")

            async def old_key_refused() -> bool:
                return (await _post_to(fake, mallory, domain, b, key=old)).status == 401

            await within(WITHIN, old_key_refused, "B refuses the retired key")
            assert (await _post_to(fake, mallory, domain, b)).status == 202  # the new key is fine

            # 2. A suspension through A's admin pages: B drops the actor's activities.
            await _admin_session(http, a)
            account_id = await scalar(database_url, "SELECT id FROM accounts WHERE uri = :uri",
                                       uri=mallory.id)
            await _admin_post(http, a, f"/admin/accounts/{account_id}",
                              f"/admin/accounts/{account_id}/suspend",
                              {"confirm": "yes", "reason": "spam"})

            async def suspended_dropped() -> bool:
                reply = await _post_to(fake, mallory, domain, b)
                return reply.status == 202 and "suspended" in reply.text

            await within(WITHIN, suspended_dropped, "B drops the suspended actor's activity")

            # 3. A domain block by the CLI: B refuses the whole server.
            reply = await _post_to(fake, eve, domain, b)
            assert reply.status == 202 and "suspended" not in reply.text, reply.text
            done = run_cli(["admin", "domain", "block", fake.domain, "--severity", "suspend"],
                           env, cwd=tmp_path)
            assert done.returncode == 0, done.stderr

            async def server_refused() -> bool:
                return (await _post_to(fake, eve, domain, b)).status == 403

            await within(WITHIN, server_refused, "B refuses the blocked server")

            # 4. Alice's key rotated by the CLI: B serves her new key (its cached actor
            # document dropped).
            async def alice_key() -> str:
                async with http.get(b + "/users/alice",
                                    headers={"Accept": "application/activity+json"}) as resp:
                    assert resp.status == 200, await resp.text()
                    return str((await resp.json())["publicKey"]["publicKeyPem"])

            before = await alice_key()
            done = run_cli(["admin", "account", "rotate-key", "alice"], env, cwd=tmp_path)
            assert done.returncode == 0, done.stderr

            async def new_key_served() -> bool:
                return await alice_key() != before

            await within(WITHIN, new_key_served, "B serves alice's new key")

            # 5. The generation switch and an account suspension by the CLI: B refuses.
            done = run_cli(["admin", "generation", "disable", "alice"], env, cwd=tmp_path)
            assert done.returncode == 0, done.stderr
            auth = {"Authorization": f"Bearer {token}"}
            async with http.post(b + "/api/v1/dreamfeed/generations", headers=auth,
                                 json={"prompt": "a lighthouse at dusk"}) as resp:
                assert resp.status == 403, await resp.text()
                assert "disabled" in (await resp.json())["error"]
            done = run_cli(["admin", "account", "suspend", "alice"], env, cwd=tmp_path)
            assert done.returncode == 0, done.stderr
            async with http.get(b + "/api/v1/accounts/verify_credentials",
                                headers=auth) as resp:
                assert resp.status == 401, await resp.text()


async def test_on_sqlite_without_redis_the_cli_reaches_the_one_server(
        database_url: str, tmp_path: Path) -> None:
    """The embedded default: one `dreamfeed serve` on an SQLite file, no Redis. The CLI's
    events go through the file beside the database, which the server follows."""
    if not is_sqlite(database_url):
        pytest.skip("the events file is SQLite's transport")
    port = free_port()
    domain = f"127.0.0.1:{port}"
    env = cli_env(database_url, tmp_path, DREAMFEED_INSTANCE_DOMAIN=domain,
                  DREAMFEED_FEDERATION_ALLOW_PRIVATE_ADDRESSES="true")
    async with FakeRemote("masto", host="127.0.0.1") as fake, \
            serve(env, tmp_path, port, DREAMFEED_JOBS_WORKERS="1") as server:
        await _alice_token(database_url, tmp_path, domain)
        mallory, eve = fake.add_actor("mallory"), fake.add_actor("eve")
        for actor in (mallory, eve):
            reply = await _post_to(fake, actor, domain, server)
            assert reply.status == 202 and "suspended" not in reply.text, reply.text

        done = run_cli(["admin", "account", "suspend", mallory.id], env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr

        async def suspended_dropped() -> bool:
            reply = await _post_to(fake, mallory, domain, server)
            return reply.status == 202 and "suspended" in reply.text

        await within(WITHIN, suspended_dropped, "the server drops the suspended actor")

        done = run_cli(["admin", "domain", "block", fake.domain, "--severity", "suspend"],
                       env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr

        async def server_refused() -> bool:
            return (await _post_to(fake, eve, domain, server)).status == 403

        await within(WITHIN, server_refused, "the server refuses the blocked server")
