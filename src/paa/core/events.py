"""The internal event interface: reminders and check-in prompts as typed events, and a hub to publish them.

The daemon publishes every reminder it sends here; channel delivery is one subscriber, and an API
server can be another (pushing `habit:reminder` and `checkin:prompt` over a WebSocket).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Literal

EventType = Literal["habit:reminder", "checkin:prompt", "chat:notification"]
EVENT_TYPES: tuple[EventType, ...] = ("habit:reminder", "checkin:prompt", "chat:notification")
KIND_TO_TYPE: dict[str, EventType] = {
    "habit": "habit:reminder",
    "checkin": "checkin:prompt",
    "custom": "chat:notification",
}


@dataclass(frozen=True)
class Delivery:
    """One notification row a process has claimed for an event: it, and only it, sends on `channel`."""

    notification_id: int
    channel: str


@dataclass(frozen=True)
class Event:
    """A reminder that is due now: what to say, about what, and for which due instant."""

    type: EventType
    ref_id: int
    due_at: datetime
    title: str
    body: str
    day: date | None = None
    late: bool = False  # sent after its due time (after a pause, or a retry)
    data: Mapping[str, Any] = field(default_factory=dict)
    deliveries: tuple[Delivery, ...] = ()
    zone: tzinfo | None = None  # the user's zone, to show due_at as they read it; not in to_json (UTC there)
    user_id: int | None = None  # whose reminder it is: the app channel puts it in this user's feed alone

    @property
    def kind(self) -> str:
        return {value: key for key, value in KIND_TO_TYPE.items()}[self.type]

    def local_due(self) -> str:
        """When it was due, in the user's zone and naming it: "Thu 26 Nov 2026 21:00 CET"."""
        return local_stamp(self.due_at, self.zone or UTC)

    def to_json(self) -> dict[str, Any]:
        """The event as pushed to clients (and POSTed by the webhook channel); documented in docs/reminders.md."""
        return {
            "type": self.type,
            "ref_id": self.ref_id,
            "due_at": self.due_at.isoformat(),
            "day": self.day.isoformat() if self.day else None,
            "title": self.title,
            "body": self.body,
            "late": self.late,
            "data": dict(self.data),
        }


def local_stamp(instant: datetime, zone: tzinfo) -> str:
    """An instant as a person reads it: their local date and time, with the zone's name ("... 21:00 CET")."""
    local = instant.astimezone(zone)
    return f"{local:%a %d %b %Y %H:%M} {local.tzname() or local.strftime('%z')}"


Handler = Callable[[Event], None]


class EventHub:
    """Publish/subscribe for events within one process; a failing subscriber never stops the others."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[tuple[Handler, frozenset[str] | None]] = []

    def subscribe(self, handler: Handler, types: Iterable[EventType] | None = None) -> Callable[[], None]:
        """Call `handler` for each published event (of `types` only, when given); returns an unsubscribe function."""
        entry = (handler, None if types is None else frozenset(types))
        with self._lock:
            self._subscribers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subscribers:
                    self._subscribers.remove(entry)

        return unsubscribe

    def publish(self, event: Event) -> list[BaseException]:
        """Hand the event to every interested subscriber, in order; return what the failing ones raised."""
        with self._lock:
            targets = [handler for handler, types in self._subscribers if types is None or event.type in types]
        errors: list[BaseException] = []
        for handler in targets:
            try:
                handler(event)
            except Exception as exc:  # one subscriber's bug must not keep the event from the others
                errors.append(exc)
        return errors
