"""`dreamfeed interactions USER [approve|reject ID]`: the interactions waiting for a user's
approval (interaction controls), listed, approved (stored, answered with an Accept carrying
the authorization) and rejected (answered with a Reject)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import make_sessionmaker
from storage.models import Account, Favourite, InteractionRequest, OutgoingActivity, Status
from tests.server.cli.cli_helpers import cli_env, run_cli

GUS = "http://gts.test/users/gus"


async def _waiting(engine: AsyncEngine) -> tuple[int, int, int]:
    """A post of alice's, and a like and a boost of it by a remote account, waiting."""
    async with make_sessionmaker(engine).begin() as session:
        alice = (await session.execute(select(Account).where(
            Account.username == "alice"))).scalar_one()
        gus = Account(username="gus", domain="gts.test", uri=GUS, inbox_url=f"{GUS}/inbox",
                      followers_url=f"{GUS}/followers")
        post = Status(uri=f"{alice.uri}/statuses/1", account_id=alice.id,
                      interaction_choices={"canAnnounce": "approval"})
        session.add_all([gus, post])
        await session.flush()
        like = InteractionRequest(kind="like", status_id=post.id, account_id=gus.id,
                                  interaction_uri=f"{GUS}/likes/1",
                                  body={"type": "Like", "id": f"{GUS}/likes/1"})
        boost = InteractionRequest(kind="announce", status_id=post.id, account_id=gus.id,
                                   interaction_uri=f"{GUS}/announces/1",
                                   request_uri=f"{GUS}/announce_requests/1")
        session.add_all([like, boost])
        await session.flush()
        return post.id, like.id, boost.id


async def test_list_approve_and_reject(engine: AsyncEngine, database_url: str,
                                       tmp_path: Path) -> None:
    env = cli_env(database_url, tmp_path)
    assert run_cli(["user", "add", "alice", "--password-stdin"], env,
                   stdin="a long password\n").returncode == 0
    post_id, like_id, boost_id = await _waiting(engine)

    listed = run_cli(["interactions", "alice"], env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [str(like_id), str(boost_id)]
    assert "like" in lines[0] and "gus@gts.test" in lines[0]

    assert run_cli(["interactions", "alice", "approve", str(like_id)], env).returncode == 0
    assert run_cli(["interactions", "alice", "reject", str(boost_id)], env).returncode == 0
    again = run_cli(["interactions", "alice", "reject", str(boost_id)], env)
    assert again.returncode == 1 and "no pending request" in again.stderr
    assert run_cli(["interactions", "alice"], env).stdout.strip() == \
        "alice: no interactions waiting for approval"

    async with make_sessionmaker(engine)() as session:
        [like] = (await session.execute(select(Favourite))).scalars().all()
        sent = {o.body["type"]: o.body for o in
                (await session.execute(select(OutgoingActivity))).scalars().all()}
        post = await session.get(Status, post_id)
    assert like.uri == f"{GUS}/likes/1" and like.status_id == post_id
    assert post is not None and post.favourites_count == 1
    accept, reject = sent["Accept"], sent["Reject"]
    assert accept["object"] == f"{GUS}/likes/1"  # an impolite like: the Like itself
    assert accept["result"].endswith(f"/users/alice/authorizations/{like_id}")
    assert reject["object"]["type"] == "AnnounceRequest"
    assert reject["object"]["id"] == f"{GUS}/announce_requests/1"
