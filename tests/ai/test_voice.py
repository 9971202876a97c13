"""Speech to text (paa.ai.voice): the real local model on speech that espeak-ng makes, WAV decoding and its
refusals, recording through a stand-in sounddevice, and the one-line errors where a piece is missing."""

from __future__ import annotations

import importlib.util
import io
import stat
import sys
import wave
from pathlib import Path
from typing import Any

import pytest

from paa.ai import voice
from paa.errors import InvalidInput
from tests.support.speech import fake_sounddevice, heard_key_words, needs_model, spoken


def _wav(pcm: bytes, rate: int, *, channels: int = 1, width: int = 2) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue()


@needs_model
def test_a_spoken_sentence_is_transcribed(tmp_path: Path) -> None:
    heard = voice.transcribe_wav(spoken())
    assert heard_key_words(heard.text), heard.text
    assert 2.0 < heard.seconds < 6.0
    assert heard.to_json()["model"] == voice.MODEL_NAME


@needs_model
def test_stereo_at_a_browser_rate_is_mixed_and_resampled(tmp_path: Path) -> None:
    import numpy as np

    mono = voice.decode_wav(spoken())
    at_48k = np.frombuffer(voice.resample(mono, 48_000).pcm, dtype="<i2")
    stereo = np.stack([at_48k, at_48k], axis=1).astype("<i2").tobytes()
    decoded = voice.decode_wav(_wav(stereo, 48_000, channels=2))
    assert decoded.rate == 48_000
    assert decoded.seconds == pytest.approx(mono.seconds, abs=0.01)
    heard = voice.transcribe(decoded)
    assert heard_key_words(heard.text), heard.text


@needs_model
def test_eight_bit_audio_is_understood(tmp_path: Path) -> None:
    import numpy as np

    mono = voice.decode_wav(spoken())
    unsigned = ((np.frombuffer(mono.pcm, dtype="<i2").astype(np.int32) // 256) + 128).astype(np.uint8).tobytes()
    heard = voice.transcribe_wav(_wav(unsigned, mono.rate, width=1))
    assert heard_key_words(heard.text), heard.text


@needs_model
def test_silence_and_empty_audio_give_no_words() -> None:
    assert voice.transcribe(voice.Audio(bytes(16_000), 16_000)).text == ""
    empty = voice.transcribe(voice.Audio(b"", 44_100))
    assert (empty.text, empty.seconds) == ("", 0.0)
    hum = voice.transcribe(voice.Audio(b"\x20\x00\xe0\xff" * 8_000, 16_000))  # +-32 of 32767: a muted microphone
    assert (hum.text, hum.seconds) == ("", 1.0)


@needs_model
@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"not audio at all", "not a PCM WAV file"),
        (b"", "not a PCM WAV file"),
        (_wav(bytes(300), 16_000, width=3), "24-bit WAV audio is not supported"),
        (_wav(bytes(200), 4_000), "sample rate 4000 Hz is not supported"),
        (_wav(bytes(2 * 8_000 * (voice.MAX_SECONDS + 1)), 8_000), f"longer than {voice.MAX_SECONDS} seconds"),
    ],
)
def test_audio_that_cannot_be_read_is_refused_in_one_line(data: bytes, said: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        voice.transcribe_wav(data)
    assert said in refused.value.message
    assert refused.value.field == "audio"
    assert "\n" not in refused.value.message


def test_a_kept_recording_is_a_private_wav_file(tmp_path: Path) -> None:
    target = tmp_path / "said.wav"
    target.write_bytes(b"old")
    target.chmod(0o644)
    audio = voice.Audio(bytes(range(256)) * 10, 16_000)
    voice.save_wav(audio, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with wave.open(str(target), "rb") as back:
        assert (back.getframerate(), back.getnchannels(), back.readframes(back.getnframes())) == (
            16_000,
            1,
            audio.pcm,
        )


def test_without_the_model_package_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pocketsphinx" else real(name))
    with pytest.raises(voice.VoiceUnavailable) as missing:
        voice.transcribe(voice.Audio(bytes(320), 16_000))
    assert "pocketsphinx" in missing.value.message
    assert missing.value.hint == voice.EXTRA_HINT


def test_the_microphone_records_at_the_devices_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_sounddevice([b"\x01\x00" * 100, b"\x02\x00" * 50])
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    microphone = voice.Microphone()
    microphone.start()
    audio = microphone.stop()
    assert audio.rate == 44_100
    assert audio.pcm == b"\x01\x00" * 100 + b"\x02\x00" * 50
    assert fake.opened[0]["channels"] == 1 and fake.opened[0]["dtype"] == "int16"  # type: ignore[attr-defined]


def test_no_input_device_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice(None))
    with pytest.raises(voice.VoiceUnavailable) as none:
        voice.Microphone().start()
    assert none.value.message == "no microphone to record from (Error querying device -1)"
    assert none.value.hint


def test_without_portaudio_the_error_names_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    import builtins

    real_import = builtins.__import__
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(builtins, "__import__", broken_import)
    with pytest.raises(voice.VoiceUnavailable) as missing:
        voice.Microphone().start()
    assert "PortAudio" in missing.value.message
    assert "libportaudio2" in (missing.value.hint or "")


def test_doctor_says_whether_voice_input_can_work(monkeypatch: pytest.MonkeyPatch, cli) -> None:
    import json

    real = importlib.util.find_spec
    present = real("pocketsphinx") is not None and real("sounddevice") is not None and real("numpy") is not None
    if present:
        assert voice.doctor_check().status == "ok"
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sounddevice" else real(name))
    missing = voice.doctor_check()
    assert (missing.status, missing.advice) == ("info", voice.EXTRA_HINT)
    assert "sounddevice" in missing.detail
    shown = {check["name"]: check for check in json.loads(cli("doctor", "--json").out)}
    assert shown["voice"]["detail"] == missing.detail
