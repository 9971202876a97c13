"""`paa backup` and `paa restore` from the command line: JSON answers, the list, and the confirmation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paa.errors import ExitCode

pytestmark = pytest.mark.sqlite_only  # the SQLite file's; PostgreSQL's: tests/core/dataio/test_backup_engines.py


def test_backup_list_and_restore(cli, paa_home: Path, tmp_path: Path) -> None:
    assert cli("habit", "add", "Run").code == 0
    made = cli("backup", "--json")
    assert made.code == 0, made.err
    backup = json.loads(made.out)
    assert backup["kind"] == "backup" and backup["removed"] == [] and len(backup["sha256"]) == 64
    assert cli("habit", "add", "Tea").code == 0

    listed = cli("backup", "--list", "--json")
    assert [row["path"] for row in json.loads(listed.out)] == [backup["path"]]
    assert "paa-backup-" in cli("backup", "--list").out

    dry = cli("restore", backup["path"], "--dry-run", "--json")
    assert dry.code == 0, dry.err
    plan = json.loads(dry.out)
    assert plan["restored"] is False and {"table": "habits", "now": 2, "after": 1} in plan["tables"]

    refused = cli("restore", backup["path"])  # no terminal to ask on
    assert refused.code == ExitCode.NOT_CONFIRMED and "--yes" in refused.err
    assert "Tea" in cli("habit", "list").out

    done = cli("restore", backup["path"], "--yes")
    assert done.code == 0, done.err
    assert "kept in" in done.out
    assert "Tea" not in cli("habit", "list").out and "Run" in cli("habit", "list").out


def test_retention_follows_backup_keep(cli, paa_home: Path) -> None:
    assert cli("config", "set", "backup.keep", "2").code == 0
    paths = [json.loads(cli("backup", "--json").out)["path"] for _ in range(3)]
    assert not Path(paths[0]).exists() and Path(paths[2]).exists()
    assert len(json.loads(cli("backup", "--list", "--json").out)) == 2


def test_a_missing_backup_is_one_line(cli, tmp_path: Path) -> None:
    result = cli("restore", str(tmp_path / "nowhere.db"))
    assert result.code == ExitCode.NOT_FOUND and result.err.startswith("paa: error: no backup file")
