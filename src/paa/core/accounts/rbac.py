"""Who may do what: roles, admin checks, and the guard that keeps a context's session inside one user's rows.

Core functions scope their own queries by `ctx.user_id`. When accounts exist, `Runtime.context` also installs
`guard` on the session, a second line of defence that holds for any code given that session:

- every ORM read, update and delete of a user-owned table gets `user_id = <acting user>` added to its WHERE
  clause (joins and subqueries included), so another user's rows are simply not there;
- a flush that would insert, change or delete a row of another user, attach a log to another user's habit, a
  message to another user's conversation, or copy another user's message or check-in into memory, is refused
  with PermissionDenied before anything is written.

Plain SQL text (`text(...)`) is not rewritten; the few core functions that use it filter by user themselves,
and the isolation tests in tests/auth/test_isolation.py check every one of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache
from itertools import chain
from typing import TYPE_CHECKING, Any, Literal
from weakref import WeakKeyDictionary

from paa.db.models import (
    AnalyticsEvent,
    Attachment,
    AttachmentBlob,
    CheckinPrompt,
    Conversation,
    DailyCheckin,
    Habit,
    HabitLog,
    IdempotencyKey,
    Memory,
    Message,
    Notification,
    Reminder,
    ReminderCursor,
    User,
    UserPreference,
)
from paa.errors import PermissionDenied

if TYPE_CHECKING:
    from sqlmodel import Session

Role = Literal["admin", "member"]
ROLES: tuple[Role, ...] = ("admin", "member")
# Every table whose rows belong to one user; a new user-owned table must be added here.
OWNED: tuple[type[Any], ...] = (
    Habit, HabitLog, Conversation, Message, DailyCheckin, CheckinPrompt, AnalyticsEvent, Notification,
    Reminder, ReminderCursor, Memory, UserPreference, Attachment, AttachmentBlob, IdempotencyKey,
)  # fmt: skip
OWNED_TABLES = frozenset(model.__tablename__ for model in OWNED)
# A row that points at another user-owned row must point at one of the same user.
PARENTS: dict[type[Any], tuple[str, type[Any]]] = {
    HabitLog: ("habit_id", Habit),
    Message: ("conversation_id", Conversation),
    Attachment: ("message_id", Message),  # its blob is found among the user's own (paa.core.attachments)
}
MEMORY_SOURCES: dict[str, type[Any]] = {"message": Message, "checkin": DailyCheckin, "attachment": Attachment}
GUARD_KEY = "paa_guarded_user"


def is_admin_role(role: str) -> bool:
    return role == "admin"


def check_role(value: str) -> Role:
    role = value.strip().lower()
    if role not in ROLES:
        from paa.errors import InvalidInput

        raise InvalidInput(f"unknown role {value[:20]!r}", hint=f"roles: {', '.join(ROLES)}")
    return role  # type: ignore[return-value]


def require_admin(user: User, *, authenticated: bool, accounts_exist: bool) -> None:
    """Refuse unless `user` is an admin who logged in (or no account exists yet, so there is no one to protect)."""
    if not is_admin_role(user.role) or not user.is_active:
        raise PermissionDenied(f"only an admin can do this; {user.username} is a {user.role}")
    if accounts_exist and not authenticated:
        raise PermissionDenied(
            f"{user.username} is not logged in, so cannot act as an admin", hint="log in with `paa auth login`"
        )


# ---- the session guard -----------------------------------------------------------------------------------


def guard(session: Session, owner: Callable[[], int]) -> None:
    """Keep every ORM read and write of `session` within the rows of the user `owner()` returns."""
    session.info[GUARD_KEY] = owner
    if not _LISTENING:
        _listen()


# The guard's two listeners are on the Session class, once per process, and act on the sessions that carry an owner
# in their `info`: adding listeners to each session cost a twentieth of an API read (bench/api.py).
_LISTENING: list[bool] = []
_LISTEN_LOCK = threading.Lock()


def _listen() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session as OrmSession

    with _LISTEN_LOCK:
        if _LISTENING:
            return
        event.listen(OrmSession, "do_orm_execute", _scope_execution)
        event.listen(OrmSession, "before_flush", _check_flush)
        _LISTENING.append(True)


def _scope_execution(state: Any) -> None:
    owner = state.session.info.get(GUARD_KEY)
    if owner is None:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        if state.is_insert:
            _check_insert(state, owner())
        return
    state.statement = _scoped(state.statement, owner())


def _check_flush(flushing: Session, _context: Any, _instances: Any) -> None:
    owner = flushing.info.get(GUARD_KEY)
    if owner is None:
        return
    user_id = owner()
    with flushing.no_autoflush:
        for row in chain(flushing.new, flushing.dirty, flushing.deleted):
            _check_row(flushing, row, user_id)


def is_guarded(session: Session) -> bool:
    return GUARD_KEY in session.info


# A statement built once and run again and again (the API's hottest reads) gets the same scoped copy each time, so
# SQLAlchemy works out its cache key once, not on every run (the guard had doubled those reads' cost); a few users'
# copies are kept per statement, and they go with it.
_SCOPED: WeakKeyDictionary[Any, dict[int, Any]] = WeakKeyDictionary()
_SCOPED_LOCK = threading.Lock()
SCOPED_USERS_KEPT = 64


def _scoped(statement: Any, user_id: int) -> Any:
    """`statement` with `user_id`'s criteria (`_criteria`), the same object for the same statement and user."""
    with _SCOPED_LOCK:
        kept = _SCOPED.get(statement)
        found = kept.get(user_id) if kept is not None else None
    if found is not None:
        return found
    scoped = statement.options(*_criteria(user_id))
    with _SCOPED_LOCK:
        kept = _SCOPED.setdefault(statement, {})
        if len(kept) >= SCOPED_USERS_KEPT:
            kept.clear()
        kept[user_id] = scoped
    return scoped


@lru_cache(maxsize=1024)
def _criteria(user_id: int) -> tuple[Any, ...]:
    """The options scoping a statement to `user_id`'s rows. Built once per user for the whole process, not per
    session: building them was a sixth of an API read's route (bench/api.py); they are immutable, so sessions
    in different threads share them."""
    from sqlalchemy.orm import with_loader_criteria

    return tuple(
        with_loader_criteria(model, lambda cls: cls.user_id == user_id, include_aliases=True) for model in OWNED
    )


def _denied(row: Any) -> PermissionDenied:
    kind = type(row).__tablename__.replace("_", " ").rstrip("s")
    return PermissionDenied(f"that {kind} belongs to another user", hint="each user sees and changes only their own")


def _check_row(session: Session, row: Any, user_id: int) -> None:
    model = type(row)
    if model not in OWNED:
        return
    if row.user_id != user_id:
        raise _denied(row)
    if row in session.deleted:
        return
    from sqlalchemy import inspect

    history = inspect(row).attrs.user_id.history
    if history.deleted and any(old != user_id for old in history.deleted):
        raise _denied(row)  # a row of another user, given a new owner
    parent = PARENTS.get(model)
    if parent is not None:
        column, parent_model = parent
        parent_id = getattr(row, column)
        if parent_id is not None and session.get(parent_model, parent_id) is None:
            raise _denied(row)
    if model is Memory and row.derived and row.source_id is not None:
        source = MEMORY_SOURCES.get(row.kind)
        if source is not None and session.get(source, row.source_id) is None:
            raise _denied(row)


def _check_insert(state: Any, user_id: int) -> None:
    """A Core or bulk INSERT into a user-owned table must carry the acting user's id."""
    statement = state.statement
    table = getattr(statement, "table", None)
    if table is None or getattr(table, "name", None) not in OWNED_TABLES:
        return
    rows: list[Any] = []
    parameters = state.parameters
    if isinstance(parameters, dict):
        rows.append(parameters)
    elif isinstance(parameters, list | tuple):
        rows.extend(p for p in parameters if isinstance(p, dict))
    values = getattr(statement, "_values", None)
    if values:
        for column, value in values.items():
            if getattr(column, "key", column) == "user_id":
                rows.append({"user_id": getattr(value, "value", value)})
    for row in rows:
        if "user_id" in row and row["user_id"] != user_id:
            raise PermissionDenied(
                f"a {table.name.replace('_', ' ').rstrip('s')} of another user cannot be written here",
                hint="each user sees and changes only their own",
            )
