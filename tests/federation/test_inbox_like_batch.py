"""On SQLite a batch's Likes that wait on nothing are written together, a savepoint each
(like_batch): the outcomes are those of Likes applied one by one, and one that fails takes
nothing of the others with it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from activitypub.parse import ParsedActivity
from server import appkeys
from server.services.context import Services
from server.services.federation.inbound import inbox_apply, like_batch
from storage.database import is_sqlite
from storage.models import Account, Favourite, InboxActivity, Notification
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance
from tests.federation.interactions_helpers import fresh, local_post, received_in_inbox


async def _count(a: Instance, model: Any) -> int:
    async with a.app[appkeys.DATABASE].reader() as session:
        return int((await session.execute(select(func.count()).select_from(model)))
                   .scalar_one())


async def test_likes_written_together_fail_alone(start: StartInstance, masto: FakeRemote,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    a = await start("a")
    await a.add_user("alice")
    mine = await local_post(a, "alice")
    carol, dave, erin = (masto.add_actor(name) for name in ("carol", "dave", "erin"))
    # Known here first (fetched for a Like of a post we do not have), so the next need no fetch.
    await received_in_inbox(a, masto, [(actor, actor.activity("Like", f"{a.base}/users/alice/x"))
                               for actor in (carol, dave, erin)])
    await a.run_jobs()
    assert await _count(a, Account) >= 4

    real_write = like_batch.likes.write_like
    together: list[str] = []

    async def dave_breaks(services: Services, session: Any, activity: ParsedActivity,
                          liker: Account) -> str:
        together.append(activity.actor)
        outcome = await real_write(services, session, activity, liker)
        if activity.actor == dave.id:
            raise RuntimeError("the database hiccupped")  # after its writes: rolled back
        return outcome

    monkeypatch.setattr(like_batch.likes, "write_like", dave_breaks)
    real_on_like = inbox_apply.HANDLERS["Like"]
    alone: list[str] = []

    async def on_like(services: Services, activity: ParsedActivity) -> str:
        alone.append(activity.id)
        return await real_on_like(services, activity)

    monkeypatch.setitem(inbox_apply.HANDLERS, "Like", on_like)
    ids = await received_in_inbox(a, masto, [
        (carol, carol.activity("Like", mine.uri)),
        (dave, dave.activity("Like", mine.uri)),
        (erin, erin.activity("Like", mine.uri)),
        (erin, erin.activity("Like", mine.uri)),  # again, under another id
    ])
    outcomes = await inbox_apply.apply_many(a.services, ids)
    assert outcomes[0] == outcomes[2] == "liked"
    assert isinstance(outcomes[1], RuntimeError)
    assert outcomes[3] == "ignored: already liked"
    if is_sqlite(a.app[appkeys.DATABASE].url):
        # All four in the one transaction, none through the handler applying one alone.
        assert sorted(together) == sorted([carol.id, dave.id, erin.id, erin.id])
        assert alone == []
    else:
        assert len(alone) == 4
    assert (await fresh(a, mine)).favourites_count == 2
    assert await _count(a, Favourite) == 2
    assert await _count(a, Notification) == 2
    async with a.app[appkeys.DATABASE].reader() as session:
        states = dict((await session.execute(select(InboxActivity.id, InboxActivity.state)
                                             .where(InboxActivity.id.in_(ids)))).all())
    assert [states[i] for i in ids] == ["applied", "received", "applied", "ignored"]

    # Retried alone, dave's applies, once.
    monkeypatch.setattr(like_batch.likes, "write_like", real_write)
    assert await inbox_apply.apply_many(a.services, [ids[1]]) == ["liked"]
    assert await inbox_apply.apply_many(a.services, ids) == ["already processed"] * 4
    assert (await fresh(a, mine)).favourites_count == 3
    assert await _count(a, Notification) == 3
