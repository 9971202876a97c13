"""What a user's answers depend on besides the request itself, for caches that must notice any change (ETags).

Every committed write to a user's data, from any process, adds a row to the change feed (`paa.core.changes`), so
the newest row's id stands for their data; and answers about "today" change when the user's day turns.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from paa.clock import Clock, habit_day
from paa.config import LoadedSettings
from paa.core.accounts.users import effective_preferences
from paa.core.changes import latest_id
from paa.db.models import User


def data_version(session: Session, user: User, loaded: LoadedSettings, clock: Clock) -> tuple[int, date]:
    """The user's newest change-feed id and their current habit day (zone and day-start hour).

    Both reads name the user, so a plain session (no isolation guard, one query each) is enough: it is run
    before every cached read and must stay cheap.
    """
    assert user.id is not None
    prefs = effective_preferences(session, user, loaded)
    return latest_id(session, user.id), habit_day(clock.now(), prefs.zone, prefs.day_start_hour)
