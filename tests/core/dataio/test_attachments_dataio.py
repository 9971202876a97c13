"""Attachments in backups, exports and imports: the files go along, whole, and come back the same."""

from __future__ import annotations

import base64
import copy
import json
import os
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from paa.ai.store import add_message, create_conversation
from paa.clock import FixedClock
from paa.core import attachments as files
from paa.core.dataio.backup import backup_database
from paa.core.dataio.export import document_json, export_user
from paa.core.dataio.importing import import_document, read_document
from paa.db.models import Attachment, Message
from paa.errors import InvalidInput
from tests.support import files as samples
from tests.support.clock import FIXED_NOW
from tests.support.runtime import open_context, runtime_for

PDF = samples.pdf("Lease", "The notice period is three months")
NOTES = b"pack: passport, charger\n"


def _fill(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        conversation = create_conversation(ctx, "trip")
        assert conversation.id is not None
        add_message(ctx, conversation.id, "user", "before")
        asked = add_message(ctx, conversation.id, "user", "read these")
        assert asked.id is not None
        files.store(ctx, files.classify("lease.pdf", PDF), message_id=asked.id, position=0)
        files.store(ctx, files.classify("notes.txt", NOTES), message_id=asked.id, position=1)
        add_message(ctx, conversation.id, "assistant", "after")


def _export(environ: dict[str, str] | None = None) -> dict[str, Any]:
    with open_context(environ=environ, clock=FixedClock(FIXED_NOW)) as ctx:
        return document_json(export_user(ctx, paa_version="test"))


def _import(document: dict[str, Any], environ: dict[str, str]) -> Any:
    with open_context(write=True, environ=environ, clock=FixedClock(FIXED_NOW + timedelta(days=1))) as ctx:
        return import_document(ctx, read_document(json.dumps(document)))


@pytest.mark.sqlite_only  # a second install in another PAA_HOME (on PostgreSQL the database URL is shared)
def test_the_export_holds_the_files_and_an_import_brings_them_back(make_ctx, tmp_path: Path) -> None:
    _fill(make_ctx)
    document = _export()
    (conversation,) = document["conversations"]
    attached = conversation["messages"][1]["attachments"]
    assert [(item["name"], item["kind"], item["media_type"]) for item in attached] == [
        ("lease.pdf", "pdf", "application/pdf"), ("notes.txt", "text", "text/plain"),
    ]  # fmt: skip
    assert base64.b64decode(attached[0]["data"]) == PDF
    assert conversation["messages"][0]["attachments"] == []

    fresh = {**os.environ, "PAA_HOME": str(tmp_path / "fresh")}
    summary = _import(document, fresh)
    assert summary.added["messages"] == 3
    with open_context(environ=fresh, clock=FixedClock(FIXED_NOW)) as ctx:
        messages = list(ctx.session.exec(select(Message).order_by(col(Message.id))).all())
        assert [m.content for m in messages] == ["before", "read these", "after"]  # the order kept
        rows = list(ctx.session.exec(select(Attachment).order_by(col(Attachment.position))).all())
        assert [files.read_bytes(ctx, row) for row in rows] == [PDF, NOTES]
        assert {row.message_id for row in rows} == {messages[1].id}
    again = _export(fresh)
    assert again["conversations"] == document["conversations"]


@pytest.mark.sqlite_only  # a second install in another PAA_HOME (on PostgreSQL the database URL is shared)
def test_an_import_with_a_changed_file_is_refused_whole(make_ctx, tmp_path: Path) -> None:
    _fill(make_ctx)
    document = copy.deepcopy(_export())
    document["conversations"][0]["messages"][1]["attachments"][1]["data"] = base64.b64encode(b"\x00\x01").decode()
    fresh = {**os.environ, "PAA_HOME": str(tmp_path / "fresh")}
    with pytest.raises(InvalidInput, match=r"cannot attach notes\.txt: paa attaches only"):
        _import(document, fresh)
    with open_context(environ=fresh, clock=FixedClock(FIXED_NOW)) as ctx:
        assert ctx.session.exec(select(Message)).all() == []


@pytest.mark.sqlite_only  # reads the backup file with sqlite3
def test_a_backup_holds_the_files_encrypted(make_ctx) -> None:
    _fill(make_ctx)
    with runtime_for() as runtime:
        path = backup_database(runtime.engine, runtime.paths, FIXED_NOW).backup.path
    with sqlite3.connect(path) as copy_:
        blobs = copy_.execute("SELECT data FROM attachment_blobs").fetchall()
        names = [row[0] for row in copy_.execute("SELECT name FROM attachments")]
    assert len(blobs) == 2 and all(name.startswith("enc:v1:") for name in names)
    raw = Path(path).read_bytes()
    assert b"passport" not in raw and b"notice period" not in raw
