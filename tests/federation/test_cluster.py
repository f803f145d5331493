"""An instance run as a cluster on loopback (issue 20): PostgreSQL, Redis (the bus), SeaweedFS
(the media bucket), two `dreamfeed serve` processes with `[jobs] workers = 0` on ports of
their own, two `dreamfeed worker` processes, and a second, real Dreamfeed instance ("remote",
in this process, running its own jobs) to federate with.

The cluster's name is `cluster.test:PORT_B`: the remote resolves it to 127.0.0.1, so every
request it makes (webfinger, actor fetches, deliveries) reaches web process B, as a load
balancer would send them; the test talks to web process A directly by its port.

- bob@remote follows alice; alice posts a generated image through A: the image is in the
  bucket and A and B serve it at its URL;
- the first delivery of the post stalls at bob's inbox (stored, not answered) and the worker
  sending it is SIGKILLed: the other worker takes the job over when its lease runs out and
  delivers again; bob has the post once;
- bob replies on the remote: the reply reaches alice through B and shows in A's thread;
- `dreamfeed admin domain block` (the CLI): A and B both refuse bob's server within 2 s;
- no job is left dead or queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.ext.asyncio import AsyncEngine
from yarl import URL

from activitypub.signatures.cavage import sign_cavage
from server import appkeys
from server.cli.common import open_services
from server.services.accounts.users import NewUser, create_local_user
from server.services.oauth import apps, tokens
from server.services.social import follows
from server.services.statuses import posts
from storage import accounts as account_queries
from storage.s3_media import S3MediaStore
from tests.conftest import make_test_config
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.federation.test_object_storage import head
from tests.s3server import S3Server, s3_bucket, seaweedfs
from tests.server.cli.cli_helpers import cli_env, free_port, run_cli
from tests.server.cli.cluster_helpers import (
    REDIS_URL,
    require_redis,
    scalar,
    serving,
    within,
    workers,
)

__all__ = ["s3_bucket", "seaweedfs"]  # fixtures used by name below

# What the issue asks of a domain block: obeyed "within two seconds".
WITHIN = 2.0
# Jobs leased for 2 s: a killed worker's delivery is taken over 2 s later, not in 5 minutes.
LEASE = 2


class StalledInbox:
    """bob's server stores the first Create it receives, then holds the answer back until
    `release` (at most 10 s): its sender is mid-delivery for as long as the test wants."""

    def __init__(self) -> None:
        self.armed = False
        self.stalled = asyncio.Event()
        self.release = asyncio.Event()
        self.creates: list[str] = []  # the id of every Create POSTed, redeliveries included

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or not request.path.endswith("/inbox"):
            return await handler(request)
        body = json.loads(await request.read())  # aiohttp keeps it for the handler
        if body.get("type") != "Create":
            return await handler(request)
        self.creates.append(body["id"])
        response = await handler(request)
        if self.armed and not self.stalled.is_set():
            self.stalled.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), timeout=10)
        return response


def _cluster_env(database_url: str, tmp_path: Path, domain: str, s3: S3Server,
                 bucket: str) -> dict[str, str]:
    media = {f"DREAMFEED_MEDIA_{key.upper()}": value
             for key, value in s3.media_config(bucket).items()}
    return cli_env(database_url, tmp_path, DREAMFEED_INSTANCE_DOMAIN=domain,
                   DREAMFEED_FEDERATION_ALLOW_PRIVATE_ADDRESSES="true",
                   DREAMFEED_STREAMING_REDIS_URL=REDIS_URL,
                   DREAMFEED_SERVER_PROCESSES="1", DREAMFEED_JOBS_WORKERS="0",
                   DREAMFEED_JOBS_LEASE_SECONDS=str(LEASE),
                   DREAMFEED_JOBS_POLL_INTERVAL="0.1",
                   DREAMFEED_JOBS_BACKOFF_BASE_SECONDS="0.2",
                   DREAMFEED_JOBS_BACKOFF_MAX_SECONDS="1", **media)


async def _alice_token(database_url: str, tmp_path: Path, domain: str) -> str:
    config = make_test_config(database_url, tmp_path, instance={"domain": domain})
    async with open_services(config, migrate=False) as services:
        user = await create_local_user(services.db.writer, config, username="alice",
                                       password="correct horse battery")
        app = await apps.register_app(services, name="cluster test",
                                      redirect_uris=[apps.OOB_REDIRECT], scopes="read write",
                                      website=None)
        issued = await tokens.issue_token(services, app.id, user.user_id,
                                          frozenset({"read", "write"}))
    return issued.access_token


async def _post_image(http: aiohttp.ClientSession, a: str, token: str) -> dict[str, Any]:
    """alice generates an image and posts it, both through web process A (a worker makes
    the image)."""
    auth = {"Authorization": f"Bearer {token}"}
    async with http.post(a + "/api/v1/dreamfeed/generations", headers=auth,
                         json={"prompt": "a lighthouse at dusk", "size": "256x256",
                               "n": 1}) as resp:
        assert resp.status == 202, await resp.text()
        [media] = (await resp.json())["media_attachments"]

    async def made() -> bool:
        async with http.get(f"{a}/api/v1/media/{media['id']}", headers=auth) as resp:
            return resp.status == 200
    await within(30, made, "a worker makes the image")
    async with http.post(a + "/api/v1/statuses", headers=auth,
                         json={"status": "Dusk", "media_ids": [media["id"]]}) as resp:
        assert resp.status == 200, await resp.text()
        status: dict[str, Any] = await resp.json()
    return status


async def _check_media(http: aiohttp.ClientSession, bases: list[str], database_url: str,
                       s3: S3Server, bucket: str, status: dict[str, Any]) -> None:
    """Every rendition of the image is in the bucket; each web process serves the URL the
    post gave, with the bytes the bucket holds."""
    [attachment] = status["media_attachments"]
    keys = [await scalar(database_url, sql, id=int(attachment["id"])) for sql in (
        "SELECT original_key FROM media_attachments WHERE id = :id",
        "SELECT jpeg_key FROM media_attachments WHERE id = :id",
        "SELECT webp_key FROM media_attachments WHERE id = :id",
        "SELECT thumb_key FROM media_attachments WHERE id = :id")]
    for key in keys:
        assert key and await head(s3, bucket, key) is not None, key
    store = S3MediaStore(s3.settings(bucket))
    try:
        stored = {await store.read(key) for key in keys}
    finally:
        await store.close()
    path = URL(attachment["url"]).path
    for base in bases:
        async with http.get(base + path) as resp:
            assert resp.status == 200, (base, await resp.text())
            assert resp.content_type.startswith("image/")
            assert await resp.read() in stored


async def _kill_the_sender(database_url: str,
                           procs: list[Any]) -> int:
    """SIGKILL the worker process that holds the running delivery; its pid."""
    locked_by = await scalar(database_url, "SELECT locked_by FROM jobs "
                             "WHERE kind = 'deliver' AND state = 'running'")
    assert locked_by, "no delivery is running"
    pid = int(str(locked_by).split(":")[-2])  # host:pid:nonce
    assert pid in [proc.pid for proc in procs], locked_by
    os.kill(pid, signal.SIGKILL)
    return pid


async def _remote_count(remote: Instance, sql: str, **params: Any) -> int:
    return int(await scalar(remote.config.database.url, sql, **params))


async def _like_from(remote: Instance, bob: NewUser, domain: str, base: str) -> int:
    """A Like, signed with bob's key for the cluster's name and POSTed to alice's inbox at
    the web process at `base`: its status. It names no post, so the workers ignore it (two
    Likes of one post applied side by side would race for the favourite's unique key)."""
    async with remote.app[appkeys.DATABASE].reader() as session:
        key = await account_queries.signing_key(session, bob.account_id)
    assert key is not None and key.private_key_pem
    like = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Like",
            "id": f"{bob.actor_uri}#likes/{uuid.uuid4().hex}", "actor": bob.actor_uri,
            "object": f"http://{domain}/statuses/1"}
    body = json.dumps(like).encode()
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign_cavage("POST", f"http://{domain}/users/alice/inbox", headers, body,
                               key_id=key.key_id, private_key_pem=key.private_key_pem))
    async with aiohttp.ClientSession() as http, \
            http.post(f"{base}/users/alice/inbox", data=body, headers=headers) as resp:
        return resp.status


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_cluster_of_web_and_worker_processes_federates_and_agrees(
        database_url: str, engine: AsyncEngine, tmp_path: Path, start: StartInstance,
        seaweedfs: S3Server, s3_bucket: str) -> None:
    await require_redis()
    inbox = StalledInbox()
    remote = await start("remote", host="127.0.0.1", middlewares=[inbox.middleware],
                         jobs={"workers": 2, "poll_interval": 0.05})
    bob = await remote.add_user("bob")
    port_a, port_b = free_port(), free_port()
    domain = f"cluster.test:{port_b}"
    env = _cluster_env(database_url, tmp_path, domain, seaweedfs, s3_bucket)

    token = await _alice_token(database_url, tmp_path, domain)
    # The processes start side by side (the test migrated the database: `engine`).
    async with workers(env, tmp_path, 2) as procs, \
            serving(env, tmp_path, [port_a, port_b]) as [a, b], \
            aiohttp.ClientSession() as http:
        await follows.follow(remote.services, "bob", f"alice@{domain}")

        async def accepted() -> bool:
            found = await follows.relationships(remote.services, "bob")
            return found.following == [f"alice@{domain}"]
        await within(30, accepted, "alice's Accept reaches bob")

        # alice posts through A; a worker sends it to bob's inbox, which stalls.
        inbox.armed = True
        status = await _post_image(http, a, token)
        await asyncio.wait_for(inbox.stalled.wait(), timeout=30)
        killed = await _kill_the_sender(database_url, procs)
        inbox.release.set()
        # While the killed worker's lease runs out: the image is in the bucket and
        # both web processes serve it.
        await _check_media(http, [a, b], database_url, seaweedfs, s3_bucket, status)

        post_uri = status["uri"]
        create_id = inbox.creates[0]

        async def delivered_again() -> bool:
            return inbox.creates.count(create_id) >= 2
        await within(30, delivered_again, "the other worker delivers the post again")
        assert [p.pid for p in procs if p.poll() is None] != [killed]
        assert await _remote_count(remote, "SELECT count(*) FROM statuses WHERE uri = :uri",
                                   uri=post_uri) == 1
        assert await _remote_count(remote, "SELECT count(*) FROM inbox_activities "
                                   "WHERE activity_id = :id", id=create_id) == 1

        # bob replies; his server delivers it to alice's inbox, on B; A shows it.
        reply = await posts.create_status(remote.services, "bob", posts.NewStatus(
            media_ids=[], caption="What a sky", in_reply_to=post_uri))
        auth = {"Authorization": f"Bearer {token}"}

        async def reply_on_a() -> bool:
            async with http.get(f"{a}/api/v1/statuses/{status['id']}/context",
                                headers=auth) as resp:
                assert resp.status == 200, await resp.text()
                descendants = (await resp.json())["descendants"]
            return any(d["uri"] == reply.uri for d in descendants)
        await within(30, reply_on_a, "bob's reply shows on A")

        # A domain block by the CLI: both web processes refuse bob's server.
        for base in (a, b):
            assert await _like_from(remote, bob, domain, base) == 202
        done = run_cli(["admin", "domain", "block", remote.domain, "--severity",
                        "suspend"], env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        for base in (a, b):
            async def refused(base: str = base) -> bool:
                return await _like_from(remote, bob, domain, base) == 403
            await within(WITHIN, refused, f"{base} refuses the blocked server")

        # Nothing lost: no job dead, none left behind by the killed worker.
        async def drained() -> bool:
            left = await scalar(database_url, "SELECT count(*) FROM jobs "
                                "WHERE state <> 'dead' AND kind = 'deliver'")
            return int(left) == 0
        await within(30, drained, "every delivery done")
        assert await scalar(database_url,
                            "SELECT count(*) FROM jobs WHERE state = 'dead'") == 0
