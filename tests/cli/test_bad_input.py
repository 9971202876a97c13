"""Bad input never corrupts data or prints a traceback: every refusal is one line, a hint and an exit code.

Each case runs against a seeded database; after every refused command the stored rows (read straight
from the SQLite file) and config.toml must be exactly as before, and at the end of each group the JSON
views (`habit list --all --json`, every habit's history, `config show --json`) must match too.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.support.warm import both_paths

MB = "a" * 1_000_000
# The longest single argument Linux passes to a program (MAX_ARG_STRLEN is 32 pages, with the NUL).
LONGEST_ARG = 128 * 1024 - 1
SQL_NAMES = [
    "Robert'); DROP TABLE habits;--",
    "' OR '1'='1",
    '"; DELETE FROM habit_logs; --',
    "100% _done_ \\ %",
]
UNICODE_NAMES = [
    "🏃‍♀️ Run",  # woman running: ZWJ sequence with a variation selector
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Hike",  # Scotland's flag: a tag sequence
    "🫨 Shake it off",  # newer than the Unicode database of Python 3.11
    "跑步 每天",
    "Lire 📚 à voix haute",
    "Ünïcödé café",
    "q̇ṡ̈ Z̑ͨ",  # combining marks without a precomposed form stay as they are
    "می‌خوانم",  # Persian, with a zero-width non-joiner
    "योग अभ्यास",
    "Ωμέγα",
    "[bold]not markup[/]",
]


def stored(home: Path) -> dict[str, object]:
    """Every row of every table, plus config.toml: what must not change when input is refused."""
    con = sqlite3.connect(f"file:{home / 'paa.db'}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        rows: dict[str, object] = {
            table: con.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall() for table in tables
        }
    finally:
        con.close()
    config = home / "config.toml"
    rows["config.toml"] = config.read_text(encoding="utf-8") if config.exists() else None
    return rows


def views(cli) -> dict[str, object]:
    """What a person or a script sees: habits, each habit's history, and the settings."""
    listed = cli("habit", "list", "--all", "--json")
    assert listed.code == 0, listed.err
    habits = json.loads(listed.out)
    histories = {}
    for habit in habits:
        history = cli("habit", "history", str(habit["id"]), "--json")
        assert history.code == 0, history.err
        histories[habit["id"]] = json.loads(history.out)
    settings = cli("config", "show", "--json")
    assert settings.code == 0, settings.err
    return {"habits": habits, "histories": histories, "settings": json.loads(settings.out)}


def assert_refused(result, code: int, case: object = None) -> None:
    """A refusal: the documented exit code, nothing on stdout, one `paa: error:` line and maybe a hint."""
    where = f"{case!r}"[:200]
    assert result.code == code, f"{where}: exit {result.code}, stderr {result.err[:300]!r}"
    assert result.out == "", where
    assert "Traceback" not in result.err, where
    lines = result.err.splitlines()
    assert 1 <= len(lines) <= 2, f"{where}: {result.err[:300]!r}"
    assert lines[0].startswith("paa: error: "), where
    assert len(lines) == 1 or lines[1].startswith("hint: "), where
    assert result.err.endswith("\n"), where


def ok(result) -> None:
    assert result.code == 0, result.err
    assert "Traceback" not in result.err


@pytest.fixture
def seeded(cli, paa_home: Path):
    """Three habits with logs, and a stored setting."""
    ok(cli("habit", "add", "Water", "--unit", "glasses", "--target", "8", "--category", "health",
           "--color", "blue", "--description", "Stay\nhydrated", "--remind", "09:00,18:00"))  # fmt: skip
    ok(cli("habit", "add", "Run", "--days", "mon,wed,fri", "--category", "sport", "--remind-days", "mon"))
    ok(cli("habit", "add", "Coffee", "--unit", "cups", "--target", "2", "--at-most", "--times", "5", "--per", "7"))
    ok(cli("habit", "log", "water", "3", "--note", "morning"))
    ok(cli("habit", "log", "run", "--date", "yesterday", "--note", "5 km"))
    ok(cli("habit", "skip", "coffee", "--date", "-2"))
    ok(cli("config", "set", "week_start", "sunday"))
    return cli


def check_all(cli, home: Path, cases: Sequence[tuple[tuple[str, ...], int]]) -> None:
    """Run each refused command and check that nothing stored changed, case by case and at the end."""
    before_rows = stored(home)
    before_views = views(cli)
    for args, code in cases:
        assert_refused(cli(*args), code, args)
        assert stored(home) == before_rows, f"{args!r}"[:200]
    assert views(cli) == before_views


def test_add_refuses_bad_input(seeded, paa_home: Path) -> None:
    add = ("habit", "add")
    cases = [
        ((*add, ""), 3),
        ((*add, "   "), 3),
        ((*add, MB), 3),
        ((*add, "x" * 101), 3),
        ((*add, "bell\x07"), 3),
        ((*add, "nul\x00byte"), 3),
        ((*add, "\x1b[31mred"), 3),
        ((*add, "two\nlines"), 3),
        ((*add, "tab\there"), 3),
        ((*add, "\u202eevil"), 3),  # right-to-left override
        ((*add, "zero\u200bwidth"), 3),
        ((*add, "tag\U000e0041"), 3),  # a tag character outside a flag hides text
        ((*add, "private\ue000"), 3),
        ((*add, "42"), 3),  # digits name a habit by id
        ((*add, "water"), 5),  # already exists, in any case
        ((*add, "  WATER "), 5),
        ((*add, "Tea", "--unit", "x" * 31, "--target", "1"), 3),
        ((*add, "Tea", "--unit", "cup\x00", "--target", "1"), 3),
        ((*add, "Tea", "--unit", MB, "--target", "1"), 3),
        ((*add, "Tea", "--unit", "cups"), 3),  # measurable needs a target
        ((*add, "Tea", "--target", "abc"), 2),
        ((*add, "Tea", "--target", ""), 2),
        ((*add, "Tea", "--target", "-1"), 3),
        ((*add, "Tea", "--target", "nan"), 3),
        ((*add, "Tea", "--target", "inf"), 3),
        ((*add, "Tea", "--target", "1e300"), 3),
        ((*add, "Tea", "--target", "0"), 3),  # an at-least target of zero is always met
        ((*add, "Tea", "--target", "9" * 5000), 3),
        ((*add, "Tea", "--category", "x" * 51), 3),
        ((*add, "Tea", "--category", MB), 3),
        ((*add, "Tea", "--category", "a\x1bb"), 3),
        ((*add, "Tea", "--description", "x" * 2001), 3),
        ((*add, "Tea", "--description", MB), 3),
        ((*add, "Tea", "--description", "clear\x1b[2Jscreen"), 3),
        ((*add, "Tea", "--color", "blurple"), 3),
        ((*add, "Tea", "--color", "#12345"), 3),
        ((*add, "Tea", "--color", "#gggggg"), 3),
        ((*add, "Tea", "--color", "red; DROP TABLE habits"), 3),
        ((*add, "Tea", "--color", MB), 3),
        ((*add, "Tea", "--remind", "25:00"), 3),
        ((*add, "Tea", "--remind", "9"), 3),
        ((*add, "Tea", "--remind", "ab:cd"), 3),
        ((*add, "Tea", "--remind", "09:00,"), 3),
        ((*add, "Tea", "--remind", ",".join(f"{h:02d}:00" for h in range(13))), 3),
        ((*add, "Tea", "--remind", MB), 3),
        ((*add, "Tea", "--remind-days", "xyz"), 3),
        ((*add, "Tea", "--remind-days", MB), 3),
        ((*add, "Tea", "--days", ""), 3),
        ((*add, "Tea", "--days", "t"), 3),
        ((*add, "Tea", "--days", "mon;wed"), 3),
        ((*add, "Tea", "--days", MB), 3),
        ((*add, "Tea", "--days", "mon", "--times", "2"), 3),
        ((*add, "Tea", "--times", "0"), 3),
        ((*add, "Tea", "--times", "-1"), 3),
        ((*add, "Tea", "--times", "8", "--per", "7"), 3),
        ((*add, "Tea", "--times", "1", "--per", "367"), 3),
        ((*add, "Tea", "--per", "0"), 3),
        ((*add, "Tea", "--times", "abc"), 2),
        ((*add, "Tea", "--times", "1.5"), 2),
        ((*add, "Tea", "--times", "1" * 5000), 2),
        ((*add, "Tea", "--bogus"), 2),
        ((*add,), 2),
    ]
    check_all(seeded, paa_home, cases)


def test_log_skip_unlog_refuse_bad_input(seeded, paa_home: Path) -> None:
    cases = [
        (("habit", "log", "water", "abc"), 3),
        (("habit", "log", "water", ""), 3),
        (("habit", "log", "water", "nan"), 3),
        (("habit", "log", "water", "--", "-inf"), 3),
        (("habit", "log", "water", "1e10"), 3),
        (("habit", "log", "water", "0x10"), 3),
        (("habit", "log", "water", "3 glasses"), 3),
        (("habit", "log", "water", "1,000"), 3),  # a thousand, or one? refused, not guessed
        (("habit", "log", "water", "1,000.5"), 3),
        (("habit", "log", "water", "1.000,5"), 3),
        (("habit", "log", "water", "1,2,3"), 3),
        (("habit", "log", "water", MB), 3),
        (("habit", "log", "water", "9" * 1_000_000), 3),
        (("habit", "log", "water", "--", "-3"), 3),
        (("habit", "log", "water", "-3"), 2),  # read as an option
        (("habit", "log", "water"), 3),  # measurable: needs a value
        (("habit", "log", "run", "1"), 3),  # yes/no: takes none
        (("habit", "log", "water", "999999998"), 3),  # 3 already logged: the day's total is too large
        (("habit", "log", "water", "1", "--note", "x" * 2001), 3),
        (("habit", "log", "water", "1", "--note", MB), 3),
        (("habit", "log", "water", "1", "--note", "bell\x07"), 3),
        (("habit", "log", "water", "1", "--note", "\x1b[2J"), 3),
        (("habit", "log", "water", "1", "--date", "tomorrow"), 3),
        (("habit", "log", "water", "1", "--date", "2026-11-27"), 3),
        (("habit", "log", "water", "1", "--date", "2026-02-30"), 3),
        (("habit", "log", "water", "1", "--date", ""), 3),
        (("habit", "log", "water", "1", "--date", "0001-01-05"), 3),  # before 1900: too long ago
        (("habit", "log", "water", "1", "--date", "-²"), 3),
        (("habit", "log", "water", "1", "--date", "-" + "9" * 5000), 3),
        (("habit", "log", "water", "1", "--date", MB), 3),
        (("habit", "log", "water", "1", "--date", "2026-11-26'; DROP TABLE habit_logs;--"), 3),
        (("habit", "log", ""), 3),
        (("habit", "log", "   "), 3),
        (("habit", "log", "swim"), 4),
        (("habit", "log", "99"), 4),
        (("habit", "log", "' OR 1=1 --"), 4),
        (("habit", "log", "%"), 4),
        (("habit", "log", MB), 4),
        (("habit", "log", "c"), 5),  # Coffee or Cycle
        (("habit", "skip", "run", "--note", "x" * 2001), 3),
        (("habit", "skip", "run", "--date", "tomorrow"), 3),
        (("habit", "skip", "nosuch"), 4),
        (("habit", "unlog", "run", "--date", "-3"), 4),  # nothing logged that day
        (("habit", "unlog", "run", "--date", "friday"), 4),
        (("habit", "unlog", "run", "--date", MB), 3),
        (("habit", "delete", "run"), 11),  # no terminal to confirm: NOT_CONFIRMED
        (("habit", "delete", "nosuch", "--yes"), 4),
        (("habit", "archive", ""), 3),
    ]
    # "c" must be ambiguous for the case above: add a second habit starting with c first.
    ok(seeded("habit", "add", "Cycle"))
    check_all(seeded, paa_home, cases)


def test_edit_and_rename_refuse_bad_input(seeded, paa_home: Path) -> None:
    edit = ("habit", "edit", "water")
    cases = [
        ((*edit, "--target", "-5"), 3),
        ((*edit, "--target", "nan"), 3),
        ((*edit, "--target", "abc"), 2),
        ((*edit, "--unit", "x" * 31), 3),
        ((*edit, "--unit", MB), 3),
        ((*edit, "--category", "a\x00b"), 3),
        ((*edit, "--category", MB), 3),
        ((*edit, "--description", MB), 3),
        ((*edit, "--description", "\x7f"), 3),
        ((*edit, "--color", "blurple"), 3),
        ((*edit, "--remind", "24:00"), 3),
        ((*edit, "--remind", MB), 3),
        ((*edit, "--remind-days", "someday"), 3),
        ((*edit, "--days", "xyz"), 3),
        ((*edit, "--days", ""), 3),
        ((*edit, "--times", "0"), 3),
        ((*edit, "--times", "3", "--per", "2"), 3),
        ((*edit, "--per", "1000"), 3),
        ((*edit, "--days", "mon", "--target", "-1"), 3),  # one bad option: nothing at all changes
        (("habit", "edit", "run", "--target", "0"), 3),  # at-least zero
        (("habit", "edit", "run", "--unit", "km"), 3),  # measurable without a target
        (("habit", "edit", "nosuch", "--target", "1"), 4),
        (("habit", "rename", "run", ""), 3),
        (("habit", "rename", "run", "   "), 3),
        (("habit", "rename", "run", MB), 3),
        (("habit", "rename", "run", "x" * 101), 3),
        (("habit", "rename", "run", "new\nline"), 3),
        (("habit", "rename", "run", "\x00"), 3),
        (("habit", "rename", "run", "12"), 3),
        (("habit", "rename", "nosuch", "Jog"), 4),
        (("habit", "rename", "run"), 2),
    ]
    check_all(seeded, paa_home, cases)


def test_rename_to_a_taken_name_is_a_conflict(cli, paa_home: Path) -> None:
    for name in ("Water", "Run", "Archived one"):
        ok(cli("habit", "add", name))
    ok(cli("habit", "archive", "archived"))
    cases = [(("habit", "rename", "run", new_name), 5) for new_name in ("Water", " WATER ", "archived ONE")]
    check_all(cli, paa_home, cases)


def test_history_refuses_bad_input(seeded, paa_home: Path) -> None:
    history = ("habit", "history", "run")
    cases = [
        ((*history, "--from", "tomorrow"), 3),
        ((*history, "--from", "2026-11-27"), 3),
        ((*history, "--to", "2099-01-01"), 3),
        ((*history, "--from", "2026-11-20", "--to", "2026-11-01"), 3),
        ((*history, "--from", "yesterday", "--to", "-5"), 3),
        ((*history, "--from", "2026-13-01"), 3),
        ((*history, "--from", "-²"), 3),
        ((*history, "--to", MB), 3),
        ((*history, "--from", "' OR 1=1 --"), 3),
        (("habit", "history", "nosuch"), 4),
        (("habit", "show", "run", "--weeks", "0"), 2),
        (("habit", "show", "run", "--weeks", "abc"), 2),
    ]
    check_all(seeded, paa_home, cases)


def test_config_set_refuses_bad_input(seeded, paa_home: Path) -> None:
    cases = [
        (("config", "set", "day_start_hour", "24"), 7),
        (("config", "set", "day_start_hour", "abc"), 7),
        (("config", "set", "day_start_hour", "4.5"), 7),
        (("config", "set", "day_start_hour", ""), 7),
        (("config", "set", "day_start_hour", "--", "-1"), 7),
        (("config", "set", "day_start_hour", "-1"), 2),  # read as an option
        (("config", "set", "day_start_hour", "9" * 5000), 7),
        (("config", "set", "timezone", "Mars/Base"), 7),
        (("config", "set", "timezone", "../../etc/passwd"), 7),
        (("config", "set", "timezone", "/etc/localtime"), 7),
        (("config", "set", "timezone", ""), 7),
        (("config", "set", "timezone", "UTC\x00"), 7),
        (("config", "set", "timezone", "x" * 200), 7),
        (("config", "set", "week_start", "friday"), 7),
        (("config", "set", "checkin.time", "25:00"), 7),
        (("config", "set", "checkin.time", "21:60"), 7),
        (("config", "set", "checkin.time", "nine"), 7),
        (("config", "set", "color", "purple"), 7),
        (("config", "set", "nope", "1"), 7),
        (("config", "set", "", "1"), 7),
        (("config", "set", MB, "1"), 7),
        (("config", "set", "timezone"), 2),
    ]
    check_all(seeded, paa_home, cases)


def test_config_set_a_huge_timezone_is_a_config_error(cli, paa_home: Path) -> None:
    ok(cli("config", "set", "week_start", "sunday"))
    check_all(cli, paa_home, [(("config", "set", "timezone", "x" * 300), 7)])


def test_refusals_do_not_echo_a_megabyte(seeded) -> None:
    # The value is quoted in the message, cut short: a huge input does not flood the terminal.
    for args in [
        ("habit", "log", "water", MB),
        ("habit", "log", "water", "1", "--date", MB),
        ("habit", "history", "run", "--from", MB),
        ("habit", "add", "Tea", "--color", MB),
        ("habit", "add", "Tea", "--days", MB),
        ("habit", "add", MB),
        ("habit", "add", "Tea", "--description", MB),
    ]:
        result = seeded(*args)
        assert_refused(result, 3, args[:4])
        assert len(result.err) < 500, args[:4]


@pytest.mark.parametrize(
    "args",
    [
        ("habit", "log", MB),
        ("habit", "add", "Tea", "--remind", MB),
        ("config", "set", "week_start", MB),
    ],
    ids=["habit-ref", "remind", "config-value"],
)
def test_refusals_elsewhere_do_not_echo_a_megabyte(cli, args) -> None:
    result = cli(*args)
    assert "Traceback" not in result.err
    assert len(result.err) < 500


def test_unicode_digits_do_not_crash_habit_lookup(cli, paa_home: Path) -> None:
    ok(cli("habit", "add", "Run"))
    check_all(cli, paa_home, [(("habit", "log", "²"), 4), (("habit", "log", "¹²"), 4)])


# --- text that must be kept exactly ------------------------------------------------------------


def test_names_are_stored_and_read_back_exactly(cli, paa_home: Path) -> None:
    names = SQL_NAMES + UNICODE_NAMES
    ok(cli("habit", "add", "Plain"))
    ids = {}
    for name in names:
        added = cli("habit", "add", name, "--category", name, "--description", f"{name}\n{name}", "--json")
        ok(added)
        assert json.loads(added.out)["name"] == name
        ids[name] = json.loads(added.out)["id"]
        ok(cli("habit", "log", str(ids[name]), "--note", f"note: {name}"))
    for name, habit_id in ids.items():
        # Read back by id and by the exact name.
        for ref in (str(habit_id), name):
            shown = cli("habit", "show", ref, "--json")
            ok(shown)
            data = json.loads(shown.out)
            assert (data["id"], data["name"], data["category"], data["description"]) == (
                habit_id,
                name,
                name,
                f"{name}\n{name}",
            ), ref
        history = json.loads(cli("habit", "history", name, "--json").out)
        assert history["habit"] == {"id": habit_id, "name": name}
        assert [log["note"] for log in history["logs"]] == [f"note: {name}"]
    listed = json.loads(cli("habit", "list", "--json").out)
    assert [h["name"] for h in listed] == ["Plain", *names]
    human = cli("habit", "list").out
    assert all(name in human for name in names)
    # The tables are all still there and sound.
    con = sqlite3.connect(paa_home / "paa.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT COUNT(*) FROM habits").fetchone() == (len(names) + 1,)
        assert con.execute("SELECT COUNT(*) FROM habit_logs").fetchone() == (len(names),)
        stored_names = [row[0] for row in con.execute("SELECT name FROM habits ORDER BY id")]
        assert stored_names == ["Plain", *names]
    finally:
        con.close()


def test_rename_keeps_unicode_and_sql_text_exactly(cli) -> None:
    ok(cli("habit", "add", "Read"))
    for name in [*SQL_NAMES, *UNICODE_NAMES, "READ"]:
        ok(cli("habit", "rename", "1", name))
        assert json.loads(cli("habit", "show", "1", "--json").out)["name"] == name


def test_decomposed_accents_are_stored_composed() -> None:
    # Text is stored in NFC, so "e" + combining acute and "é" are the same name.
    from paa.core.validate import habit_name

    assert habit_name("Cafe\u0301") == "Caf\u00e9"


def test_a_composed_name_is_taken_by_its_decomposed_twin(cli) -> None:
    ok(cli("habit", "add", "Caf\u00e9"))
    assert_refused(cli("habit", "add", "Cafe\u0301"), 5)


def test_a_decomposed_reference_finds_the_composed_name(cli) -> None:
    ok(cli("habit", "add", "Caf\u00e9"))
    ok(cli("habit", "log", "Cafe\u0301"))


# --- the real executable -----------------------------------------------------------------------


@both_paths
def test_executable_refuses_the_longest_argument_and_a_megabyte_command_line(run_paa, paa_home: Path) -> None:
    added = run_paa("habit", "add", SQL_NAMES[0])
    assert added.returncode == 0, added.stderr
    ok_log = run_paa("habit", "log", "robert", "--note", "first")
    assert ok_log.returncode == 0, ok_log.stderr
    before = stored(paa_home)
    long = "n" * LONGEST_ARG
    refused = run_paa("habit", "log", "robert", "--note", long)
    assert refused.returncode == 3
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == ["paa: error: note is too long (131071 characters; the limit is 2000)"]
    # A whole megabyte cannot be one argument (the kernel refuses it), so spread it over eight.
    options = ["--unit", "--category", "--description", "--color", "--remind", "--remind-days", "--days"]
    args = ["habit", "add", "x" * LONGEST_ARG]
    for option in options:
        args += [option, "y" * LONGEST_ARG]
    assert sum(map(len, args)) > 1_000_000
    huge = run_paa(*args)
    assert huge.returncode == 3
    assert huge.stdout == ""
    assert "Traceback" not in huge.stderr
    assert huge.stderr.startswith("paa: error: habit name is too long")
    assert len(huge.stderr.splitlines()) <= 2
    assert stored(paa_home) == before


@both_paths
def test_executable_keeps_unicode_and_control_characters_out(run_paa, paa_home: Path) -> None:
    name = UNICODE_NAMES[0]
    assert run_paa("habit", "add", name).returncode == 0
    refused = run_paa("habit", "add", "esc\x1b[31m")
    assert refused.returncode == 3
    assert refused.stderr.startswith("paa: error: habit name contains a control or invisible character (U+001B)")
    assert "Traceback" not in refused.stderr
    listed = run_paa("habit", "list", "--json")
    assert [h["name"] for h in json.loads(listed.stdout)] == [name]
