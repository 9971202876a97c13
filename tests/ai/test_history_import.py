"""Importing past conversations on a real SQLite database: kept times and speakers, sealed text, nothing twice,
bad records skipped or the file refused whole, and every message a memory that search finds with its source."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import col, select

from paa.ai import history as history_import
from paa.ai import memory
from paa.ai.history import import_history, with_sources
from paa.core.dataio.conversations import read_history
from paa.db.models import Conversation, Memory, Message
from paa.errors import Conflict, InvalidInput
from tests.support.histories import (
    chatgpt_branches_export,
    chatgpt_export,
    claude_export,
    jsonl_lines,
    llm_logs_db,
    write_json,
    write_jsonl,
)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


def _import(make_ctx, path: Path, **options: object):
    with make_ctx() as ctx:
        history = read_history(path, ctx.prefs.zone)
    with make_ctx(write=not options.get("dry_run", False)) as ctx:
        return import_history(ctx, history, **options)  # type: ignore[arg-type]


def _messages(make_ctx) -> list[tuple[str, str | None, str, str]]:
    with make_ctx() as ctx:
        rows = ctx.session.exec(select(Message).order_by(col(Message.id))).all()
        return [(row.role, row.speaker, row.created_at.isoformat(), row.content) for row in rows]


def test_jsonl_import_keeps_speakers_times_and_titles(make_ctx, tmp_path: Path) -> None:
    summary = _import(make_ctx, write_jsonl(tmp_path / "h.jsonl", jsonl_lines()))
    assert summary.to_json() == {
        "format": "jsonl", "dry_run": False,
        "conversations": {"added": 2, "existing": 0}, "messages": {"added": 4, "existing": 0},
        "memories_added": 4, "skipped": [], "conversation_ids": [1, 2],
    }  # fmt: skip
    assert _messages(make_ctx) == [
        ("user", "Ann", "2024-05-01T09:30:00+00:00", "Should we take the tram to Belém?"),
        ("other", "Ben", "2024-05-01T09:31:00+00:00", "Yes, tram 15 from Praça da Figueira."),
        ("assistant", "paa", "2024-05-01T09:32:00+00:00", "Tram 15 runs every ten minutes."),
        ("user", "Ann", "2024-06-02T16:00:00+00:00", "My left knee hurts after running downhill."),
    ]
    with make_ctx() as ctx:
        conversations = ctx.session.exec(select(Conversation).order_by(col(Conversation.id))).all()
        assert [
            (c.title, c.imported_from, c.created_at.isoformat(), c.updated_at.isoformat()) for c in conversations
        ] == [
            ("Planning Lisbon", "jsonl", "2024-05-01T09:30:00+00:00", "2024-05-01T09:32:00+00:00"),
            (
                "My left knee hurts after running downhill.",
                "jsonl",
                "2024-06-02T16:00:00+00:00",
                "2024-06-02T16:00:00+00:00",
            ),
        ]  # fmt: skip  (no title in the file: the first thing the user said)
        kept = ctx.session.exec(select(Memory).order_by(col(Memory.id))).all()
        assert [(m.kind, m.source_id, m.created_at.isoformat()) for m in kept][1] == (
            "message",
            2,
            "2024-05-01T09:31:00+00:00",
        )  # fmt: skip  (another person's words are a memory too, dated when said)


@pytest.mark.sqlite_only  # reads the SQLite file
def test_imported_text_titles_and_speakers_are_sealed_at_rest(make_ctx, paa_home: Path, tmp_path: Path) -> None:
    _import(make_ctx, write_jsonl(tmp_path / "h.jsonl", jsonl_lines()))
    with sqlite3.connect(paa_home / "paa.db") as raw:
        stored = raw.execute("SELECT content, speaker, import_key FROM messages").fetchall()
        titles = [row[0] for row in raw.execute("SELECT title FROM conversations")]
    assert all(content.startswith("enc:v1:") and speaker.startswith("enc:v1:") for content, speaker, _key in stored)
    assert all(len(key) == 64 for _c, _s, key in stored)
    assert all(title.startswith("enc:v1:") for title in titles)
    assert (
        b"Belem" not in (paa_home / "paa.db").read_bytes()
        and "Belém".encode() not in (paa_home / "paa.db").read_bytes()
    )


def test_importing_again_adds_nothing_and_a_later_export_adds_only_what_is_new(make_ctx, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl", jsonl_lines())
    _import(make_ctx, path)
    again = _import(make_ctx, path)
    assert (again.messages_added, again.messages_existing, again.conversations_existing) == (0, 4, 2)
    assert again.memories_added == 0
    later = [*jsonl_lines(), {"conversation_id": "trip", "speaker": "Ann", "role": "user",
                              "time": "2024-05-01T09:40:00Z", "text": "Great, see you at the stop."}]  # fmt: skip
    grown = _import(make_ctx, write_jsonl(tmp_path / "later.jsonl", later))
    assert (grown.messages_added, grown.conversations_added, grown.conversation_ids) == (1, 0, [1])
    with make_ctx() as ctx:
        trip = ctx.session.get(Conversation, 1)
        assert trip is not None and trip.updated_at.isoformat() == "2024-05-01T09:40:00+00:00"
        assert len(ctx.session.exec(select(Message).where(Message.conversation_id == 1)).all()) == 4


def test_stop_refuses_a_file_with_a_bad_record_and_adds_nothing(make_ctx, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl", jsonl_lines(), extra_lines=("oops\n",))
    with pytest.raises(InvalidInput, match=r"line 5: not JSON .*; nothing was imported") as caught:
        _import(make_ctx, path, on_error="stop")
    assert caught.value.field == "file"
    assert _messages(make_ctx) == []
    skipped = _import(make_ctx, path, on_error="skip")
    assert [problem.line for problem in skipped.skipped] == [5]
    assert len(_messages(make_ctx)) == 4


def test_a_failure_part_way_leaves_nothing_behind(make_ctx, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One transaction: the second conversation fails to write, the first is not kept either."""
    import paa.ai.history as history_module

    real = history_module.index_messages
    calls = {"n": 0}

    def failing(ctx, messages):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(ctx, messages)

    monkeypatch.setattr(history_module, "index_messages", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        _import(make_ctx, write_jsonl(tmp_path / "h.jsonl", jsonl_lines()))
    assert _messages(make_ctx) == []
    with make_ctx() as ctx:
        assert ctx.session.exec(select(Conversation)).all() == []


def _word_index(paa_home: Path) -> dict[int, tuple[str, ...]]:
    """The word index of every message's memory, by message id."""
    with sqlite3.connect(paa_home / "paa.db") as raw:
        rows = raw.execute(
            "SELECT m.source_id, f.* FROM memories_fts AS f JOIN memories AS m ON m.id = f.rowid "
            "WHERE m.kind = 'message'"
        ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


@pytest.mark.sqlite_only  # reads the SQLite file's index
def test_imported_messages_are_indexed_as_one_by_one_indexing_would(make_ctx, paa_home: Path, tmp_path: Path) -> None:
    """index_messages (one pass, for imports) writes the same index entries as index_message on each message,
    also when a later import adds to a conversation (its last turn gets the new one as its next neighbour)."""
    items = jsonl_lines()
    _import(make_ctx, write_jsonl(tmp_path / "first.jsonl", items[:2]))
    _import(make_ctx, write_jsonl(tmp_path / "all.jsonl", items))
    batched = _word_index(paa_home)
    assert sorted(batched) == [1, 2, 3, 4]
    with make_ctx(write=True) as ctx:
        for row in ctx.session.exec(select(Memory)).all():
            memory.forget(ctx, row.id or 0)
        for message in ctx.session.exec(select(Message).order_by(col(Message.id))).all():
            memory.index_message(ctx, message)
    assert _word_index(paa_home) == batched


def test_dry_run_counts_and_writes_nothing(make_ctx, tmp_path: Path) -> None:
    summary = _import(make_ctx, write_jsonl(tmp_path / "h.jsonl", jsonl_lines()), dry_run=True)
    assert (summary.dry_run, summary.messages_added, summary.conversations_added) == (True, 4, 2)
    assert _messages(make_ctx) == []


def test_progress_is_reported_per_conversation(make_ctx, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    _import(
        make_ctx,
        write_jsonl(tmp_path / "h.jsonl", jsonl_lines()),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(0, 4), (3, 4), (4, 4)]


def test_chatgpt_claude_and_llm_files_import(make_ctx, tmp_path: Path) -> None:
    assert _import(make_ctx, write_json(tmp_path / "chatgpt.json", chatgpt_export())).messages_added == 3
    assert _import(make_ctx, write_json(tmp_path / "claude.json", claude_export())).messages_added == 2
    llm = _import(make_ctx, llm_logs_db(tmp_path / "logs.db"))
    assert (llm.messages_added, [p.where for p in llm.skipped]) == (6, ["responses row 4"])
    with make_ctx() as ctx:
        sources = ctx.session.exec(select(Conversation.imported_from).order_by(col(Conversation.id))).all()
    assert sources == ["chatgpt", "chatgpt", "claude", "llm", "llm"]  # the regenerated answer: a branch of its own
    assert _import(make_ctx, write_json(tmp_path / "chatgpt.json", chatgpt_export())).messages_added == 0


def _threads(make_ctx) -> list[tuple[str | None, list[str]]]:
    """Each conversation's title and its messages' text, in the order they are shown."""
    with make_ctx() as ctx:
        found = []
        for conversation in ctx.session.exec(select(Conversation).order_by(col(Conversation.id))).all():
            rows = ctx.session.exec(
                select(Message).where(Message.conversation_id == conversation.id).order_by(col(Message.id))
            ).all()
            found.append((conversation.title, [row.content for row in rows]))
        return found


def test_chatgpt_branches_are_kept_apart_from_the_main_thread_and_nothing_twice(make_ctx, tmp_path: Path) -> None:
    """The conversation as last seen is the main thread, in its order; an edited question's first wording and a
    regenerated answer's first try (with what followed it) are kept as conversations of their own, found by
    search; importing again, or a later export where the person switched branches, adds only what is new."""
    first = _import(make_ctx, write_json(tmp_path / "c.json", chatgpt_branches_export()))
    assert (first.conversations_added, first.messages_added, first.memories_added) == (3, 9, 9)
    expected = [
        ("Sore knee", ["My knee hurts after running.", "Ice it, rest, and see a physio if it lasts.",
                       "Can I cycle instead?", "Cycling is gentler on the knee; go easy."]),
        ("Sore knee (branch 2)", ["Rest it for a week.", "Thanks, I will rest.", "Good luck with the knee."]),
        ("Sore knee (branch 3)", ["Should I run tomorrow?", "No, skip tomorrow's run."]),
    ]  # fmt: skip
    assert _threads(make_ctx) == expected
    with make_ctx() as ctx:
        [hit] = [hit for hit in memory.search(ctx, "skip tomorrow run") if hit.kind == "message"][:1]
        assert hit.content.endswith("No, skip tomorrow's run.")
    again = _import(make_ctx, write_json(tmp_path / "c.json", chatgpt_branches_export()))
    assert (again.conversations_added, again.messages_added, again.messages_existing) == (0, 0, 9)
    # Later the person went back to the first wording and asked more: that branch is now the current one.
    later = _import(make_ctx, write_json(tmp_path / "later.json", chatgpt_branches_export("u3", more=True)))
    assert (later.conversations_added, later.messages_added, later.messages_existing) == (0, 1, 9)
    # Each message stays where it was first kept, and the new one follows the message it answers, in that
    # branch's conversation: the main thread's order is not mixed with another branch's.
    branch_three = (expected[2][0], [*expected[2][1], "And swimming next week?"])
    assert _threads(make_ctx) == [expected[0], expected[1], branch_three]
    assert later.conversation_ids == [3]
    with make_ctx() as ctx:
        keys = ctx.session.exec(select(Message.import_key)).all()
        assert len(keys) == len(set(keys)) == 10


def test_search_finds_imported_messages_with_their_source(make_ctx, tmp_path: Path) -> None:
    _import(make_ctx, write_jsonl(tmp_path / "h.jsonl", jsonl_lines()))
    with make_ctx() as ctx:
        hits = with_sources(ctx, memory.search(ctx, "Figueira tram"))
        fact = memory.remember(ctx, "Ann prefers the window seat")
        described = with_sources(ctx, memory.search(ctx, "window seat"))
    found = {hit.text: hit for hit in hits}
    ben = found["Yes, tram 15 from Praça da Figueira."]
    source_fields = (
        "memory_id",
        "kind",
        "content",
        "created_at",
        "source_id",
        "message_id",
        "conversation_id",
        "conversation_title",
        "speaker",
        "role",
        "time",
        "text",
    )  # fmt: skip  (the ranking's are its own)
    assert {key: ben.to_json()[key] for key in source_fields} == {
        "memory_id": 2, "kind": "message", "content": "Yes, tram 15 from Praça da Figueira.",
        "created_at": "2024-05-01T09:31:00+00:00", "source_id": 2, "message_id": 2, "conversation_id": 1,
        "conversation_title": "Planning Lisbon", "speaker": "Ben", "role": "other",
        "time": "2024-05-01T09:31:00+00:00", "text": "Yes, tram 15 from Praça da Figueira.",
    }  # fmt: skip
    assert [(h.memory_id, h.message_id, h.conversation_id, h.text) for h in described] == [
        (fact.id, None, None, "Ann prefers the window seat")
    ]


def test_search_json_on_the_cli_names_each_hits_conversation_and_speaker(cli, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl", jsonl_lines())
    done = cli("memory", "import", str(path), "--json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["messages"] == {"added": 4, "existing": 0}
    again = cli("chat", "import", str(path))  # the same command under chat
    assert again.code == 0 and "Imported 0 message(s) from" in again.out
    found = cli("memory", "search", "knee downhill", "--json")
    assert found.code == 0, found.err
    first = json.loads(found.out)[0]
    assert {key: first[key] for key in ("message_id", "conversation_id", "speaker", "role", "time", "text")} == {
        "message_id": 4, "conversation_id": 2, "speaker": "Ann", "role": "user",
        "time": "2024-06-02T16:00:00+00:00", "text": "My left knee hurts after running downhill.",
    }  # fmt: skip


def test_cli_reports_skipped_lines_and_refuses_with_stop(cli, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl", jsonl_lines(), extra_lines=("oops\n",))
    refused = cli("memory", "import", str(path), "--on-error", "stop")
    assert refused.code != 0 and refused.out == ""
    assert refused.err.startswith("paa: error: line 5: not JSON") and "nothing was imported" in refused.err
    done = cli("memory", "import", str(path))
    assert done.code == 0
    assert "skipped line 5: not JSON" in done.out
    assert "Imported 4 message(s), 2 new conversation(s)" in done.out
    bad_choice = cli("memory", "import", str(path), "--on-error", "maybe")
    assert bad_choice.code != 0 and "unknown --on-error 'maybe'" in bad_choice.err


def test_chat_show_names_each_speaker_of_an_imported_conversation(cli, tmp_path: Path) -> None:
    assert cli("memory", "import", str(write_jsonl(tmp_path / "h.jsonl", jsonl_lines()))).code == 0
    shown = cli("chat", "show", "1")
    assert shown.code == 0, shown.err
    speakers = [line.split(" ")[0] for line in shown.out.splitlines() if line.startswith(("Ann ", "Ben ", "paa "))]
    assert speakers == ["Ann", "Ben", "paa"]
    data = json.loads(cli("chat", "show", "1", "--json").out)
    assert [(m["role"], m["speaker"]) for m in data["messages"]] == [
        ("user", "Ann"),
        ("other", "Ben"),
        ("assistant", "paa"),
    ]


def test_continuing_an_imported_conversation_sends_another_persons_words_on_the_users_side(make_ctx, tmp_path: Path):
    from paa.ai.context import to_api_messages
    from paa.ai.store import messages_of

    _import(make_ctx, write_jsonl(tmp_path / "h.jsonl", jsonl_lines()))
    with make_ctx() as ctx:
        sent = to_api_messages(messages_of(ctx, 1))
    assert [(m["role"], [block["text"] for block in m["content"]]) for m in sent] == [
        ("user", ["Should we take the tram to Belém?", "[Ben] Yes, tram 15 from Praça da Figueira."]),
        ("assistant", ["Tram 15 runs every ten minutes."]),
    ]


@pytest.mark.sqlite_only  # a second install in another PAA_HOME (on PostgreSQL the database URL is shared)
def test_imported_conversations_move_with_paa_export_keeping_speakers_and_keys(make_ctx, tmp_path: Path) -> None:
    """Moved to another install with paa export/import, an imported conversation keeps its speakers, and importing
    its file there again adds nothing."""
    import os

    from paa.clock import FixedClock
    from paa.core.dataio.export import document_json, export_user
    from paa.core.dataio.importing import import_document, read_document
    from tests.support.clock import FIXED_NOW
    from tests.support.runtime import open_context

    path = write_jsonl(tmp_path / "h.jsonl", jsonl_lines())
    _import(make_ctx, path)
    with make_ctx() as ctx:
        document = document_json(export_user(ctx, paa_version="test"))
    trip = document["conversations"][0]
    assert (trip["imported_from"], len(trip["import_key"])) == ("jsonl", 64)
    assert [(m["role"], m["speaker"]) for m in trip["messages"]] == [
        ("user", "Ann"),
        ("other", "Ben"),
        ("assistant", "paa"),
    ]
    fresh = {**os.environ, "PAA_HOME": str(tmp_path / "fresh")}
    with open_context(write=True, environ=fresh, clock=FixedClock(FIXED_NOW)) as ctx:
        assert import_document(ctx, read_document(json.dumps(document))).added["messages"] == 4
    with open_context(environ=fresh, clock=FixedClock(FIXED_NOW)) as ctx:
        again = read_history(path, ctx.prefs.zone)
    with open_context(write=True, environ=fresh, clock=FixedClock(FIXED_NOW)) as ctx:
        summary = import_history(ctx, again)
    assert (summary.messages_added, summary.messages_existing) == (0, 4)


def test_a_branch_deleted_during_an_import_stops_it_with_a_conflict(
    make_ctx, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new message goes into the branch conversation its previous message is kept in; if that conversation is
    gone by the time it is written (deleted meanwhile), the import stops whole with a conflict, under `python -O`
    too, and nothing is written."""
    _import(make_ctx, write_json(tmp_path / "c.json", chatgpt_branches_export()))
    read_keys = history_import._existing_message_keys

    def deleted_meanwhile(ctx, keys):  # type: ignore[no-untyped-def]
        return {key: (404 if conversation == 3 else conversation) for key, conversation in read_keys(ctx, keys).items()}

    monkeypatch.setattr(history_import, "_existing_message_keys", deleted_meanwhile)
    later = write_json(tmp_path / "later.json", chatgpt_branches_export("u3", more=True))
    with pytest.raises(Conflict, match="deleted while the history was imported") as raised:
        _import(make_ctx, later)
    assert raised.value.field == "file" and raised.value.hint == "run the import again"
    with make_ctx() as ctx:
        assert len(ctx.session.exec(select(Message)).all()) == 9
