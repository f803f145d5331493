"""Run Alembic migrations from code (`dreamfeed db upgrade`, and `serve` at start)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SAWarning
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

log = logging.getLogger("dreamfeed.migrate")


class _QuietAlembic(logging.Filter):
    """Alembic's INFO lines at each start ("Context impl", "Will assume...", and "Running
    upgrade" with the revision's whole docstring) are replaced by one line per revision
    applied (`_applied`); its warnings and errors still go through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO


_ALEMBIC_LOG = logging.getLogger("alembic.runtime.migration")
if not any(isinstance(f, _QuietAlembic) for f in _ALEMBIC_LOG.filters):
    _ALEMBIC_LOG.addFilter(_QuietAlembic())


# SQLite's batch migrations reflect tables whose expression indexes SQLAlchemy cannot read
# back; the migrations recreate those indexes themselves, so the warning says nothing useful.
warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index",
                        SAWarning)


def _applied(*, step: Any, **_: Any) -> None:
    """Alembic's on_version_apply hook: one line per migration, naming what it adds."""
    revision = step.up_revision
    title = summary(revision.doc or "")
    log.info("applied migration %s%s", revision.revision, f": {title}" if title else "")


def summary(doc: str) -> str:
    """A migration docstring's subject: its first paragraph up to the first colon, bracket
    or full stop ("Initial schema: instance settings, ..." -> "Initial schema")."""
    text = " ".join(doc.strip().split("\n\n")[0].split())
    for mark in (": ", " (", ". ", "; "):
        text = text.partition(mark)[0]
    return text if len(text) <= 80 else text[:79].rsplit(" ", 1)[0] + "…"


def alembic_config(url: str | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        cfg.attributes["on_version_apply"] = _applied
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def current_revision(engine: AsyncEngine) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(read)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
