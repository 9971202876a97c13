"""Isolation: for every core and ai entry point that takes a context, user B cannot see or touch user A's rows.

Alice (A) owns one of everything, each holding the word "alpha"; Bob (B) has one habit. Each case calls one
function as Bob, aimed at Alice's data (her ids, names, objects, days). It passes when

- nothing Bob gets back (result, or error message and hint) mentions "alpha",
- Alice's rows, and every row pointing at them, are byte-for-byte unchanged,
- no row of Bob's holds Alice's text afterwards (nothing copied across),

and a control runs the same call as Alice to show it does reach her data, so a pass is not an accident.

Two modes: `guarded` is the real path (`open_context` as a logged-in Bob, with the session guard of
`paa.core.accounts.rbac`); `scoped` hands Bob's Context to the function on a plain session, so only the function's own
`user_id` filters protect Alice. Holes found in `scoped` mode are marked xfail(strict) with the function to fix;
the guard closes all of them in `guarded` mode.

`test_every_entry_point_has_a_case` keeps this list complete: a new public function taking a Context (or a
Contexts factory) in paa.core, paa.ai or paa.daemon fails it until it gets a case here or a reason to be exempt.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import pkgutil
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from paa.clock import FixedClock
from paa.config import load_settings, resolve_paths
from paa.core.context import Context
from paa.core.storage import open_engine
from paa.db.engine import writer
from paa.db.models import DailyCheckin, Habit, Message, Notification, User
from paa.errors import PaaError
from tests.support.accounts import ALICE_PASSWORD, BOB_PASSWORD
from tests.support.runtime import open_context

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)
MARK = "alpha"
OWNED_TABLES = (
    "habits", "habit_logs", "conversations", "messages", "daily_checkins", "checkin_prompts", "analytics_events",
    "notifications", "reminders", "reminder_cursors", "memories", "user_preferences", "attachments",
    "attachment_blobs", "idempotency_keys",
)  # fmt: skip


# ---- Alice's world, built once and copied for each test -----------------------------------------------------


def _id(value: int | None) -> int:
    """A stored row's id (rows read back from the database always have one)."""
    assert value is not None
    return value


@dataclass
class Alpha:
    """Alice's ids and names, and loaders for her rows as detached objects (what a caller could hold)."""

    home: Path
    alice: int = 0
    bob: int = 0
    run: int = 0
    water: int = 0
    archived: int = 0
    conversation: int = 0
    message: int = 0
    fact: int = 0
    reminder: int = 0
    sending: int = 0
    failed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def _load(self, model: type, ident: int) -> Any:
        engine = open_engine(resolve_paths(_env(self.home)), load_settings(resolve_paths(_env(self.home)), {}))
        try:
            with Session(engine, expire_on_commit=False) as session:
                row = session.get(model, ident)
                assert row is not None
                return row
        finally:
            engine.dispose()

    def habit(self) -> Habit:
        return self._load(Habit, self.run)

    def water_habit(self) -> Habit:
        return self._load(Habit, self.water)

    def message_row(self) -> Message:
        return self._load(Message, self.message)

    def checkin_row(self) -> DailyCheckin:
        return self._load(DailyCheckin, self.extra["checkin"])

    def attachment_row(self) -> Any:
        from paa.db.models import Attachment

        return self._load(Attachment, self.extra["attachment"])


def _env(home: Path, user: str | None = None) -> dict[str, str]:
    env = {"PAA_HOME": str(home), "PAA_TIMEZONE": "UTC", "PAA_KEYRING": "off"}
    if user:
        env["PAA_USER"] = user
    return env


def _build(home: Path) -> Alpha:
    from paa.ai import memory
    from paa.ai import settings as ai_settings
    from paa.ai.store import INSIGHT_EVENT, USAGE_EVENT, add_message, create_conversation, record_event
    from paa.core.accounts.registration import register
    from paa.core.accounts.tokenfile import remember_token
    from paa.core.checkins.entries import Answer, add_prompt, save_checkin
    from paa.core.configuration import set_user_setting
    from paa.core.habits.logs import log_habit
    from paa.core.habits.manage import HabitFields, add_habit, set_archived
    from paa.core.reminders.custom import add_reminder
    from tests.support.runtime import open_auth

    clock = FixedClock(NOW)
    alpha = Alpha(home)
    for name, password in (("alice", ALICE_PASSWORD), ("bob", BOB_PASSWORD)):
        with open_auth(write=True, environ=_env(home), clock=clock) as actx:
            done = register(actx, name, password, display_name="Alpha Person" if name == "alice" else "Bravo")
            remember_token(actx.paths, done.user.username, done.token)
            setattr(alpha, name, done.user.id)
    with open_context(write=True, environ=_env(home, "alice"), clock=clock) as ctx:
        run = add_habit(ctx, HabitFields(name="Alpha Run", remind="07:00"))
        water = add_habit(ctx, HabitFields(name="Alpha Water", unit="glasses", target=8, remind="09:00"))
        gone = add_habit(ctx, HabitFields(name="Alpha Archived"))
        set_archived(ctx, gone, True)
        for back in range(5):
            log_habit(ctx, run, TODAY - timedelta(days=back), note="alpha note")
            log_habit(ctx, water, TODAY - timedelta(days=back), value=3)
        add_prompt(ctx, "Alpha prompt?")
        for back in range(3):
            save_checkin(ctx, TODAY - timedelta(days=back), [Answer("Alpha prompt?", "alpha answer")], mood=4)
        set_user_setting(ctx, "checkin_time", "06:17")
        ai_settings.store_setting(ctx, "assistant_tone", "alpha tone, terse")
        conversation = create_conversation(ctx, "alpha conversation")
        first = add_message(ctx, _id(conversation.id), "user", "alpha message: my knee hurts after running")
        add_message(ctx, _id(conversation.id), "assistant", "alpha reply: rest it", model="m", input_tokens=5,
                    output_tokens=7, tool_calls=[{"name": "log_habit", "input": {"habit": "Alpha Run"}}])  # fmt: skip
        record_event(ctx, USAGE_EVENT, {"conversation_id": conversation.id, "input_tokens": 5, "output_tokens": 7})
        record_event(ctx, INSIGHT_EVENT, {"conversation_id": conversation.id, "topics": ["alpha knee"],
                                          "intents": ["alpha rest"], "source": "local", "messages": 1})  # fmt: skip
        memory.index_message(ctx, first)
        from paa.ai.attachments import index_attachments
        from paa.core import attachments as files

        attached = files.store(ctx, files.classify("alpha notes.txt", b"alpha attachment: knee exercises"),
                               message_id=_id(first.id))  # fmt: skip
        index_attachments(ctx, [attached])
        alpha.extra["attachment"] = attached.id
        alpha.extra["upload"] = files.upload(ctx, files.classify("alpha upload.txt", b"alpha upload text")).id
        fact = memory.remember(ctx, "alpha fact: allergic to peanuts")
        checkin = ctx.session.exec(select(DailyCheckin).where(DailyCheckin.day == TODAY)).one()
        memory.index_checkin(ctx, checkin)
        reminder = add_reminder(ctx, "alpha reminder", cron="0 17 * * *")
        rows = [
            Notification(user_id=ctx.user_id, kind="custom", ref_id=reminder.id, channel="log", title="alpha sending",
                         due_at=NOW - timedelta(minutes=1), status="sending", attempts=1, claimed_by="host:1",
                         claimed_at=NOW - timedelta(minutes=1), created_at=NOW),
            Notification(user_id=ctx.user_id, kind="habit", ref_id=run.id, channel="log", title="alpha failed",
                         due_at=NOW - timedelta(hours=1), status="failed", attempts=1, error="alpha error",
                         next_attempt_at=NOW - timedelta(minutes=5), created_at=NOW),
            Notification(user_id=ctx.user_id, kind="habit", ref_id=water.id, channel="log", title="alpha sent",
                         due_at=NOW - timedelta(hours=2), status="sent", attempts=1, sent_at=NOW, created_at=NOW),
            Notification(user_id=ctx.user_id, kind="custom", ref_id=reminder.id, channel="webhook",
                         title="alpha queued", due_at=NOW - timedelta(minutes=1), status="sending", attempts=1,
                         claimed_by="queued:host:1", claimed_at=NOW, created_at=NOW),
        ]  # fmt: skip
        ctx.session.add_all(rows)
        ctx.session.flush()
        ctx.session.execute(text("UPDATE memories SET embedded_at = '2026-11-26 11:00:00.000000'"))
        alpha.run, alpha.water, alpha.archived = _id(run.id), _id(water.id), _id(gone.id)
        alpha.conversation, alpha.message = _id(conversation.id), _id(first.id)
        alpha.fact, alpha.reminder = _id(fact.id), _id(reminder.id)
        alpha.sending, alpha.failed = _id(rows[0].id), _id(rows[1].id)
        alpha.extra["queued"] = _id(rows[3].id)
        alpha.extra["checkin"] = checkin.id
        from paa.core.idempotency import once

        once(ctx, "key-1", "habit.log", {"habit": 1}, lambda: {"note": "alpha note, as answered"})
    with open_context(write=True, environ=_env(home, "bob"), clock=clock) as ctx:
        add_habit(ctx, HabitFields(name="Bravo Walk"))
    return alpha


@pytest.fixture(scope="session")
def alpha_template(tmp_path_factory: pytest.TempPathFactory) -> Alpha:
    import paa.ai.memory

    original = paa.ai.memory.MemoryService.vector_index
    no_vectors = lambda _service, **_options: None  # noqa: E731  # vectors: covered by tests/ai/test_memory.py
    paa.ai.memory.MemoryService.vector_index = no_vectors  # type: ignore[method-assign, assignment]
    try:
        return _build(tmp_path_factory.mktemp("alpha") / "home")
    finally:
        paa.ai.memory.MemoryService.vector_index = original  # type: ignore[method-assign]


@pytest.fixture
def alpha(alpha_template: Alpha, paa_home: Path, monkeypatch: pytest.MonkeyPatch) -> Alpha:
    """A fresh copy of Alice's world in this test's PAA_HOME."""
    shutil.copytree(alpha_template.home, paa_home)
    monkeypatch.setattr("paa.ai.memory.MemoryService.vector_index", lambda _self, **_options: None)
    for name, value in _env(paa_home).items():
        monkeypatch.setenv(name, value)
    copy = Alpha(paa_home, **{k: v for k, v in alpha_template.__dict__.items() if k != "home"})
    return copy


# ---- acting as a user, in each mode --------------------------------------------------------------------------


@contextmanager
def _scoped(home: Path, user_id: int, write: bool) -> Iterator[Context]:
    """Bob's Context on a plain session: only the function's own filters stand between him and Alice."""
    from paa.core.accounts.users import effective_preferences

    paths = resolve_paths(_env(home))
    loaded = load_settings(paths, _env(home))
    engine = open_engine(paths, loaded)
    try:
        with Session(writer(engine) if write else engine, expire_on_commit=False) as session:
            user = session.get(User, user_id)
            assert user is not None
            yield Context(session, user, FixedClock(NOW), loaded, paths, effective_preferences(session, user, loaded))
            if write:
                session.commit()
    finally:
        engine.dispose()


def contexts_for(alpha: Alpha, who: str, mode: str) -> Callable[..., AbstractContextManager[Context]]:
    def factory(*, write: bool = False) -> AbstractContextManager[Context]:
        if mode == "guarded":
            return open_context(write=write, environ=_env(alpha.home, who), clock=FixedClock(NOW))
        return _scoped(alpha.home, alpha.alice if who == "alice" else alpha.bob, write)

    return factory


# ---- what must hold ------------------------------------------------------------------------------------------


def _rows(alpha: Alpha, user_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """The user's rows in every owned table, sealed columns as their plain text: a copy of Alice's words must be
    found however it is stored, and a sealed value's random letters must not be taken for her mark (a ciphertext
    once held "CjaLPHaH")."""
    with sqlite3.connect(alpha.home / "paa.db") as conn:
        query = "SELECT * FROM {} WHERE user_id = ? ORDER BY rowid"
        found = {table: _opened(alpha, table, conn.execute(query.format(table), (user_id,))) for table in OWNED_TABLES}
        found["users"] = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchall()
        found["user_auth"] = conn.execute(
            "SELECT id, kind, secret_hash, revoked_at FROM user_auth WHERE user_id = ? ORDER BY id", (user_id,)
        ).fetchall()
        # Rows of anyone that point at this user's rows (a log on her habit, a message in her conversation).
        found["pointing"] = conn.execute(
            "SELECT 'log', id, user_id FROM habit_logs WHERE habit_id IN (SELECT id FROM habits WHERE user_id = ?)"
            " UNION ALL SELECT 'message', id, user_id FROM messages"
            " WHERE conversation_id IN (SELECT id FROM conversations WHERE user_id = ?)",
            (user_id, user_id),
        ).fetchall()
    return found


def _opened(alpha: Alpha, table: str, cursor: sqlite3.Cursor) -> list[tuple[Any, ...]]:
    from paa.core.encryption import load_keys
    from paa.db.sealed import SEALED_COLUMNS, is_sealed, unseal

    columns = [column[0] for column in cursor.description]
    rows = cursor.fetchall()
    sealed = [i for i, column in enumerate(columns) if (table, column) in SEALED_COLUMNS]
    if not sealed or not any(is_sealed(row[i]) for row in rows for i in sealed):
        return rows
    keys = load_keys(resolve_paths(_env(alpha.home)), None)
    return [
        tuple(unseal(keys, value, table, columns[i]) if i in sealed and is_sealed(value) else value
              for i, value in enumerate(row))
        for row in rows
    ]  # fmt: skip


def _digest(alpha: Alpha) -> str:
    return hashlib.sha256(repr(_rows(alpha, alpha.alice)).encode()).hexdigest()


def _render(value: Any) -> str:
    if isinstance(value, PaaError):
        return f"{type(value).__name__}: {value.message} / {value.hint}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_render(item) for item in value) + "]"
    to_json = getattr(value, "to_json", None)
    return f"{value!r} {to_json() if callable(to_json) else ''}"


def attempt(thunk: Callable[[], Any]) -> Any:
    """The result of a call, or the PaaError it raised (a refusal is an acceptable answer)."""
    try:
        return thunk()
    except PaaError as exc:
        return exc


Call = Callable[[Any, Alpha], Any]  # a Context, or a Contexts factory for a case with `contexts`


@dataclass(frozen=True)
class Case:
    """One entry point: how Bob calls it against Alice's data, and how Alice's own call shows it reaches her."""

    name: str
    call: Call
    write: bool = False
    check: Callable[[Any], bool] | None = None  # extra condition on Bob's result (default: none)
    owner: str = "sees"  # the control: "sees" (her call's result mentions alpha), "changes" (her rows change),
    #                      "refused" (her call raises), "none" (nothing to show: the function has no user data)
    owner_check: Callable[[Any], bool] | None = None  # a custom control on her result instead of the above
    contexts: bool = False  # the function takes a Contexts factory instead of a Context
    holes: tuple[str, ...] = ()  # modes with a known hole: the case is xfail(strict) there
    hole: str = ""
    view: Callable[[Any], Any] | None = None  # the part of the result to look at (leaving out an object Bob passed)
    passed: tuple[str, ...] = ()  # text of the object Bob passed in, which the result may echo back


def _run(case: Case, alpha: Alpha, who: str, mode: str) -> tuple[Any, str]:
    """Run a case as `who`; return its outcome (result or PaaError) and the rendering of it."""
    if case.contexts:
        outcome = attempt(lambda: case.call(contexts_for(alpha, who, mode), alpha))  # type: ignore[arg-type]
    else:
        try:
            with contexts_for(alpha, who, mode)(write=case.write) as ctx:
                outcome = case.call(ctx, alpha)
                rendered = _render(case.view(outcome) if case.view else outcome)  # while the session is open
        except PaaError as exc:
            outcome = exc
            rendered = _render(exc)
        else:
            return outcome, _strip(rendered, case.passed)
    return outcome, _strip(_render(outcome), case.passed)


def _strip(rendered: str, passed: tuple[str, ...]) -> str:
    for echo in passed:
        rendered = rendered.replace(echo, "<passed>")
    return rendered


def _bob_holds_alpha(alpha: Alpha) -> list[str]:
    rows = _rows(alpha, alpha.bob)
    return [f"{table}: {row}" for table, found in rows.items() if table != "users" for row in found
            if MARK in repr(row).lower()]  # fmt: skip


# ---- the cases -------------------------------------------------------------------------------------------------

PERIOD = "30d"


def _period() -> Any:
    from paa.core.analytics.periods import parse_period

    return parse_period(PERIOD)


def _empty(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_empty(v) for v in value.values())
    return not value


def _bravo_export() -> str:
    """A paa export with a check-in on a day Alice has one: Bob's import must look at his own days only."""
    import json

    stamp = NOW.isoformat()
    habit = {"name": "Bravo Swim", "created_at": stamp, "updated_at": stamp,
             "logs": [{"day": TODAY.isoformat(), "status": "done", "created_at": stamp, "updated_at": stamp}]}
    checkin = {"day": TODAY.isoformat(), "mood": 2, "created_at": stamp, "updated_at": stamp}
    return json.dumps({"format": "paa-export", "version": 1, "paa_version": "test", "exported_at": stamp,
                       "user": {"username": "bravo", "created_at": stamp}, "habits": [habit], "checkins": [checkin]})


def _bravo_history() -> Any:
    """A file of one conversation, as read (the same for both callers: each gets a conversation of their own)."""
    from paa.core.dataio.conversations import History, HistoryConversation, HistoryMessage

    said = HistoryMessage("m1", "user", "Bravo", NOW - timedelta(days=400), "bravo imported message")
    return History("jsonl", [HistoryConversation("bravo-trip", "bravo trip", [said])])


def _hit_on(message_id: int) -> Any:
    """A search hit naming a message by id (as a caller could make up)."""
    from paa.ai.memory import MemoryHit

    return MemoryHit(0, "message", "bravo hit", 1.0, NOW, message_id)


def _cases() -> list[Case]:
    from paa.ai import attachments as ai_attachments
    from paa.ai import background, checkin_ai, insights, memory, recall, store, tools
    from paa.ai import chat as ai_chat
    from paa.ai import checkins as ai_checkins
    from paa.ai import context as ai_context
    from paa.ai import history as ai_history
    from paa.ai import reminders as ai_reminders
    from paa.ai import settings as ai_settings
    from paa.core import attachments as files
    from paa.core import configuration
    from paa.core.analytics import load, reports
    from paa.core.checkins import entries as checkins
    from paa.core.checkins.entries import Answer
    from paa.core.dataio import export as data_export
    from paa.core.dataio import importing as data_import
    from paa.core.habits import logs, overview
    from paa.core.habits import manage as habits
    from paa.core.habits.manage import HabitFields
    from paa.core.idempotency import once
    from paa.core.reminders import channels, custom, outbox, sources, upcoming
    from paa.daemon import files as daemon_files

    start = TODAY - timedelta(days=29)
    cases = [
        # paa.core.habits.manage
        Case(
            "paa.core.habits.manage.add_habit",
            lambda c, a: habits.add_habit(c, HabitFields(name="Bravo Run")),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.habits.manage.edit_habit",
            lambda c, a: habits.edit_habit(c, a.habit(), HabitFields(name="Bravo Took It")),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.habits.manage.owned",
            lambda c, a: habits.owned(c, a.habit()),
            write=False,
            owner="sees",
        ),
        Case(
            "paa.core.habits.manage.set_archived",
            lambda c, a: habits.set_archived(c, a.habit(), True),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.habits.manage.delete_habit",
            lambda c, a: habits.delete_habit(c, a.habit()),
            write=True,
            owner="changes",
        ),
        Case("paa.core.habits.manage.list_habits", lambda c, a: habits.list_habits(c, include_archived=True)),
        Case(
            "paa.core.habits.manage.resolve_habit",
            lambda c, a: [
                attempt(partial(habits.resolve_habit, c, ref)) for ref in (str(a.run), "water", "Run", "alp")
            ],
        ),
        # paa.core.habits.logs
        Case(
            "paa.core.habits.logs.log_habit",
            lambda c, a: logs.log_habit(c, a.habit(), TODAY - timedelta(days=9)),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.habits.logs.skip_habit",
            lambda c, a: logs.skip_habit(c, a.habit(), TODAY - timedelta(days=9)),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.habits.logs.unlog_habit",
            lambda c, a: logs.unlog_habit(c, a.habit(), TODAY),
            write=True,
            owner="changes",
            passed=("Alpha Run",),
        ),
        # paa.core.idempotency: Alice's key is unknown to Bob; his request with it is his own new write
        Case(
            "paa.core.idempotency.once",
            lambda c, a: once(c, "key-1", "habit.log", {"habit": 1}, lambda: {"bravo": "written"}),
            write=True,
            check=lambda outcome: not outcome.replayed and outcome.result == {"bravo": "written"},
        ),
        Case("paa.core.habits.logs.history", lambda c, a: logs.history(c, a.habit()), check=_empty, owner_check=bool),
        Case(
            "paa.core.habits.logs.entries_by_habit",
            lambda c, a: logs.entries_by_habit(c, [a.run, a.water]),
            check=_empty,
            owner_check=lambda r: not _empty(r),
        ),
        # paa.core.habits.overview
        Case(
            "paa.core.habits.overview.statuses",
            lambda c, a: overview.statuses(c, [a.habit()]),
            view=lambda r: [(s.state, s.entry, s.streaks) for s in r],
            check=lambda r: r[0].entry is None,
            owner_check=lambda r: r[0].entry is not None,
        ),
        Case(
            "paa.core.habits.overview.detail",
            lambda c, a: overview.detail(c, a.habit()),
            view=lambda r: (r.recent, r.total_done, r.rates, r.last_done),
            check=lambda r: r.total_done == 0 and r.last_done is None,
            owner_check=lambda r: r.total_done == 5,
        ),
        Case(
            "paa.core.habits.overview.logged_days",
            lambda c, a: overview.logged_days(c, a.habit(), logs.history(c, a.habit())),
            view=lambda r: [(d.log.day, d.log.value, d.state) for d in r],
            check=_empty,
            owner_check=bool,
        ),
        # paa.core.checkins.entries
        Case("paa.core.checkins.entries.list_prompts", lambda c, a: checkins.list_prompts(c)),
        Case(
            "paa.core.checkins.entries.add_prompt",
            lambda c, a: checkins.add_prompt(c, "Bravo?"),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.checkins.entries.remove_prompt",
            lambda c, a: checkins.remove_prompt(c, "Alp"),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.checkins.entries.reorder_prompts",
            lambda c, a: checkins.reorder_prompts(c, [2, 1]),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.checkins.entries.move_prompt",
            lambda c, a: checkins.move_prompt(c, checkins.list_prompts(c)[1].text, 1),
            write=True,
            owner="changes",
        ),
        Case("paa.core.checkins.entries.find_checkin", lambda c, a: checkins.find_checkin(c, TODAY)),
        Case("paa.core.checkins.entries.get_checkin", lambda c, a: checkins.get_checkin(c, TODAY)),
        Case("paa.core.checkins.entries.list_checkins", lambda c, a: checkins.list_checkins(c)),
        Case("paa.core.checkins.entries.prompts_for", lambda c, a: checkins.prompts_for(c, None)),
        Case(
            "paa.core.checkins.entries.reflect",
            lambda c, a: checkins.reflect(c, TODAY + timedelta(days=1), 3),
            check=lambda r: r.week_checkins == 0,
            owner_check=lambda r: r.week_checkins == 3,
        ),
        Case(
            "paa.core.checkins.entries.save_checkin",
            lambda c, a: checkins.save_checkin(c, TODAY, [Answer("Q?", "bravo")], mood=3),
            write=True,
            owner="refused",
        ),
        Case(
            "paa.core.checkins.entries.edit_checkin",
            lambda c, a: checkins.edit_checkin(c, TODAY, mood=1),
            write=True,
            owner="changes",
        ),
        # paa.ai.checkins: saving through core, then indexing for memory
        Case(
            "paa.ai.checkins.save",
            lambda c, a: ai_checkins.save(c, TODAY, [Answer("Q?", "bravo")], mood=3),
            write=True,
            owner="refused",
        ),
        Case("paa.ai.checkins.edit", lambda c, a: ai_checkins.edit(c, TODAY, mood=1), write=True, owner="changes"),
        Case(
            "paa.ai.checkins.save_whole",
            lambda c, a: ai_checkins.save_whole(c, TODAY, [Answer("Q?", "bravo")], mood=3, energy=None),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.ai.checkins.answer_follow_up",
            lambda c, a: ai_checkins.answer_follow_up(c, TODAY, "Q?", "bravo"),
            write=True,
            owner="changes",
        ),
        # paa.core.configuration
        Case(
            "paa.core.configuration.current_settings",
            lambda c, a: configuration.current_settings(c),
            check=lambda r: "06:17" not in repr(r),
            owner_check=lambda r: "06:17" in repr(r),
        ),
        Case(
            "paa.core.configuration.set_user_setting",
            lambda c, a: configuration.set_user_setting(c, "checkin_time", "07:00"),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.configuration.unset_user_setting",
            lambda c, a: configuration.unset_user_setting(c, "checkin_time"),
            write=True,
            owner="changes",
        ),
        # paa.core.reminders.sources, custom, upcoming and outbox
        Case("paa.core.reminders.sources.load_sources", lambda c, a: sources.load_sources(c)),
        Case("paa.core.reminders.sources.source_rows", lambda c, a: sources.source_rows(c)),
        Case(
            "paa.core.reminders.custom.add_reminder",
            lambda c, a: custom.add_reminder(c, "bravo reminder", cron="0 8 * * *"),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.reminders.custom.remove_reminder",
            lambda c, a: custom.remove_reminder(c, str(a.reminder)),
            write=True,
            owner="changes",
        ),
        Case("paa.core.reminders.custom.reminders_overview", lambda c, a: custom.reminders_overview(c, history=20)),
        Case("paa.core.reminders.upcoming.upcoming", lambda c, a: upcoming.upcoming(c, NOW, 3)),
        Case("paa.core.reminders.upcoming.agenda", lambda c, a: upcoming.agenda(c, NOW, 3)),
        Case("paa.core.reminders.outbox.notification_history", lambda c, a: outbox.notification_history(c)),
        Case(
            "paa.core.reminders.channels.user_channels",
            lambda c, a: channels.user_channels(c),
            check=lambda found: found == ["app"],  # the install's channels are the owner's, never another user's
            owner="none",
        ),
        Case(
            "paa.core.reminders.outbox.claim_due",
            lambda c, a: outbox.claim_due(c, ["log"], "host:2"),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.reminders.outbox.record_results",
            lambda c, a: outbox.record_results(c, [outbox.DeliveryResult(a.sending, ok=True)], "host:1"),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.reminders.outbox.next_retry_at",
            lambda c, a: outbox.next_retry_at(c),
            check=lambda r: r is None,
            owner_check=lambda r: r is not None,
        ),
        Case(
            "paa.core.reminders.outbox.take_queued",
            lambda c, a: outbox.take_queued(c, a.extra["queued"], "host:3"),
            check=lambda r: r is None,
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.reminders.outbox.release_claims",
            lambda c, a: outbox.release_claims(c, "host:1"),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.reminders.custom.edit_reminder",
            lambda c, a: custom.edit_reminder(c, str(a.reminder), text="bravo took it"),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.reminders.custom.snooze_reminder",
            lambda c, a: custom.snooze_reminder(c, f"habit:{a.run}", "15m"),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.reminders.custom.done_reminder",
            lambda c, a: custom.done_reminder(c, str(a.reminder)),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.reminders.outbox.last_notification_due",
            lambda c, a: outbox.last_notification_due(c, "habit", a.run),
            check=lambda r: r is None,
            owner_check=lambda r: r is not None,
        ),
        Case(
            "paa.core.reminders.outbox.snooze_notification",
            lambda c, a: outbox.snooze_notification(
                c, "habit", a.run, NOW - timedelta(hours=1), NOW + timedelta(hours=1)
            ),
            write=True,
            check=lambda r: r == 0,
            owner="changes",
        ),
        Case(
            "paa.core.reminders.outbox.waiting_snooze",
            lambda c, a: outbox.waiting_snooze(c, "habit", a.run),
            check=lambda r: r is None,
            owner="none",
        ),
        Case(
            "paa.core.reminders.outbox.snooze_next",
            lambda c, a: outbox.snooze_next(c, "custom", a.reminder, timedelta(minutes=15)),
            write=True,
            check=lambda r: r is None,
            owner="changes",
        ),
        Case(
            "paa.core.reminders.outbox.mark_done",
            lambda c, a: outbox.mark_done(c, sources.load_sources(c), "custom", a.reminder, "bravo", "bravo"),
            write=True,
            owner="changes",
        ),
        # paa.daemon.files: the daemon's status reads the acting user's notifications and reminders
        Case("paa.daemon.files.daemon_status", lambda c, a: daemon_files.daemon_status(c)),
        # paa.core.analytics.reports
        Case("paa.core.analytics.reports.as_of_day", lambda c, a: reports.as_of_day(c, None), owner="none"),
        Case(
            "paa.core.analytics.reports.habit_report", lambda c, a: reports.habit_report(c, "water", TODAY, _period())
        ),
        Case("paa.core.analytics.reports.overview", lambda c, a: reports.overview(c, TODAY, _period())),
        Case(
            "paa.core.analytics.reports.engagement_report",
            lambda c, a: reports.engagement_report(c, TODAY, _period()),
            check=lambda r: r.logs == 0 and r.checkins == 0 and r.all_messages == 0,
            owner_check=lambda r: r.logs == 10 and r.checkins == 3 and r.all_messages == 2,
        ),
        Case(
            "paa.core.analytics.reports.habit_heatmap", lambda c, a: reports.habit_heatmap(c, "water", TODAY, _period())
        ),
        Case(
            "paa.core.analytics.reports.overall_heatmap",
            lambda c, a: reports.overall_heatmap(c, TODAY, _period()),
            check=lambda r: not any(cell.rate for cell in r.cells),
            owner_check=lambda r: any(cell.rate for cell in r.cells),
        ),
        Case("paa.core.analytics.reports.export", lambda c, a: reports.export(c, TODAY, _period())),
        # paa.core.dataio: an export holds the acting user's rows only; an import lands in the acting account only
        Case(
            "paa.core.dataio.export.export_user",
            lambda c, a: data_export.document_json(data_export.export_user(c, paa_version="test")),
        ),
        Case(
            "paa.core.dataio.importing.import_document",
            lambda c, a: data_import.import_document(c, data_import.read_document(_bravo_export())).to_json(),
            write=True,
            check=lambda r: r["added"]["checkins"] == 1 and r["added"]["logs"] == 1,
            owner="changes",
        ),
        # paa.core.analytics.load
        Case(
            "paa.core.analytics.load.read_entries",
            lambda c, a: load.read_entries(c, [a.run, a.water], TODAY),
            check=_empty,
            owner_check=lambda r: not _empty(r),
        ),
        Case(
            "paa.core.analytics.load.read_log_counts",
            lambda c, a: load.read_log_counts(c, start, TODAY),
            check=_empty,
            owner_check=lambda r: not _empty(r),
        ),
        Case(
            "paa.core.analytics.load.read_first_log_day",
            lambda c, a: load.read_first_log_day(c, TODAY),
            check=lambda r: r is None,
            owner_check=lambda r: r is not None,
        ),
        Case(
            "paa.core.analytics.load.read_conversation_topics",
            lambda c, a: load.read_conversation_topics(c, start, TODAY),
            check=lambda r: r.conversations == 0 and not r.topics,
            owner_check=lambda r: r.conversations == 1 and "alpha knee" in str(r.topics),
        ),
        Case(
            "paa.core.analytics.load.read_checkins",
            lambda c, a: load.read_checkins(c, start, TODAY),
            check=_empty,
            owner_check=bool,
        ),
        Case(
            "paa.core.analytics.load.read_checkin_days",
            lambda c, a: load.read_checkin_days(c, TODAY),
            check=_empty,
            owner_check=bool,
        ),
        Case(
            "paa.core.analytics.load.read_message_days",
            lambda c, a: load.read_message_days(c, start, TODAY),
            check=_empty,
            owner_check=bool,
        ),
        # paa.ai.store
        Case(
            "paa.ai.store.create_conversation",
            lambda c, a: store.create_conversation(c, "bravo"),
            write=True,
            owner="changes",
        ),
        Case("paa.ai.store.get_conversation", lambda c, a: store.get_conversation(c, a.conversation)),
        Case(
            "paa.ai.store.add_message",
            lambda c, a: store.add_message(c, a.conversation, "user", "bravo"),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.ai.store.record_event",
            lambda c, a: store.record_event(c, "bravo", {"x": 1}),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.ai.store.conversation_events",
            lambda c, a: store.conversation_events(c, store.USAGE_EVENT, a.conversation),
            check=_empty,
            owner_check=bool,
        ),
        Case(
            "paa.ai.store.latest_conversation_id",
            lambda c, a: store.latest_conversation_id(c),
            check=lambda r: r is None,
            owner_check=lambda r: r is not None,
        ),
        Case("paa.ai.store.list_conversations", lambda c, a: store.list_conversations(c)),
        Case("paa.ai.store.conversation_detail", lambda c, a: store.conversation_detail(c, a.conversation)),
        Case("paa.ai.store.messages_of", lambda c, a: store.messages_of(c, a.conversation)),
        Case("paa.ai.store.search_messages", lambda c, a: store.search_messages(c, "knee hurts")),
        Case(
            "paa.ai.store.delete_conversation",
            lambda c, a: store.delete_conversation(c, a.conversation),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.ai.store.usage_totals",
            lambda c, a: (store.usage_totals(c, a.conversation), store.usage_totals(c, None)),
            check=lambda r: r[0].calls == 0 and r[1].calls == 0,
            owner_check=lambda r: r[1].calls == 1,
        ),
        Case(
            "paa.ai.store.message_views",
            lambda c, a: store.message_views(c, [a.message_row()]),
            view=lambda r: [m.attachments for m in r],
            check=lambda r: r[0].attachments == (),
        ),
        # paa.core.attachments and paa.ai.attachments
        Case(
            "paa.core.attachments.store",
            lambda c, a: files.store(c, files.classify("bravo.txt", b"bravo"), message_id=a.message),
            write=True,
            owner="changes",
        ),
        Case(
            "paa.core.attachments.upload",
            lambda c, a: files.upload(c, files.classify("bravo.txt", b"bravo")),
            write=True,
            owner="changes",
        ),
        Case("paa.core.attachments.get_attachment", lambda c, a: files.get_attachment(c, a.extra["attachment"])),
        Case("paa.core.attachments.pending_uploads", lambda c, a: files.pending_uploads(c, [a.extra["upload"]])),
        Case(
            "paa.core.attachments.claim_uploads",
            lambda c, a: files.claim_uploads(c, [a.extra["upload"]], a.message),
            write=True,
            owner="changes",
        ),
        Case("paa.core.attachments.read_bytes", lambda c, a: files.read_bytes(c, a.attachment_row())),
        Case(
            "paa.core.attachments.attachments_of",
            lambda c, a: files.attachments_of(c, [a.message]),
            check=_empty,
        ),
        Case(
            "paa.core.attachments.delete_attachments",
            lambda c, a: files.delete_attachments(c, [a.extra["attachment"], a.extra["upload"]]),
            write=True,
            check=lambda r: r == 0,
            owner="changes",
        ),
        Case(
            "paa.ai.attachments.history_blocks",
            lambda c, a: ai_attachments.history_blocks(c, [a.message_row()]),
            check=_empty,
        ),
        Case(
            "paa.ai.attachments.names_of",
            lambda c, a: ai_attachments.names_of(c, a.message),
            check=lambda r: r == (),
        ),
        Case(
            "paa.ai.attachments.index_attachments",  # Alice's file is indexed already: Bob's call must add nothing
            lambda c, a: ai_attachments.index_attachments(c, [a.attachment_row()]),
            write=True,
            check=lambda r: r == 0,
            owner="none",
        ),
        Case(
            "paa.ai.attachments.forget_attachments",
            lambda c, a: ai_attachments.forget_attachments(c, [a.extra["attachment"]]),
            write=True,
            owner="changes",
        ),
        # paa.ai.memory and paa.ai.recall
        Case("paa.ai.memory.remember", lambda c, a: memory.remember(c, "bravo fact"), write=True, owner="changes"),
        Case("paa.ai.memory.get_memory", lambda c, a: memory.get_memory(c, a.fact)),
        Case("paa.ai.memory.forget", lambda c, a: memory.forget(c, a.fact), write=True, owner="changes"),
        Case("paa.ai.memory.list_memories", lambda c, a: memory.list_memories(c)),
        Case(
            "paa.ai.memory.index_message",
            lambda c, a: memory.index_message(c, a.message_row()),
            write=True,
            owner="none",
        ),
        Case(
            "paa.ai.memory.index_messages",
            lambda c, a: memory.index_messages(c, [a.message_row()]),
            write=True,
            check=lambda r: r == 0,
            owner="none",
        ),
        Case(
            "paa.ai.memory.index_checkin",
            lambda c, a: memory.index_checkin(c, a.checkin_row()),
            write=True,
            owner="none",
        ),
        Case(
            "paa.ai.memory.index_checkin_of",  # Alice checked in today; Bob's call must not index her row
            lambda c, a: memory.index_checkin_of(c, TODAY),
            write=True,
            owner="none",
        ),
        Case("paa.ai.memory.sync_sources", lambda c, a: memory.sync_sources(c), write=True, owner="none"),
        Case("paa.ai.memory.search", lambda c, a: memory.search(c, "peanuts knee running")),
        Case(
            "paa.ai.memory.memory_status",
            lambda c, a: memory.memory_status(c),
            check=lambda r: r.total == 0,
            owner_check=lambda r: r.total == 4,  # a message, a check-in, a fact, a page of a file
        ),
        Case("paa.ai.memory.embed_pending", lambda c, a: memory.embed_pending(c), write=True, owner="none"),
        Case("paa.ai.memory.reset_vectors", lambda c, a: memory.reset_vectors(c), write=True, owner="changes"),
        Case("paa.ai.memory.requeue_missing_vectors", lambda c, a: memory.requeue_missing_vectors(c), owner="none"),
        Case("paa.ai.memory.warm_up", lambda c, a: memory.warm_up(c), owner="none"),
        Case("paa.ai.memory.start_indexer", lambda c, a: memory.start_indexer(c), owner="none"),
        Case("paa.ai.recall.search", lambda c, a: recall.search(c, "peanuts knee running")),
        # recall.remember, forget, get_memory and index_* are paa.ai.memory's own functions, covered above.
        Case("paa.ai.recall.warm_up", lambda c, a: recall.warm_up(c), owner="none"),
        Case(
            "paa.ai.history.import_history",
            lambda c, a: ai_history.import_history(c, _bravo_history()),
            write=True,
            check=lambda r: r.messages_added == 1 and r.conversations_existing == 0,
            owner="changes",
        ),
        Case(
            "paa.ai.history.with_sources",
            lambda c, a: ai_history.with_sources(c, [_hit_on(a.message)]),
            check=lambda r: r[0].conversation_id is None and r[0].text == "bravo hit",
        ),
        # paa.ai.reminders, settings, context, insights
        Case(
            "paa.ai.reminders.add",
            lambda c, a: ai_reminders.add(c, {"text": "bravo", "time": "08:00"}),
            write=True,
            owner="changes",
        ),
        Case("paa.ai.reminders.listing", lambda c, a: ai_reminders.listing(c, {})),
        Case("paa.ai.settings.setting", lambda c, a: ai_settings.setting(c, "assistant_tone")),
        Case(
            "paa.ai.settings.store_setting",
            lambda c, a: ai_settings.store_setting(c, "assistant_tone", "bravo tone"),
            write=True,
            owner="changes",
        ),
        Case("paa.ai.settings.load", lambda c, a: ai_settings.load(c)),
        Case(
            "paa.ai.context.build_turn_context",
            lambda c, a: ai_context.build_turn_context(c, "knee peanuts run water", tone="t", budget_tokens=4000).text,
        ),
        Case(
            "paa.ai.chat.context_preview",
            lambda c, a: [
                attempt(partial(ai_chat.context_preview, c, "knee peanuts", a.conversation)),
                ai_chat.context_preview(c, "knee peanuts run water"),
            ],
        ),
        Case(
            "paa.ai.insights.local_insight",
            lambda c, a: insights.local_insight(c, a.conversation),
            check=lambda r: r.messages == 0,
            owner_check=lambda r: r.messages == 2,
        ),
        Case(
            "paa.ai.insights.stored_insight",
            lambda c, a: insights.stored_insight(c, a.conversation),
            check=lambda r: r is None,
            owner_check=lambda r: r is not None and "alpha knee" in r.topics,
        ),
        Case(
            "paa.ai.insights.record_insight",
            lambda f, a: insights.record_insight(f, a.conversation),
            contexts=True,
            owner="changes",
        ),
        Case(
            "paa.ai.background.call",
            lambda f, a: background.call(
                f, _provider(), "system", "prompt", purpose="test", conversation_id=a.conversation
            ),
            contexts=True,
            owner="changes",
        ),
        Case(
            "paa.ai.background.summarise",
            lambda f, a: background.summarise(f, _provider(), None, [], conversation_id=a.conversation),
            contexts=True,
            owner="changes",
        ),
        Case(
            "paa.ai.checkin_ai.after_checkin",
            lambda f, a: checkin_ai.after_checkin(f, _provider(), TODAY),
            contexts=True,
            owner="changes",
        ),
        Case(
            "paa.ai.checkin_ai.keep_follow_up",
            lambda f, a: attempt(
                partial(checkin_ai.keep_follow_up, f, checkin_ai.CheckinInsight(TODAY, None, None, "Why?", None))
            ),
            contexts=True,
            owner="changes",
        ),
        Case("paa.ai.chat.ChatSession", _chat, contexts=True, owner_check=lambda r: MARK in r.lower()),
        Case("paa.ai.tools.ToolRunner", _tool_runner, contexts=True, owner="changes"),
    ]
    tool_args: dict[str, Callable[[Alpha], dict[str, Any]]] = {
        "list_habits": lambda a: {"include_archived": True},
        "log_habit": lambda a: {"habit": "water", "value": 1},
        "skip_habit": lambda a: {"habit": str(a.run), "date": "yesterday"},
        "unlog_habit": lambda a: {"habit": "run"},
        "create_habit": lambda a: {"name": "Bravo Swim"},
        "edit_habit": lambda a: {"habit": str(a.run), "name": "Bravo Took It"},
        "archive_habit": lambda a: {"habit": "water"},
        "delete_habit": lambda a: {"habit": "water"},
        "habit_analytics": lambda a: {"habit": "water"},
        "overall_analytics": lambda a: {},
        "record_checkin": lambda a: {"mood": 2, "answers": [{"answer": "bravo"}], "mode": "append"},
        "search_memory": lambda a: {"query": "peanuts knee"},
        "remember": lambda a: {"content": "bravo fact"},
        "forget": lambda a: {"memory_id": a.fact},
        "add_reminder": lambda a: {"text": "bravo", "time": "08:00"},
        "list_reminders": lambda a: {},
        "get_preferences": lambda a: {},
        "set_preference": lambda a: {"key": "checkin_time", "value": "07:30"},
    }
    readers = {"list_habits", "habit_analytics", "overall_analytics", "search_memory", "list_reminders",
               "get_preferences"}  # fmt: skip
    declared = tools.registry()
    for name, args in tool_args.items():
        function, tool = getattr(tools, name), declared[name]
        cases.append(
            Case(
                f"paa.ai.tools.{name}",
                _tool_call(function, args, tool),
                write=name not in readers,
                owner="sees" if name in readers else "changes",
            )
        )
    return cases


def _tool_call(function: Callable[..., Any], args: Callable[[Alpha], dict[str, Any]], tool: Any) -> Call:
    """Bob's call of one tool function, with its arguments read through the tool's declared model."""
    return lambda c, a: function(c, tool.read(args(a)))


def _provider() -> Any:
    from tests.support.scripted import ScriptedProvider, Turn

    return ScriptedProvider(
        Turn(text="Noted."), completions=['{"summary": "bravo summary", "mood": 0.1}'] * 3, online=True
    )


def _tool_runner(contexts: Any, alpha: Alpha) -> list[Any]:
    """The chat's way to every tool, saying yes to every confirmation: nothing of Alice's is found or changed."""
    from paa.ai.tools import ToolRunner

    runner = ToolRunner(contexts, confirm=lambda _question: True)
    calls: list[tuple[str, dict[str, Any]]] = [("delete_habit", {"habit": str(alpha.run)}),
             ("forget", {"memory_id": alpha.fact}),
             ("unlog_habit", {"habit": "water"}), ("list_habits", {"include_archived": True})]  # fmt: skip
    return [runner.run(f"call_{n}", name, args).data for n, (name, args) in enumerate(calls)]


def _chat(contexts: Any, alpha: Alpha) -> str:
    """Bob opens Alice's conversation (refused), then chats: what the model is sent must hold nothing of hers."""
    from paa.ai.chat import ChatSession

    refused = attempt(lambda: ChatSession(contexts, _provider(), conversation_id=alpha.conversation))
    provider = _provider()
    session = ChatSession(contexts, provider, background=None)
    events = list(session.send("What do you know about my knee, peanuts, running and water?"))
    return _render(refused) + repr(events) + repr(provider.requests)


CASES = _cases()
EXEMPT = {
    "paa.core.habits.overview.first_day": "computes from the habit and entries it is given; reads nothing",
    "paa.core.analytics.load.habit_ref": "describes the habit object it is given; reads nothing",
    "paa.core.analytics.load.day_bounds": "turns days into instants in the user's zone; reads nothing",
    "paa.core.reminders.sources.zone_of": "the zone and day-start hour of the context's own preferences; reads nothing",
    "paa.ai.queue.enqueue_after_commit": "queues the ids it is given once the commit is done; reads nothing",
}


def _params() -> list[Any]:
    params = []
    for case in CASES:
        for mode in ("guarded", "scoped"):
            marks = [pytest.mark.xfail(strict=True, reason=case.hole)] if mode in case.holes else []
            params.append(pytest.param(case, mode, id=f"{case.name.removeprefix('paa.')}-{mode}", marks=marks))
    return params


@pytest.mark.parametrize(("case", "mode"), _params())
def test_bob_cannot_reach_alices_rows(alpha: Alpha, case: Case, mode: str) -> None:
    before = _digest(alpha)
    outcome, rendered = _run(case, alpha, "bob", mode)
    assert MARK not in rendered.lower(), f"{case.name} showed Bob Alice's data: {rendered[:600]}"
    assert _digest(alpha) == before, f"{case.name} changed Alice's rows"
    assert _bob_holds_alpha(alpha) == [], f"{case.name} copied Alice's data into Bob's rows"
    if case.check is not None and not isinstance(outcome, PaaError):
        assert case.check(outcome), f"{case.name} gave Bob: {rendered[:600]}"


def test_the_copy_check_reads_what_is_sealed(alpha: Alpha) -> None:
    """The control of `_bob_holds_alpha`: a copy of Alice's words in one of Bob's sealed columns is found (stored,
    it is random letters), and sealed values that hold none are not taken for one."""
    from paa.db.models import Memory

    assert _bob_holds_alpha(alpha) == []
    with _scoped(alpha.home, alpha.bob, write=True) as ctx:
        ctx.session.add(Memory(user_id=alpha.bob, kind="fact", content=f"copied: {MARK} knee", created_at=NOW))
    with sqlite3.connect(alpha.home / "paa.db") as conn:
        stored = conn.execute("SELECT content FROM memories WHERE user_id = ? AND kind = 'fact'", (alpha.bob,))
        assert all(value.startswith("enc:") and "copied" not in value for (value,) in stored)  # stored sealed
    assert [found.split(":")[0] for found in _bob_holds_alpha(alpha)] == ["memories"]


@pytest.mark.parametrize("case", [c for c in CASES if c.owner != "none"], ids=lambda c: c.name.removeprefix("paa."))
def test_the_same_call_reaches_alices_rows_as_alice(alpha: Alpha, case: Case) -> None:
    """The control: each case would see or change Alice's data if it ran as her, so Bob's pass means something."""
    before = _digest(alpha)
    outcome, rendered = _run(case, alpha, "alice", "guarded")
    if case.owner_check is not None:
        assert not isinstance(outcome, PaaError), rendered
        assert case.owner_check(outcome), rendered[:600]
    elif case.owner == "sees":
        assert MARK in rendered.lower(), f"as Alice, {case.name} did not show her data: {rendered[:600]}"
    elif case.owner == "changes":
        assert _digest(alpha) != before, f"as Alice, {case.name} changed nothing: {rendered[:600]}"
    elif case.owner == "refused":
        assert isinstance(outcome, PaaError), rendered


def _entry_points() -> set[str]:
    """Every public function (and class) of paa.core, paa.ai and paa.daemon whose first parameter is a context."""
    import paa.ai
    import paa.core
    import paa.daemon

    found = set()
    for package in (paa.core, paa.ai, paa.daemon):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
                    continue
                target = value.__init__ if inspect.isclass(value) else value
                if not inspect.isfunction(target):
                    continue
                params = [p for p in inspect.signature(target).parameters if p != "self"]
                if params and params[0] in ("ctx", "contexts"):
                    found.add(f"{module.__name__}.{name}")
    return found


def test_every_entry_point_has_a_case() -> None:
    covered = {case.name for case in CASES} | set(EXEMPT)
    missing = sorted(_entry_points() - covered)
    assert not missing, f"add an isolation case (or an EXEMPT reason) for: {missing}"
    assert not sorted(covered - _entry_points()), "a case names a function that no longer exists"


def test_the_guard_is_on_only_when_accounts_exist(alpha: Alpha, make_ctx, paa_home: Path) -> None:
    from paa.core.accounts.rbac import is_guarded

    with open_context(environ=_env(paa_home, "bob"), clock=FixedClock(NOW)) as ctx:
        assert is_guarded(ctx.session) and ctx.acting is not None and ctx.acting.accounts_exist
    os.remove(paa_home / "paa.db")
    os.remove(paa_home / "session.json")
    with make_ctx() as ctx:  # a new install: the local user alone, nothing to keep apart
        assert not is_guarded(ctx.session)


# ---- memory vectors: one user's never reach another's search, on either engine ---------------------------------


def _vector_index(ctx: Context) -> Any:
    from paa.ai import memory

    index = memory.MemoryService.of(ctx).vector_index()
    assert index is not None
    return index


def _needs_the_model() -> None:
    from paa.ai import embeddings

    if not embeddings.status(None).available:
        pytest.skip("the memory extra or the local model is missing")


def _passport_key_and_tea(make_ctx) -> tuple[int, int, int, int]:
    """Alice's passport and spare key, Bob's green tea, each embedded where this run keeps vectors; their memory ids
    and Bob's user id."""
    from paa.ai import memory

    _needs_the_model()
    with make_ctx(write=True) as ctx:
        passport = _id(memory.remember(ctx, "My passport is in the blue folder in the desk").id)
        key = _id(memory.remember(ctx, "The spare key hangs behind the kitchen door").id)
        bob = User(username="bob", created_at=NOW)
        ctx.session.add(bob)
        ctx.session.flush()
        ctx.user = bob
        tea = _id(memory.remember(ctx, "I like green tea in the morning").id)
        bob_id = _id(bob.id)
    with make_ctx() as ctx:
        assert memory.embed_pending(ctx) == 2  # Alice's (the local user's)
        ctx.user = ctx.session.get(User, bob_id)
        assert memory.embed_pending(ctx) == 1
    return passport, key, tea, bob_id


def test_a_search_by_meaning_never_returns_another_users_vectors(make_ctx, db_engine: str) -> None:
    """Alice's passport and Bob's tea: Bob asks about passports by meaning and gets none of Alice's vectors, from the
    search, the index's ranking or its matrix; on PostgreSQL (one table for everyone) Bob cannot even file a vector
    under Alice's memory or delete hers."""
    from paa.ai import memory

    passport, key, tea, bob_id = _passport_key_and_tea(make_ctx)
    with make_ctx() as ctx:
        ctx.user = ctx.session.get(User, bob_id)
        index = _vector_index(ctx)
        for query in ("where is my passport", "travel documents", "spare key", "green tea"):
            found = memory.search(ctx, query, strategy="meaning", limit=10)
            assert {hit.memory_id for hit in found} <= {tea}
            assert {memory_id for memory_id, _ in index.scored(ctx.user_id, query, 100)} <= {tea}
        loaded = index.load(ctx.user_id)
        assert loaded is not None and set(loaded.ids.tolist()) == {tea} and index.memory_ids(ctx.user_id) == {tea}
        if db_engine == "postgresql":
            index.upsert(ctx.user_id, [(passport, "fact", "Bob's passport")])  # Alice's memory id, as Bob
            assert index.memory_ids(ctx.user_id) == {tea}  # not stored: the memory is not Bob's
            index.delete(ctx.user_id, [passport, key])
    with make_ctx() as ctx:  # the control: Alice finds hers by meaning, her vectors untouched
        found = memory.search(ctx, "travel documents", strategy="meaning", limit=10)
        assert found and found[0].memory_id == passport and tea not in {hit.memory_id for hit in found}
        assert _vector_index(ctx).memory_ids(ctx.user_id) == {passport, key}


def test_a_search_by_meaning_never_returns_another_users_vectors_on_chroma(
    make_ctx, on_chroma: str, chroma_url: str
) -> None:
    """Alice's passport and Bob's tea, on one Chroma server: Bob's searches never reach Alice's collection; a vector
    filed in Bob's collection but marked as Alice's is never returned to him, and a collection under Bob's name but
    marked as someone else's is never used for him."""
    from paa.ai import memory
    from paa.errors import StorageError
    from tests.support.chroma_server import BASE, ask

    passport, key, tea, bob_id = _passport_key_and_tea(make_ctx)
    with make_ctx() as ctx:
        ctx.user = ctx.session.get(User, bob_id)
        index = _vector_index(ctx)
        for query in ("where is my passport", "travel documents", "spare key", "green tea"):
            assert {hit.memory_id for hit in memory.search(ctx, query, strategy="meaning", limit=10)} <= {tea}
            assert {memory_id for memory_id, _ in index.scored(bob_id, query, 100)} <= {tea}
        assert index.memory_ids(bob_id) == {tea}
        # Alice's vector, copied into Bob's collection with Alice's mark (as a bug or a hand could leave it)
        alice = ask(chroma_url, "GET", f"{BASE}/collections/{index.name_of(1)}")
        copied = ask(chroma_url, "POST", f"{BASE}/collections/{alice['id']}/get",
                         json={"ids": [str(passport)], "include": ["embeddings"]})["embeddings"][0]  # fmt: skip
        mine = ask(chroma_url, "GET", f"{BASE}/collections/{index.name_of(bob_id)}")
        ask(chroma_url, "POST", f"{BASE}/collections/{mine['id']}/upsert",
                json={"ids": [str(passport)], "embeddings": [copied], "metadatas": [{"paa_user": 1}]})  # fmt: skip
        assert {memory_id for memory_id, _ in index.scored(bob_id, "where is my passport", 100)} <= {tea}
        found = memory.search(ctx, "where is my passport", strategy="meaning", limit=10)
        assert {hit.memory_id for hit in found} <= {tea}
    with make_ctx() as ctx:  # the control: Alice finds hers by meaning, and her collection holds only hers
        found = memory.search(ctx, "travel documents", strategy="meaning", limit=10)
        assert found and found[0].memory_id == passport and tea not in {hit.memory_id for hit in found}
        assert _vector_index(ctx).memory_ids(ctx.user_id) == {passport, key}
    # A collection under Bob's name marked as Alice's: refused, never searched or filled for Bob.
    ask(chroma_url, "DELETE", f"{BASE}/collections/{index.name_of(bob_id)}")
    ask(chroma_url, "POST", f"{BASE}/collections",
            json={"name": index.name_of(bob_id), "metadata": {"paa_user": 1, "paa_embedder": "x"}})  # fmt: skip
    with make_ctx() as ctx:
        ctx.user = ctx.session.get(User, bob_id)
        bob_index = _vector_index(ctx)
        assert not bob_index.is_current(bob_id) and bob_index.memory_ids(bob_id) == set()
        with pytest.raises(StorageError, match="not marked as this user's"):
            bob_index.upsert(bob_id, [(tea, "fact", "I like green tea in the morning")])


def test_two_runtimes_with_their_own_data_folders_share_one_postgresqls_vectors(
    make_ctx, db_engine: str, clock: FixedClock, tmp_path: Path
) -> None:
    """Two pods (or a pod and the daemon) on one PostgreSQL: what one embeds, the other finds by meaning without
    embedding it again, and a write by one is seen by the other's cached matrix."""
    from paa.ai import memory
    from paa.core import encryption
    from tests.support.runtime import runtime_for

    _needs_the_model()
    if db_engine != "postgresql":
        pytest.skip("on SQLite a data folder is its database: two folders are two installs")
    with make_ctx(write=True) as ctx:
        race = _id(memory.remember(ctx, "I'm training for a half marathon in March").id)
        key_file = encryption.key_file(ctx.paths)
    other_home = tmp_path / "other-pod"
    other_home.mkdir(mode=0o700)
    shutil.copy2(key_file, other_home / key_file.name)  # pods share the data key (a Secret in deploy/)
    other = runtime_for({**os.environ, "PAA_HOME": str(other_home)}, clock=clock)
    try:
        with make_ctx() as ctx:
            assert memory.embed_pending(ctx) == 1
        with other.context() as ctx:
            assert memory.embed_pending(ctx) == 0  # found made: not embedded again for this folder
            assert [hit.memory_id for hit in memory.search(ctx, "what race am I preparing for")] == [race]
        with make_ctx(write=True) as ctx:
            allergy = _id(memory.remember(ctx, "I am allergic to peanuts").id)
            memory.forget(ctx, race)
        with make_ctx() as ctx:
            assert memory.embed_pending(ctx) == 1
        with other.context() as ctx:  # its cached matrix is read again: the generation moved
            assert [hit.memory_id for hit in memory.search(ctx, "which foods can't I eat")] == [allergy]
            assert _vector_index(ctx).load(ctx.user_id).ids.tolist() == [allergy]
    finally:
        other.close()


@pytest.mark.e2e
def test_a_memory_embedded_by_another_paa_process_is_found_by_meaning(make_ctx, db_engine: str, tmp_path: Path) -> None:
    """A real `paa` process with a data folder of its own embeds; this process finds the memory by meaning."""
    import subprocess

    from paa.ai import memory
    from paa.core import encryption
    from tests.support.processes import child_env, paa_executable

    _needs_the_model()
    if db_engine != "postgresql":
        pytest.skip("on SQLite a data folder is its database: two folders are two installs")
    pod = tmp_path / "daemon-pod"
    env = child_env({"PAA_HOME": str(pod)})
    for args in (("memory", "add", "My sister Anna lives in Lisbon"), ("memory", "reindex")):
        done = subprocess.run([paa_executable(), *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    with make_ctx() as ctx:
        key_file = encryption.key_file(ctx.paths)
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copy2(pod / key_file.name, key_file)  # pods share the data key (a Secret in deploy/)
    with make_ctx() as ctx:
        [row] = memory.list_memories(ctx)
        assert row.embedded_at is not None  # the other process stored its vector
        assert [hit.memory_id for hit in memory.search(ctx, "where does my family live", strategy="meaning")] == [
            row.id
        ]
        assert memory.embed_pending(ctx) == 0
