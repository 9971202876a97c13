"""The warm server's rehearsal: before it forks, it reads once what the everyday commands read.

SQLAlchemy, SQLModel and paa build much of their machinery on first use in a process (the ORM's loading and
compiling paths, each statement's cache key structure, the dialect's processors, the settings' validators);
importing them builds none of it. A worker forked from a server that never ran a query built it all again for each
command: about a fifth of a `habit list` worker's time. So the server runs, once, the reads of `habit list`,
`habit today`, `remind upcoming`, a check-in's questions, a chat turn's context, a memory search by words and the
TUI's dashboard, on the database its own environment names; its chat zygote and its workers inherit what was
built, and the first runtime a worker opens on that database takes the engine with the statements compiled for it
(`paa.db.engine.hand_down`).

It writes nothing. It runs only when that database is an SQLite file at the current revision (never a migration
from here); its connections are `query_only`; no data key is made (`paa.core.encryption.attach`'s `make`); the OS
keyring is not asked (`PAA_KEYRING=off`: a key kept there leaves the sealed reads out); memories are found by
their words only (`memory.search` without waiting for a model: no model, no thread). Its runtime is closed, and so
every connection, before the server forks: the rows and the runtime go, what the libraries built stays. A failure
(no such database, accounts nobody is logged in to, a damaged file) leaves out what it stopped, and each worker
builds what is missing, as before. See docs/performance.md.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from typing import Any

# The server listens only once the rehearsal is over, and meanwhile every command runs cold: so a database locked by
# another process (SQLite would wait 30 s for each read) ends it at once, and so does a slow one past a few seconds.
# (A lock taken in the moment between the revision's read and the engine's first connection still costs that
# connection's own pragmas their 30 s, once; the commands run cold meanwhile.)
BUSY_MS = 250
SECONDS = 5.0


def rehearse(environ: Mapping[str, str]) -> list[str]:
    """Read once as the everyday commands do (see the module's docstring); the steps that ran, in order."""
    done: list[str] = []
    with contextlib.suppress(Exception):  # an unfinished rehearsal costs the workers time, never a result
        _rehearse(environ, done)
    return done


def _rehearse(started: Mapping[str, str], done: list[str]) -> None:
    from paa.core.runtime import Environment, Runtime
    from paa.core.storage import database_url
    from paa.db.engine import hand_down

    environ = {key: value for key, value in started.items() if key != "PAA_REDIS_URL"}  # no connection to Redis
    environ["PAA_KEYRING"] = "off"
    environment = Environment.from_environ(environ)
    url = database_url(environment.paths, environment.loaded)
    if not _current_sqlite(url):
        return
    deadline = time.monotonic() + SECONDS
    with Runtime(environment) as runtime:
        engine = runtime.engine  # at the current revision: opened without a migration, and no connection yet
        with _read_only(engine, environment):
            for name, step in _STEPS:
                if time.monotonic() > deadline:
                    break
                with contextlib.suppress(Exception):  # (a sealed read without the key, say: the others still run)
                    with runtime.context() as ctx:
                        step(ctx)
                    done.append(name)
    # Closed with the runtime (its pool is empty): the first command of a worker that opens this database takes
    # it, with the statements compiled here, and gives it its own data key and connections.
    hand_down(url, engine)


def _current_sqlite(url: str) -> bool:
    """Whether `url` names an SQLite file that exists and is at paa's current revision (read without changing it)."""
    from sqlalchemy.engine import make_url

    from paa.core.storage import sqlite_file
    from paa.db.migrate import stored_sqlite_revision
    from paa.db.revisions import HEAD

    database = sqlite_file(make_url(url))
    return database is not None and stored_sqlite_revision(database, busy_ms=BUSY_MS) == HEAD


@contextlib.contextmanager
def _read_only(engine: Any, environment: Any) -> Iterator[None]:
    """While it lasts, the engine's connections refuse every write (SQLite's query_only), wait at most BUSY_MS for
    a lock, and no data key is made."""
    from sqlalchemy import event

    from paa.core.encryption import attach

    attach(engine, environment.paths, environment.environ, make=False)

    def query_only(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA query_only = ON")
        dbapi_connection.execute(f"PRAGMA busy_timeout = {BUSY_MS}")  # (after paa's own pragmas: this one wins)

    event.listen(engine, "connect", query_only)
    try:
        yield
    finally:
        event.remove(engine, "connect", query_only)


def _habits(ctx: Any) -> None:
    """`paa habit list` and `habit today`."""
    from paa.core.habits.manage import list_habits
    from paa.core.habits.overview import statuses

    statuses(ctx, list_habits(ctx), best=False)


def _agenda(ctx: Any) -> None:
    """`paa remind upcoming`."""
    from paa.core.reminders.upcoming import agenda

    agenda(ctx, ctx.now(), 1)


def _checkin(ctx: Any) -> None:
    """What `paa checkin` reads before it saves: the questions, the day's check-in, and the reflection's week."""
    from paa.core.checkins.entries import find_checkin, list_prompts, prompts_for, reflect

    day = ctx.today()
    list_prompts(ctx)
    prompts_for(ctx, find_checkin(ctx, day))
    reflect(ctx, day, None)


def _chat(ctx: Any) -> None:
    """What a chat turn reads before it asks the model (`context_preview`: the settings, the last conversation's
    history, the turn's context). Its memories by their words: meaning counts only in a process that loaded the
    model (`memory.search`'s `wait_for_model`), which the server never does."""
    from paa.ai.chat import context_preview
    from paa.ai.store import latest_conversation_id

    context_preview(ctx, "how did my week go", latest_conversation_id(ctx))


def _memory(ctx: Any) -> None:
    """`paa memory search`, by its words (the meaning is the embedding helper's, in its own process), with a person
    and a day named: each of the search's queries runs."""
    from paa.ai.memory import search

    search(ctx, "what did Ann tell me last week about running", limit=10, wait_for_model=False)


def _dashboard(ctx: Any) -> None:
    """What `paa tui` reads for its dashboard (its preloading child reads it while Textual starts)."""
    from paa.tui.data import load_dashboard

    load_dashboard(ctx)


_STEPS = (
    ("habits", _habits), ("agenda", _agenda), ("checkin", _checkin), ("chat", _chat), ("memory", _memory),
    ("dashboard", _dashboard),
)  # fmt: skip
