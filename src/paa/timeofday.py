"""Times of day as people type them (9:30, 09:30, 21:00, 9pm, 9:30 am): the one reader for every caller.

It sits beside config.py, not in core, because the settings check the check-in time and core sits above them.
"""

from __future__ import annotations

import re
from datetime import time
from functools import lru_cache

_TIME = re.compile(r"(\d{1,2})(?::(\d{1,2}))?(?::(\d{2}))?\s*(am|pm)?", re.IGNORECASE)
FORMAT_HINT = "must be a time as HH:MM, e.g. 21:30"
RANGE_HINT = "must be a time between 00:00 and 23:59"


@lru_cache(maxsize=512)
def parse_time_of_day(text: str, *, seconds: bool = False) -> time:
    """Read a time of day: H:MM, or an hour with am/pm; seconds (H:MM:SS) only when `seconds` is true.

    Raises ValueError with a predicate to put after the value's name ("must be a time as HH:MM, ...").
    """
    match = _TIME.fullmatch(text.strip())
    # A bare number ("9") could be a count or a day of the month: an hour alone needs am or pm.
    if match is None or (match.group(3) is not None and not seconds) or match.group(2, 4) == (None, None):
        raise ValueError(FORMAT_HINT)
    hour, minute, second = (int(group or 0) for group in match.group(1, 2, 3))
    suffix = (match.group(4) or "").lower()
    if suffix == "pm" and hour < 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(RANGE_HINT)
    return time(hour, minute, second)


def hhmm(text: str) -> str:
    """A typed time of day in the stored form, HH:MM ("9:05" and "9:05am" both give "09:05")."""
    return parse_time_of_day(text).strftime("%H:%M")
