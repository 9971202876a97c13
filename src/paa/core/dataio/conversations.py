"""Reading past conversations from other tools: ChatGPT's and Claude's data exports, llm's logs.db, paa's JSON Lines.

Every reader gives the same thing: conversations of messages, each with who said it, their role, when and what, and
the ids the source gave them (which make importing again add nothing, see `paa.ai.history`). A record that cannot
be read is a `Problem` naming its line (JSON Lines) or its place in the file (the JSON exports, the database), and
the rest is still read: whether to skip it or refuse the whole file is the caller's choice. Nothing here touches
the database. The JSON Lines format is documented in docs/memory.md.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from paa.core.validate import strip_controls
from paa.errors import InvalidInput, NotFound

FORMATS = ("chatgpt", "claude", "llm", "jsonl")
ROLES = ("user", "assistant", "other")
TITLE_MAX = 200
SPEAKER_MAX = 100
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass
class HistoryMessage:
    """One message as read: `key` is its id at the source (unique in its conversation), never its text."""

    key: str
    role: str  # user | assistant | other
    speaker: str | None
    time: datetime
    text: str
    model: str | None = None


@dataclass
class HistoryConversation:
    key: str  # its id at the source
    title: str | None
    messages: list[HistoryMessage] = field(default_factory=list)
    # The source conversation whose id, with each message's, keys the messages, when it is not this one: a ChatGPT
    # branch is kept as a conversation of its own, and a message keeps its key whichever branch holds it.
    source: str | None = None


@dataclass(frozen=True)
class Problem:
    """A record that could not be read: `where` is "line 12" or "conversation 3 (id …)"; `line` when there is one."""

    where: str
    message: str
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "where": self.where, "message": self.message}

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class History:
    """What a file holds, in the order it holds it."""

    format: str
    conversations: list[HistoryConversation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def message_count(self) -> int:
        return sum(len(conversation.messages) for conversation in self.conversations)


def import_key(format_name: str, *parts: str) -> str:
    """The stored key of an imported conversation or message: a SHA-256 of its source and ids (64 hex digits)."""
    return hashlib.sha256("\x00".join((format_name, *parts)).encode("utf-8")).hexdigest()


# ---- reading a file -----------------------------------------------------------------------------------------


def read_history(path: Path, zone: ZoneInfo, format_name: str | None = None) -> History:
    """Read `path` in `format_name` (or the format it looks like); times without a zone are taken in `zone`."""
    if format_name is not None and format_name not in FORMATS:
        raise InvalidInput(f"unknown format {format_name!r}", hint=f"use one of: {', '.join(FORMATS)}", field="format")
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise NotFound(f"no file {path}", field="file") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", field="file") from None
    if head == SQLITE_MAGIC:
        if format_name not in (None, "llm"):
            raise InvalidInput(f"{path} is a SQLite database, not a {format_name} file", field="file")
        return read_llm(path)
    if format_name == "llm":
        raise InvalidInput(f"{path} is not a SQLite database (llm's logs.db)", field="file")
    text = _text_of(path)
    detected, data = (format_name, None) if format_name else detect(text, str(path))
    if detected == "jsonl":
        return read_jsonl(text, zone)
    if data is None:
        data = _json_document(text, str(path))
    return read_chatgpt(data, str(path)) if detected == "chatgpt" else read_claude(data, str(path))


def _text_of(path: Path) -> str:
    """The file's text; in a zip (both exports come as one), its conversations.json."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [name for name in archive.namelist() if name.rsplit("/", 1)[-1] == "conversations.json"]
                if not names:
                    raise InvalidInput(f"{path} is a zip without a conversations.json", field="file")
                raw = archive.read(min(names, key=len))
        else:
            raw = path.read_bytes()
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text", field="file") from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", field="file") from None


def detect(text: str, source: str = "the file") -> tuple[str, Any]:
    """Which format `text` is in, from its first characters and records; with the JSON document when it parsed one."""
    stripped = text.lstrip()
    if not stripped:
        raise InvalidInput(f"{source} is empty", field="file")
    if stripped.startswith("["):
        data = _json_document(text, source)
        if isinstance(data, list) and not data:
            raise InvalidInput(f"{source} holds no conversations", field="file")
        first = next((item for item in data if isinstance(item, dict)), None) if isinstance(data, list) else None
        if first is not None and "mapping" in first:
            return "chatgpt", data
        if first is not None and "chat_messages" in first:
            return "claude", data
    elif stripped.startswith("{"):
        lines = [line for line in stripped.splitlines()[:50] if line.strip()]
        for line in lines:  # the first lines may be bad ones: any line of paa's form says which format it is
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and ("text" in item or "conversation_id" in item):
                return "jsonl", None
    raise InvalidInput(
        f"{source} is not a conversation export paa knows",
        hint="paa reads ChatGPT's and Claude's conversations.json, llm's logs.db and paa's JSON Lines "
        "(docs/memory.md); --format names one",
        field="file",
    )


def _json_document(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{source} is not JSON: {exc.msg} at line {exc.lineno}", field="file") from None


# ---- values ---------------------------------------------------------------------------------------------------


class _Bad(ValueError):
    """A record's problem, said in words for the person importing."""


def _time(value: Any, zone: ZoneInfo, name: str = "time") -> datetime:
    """An instant from ISO 8601 text or seconds since 1970; text without a zone is in `zone`."""
    if isinstance(value, bool) or value is None or value == "":
        raise _Bad(f"no `{name}`")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise _Bad(f"`{name}` {value!r} is not a time") from None
    if not isinstance(value, str):
        raise _Bad(f"`{name}` must be ISO 8601 text, e.g. 2024-05-01T09:30:00Z")
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        raise _Bad(f"`{name}` {value[:40]!r} is not an ISO 8601 time, e.g. 2024-05-01T09:30:00Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _text(value: Any) -> str:
    return strip_controls(value).strip() if isinstance(value, str) else ""


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _short(value: Any, limit: int) -> str | None:
    cleaned = " ".join(_text(value).split())
    return cleaned[:limit] or None


# ---- paa's JSON Lines -------------------------------------------------------------------------------------------


def read_jsonl(text: str, zone: ZoneInfo) -> History:
    """paa's JSON Lines: one message per line (docs/memory.md); blank lines are skipped."""
    history = History("jsonl")
    by_key: dict[str, HistoryConversation] = {}
    seen: Counter[tuple[str, ...]] = Counter()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            conversation_key, title, message = _jsonl_message(line, zone, seen)
        except _Bad as exc:
            history.problems.append(Problem(f"line {number}", str(exc), number))
            continue
        conversation = by_key.get(conversation_key)
        if conversation is None:
            conversation = by_key[conversation_key] = HistoryConversation(conversation_key, title)
            history.conversations.append(conversation)
        elif conversation.title is None:
            conversation.title = title
        conversation.messages.append(message)
    return history


def _jsonl_message(line: str, zone: ZoneInfo, seen: Counter[tuple[str, ...]]) -> tuple[str, str | None, HistoryMessage]:
    try:
        item = json.loads(line)
    except ValueError as exc:
        raise _Bad(f"not JSON ({exc})") from None
    if not isinstance(item, dict):
        raise _Bad("not a JSON object")
    conversation = item.get("conversation_id")
    if isinstance(conversation, int) and not isinstance(conversation, bool):
        conversation = str(conversation)
    if not isinstance(conversation, str) or not conversation.strip():
        raise _Bad("no `conversation_id`")
    role = item.get("role")
    if role is None:
        raise _Bad(f"no `role` ({', '.join(ROLES)})")
    if role not in ROLES:
        raise _Bad(f"`role` must be one of {', '.join(ROLES)}, not {str(role)[:20]!r}")
    text = _text(item.get("text"))
    if not text:
        raise _Bad("no `text`")
    when = _time(item.get("time"), zone)
    speaker = _short(item.get("speaker"), SPEAKER_MAX)
    message_id = item.get("id")
    if message_id is not None and not isinstance(message_id, str | int):
        raise _Bad("`id` must be text or a number")
    if message_id is None:  # without an id, a message is its time and speaker (a second one of both: the next)
        basis = (conversation, when.isoformat(), role, speaker or "")
        seen[basis] += 1
        key = "\x00".join(("at", *basis[1:], str(seen[basis])))
    else:
        key = f"id\x00{message_id}"
    model = _short(item.get("model"), 100)
    return (
        conversation.strip(),
        _short(item.get("title"), TITLE_MAX),
        HistoryMessage(key, role, speaker, when, text, model),
    )


# ---- ChatGPT ------------------------------------------------------------------------------------------------------


def read_chatgpt(data: Any, source: str = "the file") -> History:
    """ChatGPT's conversations.json: each conversation a tree of nodes. The branch that ends at `current_node` is
    the conversation as last seen, in its order; every other branch (a question edited, an answer regenerated) is a
    conversation of its own, titled "<title> (branch N)", holding only the messages no earlier branch holds, so none
    is read twice and no branch is mixed into the main one's order. System and tool messages are left out."""
    history = History("chatgpt")
    if not isinstance(data, list):
        raise InvalidInput(f"{source} is not ChatGPT's conversations.json (a list of conversations)", field="file")
    for index, item in enumerate(data):
        where = f"conversation {index + 1}"
        if not isinstance(item, dict) or not isinstance(item.get("mapping"), dict):
            history.problems.append(Problem(where, "not a conversation (no `mapping`)"))
            continue
        key = str(item.get("conversation_id") or item.get("id") or "")
        if not key:
            history.problems.append(Problem(where, "no `conversation_id`"))
            continue
        where = f"{where} ({key})"
        try:
            started = _time(item.get("create_time"), ZoneInfo("UTC"), "create_time")
        except _Bad as exc:
            history.problems.append(Problem(where, str(exc)))
            continue
        title = _short(item.get("title"), TITLE_MAX)
        mapping = item["mapping"]
        for number, branch in enumerate(_chatgpt_branches(mapping, item.get("current_node")), start=1):
            if number == 1:
                conversation = HistoryConversation(key, title)
            else:  # keyed by its first node's id: the same branch in a later export is the same conversation
                branch_title = f"{title[: TITLE_MAX - 12]} (branch {number})" if title else None
                conversation = HistoryConversation(f"{key}#{branch[0]}", branch_title, source=key)
            for node_id in branch:
                try:
                    message = _chatgpt_message(node_id, mapping[node_id], started)
                except _Bad as exc:
                    history.problems.append(Problem(f"{where}, message {node_id}", str(exc)))
                    continue
                if message is not None:
                    conversation.messages.append(message)
            if conversation.messages:
                history.conversations.append(conversation)
    return history


def _chatgpt_branches(mapping: dict[str, Any], current: Any) -> list[list[str]]:
    """The conversation's branches as node ids: first the one ending at `current` from the root; then, for each
    other leaf in the tree's order, the nodes on its path that no earlier branch holds (the path's tail, from where
    it forks), so every node is in one branch only."""
    main = [node_id for node_id, _node in _chatgpt_branch(mapping, current)]
    branches, taken = [main], set(main)
    for leaf in _chatgpt_leaves(mapping):
        path = [node_id for node_id, _node in _chatgpt_branch(mapping, leaf)]
        tail = [node_id for node_id in path if node_id not in taken]
        if tail:
            branches.append(tail)
            taken.update(tail)
    return branches


def _chatgpt_leaves(mapping: dict[str, Any]) -> list[str]:
    """The nodes with no children, depth first from each root in the file's order (children as listed, which is
    the order they were made in)."""
    roots = [key for key, node in mapping.items() if isinstance(node, dict) and node.get("parent") not in mapping]
    leaves: list[str] = []
    seen: set[str] = set()
    stack = list(reversed(roots))
    while stack:
        node_id = stack.pop()
        node = mapping.get(node_id)
        if node_id in seen or not isinstance(node, dict):  # a loop, or a child named but missing
            continue
        seen.add(node_id)
        children = [child for child in (node.get("children") or []) if isinstance(child, str) and child in mapping]
        if children:
            stack.extend(reversed(children))
        else:
            leaves.append(node_id)
    return leaves


def _chatgpt_branch(mapping: dict[str, Any], current: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """The nodes from the root to `current` (without one, to the last child at each step)."""
    if not isinstance(current, str) or current not in mapping:
        roots = [key for key, node in mapping.items() if isinstance(node, dict) and node.get("parent") not in mapping]
        current = roots[0] if roots else None
        while current is not None:
            children = [c for c in (mapping[current].get("children") or []) if c in mapping]
            if not children:
                break
            current = children[-1]
    path: list[str] = []
    seen: set[str] = set()
    while isinstance(current, str) and current in mapping and current not in seen:  # a loop would never end
        seen.add(current)
        path.append(current)
        node = mapping[current]
        current = node.get("parent") if isinstance(node, dict) else None
    for node_id in reversed(path):
        node = mapping[node_id]
        if isinstance(node, dict):
            yield node_id, node


def _chatgpt_message(node_id: str, node: dict[str, Any], started: datetime) -> HistoryMessage | None:
    message = node.get("message")
    if message is None:
        return None  # the tree's root
    if not isinstance(message, dict):
        raise _Bad("`message` is not an object")
    author, metadata, content = (_object(message.get(name)) for name in ("author", "metadata", "content"))
    role = author.get("role")
    if role not in ("user", "assistant") or metadata.get("is_visually_hidden_from_conversation"):
        return None  # system prompts, tool calls and their output
    if content.get("content_type") not in ("text", "multimodal_text"):
        return None  # code the model ran, browsing, and the like
    parts = content.get("parts")
    text = "\n".join(_text(part) for part in parts if isinstance(part, str)) if isinstance(parts, list) else ""
    text = text.strip()
    if not text:
        return None  # an image alone, or an empty turn
    raw_time = message.get("create_time")
    when = started if raw_time in (None, "") else _time(raw_time, ZoneInfo("UTC"), "create_time")
    model = _short(metadata.get("model_slug"), 100)
    speaker = _short(author.get("name"), SPEAKER_MAX) or ("ChatGPT" if role == "assistant" else None)
    return HistoryMessage(str(message.get("id") or node_id), role, speaker, when, text, model)


# ---- Claude -------------------------------------------------------------------------------------------------------


def read_claude(data: Any, source: str = "the file") -> History:
    """Claude's conversations.json: conversations with `chat_messages` (sender human or assistant)."""
    history = History("claude")
    if not isinstance(data, list):
        raise InvalidInput(f"{source} is not Claude's conversations.json (a list of conversations)", field="file")
    utc = ZoneInfo("UTC")
    for index, item in enumerate(data):
        where = f"conversation {index + 1}"
        if not isinstance(item, dict) or not isinstance(item.get("chat_messages"), list):
            history.problems.append(Problem(where, "not a conversation (no `chat_messages`)"))
            continue
        key = str(item.get("uuid") or "")
        if not key:
            history.problems.append(Problem(where, "no `uuid`"))
            continue
        where = f"{where} ({key})"
        conversation = HistoryConversation(key, _short(item.get("name"), TITLE_MAX))
        for number, message in enumerate(item["chat_messages"], start=1):
            try:
                read = _claude_message(message, utc)
            except _Bad as exc:
                history.problems.append(Problem(f"{where}, message {number}", str(exc)))
                continue
            if read is not None:
                conversation.messages.append(read)
        if conversation.messages:
            history.conversations.append(conversation)
    return history


def _claude_message(message: Any, utc: ZoneInfo) -> HistoryMessage | None:
    if not isinstance(message, dict):
        raise _Bad("not an object")
    sender = message.get("sender")
    roles = {"human": "user", "user": "user", "assistant": "assistant"}
    if sender not in roles:
        raise _Bad(f"`sender` must be human or assistant, not {str(sender)[:20]!r}")
    blocks = message.get("content")
    texts = (
        [_text(block.get("text")) for block in blocks if isinstance(block, dict) and block.get("type") == "text"]
        if isinstance(blocks, list)
        else []
    )
    text = "\n\n".join(part for part in texts if part) or _text(message.get("text"))
    if not text:
        return None  # an attachment alone, or a tool's turn
    key = str(message.get("uuid") or "")
    if not key:
        raise _Bad("no `uuid`")
    role = roles[sender]
    return HistoryMessage(
        key, role, "Claude" if role == "assistant" else None, _time(message.get("created_at"), utc, "created_at"), text
    )


# ---- llm's logs.db -------------------------------------------------------------------------------------------------


def read_llm(path: Path) -> History:
    """llm's logs.db: each response row is a prompt (the user's) and a response (the model's), in conversations."""
    history = History("llm")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InvalidInput(f"cannot open {path}: {exc}", field="file") from None
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "responses" not in tables:
            raise InvalidInput(f"{path} is not llm's logs.db (no responses table)", field="file")
        names: dict[str, str | None] = {}
        if "conversations" in tables:
            names = {str(row[0]): row[1] for row in connection.execute("SELECT id, name FROM conversations")}
        columns = {row[1] for row in connection.execute("PRAGMA table_info(responses)")}
        duration = "duration_ms" if "duration_ms" in columns else "NULL"
        rows = connection.execute(
            f"SELECT rowid, id, model, prompt, response, conversation_id, datetime_utc, {duration} "
            "FROM responses ORDER BY datetime_utc, rowid"
        ).fetchall()
    except sqlite3.Error as exc:
        raise InvalidInput(f"cannot read {path} as llm's logs.db: {exc}", field="file") from None
    finally:
        connection.close()
    by_key: dict[str, HistoryConversation] = {}
    utc = ZoneInfo("UTC")
    for rowid, response_id, model, prompt, response, conversation_id, stamp, duration_ms in rows:
        where = f"responses row {rowid}"
        try:
            if response_id is None:
                raise _Bad("no `id`")
            asked = _time(stamp, utc, "datetime_utc")
        except _Bad as exc:
            history.problems.append(Problem(where, str(exc)))
            continue
        key = str(conversation_id or f"response {response_id}")  # a prompt outside a conversation stands alone
        conversation = by_key.get(key)
        if conversation is None:
            title = _short(names.get(key), TITLE_MAX) if conversation_id else None
            conversation = by_key[key] = HistoryConversation(key, title or _short(prompt, 80))
            history.conversations.append(conversation)
        model_name = _short(model, 100)
        if _text(prompt):
            conversation.messages.append(HistoryMessage(f"{response_id}\x00prompt", "user", None, asked, _text(prompt)))
        if _text(response):
            took = (
                timedelta(milliseconds=duration_ms) if isinstance(duration_ms, int) and duration_ms > 0 else timedelta()
            )
            conversation.messages.append(
                HistoryMessage(
                    f"{response_id}\x00response", "assistant", model_name, asked + took, _text(response), model_name
                )
            )
    history.conversations = [conversation for conversation in history.conversations if conversation.messages]
    return history
