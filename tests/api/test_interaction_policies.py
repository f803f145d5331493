"""The client API refuses what a remote post's interaction policy forbids (GoToSocial's
interaction controls), with the reason, as Mastodon refuses a boost its policy forbids
(403 "This action is not allowed" there; ours says why)."""

from __future__ import annotations

from activitypub.vocab import PUBLIC
from server.services.social import follows
from storage import statuses as status_queries
from tests.api.harness import Api
from tests.federation.fake_remote import FakeRemote
from tests.federation.interactions_helpers import create, note


async def test_forbidden_reply_and_boost_are_refused_and_likes_pass(api: Api) -> None:
    token = await api.user("alice")
    services = api.instance.services
    async with FakeRemote("gts") as gts:
        gus = gts.add_actor("gus", "gotosocial")
        await follows.follow(services, "alice", gus.handle)
        await api.run_jobs()
        [follow] = [r.json() for r in gts.deliveries("Follow")]
        inbox = f"{api.base}/users/alice/inbox"
        assert (await gts.deliver(gus, inbox, gus.activity("Accept", follow))).status == 202
        doc = note(gus, interactionPolicy={"canReply": {"automaticApproval": [gus.id]},
                                           "canAnnounce": {"automaticApproval": [gus.id]},
                                           "canLike": {"automaticApproval": [PUBLIC]}})
        assert (await gts.deliver(gus, inbox, create(gus, doc))).status == 202
        await api.run_jobs()
        async with services.db.reader() as session:
            stored = await status_queries.by_uri(session, doc["id"])
        assert stored is not None

        boost = await api.post(f"/api/v1/statuses/{stored.id}/reblog", token=token)
        assert boost.status == 403
        assert "does not allow you to boost it" in boost.body["error"]
        reply = await api.post("/api/v1/statuses", token=token,
                               json={"status": "hi", "in_reply_to_id": str(stored.id)})
        assert reply.status == 403
        assert "does not allow you to reply to it" in reply.body["error"]
        like = await api.post(f"/api/v1/statuses/{stored.id}/favourite", token=token)
        assert like.status == 200 and like.body["favourited"] is True
