"""Small conversation exports written for the tests, shaped like ChatGPT's, Claude's, llm's and paa's own.

They are made up here (a trip to Lisbon, a sore knee), never copied from a real export; each has what the readers
must get right: ChatGPT's branches and hidden turns, Claude's content blocks, llm's prompt and response rows.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

# 2024-05-01 09:30:00 UTC and a minute later, as ChatGPT writes times (seconds since 1970, with a fraction).
T0 = 1714555800.25
T1 = 1714555860.5


def _node(node_id: str, parent: str | None, children: list[str], message: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": node_id, "message": message, "parent": parent, "children": children}


def _chatgpt_message(
    message_id: str, role: str, text: str | None, when: float | None, *, hidden: bool = False, kind: str = "text"
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"model_slug": "gpt-4o"} if role == "assistant" else {}
    if hidden:
        metadata["is_visually_hidden_from_conversation"] = True
    return {
        "id": message_id,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": when,
        "update_time": None,
        "content": {"content_type": kind, "parts": [] if text is None else [text]},
        "status": "finished_successfully",
        "metadata": metadata,
        "recipient": "all",
    }


def chatgpt_export() -> list[dict[str, Any]]:
    """Two conversations: one with a system turn, a hidden turn, and an answer regenerated (the first try is off
    the current branch); one whose only turns are a system prompt and code output (nothing to import)."""
    mapping = {
        "root": _node("root", None, ["sys"], None),
        "sys": _node("sys", "root", ["u1"], _chatgpt_message("sys", "system", "You are ChatGPT.", None, hidden=True)),
        "u1": _node("u1", "sys", ["a1-old", "a1"], _chatgpt_message("u1", "user", "Which tram goes to Belém?", T0)),
        "a1-old": _node("a1-old", "u1", [], _chatgpt_message("a1-old", "assistant", "The old try: take a taxi.", T1)),
        "a1": _node("a1", "u1", ["t1"], _chatgpt_message("a1", "assistant", "Tram 15 from Praça da Figueira.", T1)),
        "t1": _node("t1", "a1", [], _chatgpt_message("t1", "tool", "search results", T1 + 1)),
    }
    only_code = {
        "r": _node("r", None, ["c"], None),
        "c": _node("c", "r", [], _chatgpt_message("c", "assistant", "print(1)", T1, kind="code")),
    }
    return [
        {
            "title": "Lisbon trams",
            "create_time": T0 - 5,
            "update_time": T1,
            "mapping": mapping,
            "current_node": "t1",
            "conversation_id": "6650a1b2-0000-4000-8000-00000000c0de",
            "id": "6650a1b2-0000-4000-8000-00000000c0de",
        },
        {
            "title": "Code only",
            "create_time": T0,
            "update_time": T0,
            "mapping": only_code,
            "current_node": "c",
            "conversation_id": "6650a1b2-0000-4000-8000-0000000c0de2",
        },
    ]


def chatgpt_branches_export(current: str = "a2", *, more: bool = False) -> list[dict[str, Any]]:
    """One conversation with its history of edits: an answer regenerated after the person went on with the first
    try ("Thanks" under it), and a question edited (the first wording kept its own answer). `current` is the node
    last seen; with `more`, the person went back to the first wording and asked one more thing (a later export).

        u1 -+- a1-first - u-x - a-x           (branch: the first answer, and what followed it)
            +- a1 -+- u2-old - a2-old [- u3]  (branch: the question as first asked)
                   +- u2 - a2                 (current: the edited question)
    """

    def turn(node_id: str, parent: str, children: list[str], role: str, text: str, minute: int) -> dict[str, Any]:
        return _node(node_id, parent, children, _chatgpt_message(node_id, role, text, T0 + 60 * minute))

    mapping = {
        "root": _node("root", None, ["u1"], None),
        "u1": turn("u1", "root", ["a1-first", "a1"], "user", "My knee hurts after running.", 0),
        "a1-first": turn("a1-first", "u1", ["u-x"], "assistant", "Rest it for a week.", 1),
        "u-x": turn("u-x", "a1-first", ["a-x"], "user", "Thanks, I will rest.", 2),
        "a-x": turn("a-x", "u-x", [], "assistant", "Good luck with the knee.", 3),
        "a1": turn("a1", "u1", ["u2-old", "u2"], "assistant", "Ice it, rest, and see a physio if it lasts.", 4),
        "u2-old": turn("u2-old", "a1", ["a2-old"], "user", "Should I run tomorrow?", 5),
        "a2-old": turn("a2-old", "u2-old", ["u3"] if more else [], "assistant", "No, skip tomorrow's run.", 6),
        "u2": turn("u2", "a1", ["a2"], "user", "Can I cycle instead?", 7),
        "a2": turn("a2", "u2", [], "assistant", "Cycling is gentler on the knee; go easy.", 8),
    }
    if more:
        mapping["u3"] = turn("u3", "a2-old", [], "user", "And swimming next week?", 9)
    return [
        {
            "title": "Sore knee",
            "create_time": T0 - 5,
            "update_time": T0 + 600,
            "mapping": mapping,
            "current_node": current,
            "conversation_id": "6650a1b2-0000-4000-8000-0000000k4ee0",
        }
    ]


def claude_export() -> list[dict[str, Any]]:
    """One conversation: a question, an answer in two text blocks and a tool block, and a turn with a file only."""
    return [
        {
            "uuid": "0b6f6c3e-1111-4222-8333-444455556666",
            "name": "Sore knee after running",
            "created_at": "2024-06-02T18:00:00.000000Z",
            "updated_at": "2024-06-02T18:05:00.000000Z",
            "account": {"uuid": "acc"},
            "chat_messages": [
                {
                    "uuid": "m-1",
                    "text": "My left knee hurts after running downhill.",
                    "content": [{"type": "text", "text": "My left knee hurts after running downhill."}],
                    "sender": "human",
                    "created_at": "2024-06-02T18:00:00.000000Z",
                    "updated_at": "2024-06-02T18:00:00.000000Z",
                    "attachments": [],
                    "files": [],
                },
                {
                    "uuid": "m-2",
                    "text": "",
                    "content": [
                        {"type": "text", "text": "Downhill running loads the kneecap."},
                        {"type": "tool_use", "name": "web_search", "input": {"query": "knee"}},
                        {"type": "text", "text": "Try shorter strides and rest a few days."},
                    ],
                    "sender": "assistant",
                    "created_at": "2024-06-02T18:01:00.000000Z",
                    "updated_at": "2024-06-02T18:01:00.000000Z",
                    "attachments": [],
                    "files": [],
                },
                {
                    "uuid": "m-3",
                    "text": "",
                    "content": [],
                    "sender": "human",
                    "created_at": "2024-06-02T18:02:00.000000Z",
                    "updated_at": "2024-06-02T18:02:00.000000Z",
                    "attachments": [],
                    "files": [{"file_name": "knee.jpg"}],
                },
            ],
        }
    ]


def llm_logs_db(path: Path) -> Path:
    """A logs.db with llm's two tables: a conversation of two exchanges, and a prompt outside any conversation."""
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE conversations (id TEXT PRIMARY KEY, name TEXT, model TEXT);
            CREATE TABLE responses (
                id TEXT PRIMARY KEY, model TEXT, prompt TEXT, system TEXT, prompt_json TEXT, options_json TEXT,
                response TEXT, response_json TEXT, conversation_id TEXT REFERENCES conversations(id),
                duration_ms INTEGER, datetime_utc TEXT, input_tokens INTEGER, output_tokens INTEGER,
                token_details TEXT
            );
            """
        )
        db.execute("INSERT INTO conversations VALUES ('01hx-conv', 'Sourdough starter', 'gpt-4o-mini')")
        rows = [
            ("01hx-r1", "gpt-4o-mini", "How often do I feed a sourdough starter?", "Once a day at room temperature.",
             "01hx-conv", 1500, "2024-03-10T08:00:00.000000"),
            ("01hx-r2", "gpt-4o-mini", "And in the fridge?", "Once a week.", "01hx-conv", 900,
             "2024-03-10T08:02:00.000000"),
            ("01hx-r3", "claude-3-haiku", "Name a word for bread in Portuguese", "pão", None, None,
             "2024-03-11T10:00:00.000000"),
            ("01hx-r4", "gpt-4o-mini", "A row without a time", "lost", None, None, None),
        ]  # fmt: skip
        db.executemany(
            "INSERT INTO responses (id, model, prompt, response, conversation_id, duration_ms, datetime_utc) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return path


def jsonl_lines() -> list[dict[str, Any]]:
    """paa's own format: a conversation between two people and the assistant, and one with an id per message."""
    return [
        {"conversation_id": "trip", "title": "Planning Lisbon", "speaker": "Ann", "role": "user",
         "time": "2024-05-01T09:30:00Z", "text": "Should we take the tram to Belém?"},
        {"conversation_id": "trip", "speaker": "Ben", "role": "other", "time": "2024-05-01T09:31:00Z",
         "text": "Yes, tram 15 from Praça da Figueira."},
        {"conversation_id": "trip", "speaker": "paa", "role": "assistant", "time": "2024-05-01T09:32:00Z",
         "text": "Tram 15 runs every ten minutes."},
        {"conversation_id": "knee", "id": "k1", "speaker": "Ann", "role": "user", "time": "2024-06-02T18:00:00+02:00",
         "text": "My left knee hurts after running downhill."},
    ]  # fmt: skip


def write_jsonl(path: Path, items: list[dict[str, Any]], *, extra_lines: tuple[str, ...] = ()) -> Path:
    path.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items) + "".join(extra_lines))
    return path


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path
