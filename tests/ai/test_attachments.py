"""Attachments in the chat: what Claude receives (the real SDK against the fake API), what is stored and how, what
memory finds in them, and the one-line refusals."""

from __future__ import annotations

import base64
import os
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import select

from paa.ai.chat import ChatSession, ReplyDone
from paa.ai.providers.base import TextDelta
from paa.ai.providers.offline import OfflineProvider
from paa.ai.store import conversation_detail, delete_conversation
from paa.config import resolve_paths
from paa.core import attachments as files
from paa.db.models import Attachment, AttachmentBlob, Memory
from paa.errors import InvalidInput, NotFound
from tests.support import files as samples
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.runtime import runtime_for

CONTRACT = samples.pdf("Tenancy agreement between the parties.", "The notice period is three calendar months.")
NOTES = "# Shopping\n- oat milk\n- ```weird``` backticks\n"


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _drafts(tmp_path: Path) -> list[files.Draft]:
    return [
        files.read_file(_write(tmp_path, "photo.png", samples.png(4, 3))),
        files.read_file(_write(tmp_path, "contract.pdf", CONTRACT)),
        files.read_file(_write(tmp_path, "notes.md", NOTES.encode())),
    ]


def _stored(make_ctx) -> tuple[list[Attachment], list[AttachmentBlob]]:
    with make_ctx() as ctx:
        return list(ctx.session.exec(select(Attachment)).all()), list(ctx.session.exec(select(AttachmentBlob)).all())


def test_claude_receives_image_document_and_fenced_text_blocks_before_the_words(
    contexts, claude, fake_anthropic: FakeAnthropic, make_ctx, tmp_path: Path
) -> None:
    fake_anthropic.push(reply("The notice period is three months."))
    session = ChatSession(contexts, claude)
    events = list(session.send("what stands out?", attachments=_drafts(tmp_path)))

    (request,) = fake_anthropic.wait_for_requests(1)
    content = request.body["messages"][-1]["content"]
    assert [block["type"] for block in content] == ["image", "document", "text", "text"]
    image, document, notes, words = content
    assert image["source"]["media_type"] == "image/png"
    assert base64.b64decode(image["source"]["data"]) == samples.png(4, 3)
    assert document["source"] == {
        "type": "base64", "media_type": "application/pdf", "data": base64.b64encode(CONTRACT).decode()
    }  # fmt: skip
    assert document["title"] == "contract.pdf"
    assert notes["text"].startswith("Attached file notes.md:\n````\n# Shopping")  # a fence longer than ``` inside
    assert notes["text"].endswith("\n````")
    assert words == {"type": "text", "text": "what stands out?"}
    assert isinstance(events[-1], ReplyDone)

    attached, blobs = _stored(make_ctx)
    assert [(a.name, a.kind, a.media_type, a.pages, a.position) for a in attached] == [
        ("photo.png", "image", "image/png", None, 0),
        ("contract.pdf", "pdf", "application/pdf", 2, 1),
        ("notes.md", "text", "text/plain", None, 2),
    ]
    assert len(blobs) == 3
    with make_ctx() as ctx:
        conversation, messages = conversation_detail(ctx, events[-1].conversation_id)
        assert [files.read_bytes(ctx, row) for row in attached][1] == CONTRACT
    assert [item.name for item in messages[0].attachments] == ["photo.png", "contract.pdf", "notes.md"]
    assert messages[0].to_json()["attachments"][1]["pages"] == 2
    assert conversation.title == "what stands out?"


def test_the_next_turn_sends_the_files_again_and_equal_files_are_stored_once(
    contexts, claude, fake_anthropic: FakeAnthropic, make_ctx, tmp_path: Path
) -> None:
    fake_anthropic.push(reply("A photo."), reply("Still the same photo."), reply("Yes."))
    session = ChatSession(contexts, claude)
    photo = files.read_file(_write(tmp_path, "photo.png", samples.png()))
    list(session.send("what is this?", attachments=[photo]))
    list(session.send("and now?"))
    list(session.send("same one again", attachments=[files.classify("copy.png", samples.png())]))

    _first, second, third = fake_anthropic.wait_for_requests(3)
    assert [b["type"] for b in second.body["messages"][0]["content"]] == ["image", "text"]  # history keeps it
    assert [b["type"] for b in third.body["messages"][-1]["content"]] == ["image", "text"]
    attached, blobs = _stored(make_ctx)
    assert [a.name for a in attached] == ["photo.png", "copy.png"]
    assert len(blobs) == 1 and attached[0].blob_id == attached[1].blob_id  # content-addressed: kept once


def test_files_alone_are_a_message(contexts, claude, fake_anthropic: FakeAnthropic, make_ctx) -> None:
    fake_anthropic.push(reply("A grey square."))
    events = list(ChatSession(contexts, claude).send("", attachments=[files.classify("sq.png", samples.png())]))
    (request,) = fake_anthropic.wait_for_requests(1)
    assert [b["type"] for b in request.body["messages"][0]["content"]] == ["image"]  # no empty text block
    with make_ctx() as ctx:
        conversation, _messages = conversation_detail(ctx, events[-1].conversation_id)
    assert conversation.title == "sq.png"


def test_older_files_past_the_request_limits_are_named_instead_of_sent(
    contexts, claude, fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_anthropic.push(reply("First."), reply("Second."))
    session = ChatSession(contexts, claude)
    list(session.send("read this", attachments=[files.classify("contract.pdf", CONTRACT)]))
    monkeypatch.setattr(files, "PDF_MAX_PAGES", 3)  # the next PDF and the first no longer fit together
    list(session.send("and this", attachments=[files.classify("other.pdf", samples.pdf("a", "b"))]))
    _first, second = fake_anthropic.wait_for_requests(2)
    old, new = second.body["messages"][0]["content"], second.body["messages"][-1]["content"]
    assert [b["type"] for b in new] == ["document", "text"]
    assert [b["type"] for b in old] == ["text", "text"]
    assert old[0]["text"].startswith("[attached earlier, not sent again")
    assert "contract.pdf (PDF, 2 pages" in old[0]["text"]


def test_the_offline_provider_says_plainly_it_cannot_read_them(contexts, make_ctx) -> None:
    photo = files.classify("a.png", samples.png())
    events = list(ChatSession(contexts, OfflineProvider()).send("", attachments=[photo]))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text.startswith("I can't read attached files offline (a.png)")
    assert "paa auth key set anthropic" in text
    attached, _blobs = _stored(make_ctx)
    assert [a.name for a in attached] == ["a.png"]  # kept with the message all the same


def test_the_offline_rules_still_answer_the_words(contexts, habits) -> None:
    events = list(
        ChatSession(contexts, OfflineProvider()).send(
            "I ran 5 km", attachments=[files.classify("run.txt", b"I drank 8 glasses of water")]
        )
    )
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "can't read attached files offline (run.txt)" in text
    assert "Run" in text and "water" not in text.lower()  # the file's words are not taken as the person's


def test_memory_finds_a_pdf_page_and_forgets_it_with_the_conversation(
    contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    from paa.ai import memory

    fake_anthropic.push(reply("Noted."))
    events = list(ChatSession(contexts, claude).send("my lease", attachments=[files.classify("lease.pdf", CONTRACT)]))
    with make_ctx() as ctx:
        hits = memory.search(ctx, "notice period", kinds=["attachment"])
    assert [hit.content for hit in hits] == ["lease.pdf, page 2: The notice period is three calendar months."]

    done = events[-1]
    assert isinstance(done, ReplyDone)
    with make_ctx(write=True) as ctx:
        delete_conversation(ctx, done.conversation_id)
    attached, blobs = _stored(make_ctx)
    assert attached == [] and blobs == []
    with make_ctx() as ctx:
        assert ctx.session.exec(select(Memory).where(Memory.kind == "attachment")).all() == []


def test_a_blob_another_conversation_still_uses_is_kept(
    contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    fake_anthropic.push(reply("One."), reply("Two."))
    first = list(ChatSession(contexts, claude).send("a", attachments=[files.classify("p.png", samples.png())]))
    list(ChatSession(contexts, claude).send("b", attachments=[files.classify("p.png", samples.png())]))
    done = first[-1]
    assert isinstance(done, ReplyDone)
    with make_ctx(write=True) as ctx:
        delete_conversation(ctx, done.conversation_id)
    attached, blobs = _stored(make_ctx)
    assert len(attached) == 1 and len(blobs) == 1
    with make_ctx() as ctx:
        assert files.read_bytes(ctx, attached[0]) == samples.png()


def test_the_database_file_holds_no_plain_bytes_and_rotation_keeps_them_readable(
    contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    from paa.core.encryption import finish_rotation, rotate_data_key

    secret = b"My biopsy results came back on Tuesday"
    fake_anthropic.push(reply("Noted."))
    list(ChatSession(contexts, claude).send("keep this", attachments=[files.classify("results.txt", secret)]))
    path = resolve_paths(os.environ).database_file
    raw = path.read_bytes() + (Path(f"{path}-wal").read_bytes() if Path(f"{path}-wal").exists() else b"")
    assert b"biopsy" not in raw and b"results.txt" not in raw and b"Tenancy" not in raw
    with sqlite3.connect(path) as connection:
        name, blob_key = connection.execute(
            "SELECT a.name, b.blob_key FROM attachments a JOIN attachment_blobs b ON a.blob_id = b.id"
        ).fetchone()
    assert name.startswith("enc:v1:") and blob_key.startswith("enc:v1:")

    paths = resolve_paths(os.environ)
    with runtime_for() as runtime:
        with runtime.auth(write=True) as actx:
            rotate_data_key(actx.session, paths, {"PAA_KEYRING": "off"})
        finish_rotation(runtime.engine, paths, {"PAA_KEYRING": "off"})
    with make_ctx() as ctx:
        (row,) = ctx.session.exec(select(Attachment)).all()
        assert files.read_bytes(ctx, row) == secret and row.name == "results.txt"


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("song.mp3", b"ID3\x03\x00\x00\x00" + bytes(range(256)), "paa attaches only images (JPEG, PNG, GIF, WebP)"),
        ("empty.txt", b"", "the file is empty"),
        ("huge.jpg", samples.jpeg_header(8001, 10), "the image is 8001×10 pixels; the limit is 8000 on each side"),
        ("big.png", samples.png() + b"\x00" * files.IMAGE_MAX_BYTES, "the limit is 3.75 MiB"),
        ("long.pdf", samples.pdf(*["p"] * 101), "the PDF has 101 pages; the limit is 100"),
        ("broken.pdf", b"%PDF-1.4\nnot really", "the PDF cannot be read"),
        ("long.txt", b"x" * (files.TEXT_MAX_CHARS + 1), "the limit is 200,000"),
    ],
)
def test_refusals_are_one_line_and_name_the_file(name: str, data: bytes, says: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        files.classify(name, data)
    assert raised.value.message.startswith(f"cannot attach {name}: ")
    assert says in raised.value.message and "\n" not in raised.value.message
    assert raised.value.field == "attachments"


def test_a_message_over_the_limits_together_stores_nothing(contexts, claude, make_ctx) -> None:
    many = [files.classify(f"n{i}.txt", f"note {i}".encode()) for i in range(files.MESSAGE_MAX_FILES + 1)]
    with pytest.raises(InvalidInput, match="21 files in one message; the limit is 20"):
        list(ChatSession(contexts, claude).send("all of them", attachments=many))
    pdfs = [files.classify(f"{i}.pdf", samples.pdf(*["p"] * 60)) for i in range(2)]
    with pytest.raises(InvalidInput, match="the PDFs of one message have 120 pages; the limit is 100"):
        list(ChatSession(contexts, claude).send("both", attachments=pdfs))
    attached, blobs = _stored(make_ctx)
    assert attached == [] and blobs == []


def test_read_file_refuses_a_missing_path_and_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        files.read_file(tmp_path / "nope.png")
    with pytest.raises(InvalidInput, match="not a file"):
        files.read_file(tmp_path)


def test_uploads_are_claimed_once_and_only_by_their_owner(
    contexts, claude, fake_anthropic: FakeAnthropic, make_ctx, clock
) -> None:
    with make_ctx(write=True) as ctx:
        uploaded = files.upload(ctx, files.classify("u.png", samples.png()))
    fake_anthropic.push(reply("Seen."))
    list(ChatSession(contexts, claude).send("look", uploads=[uploaded.id]))
    (request,) = fake_anthropic.wait_for_requests(1)
    assert [b["type"] for b in request.body["messages"][0]["content"]] == ["image", "text"]
    with pytest.raises(NotFound, match=f"no unsent attachment with id {uploaded.id}"):
        list(ChatSession(contexts, claude).send("again", uploads=[uploaded.id]))


def test_a_failed_turn_keeps_the_files_and_memory_finds_them(
    contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    from paa.ai import memory
    from paa.ai.errors import ProviderError
    from tests.support.fake_anthropic import error

    fake_anthropic.push(error(400, "invalid_request_error", "no"))
    with pytest.raises(ProviderError):
        list(ChatSession(contexts, claude).send("my lease", attachments=[files.classify("lease.pdf", CONTRACT)]))
    with make_ctx() as ctx:
        hits = memory.search(ctx, "notice period", kinds=["attachment"])
    assert [hit.content for hit in hits] == ["lease.pdf, page 2: The notice period is three calendar months."]
