"""Files attached to chat messages: reading and classifying them, the limits, and storing them encrypted.

    draft = read_file(Path("report.pdf"))          # classified and checked, or InvalidInput naming what paa takes
    check_message([draft])                          # the limits of one message, together
    row = store(ctx, draft, message_id=12)          # stored once per user and content, encrypted
    data = read_bytes(ctx, row)                     # the file again

A file is an image (JPEG, PNG, GIF, WebP), a PDF, or text (UTF-8: notes, code, CSV...). The limits are the
Anthropic API's, stated in LIMITS: an image's size once base64-encoded (5 MB) and sides (8000 pixels), a request's size
(32 MB: files up to 22.5 MB, 30 MB once base64-encoded, leave room for the conversation) and PDF
pages (100). Anything else is refused before anything is sent.

Storage: the bytes live in the database (table `attachment_blobs`), so a backup, a restore and deleting a user take
them along in the same transaction as everything else. Each blob is encrypted with AES-256-GCM under a key of its own,
and that key is a sealed column (paa.db.sealed): encryption at rest covers the bytes, and a data-key rotation re-seals
the small key without rewriting the file. Blobs are content-addressed per user by a keyed hash (`_address`): equal
files are stored once, and the address tells nothing to someone without the data key. An attachment row is one file
as attached (its name, kind, the message it went with); deleting the last row of a blob deletes the blob.

Interfaces build drafts (`read_file` for a path, `classify` for bytes from an upload) and the chat loop stores them;
the HTTP API stores an upload first (`upload`, no message yet) and the message claims it (`claim_uploads`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select

from paa.core.context import Context
from paa.core.ids import get_row
from paa.core.validate import strip_controls
from paa.db.models import Attachment, AttachmentBlob
from paa.db.sealed import SealBroken, keys_of
from paa.errors import InvalidInput, NotFound

FIELD = "attachments"
KINDS = ("image", "pdf", "text")
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WebP"}
# The API takes an image of at most 5 MB once base64-encoded: 3.75 MiB of file.
IMAGE_MAX_BYTES = 5 * 1024 * 1024 * 3 // 4
IMAGE_MAX_SIDE = 8000
PDF_MAX_PAGES = 100
# A request may be 32 MB: files of 22.5 MB are 30 MB once base64-encoded, which leaves room for the conversation;
# for one PDF, and for every file of a message (and of the history sent again) together.
REQUEST_MAX_BYTES = 22_500_000
PDF_MAX_BYTES = REQUEST_MAX_BYTES
TEXT_MAX_CHARS = 200_000  # as a typed message (paa.ai.chat.MESSAGE_MAX_CHARS)
TEXT_MAX_BYTES = 4 * TEXT_MAX_CHARS  # UTF-8 takes at most 4 bytes a character
MESSAGE_MAX_FILES = 20
NAME_MAX = 200
READ_MAX_BYTES = max(IMAGE_MAX_BYTES, PDF_MAX_BYTES, TEXT_MAX_BYTES)
UPLOAD_TTL = timedelta(days=1)  # an upload no message claimed is deleted after this


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.0f} KB"
    return f"{size / 1_000_000:.1f} MB"


SUPPORTED = "images (JPEG, PNG, GIF, WebP), PDFs, and text or code files (UTF-8)"
LIMITS = (
    f"an image at most {IMAGE_MAX_BYTES / 2**20:.2f} MiB and {IMAGE_MAX_SIDE}×{IMAGE_MAX_SIDE} pixels, a PDF at most "
    f"{PDF_MAX_PAGES} pages and {human_size(PDF_MAX_BYTES)}, a text file at most {TEXT_MAX_CHARS:,} characters; "
    f"at most {MESSAGE_MAX_FILES} files, {human_size(REQUEST_MAX_BYTES)} and {PDF_MAX_PAGES} PDF pages in one message"
)
PDF_EXTRA_HINT = "PDFs need the pypdf package: pip install 'paa[attachments]'"


@dataclass(frozen=True)
class Draft:
    """A file read and checked, not stored yet: `text` is a text file's content, `pages` a PDF's page count."""

    name: str
    kind: str
    media_type: str
    data: bytes
    pages: int | None = None
    text: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def describe(self) -> str:
        """As `AttachmentView.describe`: for the file waiting to be sent."""
        return describe(self.name, self.kind, self.pages, self.size)


@dataclass(frozen=True)
class AttachmentView:
    """A stored attachment as the interfaces show it (docs/chat.md documents its JSON)."""

    id: int
    message_id: int | None
    name: str
    kind: str
    media_type: str
    size: int
    pages: int | None
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "name": self.name,
            "kind": self.kind,
            "media_type": self.media_type,
            "size": self.size,
            "pages": self.pages,
            "created_at": self.created_at.isoformat(),
        }

    def describe(self) -> str:
        """One short phrase: `report.pdf (PDF, 12 pages, 340 KB)`."""
        return describe(self.name, self.kind, self.pages, self.size)


def describe(name: str, kind: str, pages: int | None, size: int) -> str:
    """One short phrase for a file: `report.pdf (PDF, 12 pages, 340 KB)`."""
    what = {"image": "image", "pdf": "PDF", "text": "text"}.get(kind, kind)
    counted = f", {pages} page{'s' if pages != 1 else ''}" if pages is not None else ""
    return f"{name} ({what}{counted}, {human_size(size)})"


def view(row: Attachment) -> AttachmentView:
    assert row.id is not None
    return AttachmentView(
        row.id, row.message_id, row.name, row.kind, row.media_type, row.size, row.pages, row.created_at
    )


# ---- reading and classifying ---------------------------------------------------------------------------------


def _refuse(name: str, reason: str, hint: str | None = None) -> InvalidInput:
    return InvalidInput(f"cannot attach {name}: {reason}", hint=hint, field=FIELD)


def clean_name(name: str) -> str:
    """The file's own name (no folders), without control characters, at most NAME_MAX characters."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = " ".join(strip_controls(base).split())
    return (cleaned or "attachment")[:NAME_MAX]


def read_file(path: Path) -> Draft:
    """Read and classify a file the person named; one-line InvalidInput for a missing, unreadable or refused one."""
    name = clean_name(str(path))
    try:
        if not path.is_file():
            raise _refuse(str(path), "no such file" if not path.exists() else "not a file")
        size = path.stat().st_size
        if size > READ_MAX_BYTES:
            raise _refuse(name, f"it is {human_size(size)}, more than any attachment may be", hint=f"limits: {LIMITS}")
        data = path.read_bytes()
    except OSError as exc:
        raise _refuse(str(path), exc.strerror or "it cannot be read") from None
    return classify(name, data)


def classify(name: str, data: bytes) -> Draft:
    """What the file is (by its content, not its name) and whether it is within the limits, or InvalidInput."""
    name = clean_name(name)
    if not data:
        raise _refuse(name, "the file is empty")
    image = _image_type(data)
    if image is not None:
        return _image(name, image, data)
    if data.lstrip(b"\r\n\t ")[:5] == b"%PDF-":
        return _pdf(name, data)
    text = _text(data)
    if text is not None:
        return _text_draft(name, data, text)
    raise _refuse(name, f"paa attaches only {SUPPORTED}")


def _image_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _image(name: str, media_type: str, data: bytes) -> Draft:
    label = IMAGE_TYPES[media_type]
    if len(data) > IMAGE_MAX_BYTES:
        raise _refuse(
            name, f"the image is {human_size(len(data))}; the limit is {IMAGE_MAX_BYTES / 2**20:.2f} MiB "
            "(5 MB once encoded for the API)", hint="make it smaller, e.g. save it as a JPEG",
        )  # fmt: skip
    sides = image_size(media_type, data)
    if sides is None:
        raise _refuse(name, f"it looks like a {label} image but its size cannot be read (a damaged file?)")
    width, height = sides
    if width > IMAGE_MAX_SIDE or height > IMAGE_MAX_SIDE:
        raise _refuse(name, f"the image is {width}×{height} pixels; the limit is {IMAGE_MAX_SIDE} on each side")
    return Draft(name, "image", media_type, data)


def image_size(media_type: str, data: bytes) -> tuple[int, int] | None:
    """(width, height) from the image's header, or None when it cannot be read."""
    try:
        if media_type == "image/png":
            if data[12:16] != b"IHDR":
                return None
            width, height = struct.unpack(">II", data[16:24])
            return int(width), int(height)
        if media_type == "image/gif":
            width, height = struct.unpack("<HH", data[6:10])
            return int(width), int(height)
        if media_type == "image/webp":
            return _webp_size(data)
        return _jpeg_size(data)
    except struct.error:
        return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and data[20:21] == b"\x2f":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start of frame holds the size
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + length
    return None


def _pdf(name: str, data: bytes) -> Draft:
    if len(data) > PDF_MAX_BYTES:
        raise _refuse(
            name, f"the PDF is {human_size(len(data))}; the limit is {human_size(PDF_MAX_BYTES)} "
            "(with room left in the API's 32 MB request, once encoded)",
        )  # fmt: skip
    pages = pdf_pages(name, data)
    if pages > PDF_MAX_PAGES:
        raise _refuse(name, f"the PDF has {pages} pages; the limit is {PDF_MAX_PAGES}", hint="send the pages you need")
    return Draft(name, "pdf", "application/pdf", data, pages=pages)


def _reader(name: str, data: bytes) -> Any:
    """A pypdf reader (imported here: 0.2 s, and only a chat with a PDF needs it)."""
    import io
    import logging

    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:
        raise _refuse(name, "reading PDFs needs pypdf, which is not installed", hint=PDF_EXTRA_HINT) from None
    # pypdf logs what it finds wrong ("EOF marker not found") to stderr; paa says it once, in its own words.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise _refuse(name, "the PDF is password-protected", hint="save an unprotected copy and attach that")
        return reader
    except (PyPdfError, ValueError, KeyError, TypeError, struct.error) as exc:
        raise _refuse(name, f"the PDF cannot be read ({type(exc).__name__}; a damaged file?)") from None


def pdf_pages(name: str, data: bytes) -> int:
    reader = _reader(name, data)
    try:
        return len(reader.pages)
    except Exception as exc:  # pypdf raises many kinds for a broken page tree
        raise _refuse(name, f"the PDF's pages cannot be counted ({type(exc).__name__}; a damaged file?)") from None


def _text(data: bytes) -> str | None:
    """The file as text when it is UTF-8 without NUL bytes (binary formats have them early), else None."""
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _text_draft(name: str, data: bytes, text: str) -> Draft:
    if len(text) > TEXT_MAX_CHARS:
        raise _refuse(name, f"the text has {len(text):,} characters; the limit is {TEXT_MAX_CHARS:,}")
    if not text.strip():
        raise _refuse(name, "the file holds only blank space")
    return Draft(name, "text", "text/plain", data, text=text)


def check_message(drafts: Sequence[Draft], already: Iterable[AttachmentView] = ()) -> None:
    """The limits of one message's files together (each file was checked alone already)."""
    files = [*already]
    count = len(drafts) + len(files)
    if count > MESSAGE_MAX_FILES:
        raise InvalidInput(f"{count} files in one message; the limit is {MESSAGE_MAX_FILES}", field=FIELD)
    total = sum(d.size for d in drafts) + sum(f.size for f in files)
    if total > REQUEST_MAX_BYTES:
        raise InvalidInput(
            f"the files of one message come to {human_size(total)}; the limit is {human_size(REQUEST_MAX_BYTES)} "
            "(with room left in the API's 32 MB request, once encoded)",
            hint="send them in separate messages", field=FIELD,
        )  # fmt: skip
    pages = sum(d.pages or 0 for d in drafts) + sum(f.pages or 0 for f in files)
    if pages > PDF_MAX_PAGES:
        raise InvalidInput(
            f"the PDFs of one message have {pages} pages; the limit is {PDF_MAX_PAGES}",
            hint="send them in separate messages", field=FIELD,
        )  # fmt: skip


def text_pages(kind: str, name: str, data: bytes) -> list[tuple[int | None, str]]:
    """The readable text of a file, by page for a PDF: [(page, text)], page None for a text file; [] for an image.
    Pages without a text layer (scans) are left out."""
    if kind == "text":
        text = _text(data)
        return [(None, text)] if text and text.strip() else []
    if kind != "pdf":
        return []
    reader = _reader(name, data)
    pages: list[tuple[int | None, str]] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception:  # one unreadable page leaves the others readable
            continue
        if text.strip():
            pages.append((number, text))
    return pages


# ---- storing -------------------------------------------------------------------------------------------------


def _keyset(ctx: Context) -> Any:
    return keys_of(ctx.session.connection().dialect, "attachments")


def _address(ctx: Context, data: bytes) -> str:
    """The blob address of `data` for this user: a keyed hash (HMAC-SHA256 under a key derived from the data key)."""
    keyset = _keyset(ctx)
    key = hmac.new(keyset.key(keyset.current, "attachments"), b"paa attachment address v1", hashlib.sha256).digest()
    return hmac.new(key, f"{ctx.user_id}:".encode() + hashlib.sha256(data).digest(), hashlib.sha256).hexdigest()


def _associated(digest: str) -> bytes:
    return f"paa:attachment_blobs.data:{digest}".encode()


def _blob(ctx: Context, data: bytes) -> AttachmentBlob:
    """The user's blob of `data`, stored now unless an equal file was stored before."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    digest = _address(ctx, data)
    found = ctx.session.exec(
        select(AttachmentBlob).where(AttachmentBlob.user_id == ctx.user_id, AttachmentBlob.digest == digest)
    ).first()
    if found is not None:
        return found
    key = os.urandom(32)
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(key).encrypt(nonce, data, _associated(digest))
    row = AttachmentBlob(
        user_id=ctx.user_id, digest=digest, size=len(data), data=sealed,
        blob_key=base64.urlsafe_b64encode(key).decode("ascii"), created_at=ctx.now(),
    )  # fmt: skip
    ctx.session.add(row)
    ctx.session.flush()
    return row


def store(
    ctx: Context, draft: Draft, *, message_id: int | None, position: int = 0, created_at: datetime | None = None
) -> Attachment:
    """Keep a checked file with one of the user's messages (None: an upload waiting for its message); `created_at`
    for an imported one."""
    if message_id is not None:
        _own_message(ctx, message_id)
    blob = _blob(ctx, draft.data)
    assert blob.id is not None
    row = Attachment(
        user_id=ctx.user_id, blob_id=blob.id, message_id=message_id, position=position, name=draft.name,
        kind=draft.kind, media_type=draft.media_type, size=draft.size, pages=draft.pages,
        created_at=created_at or ctx.now(),
    )  # fmt: skip
    ctx.session.add(row)
    ctx.session.flush()
    return row


def upload(ctx: Context, draft: Draft) -> AttachmentView:
    """Keep a file for a message to come (the API's upload); uploads never claimed for a day are deleted here."""
    _drop_stale_uploads(ctx)
    return view(store(ctx, draft, message_id=None))


def _drop_stale_uploads(ctx: Context) -> None:
    stale = ctx.session.exec(
        select(Attachment.id).where(
            Attachment.user_id == ctx.user_id,
            col(Attachment.message_id).is_(None),
            col(Attachment.created_at) < ctx.now() - UPLOAD_TTL,
        )
    ).all()
    delete_attachments(ctx, [i for i in stale if i is not None])


def get_attachment(ctx: Context, attachment_id: int) -> Attachment:
    """One of the user's attachments; another user's is NotFound, exactly like a missing one."""
    row = get_row(ctx.session, Attachment, attachment_id)
    if row is None or row.user_id != ctx.user_id:
        raise NotFound(f"no attachment with id {attachment_id}", field=FIELD)
    return row


def pending_uploads(ctx: Context, attachment_ids: Sequence[int]) -> list[AttachmentView]:
    """The user's uploads not yet sent with a message, in the order given; NotFound for any other id."""
    if len(set(attachment_ids)) != len(attachment_ids):
        raise InvalidInput("an attachment id is given twice", field=FIELD)
    found = []
    for attachment_id in attachment_ids:
        row = get_row(ctx.session, Attachment, attachment_id)
        if row is None or row.user_id != ctx.user_id or row.message_id is not None:
            raise NotFound(
                f"no unsent attachment with id {attachment_id}",
                hint="upload the file first (POST /api/v1/chat/attachments); an upload goes with one message",
                field=FIELD,
            )
        found.append(view(row))
    return found


def _own_message(ctx: Context, message_id: int) -> None:
    from paa.db.models import Message

    row = get_row(ctx.session, Message, message_id)
    if row is None or row.user_id != ctx.user_id:
        raise NotFound(f"no message with id {message_id}", field=FIELD)


def claim_uploads(ctx: Context, attachment_ids: Sequence[int], message_id: int, *, first_position: int = 0) -> None:
    """Give uploads (checked by `pending_uploads`) to the user's message they were sent with."""
    _own_message(ctx, message_id)
    for position, item in enumerate(pending_uploads(ctx, attachment_ids), start=first_position):
        row = get_attachment(ctx, item.id)
        row.message_id = message_id
        row.position = position
        ctx.session.add(row)
    ctx.session.flush()


def read_bytes(ctx: Context, row: Attachment) -> bytes:
    """The file's bytes, decrypted; SealBroken when the stored blob was changed or damaged."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if row.user_id != ctx.user_id:
        raise NotFound(f"no attachment with id {row.id}", field=FIELD)
    blob = ctx.session.get(AttachmentBlob, row.blob_id)
    if blob is None or blob.user_id != ctx.user_id:
        raise NotFound(f"the file of attachment {row.id} is missing", field=FIELD)
    try:
        key = base64.urlsafe_b64decode(blob.blob_key)
        return AESGCM(key).decrypt(blob.data[:12], blob.data[12:], _associated(blob.digest))
    except (InvalidTag, ValueError):
        raise SealBroken(
            f"the file of attachment {row.id} failed its integrity check (changed or damaged)",
            hint="restore the database from a backup",
        ) from None


def attachments_of(ctx: Context, message_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """The user's attachments of these messages, by message id, in the order they were attached."""
    ids = [i for i in message_ids if i is not None]
    if not ids:
        return {}
    rows = ctx.session.exec(
        select(Attachment)
        .where(Attachment.user_id == ctx.user_id, col(Attachment.message_id).in_(ids))
        .order_by(col(Attachment.message_id), col(Attachment.position), col(Attachment.id))
    ).all()
    found: dict[int, list[Attachment]] = {}
    for row in rows:
        assert row.message_id is not None
        found.setdefault(row.message_id, []).append(row)
    return found


def delete_attachments(ctx: Context, attachment_ids: Sequence[int]) -> int:
    """Delete the user's attachments, and each blob no attachment of the user names any more; returns how many."""
    if not attachment_ids:
        return 0
    rows = ctx.session.exec(
        select(Attachment).where(Attachment.user_id == ctx.user_id, col(Attachment.id).in_(list(attachment_ids)))
    ).all()
    blob_ids = {row.blob_id for row in rows}
    for row in rows:
        ctx.session.delete(row)
    ctx.session.flush()
    still_named = set(
        ctx.session.exec(
            select(Attachment.blob_id).where(
                Attachment.user_id == ctx.user_id, col(Attachment.blob_id).in_(list(blob_ids))
            )
        ).all()
    )
    orphans = [blob_id for blob_id in blob_ids if blob_id not in still_named]
    if orphans:
        ctx.session.execute(
            delete(AttachmentBlob).where(
                col(AttachmentBlob.user_id) == ctx.user_id, col(AttachmentBlob.id).in_(orphans)
            )
        )
        ctx.session.flush()
    return len(rows)
