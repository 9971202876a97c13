"""`paa chat --voice`: record until Enter, transcribe on this machine, edit, send; the recording is kept only when
asked; each missing piece (model, PortAudio, microphone, terminal) is one line."""

from __future__ import annotations

import io
import stat
import sys
import wave
from pathlib import Path

import pytest

from paa.errors import ExitCode
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.speech import fake_sounddevice, heard_key_words, needs_model, spoken_audio
from tests.support.terminal import person_typing


@pytest.fixture(autouse=True)
def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_KEYRING", "off")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))


def _microphone(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The default input device hears espeak-ng say the test sentence, in 100 ms chunks; returns what it heard."""
    audio = spoken_audio()
    step = audio.rate // 10 * 2
    chunks = [audio.pcm[at : at + step] for at in range(0, len(audio.pcm), step)]
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice(chunks, rate=float(audio.rate)))
    return audio.pcm


def _wav_files(*folders: Path) -> list[Path]:
    return [path for folder in folders for path in folder.rglob("*") if path.suffix == ".wav" or _is_riff(path)]


def _is_riff(path: Path) -> bool:
    if not path.is_file():
        return False
    with path.open("rb") as opened:
        return opened.read(4) == b"RIFF"


@needs_model
def test_the_transcript_is_sent_as_heard(
    cli, fake_anthropic: FakeAnthropic, monkeypatch, tmp_path: Path, paa_home: Path
) -> None:
    _microphone(monkeypatch)
    prompts = person_typing(monkeypatch, ["", ""])  # Enter stops the recording; Enter again sends the line as heard
    fake_anthropic.push(reply("I'll remind you tomorrow at 8."))
    monkeypatch.chdir(tmp_path)
    result = cli("chat", "--voice")
    assert result.code == 0, result.err
    assert result.out == "I'll remind you tomorrow at 8.\n"
    assert "Recording: speak, then press Enter" in result.err
    heard_line = next(line for line in result.err.splitlines() if line.startswith("Heard: "))
    assert heard_key_words(heard_line), heard_line
    sent = fake_anthropic.requests[0].texts()
    assert sent == [heard_line.removeprefix("Heard: ")]
    assert prompts == ["", "Send: "]
    assert _wav_files(tmp_path) == []  # nothing of the recording stays anywhere: not in the data folder, not here


@needs_model
def test_an_edited_transcript_is_what_is_sent(cli, fake_anthropic: FakeAnthropic, monkeypatch) -> None:
    _microphone(monkeypatch)
    person_typing(monkeypatch, ["", "remind me to water the plants at 8"])
    fake_anthropic.push(reply("Done."))
    result = cli("chat", "--voice")
    assert result.code == 0, result.err
    assert fake_anthropic.requests[0].texts() == ["remind me to water the plants at 8"]


@needs_model
def test_keep_audio_saves_the_recording_privately(cli, fake_anthropic: FakeAnthropic, monkeypatch, tmp_path) -> None:
    said = _microphone(monkeypatch)
    person_typing(monkeypatch, ["", ""])
    fake_anthropic.push(reply("Done."))
    kept = tmp_path / "said.wav"
    result = cli("chat", "--voice", "--keep-audio", str(kept))
    assert result.code == 0, result.err
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    with wave.open(str(kept), "rb") as back:
        assert back.readframes(back.getnframes()) == said
    assert f"the recording is saved in {kept}" in result.err


@needs_model
def test_cancelling_the_recording_sends_nothing(cli, fake_anthropic: FakeAnthropic, monkeypatch) -> None:
    _microphone(monkeypatch)
    person_typing(monkeypatch, ["^C"])
    result = cli("chat", "--voice")
    assert result.code == ExitCode.ABORTED
    assert "the recording was cancelled" in result.err
    assert fake_anthropic.requests == []


@needs_model
def test_emptying_the_line_sends_nothing(cli, fake_anthropic: FakeAnthropic, monkeypatch) -> None:
    _microphone(monkeypatch)
    person_typing(monkeypatch, ["", "^C"])
    result = cli("chat", "--voice")
    assert result.code == ExitCode.ABORTED
    assert fake_anthropic.requests == []


@needs_model
def test_a_silent_recording_is_one_line(cli, fake_anthropic: FakeAnthropic, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice([bytes(32_000)], rate=16_000.0))
    person_typing(monkeypatch, [""])
    result = cli("chat", "--voice")
    assert result.code == ExitCode.INVALID_INPUT
    assert "paa: error: no words were heard in the recording" in result.err
    assert fake_anthropic.requests == []


@needs_model
def test_no_microphone_is_one_line(cli, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice(None))
    person_typing(monkeypatch, [""])
    result = cli("chat", "--voice")
    assert result.code == ExitCode.UNAVAILABLE
    assert "paa: error: no microphone to record from" in result.err
    assert "Traceback" not in result.err


def test_without_the_voice_extra_the_error_says_what_to_install(cli, monkeypatch) -> None:
    from paa.ai import voice

    monkeypatch.setattr(voice, "unavailable_reason", lambda: "speech-to-text needs the pocketsphinx package")
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice([b"\x00\x01" * 10]))
    person_typing(monkeypatch, [""])
    result = cli("chat", "--voice")
    assert result.code == ExitCode.UNAVAILABLE
    assert "speech-to-text needs the pocketsphinx package" in result.err
    assert "pip install 'paa[voice]'" in result.err
    assert "Recording" not in result.err  # no recording that could not be transcribed


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--voice", "hello"], "--voice takes no typed prompt"),
        (["--keep-audio", "said.wav", "hello"], "--keep-audio goes with --voice"),
    ],
)
def test_voice_options_that_do_not_fit_are_refused(cli, monkeypatch, args: list[str], said: str) -> None:
    person_typing(monkeypatch, [])
    result = cli("chat", *args)
    assert result.code == ExitCode.INVALID_INPUT
    assert said in result.err


def test_voice_needs_a_terminal(cli) -> None:
    result = cli("chat", "--voice")
    assert result.code == ExitCode.INVALID_INPUT
    assert "--voice needs a terminal" in result.err
