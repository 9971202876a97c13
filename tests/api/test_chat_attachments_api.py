"""Attachments over HTTP: upload a file (multipart), send its id with a message, see it in the history, download it;
the limits and refusals as problem documents; another user's upload is a 404."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paa.api.app import create_app
from paa.clock import FixedClock
from paa.core import attachments as files
from tests.api.conftest import Account, register
from tests.support import files as samples
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.runtime import runtime_for

REPORT = samples.pdf("Quarterly report", "Costs rose by 12 percent")


@pytest.fixture
def http(clock: FixedClock, fake_anthropic: FakeAnthropic) -> Iterator[TestClient]:
    with runtime_for(clock=clock, serves_callers=True) as runtime, TestClient(create_app(runtime)) as client:
        yield client


@pytest.fixture
def alice(http: TestClient) -> Account:
    return register(http, "alice")


def _upload(account: Account, name: str, data: bytes, media_type: str = "application/octet-stream") -> dict:
    answer = account.post("/api/v1/chat/attachments", files={"file": (name, data, media_type)})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_upload_then_send_reaches_claude_and_shows_in_the_history(
    alice: Account, fake_anthropic: FakeAnthropic
) -> None:
    pdf = _upload(alice, "report.pdf", REPORT, "application/pdf")
    photo = _upload(alice, "photo.png", samples.png(6, 4), "image/png")
    assert pdf["kind"] == "pdf" and pdf["pages"] == 2 and pdf["message_id"] is None and pdf["size"] == len(REPORT)
    assert photo["media_type"] == "image/png"

    fake_anthropic.push(reply("Costs rose."))
    answer = alice.post(
        "/api/v1/chat/message", json={"message": "what stands out?", "attachments": [pdf["id"], photo["id"]]}
    )
    assert answer.status_code == 200, answer.text
    (request,) = fake_anthropic.wait_for_requests(1)
    content = request.body["messages"][0]["content"]
    assert [block["type"] for block in content] == ["document", "image", "text"]
    assert base64.b64decode(content[0]["source"]["data"]) == REPORT

    detail = alice.get("/api/v1/chat/history", params={"conversation_id": answer.json()["conversation_id"]}).json()
    listed = detail["messages"][0]["attachments"]
    assert [(item["id"], item["name"], item["message_id"]) for item in listed] == [
        (pdf["id"], "report.pdf", detail["messages"][0]["id"]),
        (photo["id"], "photo.png", detail["messages"][0]["id"]),
    ]
    again = alice.post("/api/v1/chat/message", json={"message": "again", "attachments": [pdf["id"]]})
    assert again.status_code == 404 and again.json()["field"] == "attachments"  # an upload goes with one message


def test_download_gives_the_bytes_as_an_attachment(alice: Account) -> None:
    notes = _upload(alice, "my notes.md", "# Ideas\n- café\n".encode(), "text/markdown")
    answer = alice.get(f"/api/v1/chat/attachments/{notes['id']}")
    assert answer.status_code == 200
    assert answer.content == "# Ideas\n- café\n".encode()
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.headers["content-disposition"] == "attachment; filename*=UTF-8''my%20notes.md"
    assert alice.get("/api/v1/chat/attachments/999").status_code == 404


def test_files_alone_are_a_message(alice: Account, fake_anthropic: FakeAnthropic) -> None:
    photo = _upload(alice, "photo.png", samples.png(), "image/png")
    fake_anthropic.push(reply("A grey square."))
    answer = alice.post("/api/v1/chat/message", json={"message": "", "attachments": [photo["id"]]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["reply"] == "A grey square."
    empty = alice.post("/api/v1/chat/message", json={"message": "  "})
    assert empty.status_code == 422


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("song.mp3", b"ID3\x03\x00" + bytes(300), "paa attaches only images (JPEG, PNG, GIF, WebP), PDFs"),
        ("long.pdf", samples.pdf(*["p"] * 101), "the PDF has 101 pages; the limit is 100"),
        ("wide.jpg", samples.jpeg_header(9000, 100), "the image is 9000×100 pixels"),
    ],
)
def test_a_refused_upload_is_a_422_naming_the_file_and_the_limit(
    alice: Account, name: str, data: bytes, says: str
) -> None:
    answer = alice.post("/api/v1/chat/attachments", files={"file": (name, data, "application/octet-stream")})
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["field"] == "attachments" and says in problem["detail"] and name in problem["detail"]


def test_an_upload_over_the_body_limit_is_413_and_a_pdf_over_the_json_limit_is_taken(alice: Account) -> None:
    big = samples.pdf("x" * 10) + b"%" + b"0" * 2_000_000  # 2 MB: more than a JSON body may be, within a PDF's limit
    assert _upload(alice, "big.pdf", big, "application/pdf")["size"] == len(big)
    huge = b"0" * (files.READ_MAX_BYTES + 200_000)
    answer = alice.post("/api/v1/chat/attachments", files={"file": ("huge.txt", huge, "text/plain")})
    assert answer.status_code == 413


def test_another_users_upload_is_not_found(http: TestClient, alice: Account, fake_anthropic: FakeAnthropic) -> None:
    bob = register(http, "bob")
    mine = _upload(alice, "alpha.txt", b"alpha secret notes")
    assert bob.get(f"/api/v1/chat/attachments/{mine['id']}").status_code == 404
    answer = bob.post("/api/v1/chat/message", json={"message": "read it", "attachments": [mine["id"]]})
    assert answer.status_code == 404 and "alpha" not in answer.text
    assert fake_anthropic.message_requests == []
    assert alice.get(f"/api/v1/chat/attachments/{mine['id']}").content == b"alpha secret notes"


def test_a_chat_message_on_the_websocket_takes_upload_ids(
    http: TestClient, alice: Account, fake_anthropic: FakeAnthropic
) -> None:
    photo = _upload(alice, "photo.png", samples.png(), "image/png")
    fake_anthropic.push(reply("A grey square."))
    with http.websocket_connect("/api/v1/ws") as socket:
        socket.send_json({"type": "auth", "token": alice.tokens["access_token"]})
        assert socket.receive_json()["type"] == "ready"
        socket.send_json({"type": "chat:message", "text": "", "attachments": ["x"], "request_id": "bad"})
        error = socket.receive_json()
        assert (error["type"], error["field"]) == ("error", "attachments")
        socket.send_json({"type": "chat:message", "text": "", "attachments": [photo["id"]], "request_id": "r"})
        events: list[dict[str, Any]] = []
        while not events or events[-1]["event"] not in ("done", "error"):
            message = socket.receive_json()
            if message["type"] == "chat:response":
                events.append(message)
    assert events[-1]["event"] == "done", events[-1]
    (request,) = fake_anthropic.wait_for_requests(1)
    assert [block["type"] for block in request.body["messages"][0]["content"]] == ["image"]
