"""The claims of docs/security.md's threat model, each a test (issue #14, "Must hold").

The doc names, for every claim it makes about a deployment, the test that holds it: most live in the attack suite's
other files; the claims no other test covered are here. `test_every_test_named_in_security_md_exists` parses the
doc, so a renamed or deleted test fails here rather than leaving the doc naming nothing; and every claim of the
threat model names a test or says plainly that nothing enforces it yet.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from paa.config import resolve_paths
from tests.support.accounts import ALICE_PASSWORD, BOB_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SECURITY_MD = ROOT / "docs" / "security.md"
# `tests/security/test_file_modes.py` or `tests/security/test_file_modes.py::test_name` (a parametrized id allowed)
TEST_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+)(?:\[[^\]`]*\])?)?`")
UNTESTED = "(not enforced yet)"  # how a claim of the threat model says that no test holds it, because nothing does

BOBS_ANSWER = "bob-private-answer-quokka"
BOBS_HABIT = "Bob private habit wombat"


def _register(cli, stdin, name: str, password: str) -> None:
    stdin(password + "\n")
    done = cli("auth", "register", name, "--password-stdin")
    assert done.code == 0, done.err


def _bob_checks_in_and_leaves(cli, stdin) -> None:
    """A household: alice (the first account, admin) and bob; bob logs a habit and checks in, then logs out."""
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    _register(cli, stdin, "bob", BOB_PASSWORD)
    assert cli("--user", "bob", "habit", "add", BOBS_HABIT).code == 0
    done = cli("--user", "bob", "checkin", "--mood", "2", "--answer", BOBS_ANSWER, "--answer", "none")
    assert done.code == 0, done.err
    assert cli("--user", "bob", "auth", "logout").code == 0


# ---- one person ------------------------------------------------------------------------------------------------


@pytest.fixture
def umask_022(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """umask 022 (most systems' default) and paa's folders where the platform puts them, under a temporary home."""
    monkeypatch.delenv("PAA_HOME")
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / "xdg" / name.lower()))
    previous = os.umask(0o022)
    try:
        yield tmp_path
    finally:
        os.umask(previous)


def test_everything_paa_writes_is_0600_in_0700_folders_under_umask_022(cli, stdin, umask_022: Path) -> None:
    from paa.daemon.__main__ import main as daemon_main

    _register(cli, stdin, "alice", ALICE_PASSWORD)  # session.json
    stdin("sk-ant-test-key-0123456789\n")
    assert cli("auth", "key", "set", "anthropic").code == 0  # secrets.json (tests keep no OS keyring)
    assert cli("habit", "add", "Read").code == 0
    assert cli("habit", "log", "Read", "--note", "a sealed note").code == 0  # the database, its data key
    assert cli("checkin", "--mood", "4", "--answer", "fine", "--answer", "none").code == 0
    stdin("https://hooks.example.org/T0/B0/abcDEF123ghiJKL456mno\n")
    assert cli("config", "set", "webhook.url", "-").code == 0  # config.toml
    assert daemon_main(["run-due"]) == 0  # the daemon's log and status
    export = umask_022 / "export.csv"
    assert cli("analytics", "export", "-o", str(export)).code == 0

    paths = resolve_paths(os.environ)
    roots = {paths.config_dir, paths.data_dir, paths.log_dir, paths.cache_dir}
    seen = []
    for root in (root for root in roots if root.exists()):
        for folder, _dirs, files in os.walk(root):
            assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
            for name in files:
                path = Path(folder) / name
                assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path} is readable by others"
                seen.append(name)
    assert {"paa.db", "session.json", "secrets.json", "config.toml"} <= set(seen)
    assert stat.S_IMODE(export.stat().st_mode) == 0o600


# ---- a household on one OS account ------------------------------------------------------------------------------


def test_a_housemate_cannot_read_a_members_checkins_through_paa(cli, stdin) -> None:
    _bob_checks_in_and_leaves(cli, stdin)  # alice, the admin, is still logged in
    assert cli("checkin", "--mood", "4", "--answer", "alice-own-answer", "--answer", "none").code == 0

    reads = [
        cli("checkin", "history", "--json"),
        cli("checkin", "show", "--json"),
        cli("habit", "list", "--json"),
        cli("memory", "search", "quokka", "--json"),
        cli("chat", "search", "quokka", "--json"),
        cli("analytics", "export"),
        cli("users", "list", "--json"),  # an admin manages accounts, and sees nothing of their data
    ]
    for done in reads:
        assert done.code == 0, done.err  # each read works, and shows alice only her own
        assert BOBS_ANSWER not in done.out + done.err and "wombat" not in done.out + done.err

    assert "alice-own-answer" in reads[1].out  # the same day: she reads her own check-in, not his
    as_bob = cli("--user", "bob", "checkin", "history", "--json")  # bob logged out: his name is not enough
    assert as_bob.code == 8 and BOBS_ANSWER not in as_bob.out


def test_an_open_session_lets_whoever_is_at_the_keyboard_act_as_its_owner(cli, stdin) -> None:
    """Courtesy isolation: what the doc says to do about it (log out) is what ends it."""
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    _register(cli, stdin, "bob", BOB_PASSWORD)
    assert cli("--user", "bob", "habit", "add", BOBS_HABIT).code == 0

    while_open = cli("--user", "bob", "habit", "list", "--json")  # alice, at the same OS account
    assert while_open.code == 0 and "wombat" in while_open.out

    assert cli("--user", "bob", "auth", "logout").code == 0
    after = cli("--user", "bob", "habit", "list", "--json")
    assert after.code == 8 and "wombat" not in after.out


def test_anyone_with_the_file_and_its_key_reads_everything(cli, stdin, paa_home: Path) -> None:
    """Courtesy isolation ends at the file: the database and its data key are readable by the whole OS account.

    What is not sealed (habit names) is plain in the file; what is sealed (check-in answers) is not, but the key
    beside it opens it for anyone who can run programs as that OS user.
    """
    _bob_checks_in_and_leaves(cli, stdin)
    database = paa_home / "paa.db"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as raw:
        habits = [row[0] for row in raw.execute("SELECT name FROM habits")]
        answers = json.dumps([list(row) for row in raw.execute("SELECT * FROM daily_checkins")])
    assert BOBS_HABIT in habits  # not sealed: plain to anyone with the file
    assert BOBS_ANSWER not in answers  # sealed: the file alone does not tell
    key_file = paa_home / "data.key"
    assert key_file.exists() and os.access(key_file, os.R_OK)  # ...but the key is the OS account's to read too


def test_a_member_cannot_change_install_settings(cli, stdin) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    _register(cli, stdin, "bob", BOB_PASSWORD)
    for args in (("set", "notify.channels", "log"), ("unset", "webhook.url")):
        done = cli("--user", "bob", "config", *args)
        assert done.code == 9 and "admin" in done.err, args
    assert json.loads(cli("config", "get", "notify.channels", "--json").out)["value"] == "desktop"


# ---- the doc names only tests that exist -------------------------------------------------------------------


def _defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }  # fmt: skip


def _threat_model(text: str) -> str:
    start = text.index("\n## Threat model\n")
    return text[start : text.index("\n## ", start + 1)]


def test_every_test_named_in_security_md_exists() -> None:
    text = SECURITY_MD.read_text(encoding="utf-8")
    references = TEST_REFERENCE.findall(text)
    assert len(references) >= 30  # the parse finds them (a changed style would find none and pass)
    missing = []
    for file, name in references:
        path = ROOT / file
        if not path.is_file():
            missing.append(file)
        elif name and name not in _defined_tests(path):
            missing.append(f"{file}::{name}")
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"


def test_every_claim_of_the_threat_model_names_its_test() -> None:
    """Each bullet of the threat model names a test, or says it is not enforced yet."""
    section = _threat_model(SECURITY_MD.read_text(encoding="utf-8"))
    claims = re.split(r"\n(?=- )", section)[1:]  # each bullet, with its continuation lines
    claims = [claim.split("\n\n")[0] for claim in claims]  # a bullet ends at a blank line
    assert len(claims) >= 20
    unproven = [claim[:80] for claim in claims if not TEST_REFERENCE.search(claim) and UNTESTED not in claim]
    assert not unproven, f"claims of the threat model with no test: {unproven}"
