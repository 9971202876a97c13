"""Column types shared by the tables: instants are stored in UTC and read back aware."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime, Integer, TypeDecorator

# The ids of the tables that grow without end (a row per message, memory, log, delivery, change, event): BIGINT on
# PostgreSQL, where INTEGER ends at 2,147,483,647 (migration 0014). SQLite's INTEGER PRIMARY KEY is 64-bit already,
# and must stay spelt INTEGER there to remain the rowid (and AUTOINCREMENT).
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and gives them back aware (SQLite forgets the zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def instant(nullable: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(UTCDateTime(), nullable=nullable)
