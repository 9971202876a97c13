"""The everyday commands start fast because they never import the heavy libraries (checked on the real executable)."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from paa.core.habits.manage import HabitFields, add_habit
from tests.support.processes import parse_importtime, run_with_importtime

pytestmark = pytest.mark.e2e

# The server's stack (the `server` extra) counts too: only `paa serve` may load it (issue #15).
# redis: PAA_REDIS_URL only; multipart: the API's uploads; dramatiq: the job queue (queue.enabled) only.
SERVER = ("fastapi", "starlette", "uvicorn", "websockets", "prometheus_client", "redis", "multipart", "dramatiq")
HEAVY = ("anthropic", "chromadb", "textual", "apscheduler", "alembic", "numpy", "pandas", "pypdf", *SERVER)


@pytest.fixture
def ready_database(make_ctx) -> None:
    """A database already migrated and holding a habit, as it is on every run after the first."""
    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Water", unit="glasses", target=8))


def test_parse_importtime_finds_top_level_packages() -> None:
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import json"], capture_output=True, text=True)
    found = parse_importtime(done.stderr)
    assert "json" in found
    assert "decoder" not in found  # json.decoder is reported as json


@pytest.mark.parametrize(
    "args",
    [("--help",), ("habit", "log", "water", "1"), ("habit", "list"), ("habit", "today")],
    ids=["help", "habit-log", "habit-list", "habit-today"],
)
def test_everyday_commands_import_no_heavy_library(ready_database: None, args: tuple[str, ...]) -> None:
    done, imported = run_with_importtime(*args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sqlalchemy" in imported or args == ("--help",)  # the parse saw the real imports
    assert sorted(imported.intersection(HEAVY)) == []


@pytest.mark.parametrize(
    "args", [("habit", "list"), ("checkin", "--mood", "4", "--answer", "Fine")], ids=["habit-list", "checkin"]
)
def test_on_sqlite_no_command_loads_the_postgresql_dialect(ready_database: None, args: tuple[str, ...]) -> None:
    """SQLAlchemy loads a dialect's module (~20 ms for PostgreSQL's) as soon as a model names an option of it, such
    as a partial index's `postgresql_where`: such indexes are made by the migrations, not declared on the models."""
    done, _imported = run_with_importtime(*args)
    assert done.returncode == 0, done.stderr[-2000:]
    modules = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time")}
    assert "sqlalchemy.dialects.sqlite" in modules  # the parse saw the real imports
    assert "sqlalchemy.dialects.postgresql" not in modules


def test_the_first_run_on_a_new_database_may_import_alembic() -> None:
    """Migrating is the one time alembic is loaded; this also shows the check above can see it."""
    done, imported = run_with_importtime("habit", "add", "Water", "--unit", "glasses", "--target", "8")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "alembic" in imported
    assert sorted(imported.intersection(set(HEAVY) - {"alembic"})) == []


def test_paa_serve_loads_the_server_stack() -> None:
    """`paa serve` is the one command that loads it, which shows the check above can see it (here it stops at a
    busy port, after loading the app and uvicorn)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done, imported = run_with_importtime("serve", "--port", str(taken.getsockname()[1]))
    assert done.returncode == 3, done.stderr[-2000:]  # cannot listen there
    assert {"fastapi", "starlette", "uvicorn"} <= imported


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_answers_without_the_command_line_libraries(flag: str) -> None:
    """`paa --version` builds no command tree: neither Typer (nor click) nor the database or output libraries."""
    from paa import __version__

    done, imported = run_with_importtime(flag)
    assert (done.returncode, done.stdout) == (0, f"paa {__version__}\n"), done.stderr[-2000:]
    assert "paa" in imported  # the parse saw the real imports
    assert sorted(imported.intersection({"typer", "click", "sqlalchemy", "sqlmodel", "pydantic", "rich"})) == []


def test_a_check_in_loads_no_vector_store_client(ready_database: None) -> None:
    """A check-in indexes its text for memory search; the Chroma client (and httpx) load only when vectors are made
    or searched on a Chroma server."""
    done, imported = run_with_importtime("checkin", "--mood", "4", "--answer", "Fine")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "paa.ai.memory" in done.stderr  # the memory index was loaded: the check-in reached it
    assert "paa.ai.chroma" not in done.stderr and "httpx" not in imported


@pytest.mark.parametrize(
    ("args", "shown"),
    [(("habit", "list"), "Water"), (("remind", "upcoming", "--days", "2"), "  21:00  Daily check-in (check-in)\n")],
    ids=["habit-list", "remind-upcoming"],
)
def test_plain_output_loads_no_rich(ready_database: None, args: tuple[str, ...], shown: str) -> None:
    """Into a pipe (no colour) lines are written as they are: rich (~20 ms) loads only to colour a terminal's."""
    done, imported = run_with_importtime(*args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sqlalchemy" in imported and "rich" not in imported
    assert shown in done.stdout
