"""The declarative base every model shares, and the column types they build on.

Every primary key is a 64-bit time-sortable id from storage.ids; every timestamp is UTC-aware
(`datetime` annotations map to UTCDateTime, `dict[str, Any]` to JSON).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer
from sqlalchemy.orm import DeclarativeBase

from storage.types import UTCDateTime

# Integer primary keys on SQLite must be INTEGER to be rowid aliases; BIGINT elsewhere.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}
