"""`paa checkin --edit`: the day's check-in opened in $EDITOR (a small script here), read back and saved."""

from __future__ import annotations

import json
import stat
import sys
import textwrap
from pathlib import Path

import pytest

# The editor is a real process, so these run in the end-to-end lane (`-m e2e`).
pytestmark = [pytest.mark.usefixtures("migrated_home"), pytest.mark.e2e]


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Point EDITOR at a script that records the file it was given and writes `text` into it (None: leave it)."""
    monkeypatch.delenv("VISUAL", raising=False)
    seen = tmp_path / "seen.json"

    def use(text: str | None, status: int = 0) -> Path:
        script = tmp_path / "editor.py"
        script.write_text(
            textwrap.dedent(f"""
                import json, os, sys
                path = sys.argv[1]
                info = {{"path": path, "mode": os.stat(path).st_mode & 0o777, "text": open(path).read()}}
                json.dump(info, open({str(seen)!r}, "w"))
                if {text!r} is not None:
                    open(path, "w").write({text!r})
                sys.exit({status})
            """)
        )
        monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
        return seen

    return use


def shown(cli) -> dict:
    result = cli("checkin", "show", "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_a_new_check_in_is_written_in_the_editor_saved_and_indexed_and_the_file_removed(cli, editor) -> None:
    seen = editor("mood: 4\nenergy: 2\n## How was your day?\nSore knee after the run\n## Any wins today?\n\n")
    done = cli("checkin", "--edit")
    assert done.code == 0, done.err
    assert done.out.startswith("Checked in for 2026-11-26: mood 4/5, energy 2/5, 1 answer")
    info = json.loads(seen.read_text())
    assert info["mode"] == stat.S_IRUSR | stat.S_IWUSR  # 0600: answers are private
    assert "## How was your day?\n" in info["text"] and "## Any wins today?\n" in info["text"]
    assert not Path(info["path"]).exists()
    checkin = shown(cli)
    assert (checkin["mood"], checkin["energy"]) == (4, 2)
    assert checkin["answers"] == [{"prompt": "How was your day?", "answer": "Sore knee after the run"}]
    hits = json.loads(cli("memory", "search", "knee", "--json").out)
    assert hits and "knee" in json.dumps(hits)


def test_an_existing_check_in_opens_with_its_answers_and_is_edited(cli, editor) -> None:
    assert cli("checkin", "--mood", "3", "-a", "Fine", "-a", "Tidied up").code == 0
    seen = editor("mood: 5\nenergy:\n## How was your day?\nBetter than I said\n## Any wins today?\nTidied up\n")
    done = cli("checkin", "--edit")
    assert done.code == 0, done.err
    assert (
        "mood: 3\nenergy:\n\n## How was your day?\nFine\n\n## Any wins today?\nTidied up\n"
        in json.loads(seen.read_text())["text"]
    )
    checkin = shown(cli)
    assert checkin["mood"] == 5 and checkin["answers"][0]["answer"] == "Better than I said"


@pytest.mark.parametrize(("text", "why"), [(None, "not changed"), ("", "empty"), ("# just a comment\n", "empty")])
def test_an_unchanged_or_emptied_file_saves_nothing_and_says_so(cli, editor, text: str | None, why: str) -> None:
    editor(text)
    done = cli("checkin", "--edit")
    assert done.code == 0, done.err
    assert done.out.strip() == f"Nothing saved: the check-in for 2026-11-26 was {why}."
    assert json.loads(cli("checkin", "history", "--json").out)["checkins"] == []


def test_an_editor_that_fails_saves_nothing(cli, editor) -> None:
    seen = editor("mood: 4\n## How was your day?\nGood\n", status=1)
    done = cli("checkin", "--edit")
    assert done.code == 130 and "the editor exited with status 1; nothing was saved" in done.err
    assert not Path(json.loads(seen.read_text())["path"]).exists()
    assert json.loads(cli("checkin", "history", "--json").out)["checkins"] == []


def test_a_file_that_cannot_be_read_is_a_clear_error(cli, editor) -> None:
    editor("mood: 9\n## How was your day?\nGood\n")
    done = cli("checkin", "--edit")
    assert done.code == 3 and "mood must be a whole number from 1 to 5" in done.err and "Traceback" not in done.err


def test_no_editor_at_all_is_a_clear_error(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no nano, vim or vi to fall back on
    done = cli("checkin", "--edit")
    assert done.code == 7
    assert "neither $VISUAL nor $EDITOR is set" in done.err and "export EDITOR=nano" in done.err


def test_edit_takes_no_answers_on_the_command_line(cli, editor) -> None:
    editor(None)
    done = cli("checkin", "--edit", "--mood", "3")
    assert done.code == 3 and "--edit takes no other answers or ratings" in done.err
