"""storage.inbox against real databases: the batched insert keeps one row per (activity id,
origin), and the batched read and mark see and record each row's own outcome."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from storage import inbox
from storage.database import make_sessionmaker
from storage.inbox import NewActivity, Outcome


def _item(activity_id: str, origin: str = "https://a.example") -> NewActivity:
    return NewActivity(activity_id=activity_id, activity_type="Like",
                       actor_uri=f"{origin}/users/x", origin=origin,
                       signer_key_id=f"{origin}/users/x#main-key",
                       signer_uri=f"{origin}/users/x", inbox_account_id=None,
                       body={"id": activity_id, "type": "Like"})


async def test_insert_new_marks_repeats_within_a_batch_and_across_batches(
        engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        first = await inbox.insert_new(session, [_item("https://a.example/1"),
                                                 _item("https://a.example/2"),
                                                 _item("https://a.example/1")])
    assert first[0] is not None and first[1] is not None and first[2] is None
    async with sessions() as session, session.begin():
        # Stored already; the same id from another origin is another row.
        second = await inbox.insert_new(session, [_item("https://a.example/2"),
                                                  _item("https://a.example/1", "https://b.example"),
                                                  _item("https://a.example/3")])
    assert second[0] is None and second[1] is not None and second[2] is not None
    assert len({*first, *second} - {None}) == 4

    ids = [i for i in (*first, *second) if i is not None]
    async with sessions() as session, session.begin():
        await inbox.mark_many(session, [Outcome(ids[0], "applied", "liked"),
                                        Outcome(ids[1], "ignored", "x" * 600)])
    async with sessions() as session:
        rows = await inbox.get_many(session, [*ids, 12345])
    assert set(rows) == set(ids)  # an unknown id is simply absent
    assert (rows[ids[0]].state, rows[ids[0]].error, rows[ids[0]].body) == ("applied", "liked",
                                                                          None)
    note = rows[ids[1]].error
    assert rows[ids[1]].state == "ignored" and note is not None and len(note) == inbox.MAX_NOTE
    assert rows[ids[1]].processed_at is not None
    # ids[2]: the row of https://a.example/1 from b.example, untouched.
    assert (rows[ids[2]].state, rows[ids[2]].origin, rows[ids[2]].body) == (
        "received", "https://b.example", {"id": "https://a.example/1", "type": "Like"})
