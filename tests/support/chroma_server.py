"""A throwaway Chroma server for the tests of memory vectors on Chroma (`memory.chroma_url`): `chroma run` on a free
port of 127.0.0.1, its data in a temporary folder, stopped at the end of the session.

The server comes from the `chromadb` package, installed apart from paa (paa speaks its HTTP API and never imports
it): PAA_TEST_CHROMA names its `chroma` program (`.ci/run` installs it into a virtual environment of its own), else
`chroma` on PATH. Locally, without it, the tests are skipped, saying why; under CI (CI set) they fail instead, so a
CI that lost Chroma cannot pass by leaving them out.
tests/conftest.py registers the fixtures for every test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.waiting import GIVE_UP_SECONDS, wait_until

PROGRAM_ENV = "PAA_TEST_CHROMA"
BASE = "/api/v2/tenants/default_tenant/databases/default_database"  # where paa keeps its collections
MISSING = (
    f"no Chroma server program: the tests of memory on Chroma need one ({PROGRAM_ENV}=<venv>/bin/chroma, from "
    "pip install chromadb in a virtual environment of its own, as .ci/run does)"
)


def program() -> str | None:
    named = os.environ.get(PROGRAM_ENV)
    if named:
        return named if Path(named).is_file() else None
    return shutil.which("chroma")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


@pytest.fixture(scope="session")
def chroma_url() -> Iterator[str]:
    """The URL of a Chroma server only this test session uses; each test keeps apart with a prefix of its own
    (`chroma_prefix`)."""
    found = program()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{MISSING}; under CI they must run", pytrace=False)
        pytest.skip(MISSING)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="paa-chroma-") as folder:
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
        log = Path(folder) / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [found, "run", "--path", str(Path(folder) / "data"), "--host", "127.0.0.1", "--port", str(port)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=folder,
            )  # fmt: skip
        try:
            wait_until(lambda: process.poll() is not None or _answers(url), what="the Chroma server to answer")
            assert process.poll() is None, log.read_text(errors="replace")[-2000:]
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=GIVE_UP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def chroma_prefix() -> str:
    """Collection names of this test's own (tests of one session share the server)."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def on_chroma(chroma_url: str, chroma_prefix: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """paa's memory vectors on the session's Chroma server, under this test's prefix (its settings, as a deployment
    sets them); returns the prefix."""
    monkeypatch.setenv("PAA_MEMORY_CHROMA_URL", chroma_url)
    monkeypatch.setenv("PAA_MEMORY_CHROMA_PREFIX", chroma_prefix)
    return chroma_prefix


def ask(url: str, method: str, path: str, **options: Any) -> Any:
    """Chroma's own answer, asked directly (what is really stored there, or to change it behind paa's back)."""
    response = httpx.request(method, url + path, timeout=GIVE_UP_SECONDS, **options)
    response.raise_for_status()
    return response.json()


def stored(url: str, name: str) -> dict[str, Any]:
    """A collection's metadata, and the ids and metadata of every vector in it, read from the server."""
    found = ask(url, "GET", f"{BASE}/collections/{name}")
    got = ask(url, "POST", f"{BASE}/collections/{found['id']}/get", json={"include": ["metadatas"], "limit": 1000})
    return {"id": found["id"], "metadata": found["metadata"], "ids": set(got["ids"]), "marks": got["metadatas"]}
