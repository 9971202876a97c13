"""`POST /voice/transcribe`: the browser app's microphone. A WAV recording is transcribed by the local model and
dropped; wrong kinds of body, empty or unreadable audio, a read-only token and a server without the model are each one
problem document."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paa.ai import voice
from tests.api.conftest import Account
from tests.support.speech import heard_key_words, needs_model, spoken

URL = "/api/v1/voice/transcribe"
WAV = {"Content-Type": "audio/wav"}


def _files(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@needs_model
def test_a_recording_is_transcribed_and_nothing_is_kept(http: TestClient, alice: Account) -> None:
    home = Path(http.app.state.runtime.paths.data_dir)  # type: ignore[attr-defined]
    recording = spoken()
    before = _files(home)
    answer = alice.post(URL, content=recording, headers=WAV)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert heard_key_words(body["text"]), body
    assert body["model"] == voice.MODEL_NAME
    assert 2.0 < body["seconds"] < 6.0
    after = _files(home)
    assert not any(recording[44:1044] in data for data in after.values())  # no file holds the audio
    assert set(after) - set(before) <= {path for path in after if path.suffix in (".db-wal", ".db-shm", ".log")}


@needs_model
@pytest.mark.parametrize("kind", ["audio/x-wav", "audio/wav; codecs=1", "AUDIO/WAVE"])
def test_the_usual_names_of_wav_are_taken(http: TestClient, alice: Account, kind: str) -> None:
    answer = alice.post(URL, content=voice.Audio(bytes(3200), 16_000).to_wav(), headers={"Content-Type": kind})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"text": "", "seconds": 0.1, "model": voice.MODEL_NAME}


@needs_model
@pytest.mark.parametrize(
    ("body", "kind", "status", "said"),
    [
        (b"RIFF", "audio/webm", 415, "send the recording as audio/wav, not audio/webm"),
        (b'{"audio": "x"}', "application/json", 415, "not application/json"),
        (b"", "audio/wav", 422, "the recording is empty"),
        (b"not a wav file", "audio/wav", 422, "not a PCM WAV file"),
    ],
)
def test_bodies_that_are_not_a_recording_are_refused(
    http: TestClient, alice: Account, body: bytes, kind: str, status: int, said: str
) -> None:
    answer = alice.post(URL, content=body, headers={"Content-Type": kind})
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert said in answer.json()["detail"]


def test_a_token_is_needed_and_read_only_is_not_enough(http: TestClient, alice: Account) -> None:
    silence = voice.Audio(bytes(3200), 16_000).to_wav()
    assert http.post(URL, content=silence, headers=WAV).status_code == 401
    reader = alice.post("/api/v1/auth/tokens", json={"name": "dashboard", "scope": "read"}).json()["token"]
    answer = http.post(URL, content=silence, headers={**WAV, "Authorization": f"Bearer {reader}"})
    assert answer.status_code == 403, answer.text


def test_a_recording_over_the_body_limit_is_413(http: TestClient, alice: Account) -> None:
    long = voice.Audio(bytes(2 * 16_000 * 40), 16_000).to_wav()  # 40 s: over the default 1 MB
    answer = alice.post(URL, content=long, headers=WAV)
    assert answer.status_code == 413, answer.text


def test_a_server_without_the_model_says_so(http: TestClient, alice: Account, monkeypatch) -> None:
    monkeypatch.setattr(voice, "unavailable_reason", lambda: "speech-to-text needs the pocketsphinx package")
    answer = alice.post(URL, content=voice.Audio(bytes(3200), 16_000).to_wav(), headers=WAV)
    assert answer.status_code == 503
    problem = answer.json()
    assert problem["type"] == "/problems/voice-unavailable"
    assert problem["detail"] == "speech-to-text needs the pocketsphinx package"
    assert problem["hint"] == voice.EXTRA_HINT
