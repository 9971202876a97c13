"""Speech for the voice tests: espeak-ng's library (Debian's package espeak-ng; .ci/run installs it) says a known
sentence, in this process through ctypes (no program started, so the tests stay in the fast lane), and the tests
feed it to the real local model."""

from __future__ import annotations

import ctypes
import os
import threading
import types
from functools import cache
from typing import Any

import pytest

from paa.ai import voice

# Said in espeak-ng's US voice, PocketSphinx hears "tomorrow morning" in it at every sample rate the tests use and
# however the recording is cut (the browser's starts a few milliseconds earlier or later each time); its other words
# vary with that ("remind me to water" comes out as "my water and" or "might we were"). The tests check those two.
SENTENCE = "remind me to water the plants tomorrow morning"
KEY_WORDS = ("tomorrow", "morning")
_SYNCHRONOUS = 2  # espeak_AUDIO_OUTPUT: samples go to the callback, and espeak_Synth returns when all are sent
_RATE_PARAMETER = 1  # espeak_PARAMETER espeakRATE: words per minute
_POSITION_CHARACTER = 1
_WORDS_PER_MINUTE = 150
_speaking = threading.Lock()

# Skipped where the voice extra is missing, except in CI, which installs it (.[dev]): there the tests run and fail.
needs_model = pytest.mark.skipif(
    voice.unavailable_reason() is not None and not os.environ.get("CI"),
    reason=f"{voice.unavailable_reason()}: {voice.EXTRA_HINT}",
)
_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


@cache
def _espeak() -> tuple[Any, int] | None:
    """espeak-ng's library, initialised, and its sample rate; None where it is not installed."""
    try:
        library = ctypes.CDLL("libespeak-ng.so.1")  # by its soname: ctypes.util.find_library starts ldconfig
    except OSError:
        return None
    library.espeak_Synth.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
        ctypes.c_void_p, ctypes.c_void_p,
    ]  # fmt: skip
    rate = library.espeak_Initialize(_SYNCHRONOUS, 0, None, 0)
    if rate <= 0 or library.espeak_SetVoiceByName(b"en-us") != 0:
        return None
    library.espeak_SetParameter(_RATE_PARAMETER, _WORDS_PER_MINUTE, 0)
    return library, rate


def spoken_audio(sentence: str = SENTENCE) -> voice.Audio:
    """`sentence` said by espeak-ng (22.05 kHz mono); skips the test where espeak-ng is missing."""
    if _espeak() is None:
        if os.environ.get("CI"):
            pytest.fail("espeak-ng is missing: .ci/run installs Debian's espeak-ng")
        pytest.skip("espeak-ng is not installed (Debian package espeak-ng) to make test speech")
    return _said(sentence)


@cache
def _said(sentence: str) -> voice.Audio:
    """Made once a process: espeak-ng's samples for a sentence differ a little with what it said before, and the
    first sentence after it starts comes out the same in every process (the tests say only SENTENCE)."""
    found = _espeak()
    assert found is not None
    library, rate = found
    chunks: list[bytes] = []

    def collect(samples: Any, count: int, events: Any) -> int:
        if samples and count > 0:
            chunks.append(ctypes.string_at(samples, count * 2))
        return 0  # go on

    callback = _Callback(collect)  # held here while espeak-ng calls it
    text = sentence.encode() + b"\0"
    with _speaking:
        library.espeak_SetSynthCallback(callback)
        library.espeak_Synth(text, len(text), 0, _POSITION_CHARACTER, 0, 0, None, None)
        library.espeak_Synchronize()
    return voice.Audio(b"".join(chunks), rate)


def spoken(sentence: str = SENTENCE) -> bytes:
    """`sentence` said by espeak-ng, as a WAV file's bytes."""
    return spoken_audio(sentence).to_wav()


def heard_key_words(text: str) -> bool:
    """Whether a transcript holds the key words of SENTENCE."""
    words = set(text.lower().split())
    return all(word in words for word in KEY_WORDS)


class PortAudioError(Exception):
    pass


def fake_sounddevice(chunks: list[bytes] | None, rate: float = 44_100.0) -> types.ModuleType:
    """A sounddevice stand-in (put it in sys.modules): its input stream hands `chunks` of 16-bit mono audio to the
    callback when it starts; with None, there is no input device. `.opened` lists the streams' options."""
    module = types.ModuleType("sounddevice")
    module.PortAudioError = PortAudioError  # type: ignore[attr-defined]
    opened: list[dict[str, Any]] = []

    def query_devices(kind: str) -> dict[str, Any]:
        if chunks is None:
            raise PortAudioError("Error querying device -1")
        return {"name": "test input", "default_samplerate": rate}

    class RawInputStream:
        def __init__(self, **options: Any) -> None:
            opened.append(options)
            self.callback = options["callback"]
            self.closed = False

        def start(self) -> None:
            for chunk in chunks or []:
                self.callback(chunk, len(chunk) // 2, None, None)

        def stop(self) -> None:
            pass

        def close(self) -> None:
            self.closed = True

    module.query_devices = query_devices  # type: ignore[attr-defined]
    module.RawInputStream = RawInputStream  # type: ignore[attr-defined]
    module.opened = opened  # type: ignore[attr-defined]
    return module
