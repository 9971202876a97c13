"""The real `paa` executable imports past conversations, refuses a bad file whole when asked, and search finds them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support.histories import claude_export, jsonl_lines, write_json, write_jsonl
from tests.support.processes import child_env, paa_executable
from tests.support.waiting import GIVE_UP_SECONDS

pytestmark = pytest.mark.e2e


def _paa(*args: str) -> subprocess.CompletedProcess[str]:
    env = child_env({"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"})
    return subprocess.run([paa_executable(), *args], capture_output=True, text=True, env=env, timeout=120)


def test_import_a_jsonl_file_and_a_claude_export_then_search_them(tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", jsonl_lines(), extra_lines=('{"conversation_id": "x"}\n',))
    refused = _paa("memory", "import", str(bad), "--on-error", "stop")
    assert refused.returncode != 0 and refused.stdout == ""
    first_line = refused.stderr.splitlines()[0]
    assert first_line == "paa: error: line 5: no `role` (user, assistant, other); nothing was imported"
    assert "Traceback" not in refused.stderr

    done = _paa("memory", "import", str(write_jsonl(tmp_path / "h.jsonl", jsonl_lines())), "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    summary = json.loads(done.stdout)
    assert (summary["messages"], summary["conversations"]["added"]) == ({"added": 4, "existing": 0}, 2)

    claude = _paa("chat", "import", str(write_json(tmp_path / "conversations.json", claude_export())))
    assert claude.returncode == 0, claude.stderr
    assert "Imported 2 message(s), 1 new conversation(s)" in claude.stdout and "(Claude)" in claude.stdout
    again = _paa("memory", "import", str(tmp_path / "conversations.json"), "--json")
    assert json.loads(again.stdout)["messages"] == {"added": 0, "existing": 2}

    found = _paa("memory", "search", "shorter strides kneecap", "--json")
    assert found.returncode == 0, found.stderr
    hit = json.loads(found.stdout)[0]
    assert {key: hit[key] for key in ("conversation_title", "speaker", "role", "time")} == {
        "conversation_title": "Sore knee after running",
        "speaker": "Claude",
        "role": "assistant",
        "time": "2024-06-02T18:01:00+00:00",
    }
    assert hit["text"].endswith("Try shorter strides and rest a few days.")
    shown = _paa("chat", "show", str(hit["conversation_id"]), "--json")
    assert shown.returncode == 0, shown.stderr
    assert hit["message_id"] in [message["id"] for message in json.loads(shown.stdout)["messages"]]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_a_terminal_sees_a_progress_bar_and_the_output_stays_clean(tmp_path: Path) -> None:
    """The bar goes to stderr when it is a terminal (and not with --json); stdout, here a pipe, gets the summary."""
    import pty

    items = [
        {**item, "conversation_id": f"{item['conversation_id']}-{n}", "id": f"{n}-{index}"}
        for n in range(200)
        for index, item in enumerate(jsonl_lines())
    ]
    path = write_jsonl(tmp_path / "many.jsonl", items)
    main_fd, child_fd = pty.openpty()
    env = child_env({"HF_HUB_OFFLINE": "1", "TERM": "xterm-256color", "COLUMNS": "100"})
    process = subprocess.Popen([paa_executable(), "memory", "import", str(path)], stdout=subprocess.PIPE,
                               stderr=child_fd, stdin=subprocess.DEVNULL, env=env, text=True)  # fmt: skip
    os.close(child_fd)
    shown = bytearray()

    def read_terminal() -> None:  # a full terminal buffer would block the child: read it as it writes
        while True:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:  # the child closed it
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    try:
        out, _err = process.communicate(timeout=GIVE_UP_SECONDS)
        reader.join(GIVE_UP_SECONDS)
    finally:
        os.close(main_fd)
    assert process.returncode == 0, shown.decode(errors="replace")[-2000:]
    assert "Imported 800 message(s), 400 new conversation(s)" in out and "\x1b" not in out
    assert b"Importing" in shown and b"messages" in shown
