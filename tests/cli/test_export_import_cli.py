"""`paa export` and `paa import` from the command line: files, JSON answers, one-line errors."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import pytest

from paa.errors import ExitCode


@pytest.mark.sqlite_only  # a second install in another PAA_HOME (on PostgreSQL the database URL is shared)
def test_export_then_import_into_another_account(cli, paa_home: Path, tmp_path: Path, monkeypatch) -> None:
    assert cli("habit", "add", "Run").code == 0
    assert cli("habit", "log", "run", "--note", "easy").code == 0
    target = tmp_path / "out.json"
    done = cli("export", "-o", str(target))
    assert done.code == 0, done.err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    document = json.loads(target.read_text())
    assert document["habits"][0]["logs"][0]["note"] == "easy"
    assert json.loads(cli("export").out)["habits"] == document["habits"]  # stdout without -o

    monkeypatch.setenv("PAA_HOME", str(tmp_path / "other"))
    dry = cli("import", str(target), "--dry-run", "--json")
    assert dry.code == 0, dry.err
    assert json.loads(dry.out)["added"]["logs"] == 1 and "Run" not in cli("habit", "list").out
    assert json.loads(cli("import", str(target), "--json").out)["added"]["habits"] == 1
    again = cli("import", str(target))
    assert again.code == 0 and "Imported 0 record(s)" in again.out
    assert json.loads(cli("export").out)["habits"] == document["habits"]


def test_the_csv_export_is_a_zip(cli, tmp_path: Path) -> None:
    assert cli("habit", "add", "Run").code == 0
    assert cli("export", "--format", "csv").code == ExitCode.INVALID_INPUT  # a zip needs a file
    done = cli("export", "--format", "csv", "-o", str(tmp_path / "out.zip"))
    assert done.code == 0, done.err
    assert "habits.csv" in zipfile.ZipFile(tmp_path / "out.zip").namelist()


def test_a_broken_import_is_one_line_naming_the_record(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "paa-export", "version": 1, "paa_version": "x",
                               "exported_at": "2026-11-26T12:00:00Z", "user": {"username": "u",
                               "created_at": "2026-11-26T12:00:00Z"}, "habits": [{"name": ""}]}))  # fmt: skip
    result = cli("import", str(bad))
    assert result.code == ExitCode.INVALID_INPUT
    assert result.err.startswith("paa: error:") and "record habits[0].name" in result.err
    assert "Traceback" not in result.err
    missing = cli("import", str(tmp_path / "nowhere.json"))
    assert missing.code == ExitCode.NOT_FOUND
