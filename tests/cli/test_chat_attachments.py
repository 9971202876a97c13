"""`paa chat -a FILE` and `/attach` in the REPL: the files reach Claude (the fake API), `paa chat show` lists them,
and a refused file is one line that sends nothing."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from tests.support import files as samples
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.terminal import person_typing


@pytest.fixture(autouse=True)
def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_KEYRING", "off")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "photo.png").write_bytes(samples.png(5, 5))
    (tmp_path / "report.pdf").write_bytes(samples.pdf("Quarterly report", "Costs rose by 12 percent"))
    (tmp_path / "my notes.txt").write_text("remember the milk\n")
    (tmp_path / "song.mp3").write_bytes(b"ID3\x03\x00" + bytes(200))
    return tmp_path


def test_attach_sends_the_files_with_the_prompt_and_show_lists_them(
    cli, fake_anthropic: FakeAnthropic, folder: Path
) -> None:
    fake_anthropic.push(reply("Costs rose by 12%."))
    result = cli("chat", "-a", str(folder / "photo.png"), "--attach", str(folder / "report.pdf"), "what stands out?")
    assert result.code == 0, result.err
    assert "Costs rose by 12%." in result.out
    (request,) = fake_anthropic.wait_for_requests(1)
    content = request.body["messages"][0]["content"]
    assert [block["type"] for block in content] == ["image", "document", "text"]
    assert content[-1]["text"] == "what stands out?"

    shown = cli("chat", "show", "1")
    assert shown.code == 0, shown.err
    assert "+ attached photo.png (image, " in shown.out
    assert "+ attached report.pdf (PDF, 2 pages, " in shown.out
    as_json = json.loads(cli("chat", "show", "1", "--json").out)
    assert [item["name"] for item in as_json["messages"][0]["attachments"]] == ["photo.png", "report.pdf"]
    assert as_json["messages"][0]["attachments"][1]["kind"] == "pdf"


def test_a_refused_file_is_one_line_and_nothing_is_sent(cli, fake_anthropic: FakeAnthropic, folder: Path) -> None:
    result = cli("chat", "-a", str(folder / "song.mp3"), "what is this?")
    assert result.code != 0
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert lines[0].startswith("paa: error: cannot attach song.mp3: paa attaches only images (JPEG, PNG, GIF, WebP)")
    assert "Traceback" not in result.err
    missing = cli("chat", "-a", str(folder / "nope.pdf"), "hi")
    assert missing.code != 0 and "no such file" in missing.err
    assert fake_anthropic.message_requests == []
    assert json.loads(cli("chat", "history", "--json").out) == []


def test_files_alone_from_a_script_are_sent(cli, fake_anthropic: FakeAnthropic, folder: Path) -> None:
    fake_anthropic.push(reply("A note about milk."))
    result = cli("chat", "-a", str(folder / "my notes.txt"))
    assert result.code == 0, result.err
    (request,) = fake_anthropic.wait_for_requests(1)
    (block,) = request.body["messages"][0]["content"]
    assert block["text"] == "Attached file my notes.txt:\n```\nremember the milk\n```"


def test_offline_the_answer_says_it_cannot_read_them(cli, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    result = cli("chat", "--offline", "-a", str(folder / "photo.png"), "what is in this photo?")
    assert result.code == 0, result.err
    assert "I can't read attached files offline (photo.png)" in result.out


def test_repl_attach_goes_with_the_next_message_only(
    cli, fake_anthropic: FakeAnthropic, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes, photo, song = folder / "my notes.txt", folder / "photo.png", folder / "song.mp3"
    person_typing(
        monkeypatch,
        ["/attach", f'/attach "{notes}" {photo}', f"/attach {song}", "what are these?", "and now?", "/exit"],
    )
    fake_anthropic.push(reply("Notes and a photo."), reply("Nothing new."), reply('{"topics": [], "intents": []}'))
    result = cli("chat")
    assert result.code == 0, result.err
    assert "nothing attached" in result.out
    assert "attached for your next message: my notes.txt (text, 18 B), photo.png (image," in result.out
    assert "cannot attach song.mp3" in result.err  # refused, the others stay attached
    first, second = fake_anthropic.wait_for_requests(2)[:2]
    assert [b["type"] for b in first.body["messages"][-1]["content"]] == ["text", "image", "text"]
    assert [b["type"] for b in second.body["messages"][-1]["content"]] == ["text"]  # sent once, then history
    assert [b["type"] for b in second.body["messages"][0]["content"]] == ["text", "image", "text"]
