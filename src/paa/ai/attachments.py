"""Attachments in the conversation: the content blocks Claude is sent, and the text memory keeps of them.

An image goes as an `image` block and a PDF as a `document` block (base64), a text file as a fenced `text` block,
before the person's words. Every turn sends the history again, with the files of its messages: newest first while
they fit the API's limits for one request (paa.core.attachments: 22.5 MB, 100 PDF pages); an older file past them is
named in a short note instead. Memory keeps the text of text files and PDFs, page by page, as memories of kind
`attachment` (found by `paa memory search` and in the chat's context), deleted with their conversation.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select

from paa.core import attachments as files
from paa.core.context import Context
from paa.db.models import Attachment, Memory, Message
from paa.errors import InvalidInput

MEMORY_KIND = "attachment"
CHUNK_CHARS = 1500  # a memory holds a page, or a part of a long page: search finds the passage, not the whole file


def fence(text: str) -> str:
    """A Markdown fence longer than any run of backticks in `text`."""
    longest, run = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def block(row: Attachment, data: bytes) -> dict[str, Any]:
    """The content block of one attachment."""
    if row.kind == "image":
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": row.media_type, "data": base64.b64encode(data).decode()},
        }
    if row.kind == "pdf":
        return {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": base64.b64encode(data).decode()},
            "title": row.name,
        }
    text = data.decode("utf-8-sig", errors="replace")
    marks = fence(text)
    return {"type": "text", "text": f"Attached file {row.name}:\n{marks}\n{text.rstrip()}\n{marks}"}


def note(rows: Sequence[Attachment]) -> dict[str, Any]:
    """What the model is told of files that are not sent again (past the request's limits)."""
    names = ", ".join(files.view(row).describe() for row in rows)
    return {"type": "text", "text": f"[attached earlier, not sent again to stay within the request's limits: {names}]"}


def history_blocks(ctx: Context, messages: Sequence[Message]) -> dict[int, list[dict[str, Any]]]:
    """The content blocks of the files of these messages, by message id: the newest messages' first, while the
    request's limits allow (the newest message's files always fit: they were checked as it was sent)."""
    by_message = files.attachments_of(ctx, [m.id for m in messages if m.id is not None and m.role == "user"])
    found: dict[int, list[dict[str, Any]]] = {}
    size = pages = count = 0
    for message_id in sorted(by_message, reverse=True):
        sent: list[dict[str, Any]] = []
        left: list[Attachment] = []
        for row in by_message[message_id]:
            fits = (
                size + row.size <= files.REQUEST_MAX_BYTES
                and pages + (row.pages or 0) <= files.PDF_MAX_PAGES
                and count < files.MESSAGE_MAX_FILES * 5
            )
            if fits:
                sent.append(block(row, files.read_bytes(ctx, row)))
                size, pages, count = size + row.size, pages + (row.pages or 0), count + 1
            else:
                left.append(row)
        found[message_id] = [*sent, note(left)] if left else sent
    return found


def names_of(ctx: Context, message_id: int) -> tuple[str, ...]:
    return tuple(row.name for row in files.attachments_of(ctx, [message_id]).get(message_id, []))


# ---- memory --------------------------------------------------------------------------------------------------


def _chunks(text: str) -> list[str]:
    """A page's text in parts of about CHUNK_CHARS, cut at a blank line or a line end where one is near."""
    words = " ".join(text.split())
    parts = []
    while len(words) > CHUNK_CHARS:
        cut = words.rfind(" ", CHUNK_CHARS // 2, CHUNK_CHARS)
        cut = cut if cut > 0 else CHUNK_CHARS
        parts.append(words[:cut])
        words = words[cut:].lstrip()
    if words:
        parts.append(words)
    return parts


def index_attachments(ctx: Context, rows: Sequence[Attachment]) -> int:
    """Keep the text of text files and PDFs in memory, page by page (`report.pdf, page 3: ...`); returns how many
    memories were added. An attachment already indexed is left as it is."""
    from paa.ai.memory import _notify_indexer

    added = 0
    for row in rows:
        if row.user_id != ctx.user_id or row.kind not in ("text", "pdf") or row.id is None:
            continue
        if _indexed(ctx, row.id):
            continue
        try:
            pages = files.text_pages(row.kind, row.name, files.read_bytes(ctx, row))
        except InvalidInput:  # pypdf missing or the file unreadable: it was sent, it just is not searchable
            continue
        for page, text in pages:
            where = f"{row.name}, page {page}" if page is not None else row.name
            for chunk in _chunks(text):
                ctx.session.add(
                    Memory(
                        user_id=ctx.user_id, kind=MEMORY_KIND, content=f"{where}: {chunk}", source_id=row.id,
                        derived=True, created_at=row.created_at,
                    )
                )  # fmt: skip
                added += 1
    if added:
        ctx.session.flush()
        _notify_indexer(ctx)
    return added


def _indexed(ctx: Context, attachment_id: int) -> bool:
    return (
        ctx.session.exec(
            select(Memory.id).where(
                Memory.user_id == ctx.user_id, Memory.kind == MEMORY_KIND, Memory.source_id == attachment_id
            )
        ).first()
        is not None
    )


def forget_attachments(ctx: Context, attachment_ids: Sequence[int]) -> None:
    """Forget what memory kept of these attachments (before they are deleted)."""
    from paa.ai.memory import forget

    if not attachment_ids:
        return
    memory_ids = ctx.session.exec(
        select(Memory.id).where(
            Memory.user_id == ctx.user_id, Memory.kind == MEMORY_KIND, col(Memory.source_id).in_(list(attachment_ids))
        )
    ).all()
    for memory_id in memory_ids:
        if memory_id is not None:
            forget(ctx, memory_id)
