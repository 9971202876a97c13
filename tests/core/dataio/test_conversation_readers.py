"""Reading past conversations: ChatGPT's and Claude's exports, llm's logs.db, paa's JSON Lines; bad records named."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from paa.core.dataio.conversations import History, detect, import_key, read_history
from paa.errors import InvalidInput, NotFound
from tests.support.histories import (
    chatgpt_branches_export,
    chatgpt_export,
    claude_export,
    jsonl_lines,
    llm_logs_db,
    write_json,
    write_jsonl,
)

BERLIN = ZoneInfo("Europe/Berlin")


def _said(history: History) -> list[tuple[str, str | None, str, str]]:
    return [
        (message.role, message.speaker, message.time.isoformat(), message.text)
        for conversation in history.conversations
        for message in conversation.messages
    ]


def test_chatgpt_keeps_the_current_branch_first_and_others_apart_without_system_tool_or_hidden_turns(
    tmp_path: Path,
) -> None:
    history = read_history(write_json(tmp_path / "conversations.json", chatgpt_export()), BERLIN)
    assert history.format == "chatgpt" and history.problems == []
    # the code-only one has nothing to import; the regenerated answer's first try is a branch of its own
    assert [c.title for c in history.conversations] == ["Lisbon trams", "Lisbon trams (branch 2)"]
    assert _said(history) == [
        ("user", None, "2024-05-01T09:30:00.250000+00:00", "Which tram goes to Belém?"),
        ("assistant", "ChatGPT", "2024-05-01T09:31:00.500000+00:00", "Tram 15 from Praça da Figueira."),
        ("assistant", "ChatGPT", "2024-05-01T09:31:00.500000+00:00", "The old try: take a taxi."),
    ]
    assert history.conversations[0].messages[1].model == "gpt-4o"


def test_chatgpt_branches_each_hold_their_own_messages_in_order_and_none_twice(tmp_path: Path) -> None:
    history = read_history(write_json(tmp_path / "c.json", chatgpt_branches_export()), BERLIN)
    main_key = "6650a1b2-0000-4000-8000-0000000k4ee0"
    assert [(c.key, c.source, c.title) for c in history.conversations] == [
        (main_key, None, "Sore knee"),
        (f"{main_key}#a1-first", main_key, "Sore knee (branch 2)"),
        (f"{main_key}#u2-old", main_key, "Sore knee (branch 3)"),
    ]
    said = [[m.text for m in c.messages] for c in history.conversations]
    assert said == [
        # as last seen: the edited question and its answer, after the shared start
        ["My knee hurts after running.", "Ice it, rest, and see a physio if it lasts.", "Can I cycle instead?",
         "Cycling is gentler on the knee; go easy."],
        ["Rest it for a week.", "Thanks, I will rest.", "Good luck with the knee."],
        ["Should I run tomorrow?", "No, skip tomorrow's run."],
    ]  # fmt: skip
    keys = [m.key for c in history.conversations for m in c.messages]
    assert len(keys) == len(set(keys)) == 9


def test_chatgpt_without_a_current_node_follows_the_latest_child(tmp_path: Path) -> None:
    data = chatgpt_export()
    del data[0]["current_node"]
    history = read_history(write_json(tmp_path / "c.json", data), BERLIN)
    assert [m.text for m in history.conversations[0].messages][-1] == "Tram 15 from Praça da Figueira."
    assert [m.text for m in history.conversations[1].messages] == ["The old try: take a taxi."]


def test_chatgpt_bad_conversation_is_named_and_the_rest_read(tmp_path: Path) -> None:
    data = chatgpt_export()
    broken = json.loads(json.dumps(data[0]))
    broken["conversation_id"] = broken["id"] = "second"
    broken["mapping"]["u1"]["message"]["create_time"] = "not a time"
    history = read_history(write_json(tmp_path / "c.json", [*data, {"title": "no mapping"}, broken]), BERLIN)
    assert [str(p) for p in history.problems] == [
        "conversation 3: not a conversation (no `mapping`)",
        "conversation 4 (second), message u1: `create_time` 'not a time' is not an ISO 8601 time, "
        "e.g. 2024-05-01T09:30:00Z",
    ]
    assert history.message_count == 5  # every answer of both kept (each try once), only the bad question left out


def test_claude_joins_text_blocks_and_leaves_out_file_only_turns(tmp_path: Path) -> None:
    history = read_history(write_json(tmp_path / "conversations.json", claude_export()), BERLIN)
    assert history.format == "claude" and history.problems == []
    assert history.conversations[0].title == "Sore knee after running"
    assert _said(history) == [
        ("user", None, "2024-06-02T18:00:00+00:00", "My left knee hurts after running downhill."),
        ("assistant", "Claude", "2024-06-02T18:01:00+00:00",
         "Downhill running loads the kneecap.\n\nTry shorter strides and rest a few days."),
    ]  # fmt: skip


def test_claude_export_zip_is_read(tmp_path: Path) -> None:
    archive = tmp_path / "data-2024-06-03.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("users.json", "[]")
        zipped.writestr("conversations.json", json.dumps(claude_export()))
    assert read_history(archive, BERLIN).message_count == 2


def test_llm_logs_db_gives_prompts_and_responses_in_conversations(tmp_path: Path) -> None:
    history = read_history(llm_logs_db(tmp_path / "logs.db"), BERLIN)
    assert history.format == "llm"
    assert [(c.key, c.title, len(c.messages)) for c in history.conversations] == [
        ("01hx-conv", "Sourdough starter", 4),
        ("response 01hx-r3", "Name a word for bread in Portuguese", 2),
    ]
    first = history.conversations[0].messages
    assert (first[0].role, first[0].time) == ("user", datetime(2024, 3, 10, 8, 0, tzinfo=UTC))
    assert (first[1].role, first[1].speaker, first[1].time.isoformat()) == (
        "assistant",
        "gpt-4o-mini",
        "2024-03-10T08:00:01.500000+00:00",
    )  # fmt: skip  (the answer came when the response finished)
    assert [str(p) for p in history.problems] == ["responses row 4: no `datetime_utc`"]


def test_jsonl_keeps_speakers_and_times_and_reads_a_local_time_in_the_users_zone(tmp_path: Path) -> None:
    items = jsonl_lines()
    items.append({"conversation_id": "knee", "speaker": "Ann", "role": "user", "time": "2024-06-03 08:00",
                  "text": "Better today."})  # fmt: skip
    history = read_history(write_jsonl(tmp_path / "h.jsonl", items), BERLIN)
    assert history.format == "jsonl" and history.problems == []
    assert [(c.key, c.title) for c in history.conversations] == [("trip", "Planning Lisbon"), ("knee", None)]
    assert _said(history)[1] == ("other", "Ben", "2024-05-01T09:31:00+00:00", "Yes, tram 15 from Praça da Figueira.")
    assert _said(history)[3][2] == "2024-06-02T16:00:00+00:00"  # +02:00 as written
    assert _said(history)[4][2] == "2024-06-03T06:00:00+00:00"  # no zone: Berlin's summer time


def test_jsonl_bad_lines_are_named_by_their_number(tmp_path: Path) -> None:
    bad = (
        "\n",  # line 5: blank, skipped without a word
        "not json\n",
        json.dumps({"conversation_id": "trip", "role": "boss", "time": "2024-05-01T10:00:00Z", "text": "x"}) + "\n",
        json.dumps({"conversation_id": "trip", "role": "user", "time": "yesterday", "text": "x"}) + "\n",
        json.dumps({"role": "user", "time": "2024-05-01T10:00:00Z", "text": "x"}) + "\n",
        json.dumps({"conversation_id": "trip", "role": "user", "time": "2024-05-01T10:00:00Z", "text": " "}) + "\n",
        "[1, 2]\n",
    )
    history = read_history(write_jsonl(tmp_path / "h.jsonl", jsonl_lines(), extra_lines=bad), BERLIN)
    assert history.message_count == 4
    assert [(p.line, p.message.split(" (")[0]) for p in history.problems] == [
        (6, "not JSON"),
        (7, "`role` must be one of user, assistant, other, not 'boss'"),
        (8, "`time` 'yesterday' is not an ISO 8601 time, e.g. 2024-05-01T09:30:00Z"),
        (9, "no `conversation_id`"),
        (10, "no `text`"),
        (11, "not a JSON object"),
    ]


def test_message_keys_come_from_ids_never_from_text(tmp_path: Path) -> None:
    items = jsonl_lines()
    changed = [dict(item, text="edited: " + item["text"]) for item in items]
    first = read_history(write_jsonl(tmp_path / "a.jsonl", items), BERLIN)
    second = read_history(write_jsonl(tmp_path / "b.jsonl", changed), BERLIN)
    keys = [m.key for c in first.conversations for m in c.messages]
    assert keys == [m.key for c in second.conversations for m in c.messages]
    assert len(set(keys)) == len(keys)
    assert len(import_key("jsonl", "trip", keys[0])) == 64


def test_two_messages_at_one_time_by_one_speaker_are_both_kept(tmp_path: Path) -> None:
    same = {"conversation_id": "c", "speaker": "Ann", "role": "user", "time": "2024-05-01T09:30:00Z"}
    history = read_history(
        write_jsonl(tmp_path / "h.jsonl", [{**same, "text": "one"}, {**same, "text": "two"}]), BERLIN
    )
    keys = [m.key for m in history.conversations[0].messages]
    assert len(set(keys)) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("[]", "holds no conversations"),
        ('[{"title": "x"}]', "is not a conversation export paa knows"),
        ('{"habits": []}', "is not a conversation export paa knows"),
        ("[1,", "is not JSON"),
    ],
)
def test_files_of_no_known_format_are_refused_in_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(InvalidInput, match=message):
        read_history(path, BERLIN)


def test_format_option_is_checked_against_the_file(tmp_path: Path) -> None:
    db = llm_logs_db(tmp_path / "logs.db")
    with pytest.raises(InvalidInput, match="is a SQLite database, not a jsonl file"):
        read_history(db, BERLIN, "jsonl")
    with pytest.raises(InvalidInput, match="not a SQLite database"):
        read_history(write_json(tmp_path / "c.json", claude_export()), BERLIN, "llm")
    with pytest.raises(InvalidInput, match="unknown format 'bard'"):
        read_history(db, BERLIN, "bard")
    with pytest.raises(NotFound, match="no file"):
        read_history(tmp_path / "missing.json", BERLIN)


def test_detect_finds_jsonl_even_when_its_first_line_is_bad() -> None:
    text = "{broken\n" + json.dumps(jsonl_lines()[0]) + "\n"
    assert detect(text) == ("jsonl", None)
