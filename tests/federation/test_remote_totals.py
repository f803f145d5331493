"""A remote account's post, follower and following counts come from its own server: the
totalItems of its outbox, followers and following collections, read in a job after the actor
is stored (Mastodon's ProcessAccountService), shown on its profile page here."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server import appkeys
from server.services.federation.remote import account_for_uri, resolve_account
from storage import accounts as account_queries
from storage.models import Account
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import AS_PUBLIC, FakeRemote
from tests.federation.harness import Instance, settle
from tests.server.web_helpers import browser


@pytest.fixture
async def masto() -> AsyncIterator[FakeRemote]:
    # Signed GETs only, as GoToSocial and authorized-fetch Mastodon: the job must sign.
    async with FakeRemote("masto", require_signed_get=True) as fake:
        yield fake


async def stored(instance: Instance, uri: str) -> Account:
    async with instance.app[appkeys.DATABASE].reader() as session:
        account = await account_queries.account_by_uri(session, uri)
    assert account is not None
    return account


def totals(account: Account) -> tuple[int | None, int | None, int | None]:
    return account.posts_total, account.followers_total, account.following_total


async def test_counts_come_from_the_remote_collections(start: StartInstance,
                                                       masto: FakeRemote) -> None:
    a = await start("a")
    carol = masto.add_actor("carol", name="Carol")
    carol.totals = {"outbox": 1, "followers": 1234, "following": 56}
    await resolve_account(a.services, carol.handle)
    assert totals(await stored(a, carol.id)) == (None, None, None)  # not read inline
    await settle([a])

    found = await stored(a, carol.id)
    assert totals(found) == (1, 1234, 56) and found.totals_fetched_at is not None
    fetched = {r.path for r in masto.received("GET")}
    assert {"/users/carol/outbox", "/users/carol/followers",
            "/users/carol/following"} <= fetched
    assert all(r.signature is not None for r in masto.received("GET")
               if r.path.startswith("/users/carol/"))
    async with browser(a) as visitor:
        page = await visitor.get(f"/@carol@{masto.domain}")
    assert page.status == 200
    assert "<strong>1</strong> post<" in page.text
    assert "<strong>1234</strong> followers" in page.text
    assert "<strong>56</strong> following" in page.text
    assert f"As counted by {masto.domain}" in page.text

    # She hides her network (no totalItems: cleared) and posts more; her Update refreshes.
    carol.totals = {"outbox": 2, "followers": None, "following": None}
    update = carol.activity("Update", carol.document(), to=[AS_PUBLIC])
    assert (await masto.deliver(carol, f"{a.base}/inbox", update)).status == 202
    await settle([a])
    assert totals(await stored(a, carol.id)) == (2, None, None)
    async with browser(a) as visitor:
        page = await visitor.get(f"/@carol@{masto.domain}")
    assert "<strong>2</strong> posts" in page.text and "followers</li>" not in page.text


async def test_unreadable_counts_keep_their_value_and_bad_ones_are_ignored(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    dora = masto.add_actor("dora")
    dora.totals = {"outbox": 7, "followers": 8, "following": 9}
    await resolve_account(a.services, dora.id)
    await settle([a])
    assert totals(await stored(a, dora.id)) == (7, 8, 9)

    # The outbox fails (kept), the followers count is nonsense (cleared), and the following
    # collection is served from another origin (never fetched: only her server counts).
    masto.serve_bytes("/users/dora/outbox", b"oops", "text/plain")
    masto.serve({"id": f"{dora.id}/followers", "type": "OrderedCollection",
                 "totalItems": "lots"})
    dora.overrides = {"following": "http://elsewhere.test/following"}
    masto.forget()
    await account_for_uri(a.services, dora.id, refresh=True)
    await settle([a])
    # (Had the foreign collection been fetched, the failure would have kept 9.)
    assert totals(await stored(a, dora.id)) == (7, None, None)
