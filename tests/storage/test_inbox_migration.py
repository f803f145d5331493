"""Migration 0011 on a database that already holds received activities: origins are
backfilled from the signer's keyId, dedup becomes per origin, and it can be undone."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import make_engine
from storage.migrate import alembic_config, upgrade

INSERT = text(
    "INSERT INTO inbox_activities (id, activity_id, activity_type, actor_uri, signer_key_id,"
    " signer_uri, body, state, received_at) VALUES (:id, :aid, 'Follow', :actor, :key,"
    " :actor, '{}', 'applied', CURRENT_TIMESTAMP)")


async def test_0011_backfills_origins_and_dedups_per_origin(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await upgrade(engine, "0010")
        async with engine.begin() as conn:
            await conn.execute(INSERT, [
                {"id": 1, "aid": "https://b.example/notes/1#delete",
                 "actor": "https://B.example/users/bob",
                 "key": "https://User@B.Example:8443/users/bob#main-key"},
                {"id": 2, "aid": "https://c.example/x", "actor": "https://c.example/users/c",
                 "key": None},
            ])
        await upgrade(engine)
        async with engine.begin() as conn:
            origins = dict((await conn.execute(text(
                "SELECT id, origin FROM inbox_activities ORDER BY id"))).all())
            assert origins == {1: "https://b.example:8443", 2: "https://c.example"}
            # The same id from another origin is another row; bodies may now be dropped.
            await conn.execute(text(
                "INSERT INTO inbox_activities (id, activity_id, origin, activity_type,"
                " actor_uri, state, received_at) VALUES (3, 'https://b.example/notes/1#delete',"
                " 'https://a.example', 'Delete', 'https://a.example/u', 'ignored',"
                " CURRENT_TIMESTAMP)"))
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(text(
                    "INSERT INTO inbox_activities (id, activity_id, origin, activity_type,"
                    " actor_uri, state, received_at) VALUES (4, 'https://c.example/x',"
                    " 'https://c.example', 'Follow', 'https://c.example/u', 'received',"
                    " CURRENT_TIMESTAMP)"))

        await _downgrade(engine, "0010")
        async with engine.connect() as conn:
            ids = (await conn.execute(text("SELECT id FROM inbox_activities ORDER BY id")))
            assert [row[0] for row in ids] == [1, 2]
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)
