"""Attachments through the real executables: `paa chat -a` sends a PDF and an image to the fake Anthropic API, and a
real `paa serve` takes a PDF larger than its JSON body limit as an upload and sends it with a message."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import httpx
import pytest

from tests.e2e.test_serve import register, serving
from tests.support import files as samples
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.waiting import GIVE_UP_SECONDS

pytestmark = pytest.mark.e2e

RunPaa = Callable[..., CompletedProcess[str]]


def test_paa_chat_attach_sends_the_files_and_show_lists_them(
    run_paa: RunPaa, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    (tmp_path / "report.pdf").write_bytes(samples.pdf("Revenue", "Costs rose by 12 percent"))
    (tmp_path / "chart.png").write_bytes(samples.png(8, 8))
    fake_anthropic.push(reply("Costs rose by 12%."))
    done = run_paa("chat", "-a", str(tmp_path / "report.pdf"), "-a", str(tmp_path / "chart.png"), "what stands out?")
    assert done.returncode == 0, done.stderr
    assert "Costs rose by 12%." in done.stdout
    (request,) = fake_anthropic.wait_for_requests(1)
    assert [b["type"] for b in request.body["messages"][0]["content"]] == ["document", "image", "text"]
    shown = run_paa("chat", "show", "1")
    assert "+ attached report.pdf (PDF, 2 pages" in shown.stdout and "+ attached chart.png (image" in shown.stdout

    refused = run_paa("chat", "-a", str(tmp_path), "hi")
    assert refused.returncode != 0 and refused.stderr.count("\n") <= 2 and "not a file" in refused.stderr


def test_a_damaged_pdf_is_paas_one_line_only(run_paa: RunPaa, fake_anthropic: FakeAnthropic, tmp_path: Path) -> None:
    """pypdf's own warning ("EOF marker not found") once reached stderr beside paa's error."""
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n")
    done = run_paa("chat", "-a", str(damaged), "what does it say?")
    assert done.returncode != 0
    assert [line for line in done.stderr.splitlines() if line.strip()] == [
        "paa: error: cannot attach damaged.pdf: the PDF cannot be read (PdfStreamError; a damaged file?)"
    ]
    assert fake_anthropic.message_requests == []


def test_paa_serve_takes_an_upload_over_the_json_body_limit(paa_home: Path, fake_anthropic: FakeAnthropic) -> None:
    big = samples.pdf("A long appendix") + b"%" + b"0" * 3_000_000  # 3 MB: more than a JSON body (1 MB by default)
    fake_anthropic.push(reply("A long appendix."))
    with serving() as server:
        headers = {"Authorization": f"Bearer {register(server)}"}
        uploaded = httpx.post(
            f"{server.url}/api/v1/chat/attachments", headers=headers, timeout=GIVE_UP_SECONDS,
            files={"file": ("appendix.pdf", big, "application/pdf")},
        )  # fmt: skip
        assert uploaded.status_code == 201, uploaded.text
        body = {"message": "summarise", "attachments": [uploaded.json()["id"]]}
        answer = httpx.post(f"{server.url}/api/v1/chat/message", json=body, headers=headers, timeout=GIVE_UP_SECONDS)
        assert answer.status_code == 200, answer.text
        too_big = httpx.post(
            f"{server.url}/api/v1/chat/message", headers=headers, timeout=GIVE_UP_SECONDS,
            json={"message": "x" * 1_100_000},
        )  # fmt: skip
        assert too_big.status_code == 413  # JSON bodies keep their own limit
    (request,) = fake_anthropic.wait_for_requests(1)
    document = request.body["messages"][0]["content"][0]
    assert document["type"] == "document" and base64.b64decode(document["source"]["data"]) == big
