"""The instant every test lives in unless it says otherwise."""

from __future__ import annotations

from datetime import UTC, datetime

# Thursday 2026-11-26, 12:00 UTC.
FIXED_NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
