"""The runtime: paa opened from an explicit environment, on real SQLite files in temporary folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from paa.ai import memory
from paa.clock import FixedClock
from paa.core.habits.logs import log_habit
from paa.core.habits.manage import HabitFields, add_habit, list_habits, resolve_habit
from paa.core.runtime import Environment, Runtime, clock_from_environ
from paa.errors import ConfigError, NotFound
from tests.conftest import FIXED_NOW


def _environ(home: Path, **extra: str) -> dict[str, str]:
    return {"PAA_HOME": str(home), "PAA_TIMEZONE": "UTC", "PAA_KEYRING": "off", **extra}


def test_environment_reads_paths_settings_clock_and_user_from_the_mapping_it_is_given(tmp_path: Path) -> None:
    environ = _environ(tmp_path / "home", PAA_CHECKIN_TIME="20:15", PAA_NOW=FIXED_NOW.isoformat(), PAA_USER=" Bob ")
    env = Environment.from_environ(environ)
    assert env.paths.data_dir == tmp_path / "home"
    assert env.settings.checkin_time == "20:15" and env.loaded.sources["checkin_time"] == "env"
    assert env.clock.now() == FIXED_NOW
    assert env.user == "bob"
    assert Environment.from_environ(environ, user="Carol").user == "carol"  # --user wins over PAA_USER
    environ["PAA_CHECKIN_TIME"] = "07:00"
    assert env.environ["PAA_CHECKIN_TIME"] == "20:15"  # a copy: a later change of the mapping is not seen
    with pytest.raises(TypeError):
        env.environ["PAA_USER"] = "x"  # type: ignore[index]


def test_clock_from_environ_refuses_an_instant_without_an_offset() -> None:
    with pytest.raises(ConfigError, match="UTC offset"):
        clock_from_environ({"PAA_NOW": "2026-03-08T12:00:00"})


def test_a_runtime_opens_one_engine_and_commits_only_what_is_written(tmp_path: Path) -> None:
    with Runtime.from_environ(_environ(tmp_path / "home"), clock=FixedClock(FIXED_NOW)) as runtime:
        with runtime.context(write=True) as ctx:
            add_habit(ctx, HabitFields(name="Water", unit="glasses", target=8))
        with runtime.context() as ctx:
            log_habit(ctx, resolve_habit(ctx, "water"), ctx.today(), value=3)
            ctx.session.flush()
        engine = runtime.engine
        with runtime.context() as ctx:
            assert ctx.user.username == "local" and ctx.acting is not None and ctx.acting.via == "local"
            assert [habit.name for habit in list_habits(ctx)] == ["Water"]
            assert ctx.session.execute(text("SELECT count(*) FROM habit_logs")).scalar_one() == 0  # read: not committed
        assert runtime.engine is engine  # one engine for every context
    assert (tmp_path / "home" / "paa.db").exists()


def test_two_runtimes_in_one_process_share_nothing(tmp_path: Path) -> None:
    first = Runtime.from_environ(_environ(tmp_path / "one", PAA_CHECKIN_TIME="08:00"), clock=FixedClock(FIXED_NOW))
    second = Runtime.from_environ(_environ(tmp_path / "two"), clock=FixedClock(FIXED_NOW))
    with first, second:
        with first.context(write=True) as ctx:
            add_habit(ctx, HabitFields(name="Read"))
        with second.context() as ctx:
            assert list_habits(ctx) == []
            assert ctx.prefs.checkin_time == "21:00"
        with first.context() as ctx:
            assert ctx.prefs.checkin_time == "08:00"
        assert first.engine is not second.engine
        assert first.paths.database_file != second.paths.database_file
        assert memory.MemoryService.of(first) is not memory.MemoryService.of(second)


def test_the_memory_service_is_one_per_runtime_and_closed_with_it(tmp_path: Path) -> None:
    runtime = Runtime.from_environ(_environ(tmp_path / "home"), clock=FixedClock(FIXED_NOW))
    with runtime.context() as ctx:
        service = memory.MemoryService.of(ctx)
    with runtime.context(write=True) as ctx:
        assert memory.MemoryService.of(ctx) is service  # every context of the runtime shares it
        assert ctx.services is runtime.services
    assert runtime.service(memory.MemoryService) is service
    closed: list[bool] = []
    service.close = lambda: closed.append(True)  # type: ignore[method-assign]
    runtime.close()
    assert closed == [True]
    assert runtime.services.peek(memory.MemoryService) is None
    with runtime.context() as ctx:  # used again, it opens again, with a new service
        assert memory.MemoryService.of(ctx) is not service
    runtime.close()


def test_a_named_user_who_does_not_exist_is_refused_but_auth_still_opens(tmp_path: Path) -> None:
    with Runtime.from_environ(_environ(tmp_path / "home"), user="nobody") as runtime:
        with pytest.raises(NotFound, match="no user named 'nobody'"), runtime.context():
            pass
        with runtime.auth() as actx:
            assert actx.acting is None and isinstance(actx.problem, NotFound)
            assert actx.environ["PAA_HOME"] == str(tmp_path / "home")


def test_trusted_code_acts_as_a_given_user(tmp_path: Path) -> None:
    with Runtime.from_environ(_environ(tmp_path / "home"), clock=FixedClock(FIXED_NOW)) as runtime:
        local = runtime.acting()
        assert local.user.id is not None
        acting = runtime.acting_as(local.user.id)
        assert acting.via == "system"
        with runtime.context(acting=acting) as ctx:
            assert ctx.user_id == local.user.id and ctx.acting is acting


def test_reload_reads_config_toml_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Runtime.from_environ(_environ(home)) as runtime:
        assert runtime.loaded.settings.notify_channels == "desktop"
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.toml").write_text('[notify]\nchannels = "log"\n', encoding="utf-8")
        assert runtime.loaded.settings.notify_channels == "desktop"  # read once...
        runtime.reload()
        assert runtime.loaded.settings.notify_channels == "log"  # ...and again when asked


def test_user_option_reaches_the_command_and_leaves_the_environment_alone(make_ctx) -> None:
    from paa.cli.app import create_app

    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Water"))
    before = dict(os.environ)
    result = CliRunner().invoke(create_app(), ["--user", "local", "habit", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert '"Water"' in result.output
    assert dict(os.environ) == before
    refused = CliRunner().invoke(create_app(), ["--user", "nobody", "habit", "list"])
    assert refused.exit_code != 0 and "nobody" in str(refused.exception)
    assert dict(os.environ) == before


def test_command_runtime_is_only_for_command_code() -> None:
    from paa.cli import runtime

    with pytest.raises(RuntimeError, match="no paa command is running"):
        runtime.current()


def test_a_processs_writers_take_turns_and_lose_nothing(tmp_path: Path) -> None:
    """Writers in the threads of one process (a server's requests) queue for the write lock in turn rather than each
    retrying the busy database: never two write transactions at once, every write kept, reads never queued."""
    import threading

    with Runtime.from_environ(_environ(tmp_path / "home"), clock=FixedClock(FIXED_NOW)) as runtime:
        with runtime.context(write=True) as ctx:
            add_habit(ctx, HabitFields(name="Water", unit="glasses", target=8))
        inside, most, guard = 0, 0, threading.Lock()
        start = threading.Barrier(8)

        def write() -> None:
            nonlocal inside, most
            start.wait()
            for _ in range(5):
                with runtime.context(write=True) as ctx:
                    with guard:
                        inside += 1
                        most = max(most, inside)
                    log_habit(ctx, resolve_habit(ctx, "water"), ctx.today(), value=1)
                    with runtime.context() as reading:  # a read inside a write is not queued behind it
                        list_habits(reading)
                    with guard:
                        inside -= 1

        threads = [threading.Thread(target=write) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with runtime.context() as ctx:
            from paa.core.habits.logs import history

            logged = history(ctx, resolve_habit(ctx, "water"), None, None)
    assert most == 1
    assert [log.value for log in logged] == [40]


def _free_elsewhere(runtime: Runtime) -> bool:
    """Whether another thread could join the process's queue of writers now (SQLite's own lock is not asked)."""
    import threading

    answer: list[bool] = []

    def ask() -> None:
        taken = runtime._writers.acquire(blocking=False)
        if taken:
            runtime._writers.release()
        answer.append(taken)

    thread = threading.Thread(target=ask)
    thread.start()
    thread.join()
    return answer[0]


def test_a_write_holds_the_processs_writer_queue_and_a_read_does_not(tmp_path: Path) -> None:

    with Runtime.from_environ(_environ(tmp_path / "home"), clock=FixedClock(FIXED_NOW)) as runtime:
        with runtime.context() as ctx:
            list_habits(ctx)
            assert _free_elsewhere(runtime)
        with runtime.context(write=True) as ctx:
            add_habit(ctx, HabitFields(name="Water"))
            assert not _free_elsewhere(runtime)
        assert _free_elsewhere(runtime)


def test_only_sqlites_writers_queue_in_the_process(db_engine: str) -> None:
    """SQLite lets one writer in at a time, so a process's writers take turns before its lock (above). PostgreSQL
    takes writers at once (one user's in turn, by an advisory lock): there a write never waits in the process for
    another, which had a server's writes wait 5-20x longer than its reads under bench/scale.py."""

    from tests.support.runtime import runtime_for

    with runtime_for(clock=FixedClock(FIXED_NOW)) as runtime, runtime.context(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Water"))
        assert _free_elsewhere(runtime) == (db_engine == "postgresql")
    with runtime_for() as runtime, runtime.context() as ctx:
        assert [habit.name for habit in list_habits(ctx)] == ["Water"]
