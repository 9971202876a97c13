"""Shared fixtures: every test gets its own PAA_HOME, a fixed clock, and no network.

Also the two lanes. `python -m pytest` runs the fast lane: every test that starts a process (the `paa` executable, a
daemon, a Python child) is marked `e2e` and left out. `python -m pytest -m e2e` runs those; `-m "e2e or not e2e"`
runs both, and naming test files or folders runs all their tests. A tripwire fails any test that starts a process
without the mark, so the fast lane stays fast. Hypothesis is derandomized under CI, and nothing is written into
src/ (checked when the run ends).
"""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from sqlalchemy.engine import URL

from paa.clock import FixedClock
from paa.core.context import Context
from paa.db import migrate
from tests.support import engines
from tests.support.clock import FIXED_NOW
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.processes import child_env, paa_executable
from tests.support.runtime import inject, open_context
from tests.support.waiting import GIVE_UP_SECONDS

ROOT = Path(__file__).resolve().parent.parent
# The session's Chroma server and a test's own collections on it: `chroma_url`, `chroma_prefix`, `on_chroma`.
pytest_plugins = ["tests.support.chroma_server"]


def _private_pycache() -> None:
    """Cache compiled modules, and the test modules as pytest rewrites their asserts (12 s of each worker's start),
    outside the checkout, also where PYTHONDONTWRITEBYTECODE keeps Python from writing them beside the sources. The
    folder is this user's alone (0700, theirs): code another user could plant there would run in the tests."""
    folder = Path(tempfile.gettempdir()) / f"paa-tests-pycache-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        found = folder.lstat()
    except OSError:
        return
    if found.st_uid == os.getuid() and found.st_mode & 0o077 == 0 and not folder.is_symlink():
        sys.pycache_prefix = str(folder)
        sys.dont_write_bytecode = False


_private_pycache()

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tripwire: any connection to a non-loopback address fails the test."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in _LOOPBACK:
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def paa_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point PAA_HOME at a fresh folder and clear every PAA_* and colour variable."""
    for name in list(os.environ):
        if name.startswith(("PAA_", "ANTHROPIC_")) or name in ("NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "paa-home"
    monkeypatch.setenv("PAA_HOME", str(home))
    monkeypatch.setenv("PAA_TIMEZONE", "UTC")
    monkeypatch.setenv("PAA_KEYRING", "off")  # never the OS keyring of the machine running the tests
    monkeypatch.setenv("PAA_WARM_AUTOSTART", "0")  # no warm server behind a test's back (tests of it start their own)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "120")
    from paa.cli.output import console

    console.cache_clear()
    return home


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash passwords cheaply in every runtime a test builds (through the constructor: PAA_ARGON2 cannot go lower)."""
    from tests.support.runtime import TEST_HASHING, inject

    inject(monkeypatch, hash_params=TEST_HASHING)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FIXED_NOW)


@pytest.fixture
def security_clock() -> FixedClock:
    """The clock sessions, tokens and the login slowdown see in the `cli` fixture's commands."""
    return FixedClock(FIXED_NOW)


ContextFactory = Callable[..., AbstractContextManager[Context]]


@pytest.fixture
def make_ctx(clock: FixedClock) -> ContextFactory:
    """Open a Context on the test's database with the fixed clock: `with make_ctx(write=True) as ctx:`."""

    def factory(*, write: bool = False) -> AbstractContextManager[Context]:
        return open_context(write=write, clock=clock)

    return factory


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, security_clock: FixedClock
) -> Callable[..., CliResult]:
    """Run the paa CLI in-process, through the same entry point as the executable.

    Both clocks are fixed at FIXED_NOW: PAA_NOW for habit days, and the security clock (sessions, the login
    slowdown) through the Runtime; `security_clock` is that clock, for a test that moves it.
    """
    from paa.cli.main import main

    monkeypatch.setenv("PAA_NOW", FIXED_NOW.isoformat())
    inject(monkeypatch, security_clock=security_clock)

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def run_paa(
    paa_home: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """Run the real `paa` executable in a subprocess with the test's PAA_HOME.

    Cold by default; `@both_paths` (tests/support/warm.py) runs the test a second time through a warm server
    started for it in its own folder, stopped afterwards, which must have served the commands.
    """
    exe = paa_executable()
    if getattr(request, "param", "cold") == "warm":
        from tests.support.warm import serving

        yield from serving(monkeypatch, _run_paa(exe))
        return
    yield _run_paa(exe)


def _run_paa(exe: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`run(*args, env=..., input=..., timeout=...)`: the executable in a subprocess, output captured as text."""

    def run(
        *args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = GIVE_UP_SECONDS
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args], capture_output=True, text=True, env=child_env(env), input=input, timeout=timeout
        )

    return run


@pytest.fixture
def fake_anthropic(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    """A running fake Anthropic API (tests/support/fake_anthropic.py), with the SDK's variables pointing at it."""
    server = FakeAnthropic().start()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", server.api_key)
    monkeypatch.setenv("PAA_KEYRING", "off")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated to the newest revision once per worker (migrating takes most of a fresh open)."""
    import sqlite3

    from paa.db.engine import create_db_engine, sqlite_url

    path = tmp_path_factory.mktemp("template") / "paa.db"
    engine = create_db_engine(sqlite_url(path))
    _REAL_UPGRADE(engine)
    engine.dispose()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


_REAL_UPGRADE = migrate.upgrade


@pytest.fixture(autouse=True)
def _schema_from_template(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Give a new, empty SQLite database the migrated template's pages instead of running every migration again.

    Migrating from nothing took about 0.1 s of CPU and, with its commits, 0.5 s of wall time per test, most of the
    fast lane's time. The pages are those the real migrations wrote into the template once per worker, so what a
    test opens is byte for byte what a fresh install gets. tests/db tests migrating itself and keeps the real path.
    """
    if ROOT / "tests" / "db" in Path(request.node.path).parents:
        return
    import sqlite3

    real = _REAL_UPGRADE

    def upgrade(engine: Any, target: str = "head") -> None:
        database = engine.url.database or ""
        fresh = target == "head" and engine.url.get_backend_name() == "sqlite" and database not in ("", ":memory:")
        if not fresh or migrate.current_revision(engine) is not None:
            real(engine, target)
            return
        template = request.getfixturevalue("migrated_template")
        with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(database)) as copy:
            empty = copy.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
            if empty:
                source.backup(copy)
        if not empty:  # tables without a revision: the real migrations say what they say about them
            real(engine, target)

    monkeypatch.setattr(migrate, "upgrade", upgrade)


@pytest.fixture
def migrated_home(paa_home: Path, migrated_template: Path) -> None:
    """Start the test's PAA_HOME with a copy of the migrated template; tests/db covers migrating itself."""
    import shutil

    from paa.config import resolve_paths

    paths = resolve_paths(os.environ)
    paths.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copyfile(migrated_template, paths.database_file)


# --- the lanes: e2e marks, the fast lane, and the tripwire ---------------------------------------------------------

E2E_FOLDERS = ("e2e",)  # tests/e2e: every test there runs processes
E2E_FIXTURES = {"run_paa", "chroma_url"}  # a test using one of these (even through another fixture) starts a process


def _fast_lane(config: pytest.Config) -> bool:
    """Bare `pytest` leaves the e2e tests out; `-m ...` or naming files or folders decides otherwise."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # an xdist worker: the controller decided, from its own command line
        return bool(workerinput.get("paa_fast_lane", False))
    return not config.option.markexpr and config.args_source is not pytest.Config.ArgsSource.ARGS


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: object) -> None:
    node.workerinput["paa_fast_lane"] = _fast_lane(node.config)  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` in the fast lane: one worker more than the cores. A fifth of a worker's time goes to waiting (a Textual
    app's timers, a test server's thread, SQLite's commits); the extra worker fills it. Elsewhere xdist decides."""
    if not _fast_lane(config):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores + 1


def pytest_report_header(config: pytest.Config) -> list[str]:
    if _fast_lane(config):
        lines = ['paa: the fast lane (no processes); -m e2e runs the end-to-end lane, -m "e2e or not e2e" both']
    else:
        lines = ["paa: the lanes as selected"]
    if engines.pg_url() is not None:
        lines.append(f"paa: storage tests on SQLite and on PostgreSQL ({engines.PG_URL_ENV})")
    elif engines.required_in_ci():
        lines.append(f"paa: {engines.MISSING_IN_CI}")
    else:
        lines.append(f"paa: {engines.DESELECTED_WHY}")
    return lines


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        in_folder = any(part in E2E_FOLDERS for part in item.path.relative_to(ROOT / "tests").parts[:-1])
        if in_folder or E2E_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)
    if _fast_lane(config):
        kept = [item for item in items if not item.get_closest_marker("e2e")]
        if len(kept) < len(items):
            config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("e2e")])
            items[:] = kept
    if engines.pg_url() is None and not engines.required_in_ci():  # locally: left out, as the header says
        on_pg = [item for item in items if _engine_of(item) == "postgresql"]
        if on_pg:
            config.hook.pytest_deselected(items=on_pg)
            items[:] = [item for item in items if _engine_of(item) != "postgresql"]


@pytest.fixture(autouse=True)
def _processes_only_in_the_e2e_lane(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tripwire: a test that is not marked e2e and starts a process (or tries to) fails, naming what it started."""
    if request.node.get_closest_marker("e2e"):
        yield
        return
    started: list[str] = []

    def refuse(what: str, detail: object = "") -> RuntimeError:
        started.append(f"{what} {detail!r}"[:200])
        return RuntimeError(f"{what} in a test not marked e2e: mark it @pytest.mark.e2e (tests/conftest.py)")

    class Refused(subprocess.Popen):  # type: ignore[type-arg]
        def __init__(self, args: object, *rest: object, **options: object) -> None:
            raise refuse("subprocess.Popen", args)

    def refusing(what: str) -> Callable[..., object]:
        def call(*args: object, **options: object) -> object:
            raise refuse(what, args[:2])

        return call

    import multiprocessing.process

    monkeypatch.setattr(subprocess, "Popen", Refused)
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refusing("multiprocessing"))
    for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp", "system", "execv", "execve", "execvp", "execvpe",
                 "execl", "execle", "execlp", "execlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe"):  # fmt: skip
        if hasattr(os, name):
            monkeypatch.setattr(os, name, refusing(f"os.{name}"))
    yield
    if started:  # also when the code under test swallowed the error (a preload thread, say)
        pytest.fail("started a process outside the e2e lane: " + "; ".join(started), pytrace=False)


# --- the storage tests on both engines (tests/support/engines.py) --------------------------------------------------


def _engine_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("db_engine") if callspec is not None else None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything imported so far (paa, its libraries, the test modules) lives until the run ends: frozen, it is left
    out of every full garbage collection, which otherwise walks it again and again during the tests and five times
    when pytest ends (seconds per worker)."""
    gc.freeze()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each storage test on both engines, except those marked sqlite_only (they read the SQLite file)."""
    if "db_engine" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("sqlite_only"):
        return
    where = metafunc.definition.path.relative_to(ROOT / "tests").as_posix()
    if where.startswith(engines.STORAGE_TESTS):
        metafunc.parametrize("db_engine", engines.ENGINES, indirect=True, ids=["sqlite", "pg"])


@pytest.fixture(scope="session")
def pg_database() -> Iterator[list[URL]]:
    """This worker's PostgreSQL database (in a list: a test that migrated it away from HEAD gets a new one)."""
    made = [engines.migrated_database()]
    yield made
    engines.drop_database(made[0])


@pytest.fixture(autouse=True)
def db_engine(request: pytest.FixtureRequest, paa_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The engine this test's paa uses: SQLite in PAA_HOME, or (a storage test's `pg` variant) this worker's
    PostgreSQL database, emptied, named by PAA_DB_URL."""
    name: str = getattr(request, "param", "sqlite")
    if name != "postgresql":
        yield name
        return
    if engines.pg_url() is None:
        pytest.fail(engines.MISSING_IN_CI, pytrace=False)
    database = request.getfixturevalue("pg_database")
    if not engines.empty(database[0]):
        engines.drop_database(database[0])
        database[0] = engines.migrated_database()
        engines.empty(database[0])
    monkeypatch.setenv("PAA_DB_URL", engines.as_setting(database[0]))
    yield name


# --- Hypothesis: no database in the checkout, the same examples on every CI run -----------------------------------

HYPOTHESIS_HOME = Path(tempfile.gettempdir()) / "paa-tests-hypothesis"  # its caches and, locally, saved examples


def _hypothesis_profiles() -> None:
    from hypothesis import configuration

    configuration.set_hypothesis_home_dir(HYPOTHESIS_HOME)  # never .hypothesis/ in the checkout
    slow_machine = [HealthCheck.too_slow]  # a loaded machine is not a failing test
    settings.register_profile(
        "paa", deadline=None, suppress_health_check=slow_machine,
        database=DirectoryBasedExampleDatabase(HYPOTHESIS_HOME / "examples"),
    )  # fmt: skip
    settings.register_profile(
        "paa-ci", deadline=None, suppress_health_check=slow_machine, derandomize=True, database=None, print_blob=True
    )
    settings.load_profile("paa-ci" if os.environ.get("CI") else "paa")


_hypothesis_profiles()  # before the test modules are imported: their @settings build on the loaded profile


# --- nothing is written into src/ -----------------------------------------------------------------------------------

SRC = ROOT / "src"
_SRC_BEFORE = pytest.StashKey[set[Path]]()
_SRC_WRITTEN = pytest.StashKey[list[Path]]()


def _files_under(folder: Path) -> set[Path]:
    return {Path(parent, name) for parent, _, names in os.walk(folder) for name in names}


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):
        session.config.stash[_SRC_BEFORE] = _files_under(SRC)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_SRC_BEFORE, None)
    if before is None:
        return
    # A new module is someone editing the checkout during the run; bytecode, databases and the like are tests writing.
    written = sorted(path for path in _files_under(SRC) - before if path.suffix != ".py" or "__pycache__" in path.parts)
    if written:
        session.config.stash[_SRC_WRITTEN] = written
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    written = config.stash.get(_SRC_WRITTEN, [])
    if written:
        terminalreporter.section("files written into src/ during the run", red=True)
        for path in written[:20]:
            terminalreporter.write_line(str(path.relative_to(ROOT)))
