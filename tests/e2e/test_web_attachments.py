"""Attachments in the browser app, in a real headless Chromium against a real `paa serve`: a file picked with Attach
and one dropped on the form upload at once and wait as chips (one removed), a refused file is a line under the form,
the message takes the rest to the model as fenced text, and the history lists it with a download link."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e import test_web
from tests.e2e.test_serve import register, serving
from tests.e2e.test_web import opened_page, sign_in
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.waiting import GIVE_UP_SECONDS

pytestmark = pytest.mark.e2e
chromium = test_web.chromium  # the module's Chromium, shared as a fixture

DROP = """() => {
  const carried = new DataTransfer();
  carried.items.add(new File(["Dropped, then removed.\\n"], "second.md", { type: "text/markdown" }));
  return carried;
}"""


def test_attach_upload_chips_send_and_download(
    paa_home: Path,
    fake_anthropic: FakeAnthropic,
    chromium: Any,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    notes = tmp_path / "notes.txt"
    notes.write_text("Notice period: three months.\n")
    blob = tmp_path / "blob.bin"
    blob.write_bytes(bytes(range(256)) * 4)
    fake_anthropic.push(reply("Three months."))
    with serving() as server, opened_page(chromium, width=1280, height=800) as page:
        register(server)
        sign_in(page, server)
        page.get_by_role("link", name="Chat").click()
        picker = page.get_by_label("Files to attach")
        chips = page.get_by_role("list", name="Attached files")

        picker.set_input_files(str(blob))
        expect(page.get_by_role("alert")).to_contain_text("cannot attach blob.bin: paa attaches only images")
        picker.set_input_files(str(notes))
        expect(chips).to_contain_text("notes.txt (text, 29 B)")
        expect(page.get_by_role("alert")).to_have_text("")  # the next upload clears the refusal
        page.locator("form.chat-form").dispatch_event("drop", {"dataTransfer": page.evaluate_handle(DROP)})
        expect(chips).to_contain_text("second.md (text, 23 B)")
        page.get_by_role("button", name="Remove second.md").click()
        expect(chips.get_by_role("listitem")).to_have_count(1)

        page.get_by_label("Message").fill("what is the notice period?")
        page.keyboard.press("Enter")
        log = page.get_by_role("list", name="Conversation")
        expect(log).to_contain_text("Three months.", timeout=GIVE_UP_SECONDS * 1000)
        expect(chips.get_by_role("listitem")).to_have_count(0)  # sent with the message
        sent = log.get_by_role("list", name="Attachments")
        expect(sent).to_contain_text("notes.txt (text, 29 B)")

        page.reload()  # the history, from the server: the same list, and the link downloads the file
        page.get_by_role("heading", name="Chat").wait_for()
        page.goto(server.url + "/#/chat/1")
        expect(page.get_by_role("list", name="Conversation")).to_contain_text("what is the notice period?")
        link = page.get_by_role("list", name="Attachments").get_by_role("link", name="notes.txt")
        with page.expect_download() as downloading:
            link.click()
        saved = downloading.value.path()
        assert Path(saved).read_text() == "Notice period: three months.\n"

    (request,) = fake_anthropic.message_requests
    blocks = request.body["messages"][0]["content"]
    assert blocks[0]["text"] == "Attached file notes.txt:\n```\nNotice period: three months.\n```"
    assert [block["type"] for block in blocks] == ["text", "text"]  # the file, then the words; second.md was removed
    assert request.texts()[-1] == "what is the notice period?"
