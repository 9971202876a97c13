"""The tables of paa. Every user-owned row carries `user_id`; instants are stored in UTC.

Each area's tables live in their own module and are loaded on first use (`from paa.db.models
import Habit` imports only `models.habits`): defining a table costs a few milliseconds, and
everyday commands touch few of them. `load_all()` registers every table, for migrations.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paa.db.models.attachments import Attachment, AttachmentBlob
    from paa.db.models.auth import LoginAttempt, SigningKey
    from paa.db.models.chat import AnalyticsEvent, Conversation, Message
    from paa.db.models.checkins import CheckinPrompt, DailyCheckin
    from paa.db.models.events import ChangeEvent
    from paa.db.models.habits import Habit, HabitLog
    from paa.db.models.idempotency import IdempotencyKey
    from paa.db.models.memory import Memory
    from paa.db.models.reminders import Notification, Reminder, ReminderCursor
    from paa.db.models.users import User, UserAuth, UserPreference

_MODULE_OF: dict[str, str] = {
    "User": "users",
    "UserPreference": "users",
    "UserAuth": "users",
    "LoginAttempt": "auth",
    "SigningKey": "auth",
    "Habit": "habits",
    "HabitLog": "habits",
    "DailyCheckin": "checkins",
    "CheckinPrompt": "checkins",
    "ChangeEvent": "events",
    "IdempotencyKey": "idempotency",
    "Conversation": "chat",
    "Attachment": "attachments",
    "AttachmentBlob": "attachments",
    "Message": "chat",
    "Memory": "memory",
    "AnalyticsEvent": "chat",
    "Notification": "reminders",
    "Reminder": "reminders",
    "ReminderCursor": "reminders",
}
__all__ = [
    "AnalyticsEvent",
    "Attachment",
    "AttachmentBlob",
    "ChangeEvent",
    "CheckinPrompt",
    "Conversation",
    "DailyCheckin",
    "Habit",
    "HabitLog",
    "IdempotencyKey",
    "LoginAttempt",
    "Memory",
    "Message",
    "Notification",
    "Reminder",
    "ReminderCursor",
    "SigningKey",
    "UTCDateTime",
    "User",
    "UserAuth",
    "UserPreference",
    "load_all",
]


def __getattr__(name: str) -> Any:
    if name == "UTCDateTime":
        from paa.db.models.base import UTCDateTime

        return UTCDateTime
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def load_all() -> None:
    """Import every table module, so SQLModel.metadata knows the whole schema."""
    for module in sorted(set(_MODULE_OF.values())):
        importlib.import_module(f"{__name__}.{module}")
