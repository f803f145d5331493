"""Rate limits over real HTTP: sign-in bursts per client address, posting and generation per
user, inbox deliveries per verified signer host, document fetches; normal use never limited."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from server import appkeys
from server.config import RateLimitsConfig
from server.services.errors import RateLimited
from server.services.generation import generate
from server.services.statuses import posts
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance
from tests.server.web_helpers import browser

DEFAULTS = dataclasses.asdict(RateLimitsConfig())


def limits(**values: str) -> dict[str, Any]:
    return {**DEFAULTS, **values}


@pytest.fixture
async def masto() -> AsyncIterator[FakeRemote]:
    async with FakeRemote("masto") as fake:
        yield fake


async def test_a_burst_of_sign_ins_from_one_address_gets_429(
        start: StartInstance) -> None:
    a = await start("a", ratelimits=limits(login="3 per 5 minutes"))
    await a.add_user("bob")
    async with browser(a) as b:
        for _ in range(3):
            assert (await b.sign_in("bob", "wrong password")).status == 401
        page = await b.sign_in("bob", "correct horse")
        assert page.status == 429
        assert "Too many sign-in attempts" in page.text
        retry = int(page.headers["Retry-After"])
        assert 0 < retry <= 300


async def test_limits_follow_the_client_address_behind_a_trusted_proxy(
        start: StartInstance) -> None:
    a = await start("a", ratelimits=limits(signup="1 per hour"),
                    server={"trusted_proxies": ["127.0.0.1"]})
    async with browser(a) as b:
        b.session.headers["X-Forwarded-For"] = "203.0.113.7"
        assert (await b.sign_up("amy")).status == 303
        await b.sign_out()
        page = await b.sign_up("ann")
        assert page.status == 429 and "Retry-After" in page.headers
        b.session.headers["X-Forwarded-For"] = "203.0.113.8"
        assert (await b.sign_up("ann")).status == 303


async def test_normal_use_with_default_limits_is_never_limited(
        start: StartInstance) -> None:
    a = await start("a", ratelimits=limits())
    async with browser(a) as b:
        assert (await b.sign_up("cleo")).status == 303
        await b.sign_out()
        assert (await b.sign_in("cleo")).status == 303
        for path in ("/", "/about", "/@cleo", "/", "/about") * 4:
            assert (await b.get(path)).status == 200, path
    account = (await _account_id(a, "cleo"))
    media = await a.make_images(account, "a lighthouse", n=3)
    for index, media_id in enumerate(media):
        await posts.create_status(a.services, "cleo", posts.NewStatus(
            media_ids=[media_id], caption=f"post {index}"))
    async with browser(a) as b:
        for _ in range(20):
            async with b.session.get(a.actor("cleo"),
                                     headers={"Accept": "application/activity+json"}) as r:
                assert r.status == 200


async def _account_id(instance: Instance, username: str) -> int:
    from server.services.accounts.users import find_local_account
    async with instance.app[appkeys.DATABASE].reader() as session:
        account = await find_local_account(session, username)
    assert account is not None
    return account.id


async def test_posting_is_limited_per_user(start: StartInstance) -> None:
    a = await start("a", ratelimits=limits(posting="2 per minute"))
    dot = await a.add_user("dot")
    eli = await a.add_user("eli")
    media = await a.make_images(dot.account_id, "a boat", n=3)
    for media_id in media[:2]:
        await posts.create_status(a.services, "dot", posts.NewStatus(media_ids=[media_id]))
    with pytest.raises(RateLimited) as refused:
        await posts.create_status(a.services, "dot", posts.NewStatus(media_ids=[media[2]]))
    assert 0 < refused.value.retry_after <= 60
    assert "too many posts" in str(refused.value)
    # Someone else's budget is their own.
    eli_media = await a.make_images(eli.account_id, "a kite")
    await posts.create_status(a.services, "eli", posts.NewStatus(media_ids=eli_media))


async def test_generation_is_limited_per_user(start: StartInstance) -> None:
    a = await start("a", ratelimits=limits(generation="2 per minute"))
    fin = await a.add_user("fin")
    images = a.app[appkeys.SERVICES]
    limiter = a.services.limiter
    for prompt in ("one", "two"):
        await generate.request_generation(images, fin.account_id, prompt, size="256x256",
                                            limiter=limiter)
    with pytest.raises(RateLimited) as refused:
        await generate.request_generation(images, fin.account_id, "three", size="256x256",
                                            limiter=limiter)
    assert refused.value.retry_after >= 1 and "too many image generations" in str(refused.value)


async def test_disabled_limits_limit_nothing(start: StartInstance) -> None:
    a = await start("a", ratelimits=limits(enabled=False, login="1 per hour"))  # type: ignore[arg-type]
    await a.add_user("gil")
    async with browser(a) as b:
        for _ in range(4):
            assert (await b.sign_in("gil", "wrong password")).status == 401


async def _deliver(fake: FakeRemote, actor: Any, inbox: str, body: bytes,
                   headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    async with fake.session.post(inbox, data=body, headers=headers) as response:
        return response.status, dict(response.headers)


async def test_inbox_burst_from_one_signed_remote_gets_429(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a", ratelimits=limits(inbox="3 per minute"))
    await a.add_user("hal")
    carol = masto.add_actor("carol")
    inbox = f"{a.actor('hal')}/inbox"

    def signed(activity: dict[str, Any], *, tamper: bool = False) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(activity).encode()
        headers = dict(masto.sign(carol, inbox, body))
        return (body + b" " if tamper else body), headers

    status, _ = await _deliver(masto, carol, inbox,
                               *signed(carol.activity("Follow", a.actor("hal"))))
    assert status == 202  # carol's key is known from here on
    # Broken signatures naming carol's key count against the sender's address, never
    # against carol's server: a forged keyId must not spend a real server's budget.
    for _ in range(3):
        status, _ = await _deliver(masto, carol, inbox,
                                   *signed(carol.activity("Like", a.actor("hal")), tamper=True))
        assert status == 401
    status, headers = await _deliver(masto, carol, inbox,
                                     *signed(carol.activity("Like", a.actor("hal")),
                                             tamper=True))
    assert status == 429 and int(headers["Retry-After"]) >= 1

    for _ in range(2):
        status, _ = await _deliver(masto, carol, inbox,
                                   *signed(carol.activity("Follow", a.actor("hal"))))
        assert status == 202
    status, headers = await _deliver(masto, carol, inbox,
                                     *signed(carol.activity("Follow", a.actor("hal"))))
    assert status == 429
    assert 0 < int(headers["Retry-After"]) <= 60
    assert "too many deliveries" in json.loads(await _text(masto, carol, inbox, signed))


async def _text(masto: FakeRemote, carol: Any, inbox: str, signed: Any) -> str:
    body, headers = signed(carol.activity("Follow", inbox))
    async with masto.session.post(inbox, data=body, headers=headers) as response:
        assert response.status == 429
        return json.dumps((await response.json())["status"])


async def test_fetches_of_our_documents_are_limited(start: StartInstance) -> None:
    a = await start("a", ratelimits=limits(fetch="3 per minute"))
    await a.add_user("ivy")
    async with browser(a) as b:
        for _ in range(3):
            async with b.session.get(a.actor("ivy"),
                                     headers={"Accept": "application/activity+json"}) as r:
                assert r.status == 200
        async with b.session.get(a.actor("ivy"),
                                 headers={"Accept": "application/activity+json"}) as r:
            assert r.status == 429
            assert 0 < int(r.headers["Retry-After"]) <= 60
        # Browsers reading HTML pages are not federation fetches.
        assert (await b.get("/@ivy")).status == 200


async def test_remote_lookups_from_search_are_limited_per_user(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a", ratelimits=limits(lookup="2 per 10 minutes"))
    await a.add_user("bob")
    await a.add_user("cat")
    masto.add_actor("kim")
    async with browser(a) as bob, browser(a) as cat, browser(a) as visitor:
        assert (await bob.sign_in("bob", "correct horse")).status == 303
        assert (await cat.sign_in("cat", "correct horse")).status == 303
        found = await bob.get(f"/search?q=@kim@{masto.domain}")
        assert found.status == 200 and f"kim@{masto.domain}" in found.text
        assert (await bob.get("/search?q=@nobody@nowhere.test")).status == 200
        refused = await bob.get(f"/search?q=@kim@{masto.domain}")
        assert refused.status == 429
        assert "Too many lookups of remote accounts" in refused.text
        assert 0 < int(refused.headers["Retry-After"]) <= 600
        # Another user has a budget of their own; visitors never look anything up.
        assert (await cat.get(f"/search?q=@kim@{masto.domain}")).status == 200
        for _ in range(3):
            assert (await visitor.get(f"/search?q=@kim@{masto.domain}")).status == 200
