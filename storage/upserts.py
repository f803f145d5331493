"""`INSERT ... ON CONFLICT` in the database's own dialect: PostgreSQL and SQLite both have it,
but SQLAlchemy builds it from each dialect's own `insert`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_into(session: AsyncSession, table: Any) -> Any:
    """An INSERT into `table` (a Table or a mapped class) that takes `.on_conflict_do_*`."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
