"""The PostgreSQL side of the stream bus (issue 17): NOTIFY on a channel, and a dedicated
asyncpg connection that LISTENs on it. No table: the channel is the server's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_PAYLOAD = 7999
CONNECT_TIMEOUT = 10.0
# What a lost or refused connection raises, here or from the pool's NOTIFY.
ERRORS: tuple[type[BaseException], ...] = (
    OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, SQLAlchemyError)


async def notify(engine: AsyncEngine, channel: str, payload: str) -> None:
    """Send `payload` to every connection LISTENing on `channel` (its own transaction)."""
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_notify(:channel, :payload)"),
                           {"channel": channel, "payload": payload})


async def listen(url: str, channel: str, on_payload: Callable[[str], None],
                 on_lost: Callable[[], None]) -> Any:
    """A new connection (outside the pool, which would hand it to queries) LISTENing on
    `channel`: each NOTIFY's payload goes to `on_payload`; `on_lost` is called when the
    server or the network closes it."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)

    def _notified(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
        on_payload(payload)

    def _terminated(_conn: Any) -> None:
        on_lost()

    try:
        conn.add_termination_listener(_terminated)
        await conn.add_listener(channel, _notified)
    except BaseException:
        conn.terminate()
        raise
    return conn


async def ping(conn: Any) -> None:
    """Raises when the LISTEN connection no longer answers (a dead peer sends no FIN)."""
    await conn.fetchval("SELECT 1")
