"""Speech to text on this machine: a recording becomes the text of a chat message.

The model is PocketSphinx's US English acoustic and language model, which ships inside the `pocketsphinx` package
(the `voice` extra): nothing is downloaded and no audio leaves the machine. Audio lives in memory only; it is written
to a file only when the person asks (`save_wav`).
"""

from __future__ import annotations

import importlib.util
import io
import os
import threading
import wave
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paa.errors import ExitCode, InvalidInput, PaaError

if TYPE_CHECKING:
    from pocketsphinx import Decoder

    from paa.core.doctor import Check

MODEL_NAME = "pocketsphinx-en-us"
MODEL_RATE = 16_000  # Hz: the acoustic model was trained on 16 kHz speech
MAX_SECONDS = 300  # one message; longer dictation is better typed or split
EXTRA_HINT = "install the voice extra: pip install 'paa[voice]'"
SILENCE_PEAK = 64  # of 32767: below this loudest sample, a recording holds no speech (a muted microphone)
_SAMPLE_BYTES = 2  # 16-bit PCM everywhere inside this module
_FILTER_TAPS = 63  # low-pass before downsampling, so frequencies above 8 kHz do not fold into speech


class VoiceUnavailable(PaaError):
    """Speech input cannot work here: the model's package, the audio library or a microphone is missing."""

    exit_code = ExitCode.UNAVAILABLE


@dataclass(frozen=True)
class Audio:
    """Mono 16-bit little-endian PCM at `rate` Hz."""

    pcm: bytes
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.pcm) / _SAMPLE_BYTES / self.rate if self.rate else 0.0

    def to_wav(self) -> bytes:
        """The audio as a WAV file's bytes."""
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(_SAMPLE_BYTES)
            out.setframerate(self.rate)
            out.writeframes(self.pcm)
        return buffer.getvalue()


@dataclass(frozen=True)
class Transcript:
    """What was heard in a recording."""

    text: str
    seconds: float  # the recording's length

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "seconds": round(self.seconds, 2), "model": MODEL_NAME}


def unavailable_reason() -> str | None:
    """Why transcription cannot run here (the model's package is missing), or None; imports nothing heavy."""
    for module in ("pocketsphinx", "numpy"):
        if importlib.util.find_spec(module) is None:
            return f"speech-to-text needs the {module} package, which is not installed"
    return None


def doctor_check() -> Check:
    """The `paa doctor` line for voice input: whether its packages are there, found without loading them."""
    from paa.core.doctor import Check

    reason = unavailable_reason()
    if reason is None and importlib.util.find_spec("sounddevice") is None:
        reason = "recording needs the sounddevice package, which is not installed"
    if reason is not None:
        return Check("voice", "info", f"off (optional): {reason}", EXTRA_HINT)
    return Check("voice", "ok", f"local speech to text ({MODEL_NAME}) and recording available")


def _require() -> None:
    reason = unavailable_reason()
    if reason is not None:
        raise VoiceUnavailable(reason, hint=EXTRA_HINT)


def decode_wav(data: bytes) -> Audio:
    """The audio of a PCM WAV file (8, 16 or 32 bit; channels mixed to mono), or InvalidInput naming what is wrong."""
    _require()
    import numpy as np

    try:
        with wave.open(io.BytesIO(data), "rb") as source:
            channels, width, rate = source.getnchannels(), source.getsampwidth(), source.getframerate()
            if rate < 8_000 or rate > 192_000:
                raise InvalidInput(f"the audio's sample rate {rate} Hz is not supported (8-192 kHz)", field="audio")
            if source.getnframes() > MAX_SECONDS * rate:
                raise InvalidInput(f"the recording is longer than {MAX_SECONDS} seconds", field="audio")
            frames = source.readframes(source.getnframes())
    except (wave.Error, EOFError) as exc:
        why = f" ({exc})" if str(exc) else ""
        raise InvalidInput(f"the audio is not a PCM WAV file{why}", field="audio") from None
    if width not in (1, 2, 4) or channels < 1:
        raise InvalidInput(f"{width * 8}-bit WAV audio is not supported (8, 16 or 32 bit)", field="audio")
    usable = len(frames) - len(frames) % (width * channels)  # a truncated last frame is dropped
    samples: Any
    if width == 1:  # 8-bit WAV is unsigned
        samples = (np.frombuffer(frames[:usable], dtype=np.uint8).astype(np.float32) - 128.0) * 256.0
    elif width == 2:
        samples = np.frombuffer(frames[:usable], dtype="<i2").astype(np.float32)
    else:
        samples = np.frombuffer(frames[:usable], dtype="<i4").astype(np.float32) / 65536.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return Audio(_to_pcm16(samples), rate)


def _to_pcm16(samples: Any) -> bytes:
    import numpy as np

    return bytes(np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes())


def resample(audio: Audio, rate: int = MODEL_RATE) -> Audio:
    """`audio` at `rate` Hz: low-pass filtered (when going down) and linearly interpolated."""
    _require()
    import numpy as np

    if not audio.pcm:
        return Audio(b"", rate)
    if audio.rate == rate:
        return audio
    samples = np.frombuffer(audio.pcm, dtype="<i2").astype(np.float64)
    if rate < audio.rate:
        cutoff = 0.45 * rate / audio.rate  # of the source rate; a little under the new Nyquist frequency
        taps = np.arange(_FILTER_TAPS) - (_FILTER_TAPS - 1) / 2
        kernel = 2 * cutoff * np.sinc(2 * cutoff * taps) * np.hamming(_FILTER_TAPS)
        samples = np.convolve(samples, kernel / kernel.sum(), mode="same")
    count = int(len(samples) * rate / audio.rate)
    positions = np.arange(count) * (audio.rate / rate)
    return Audio(_to_pcm16(np.interp(positions, np.arange(len(samples)), samples)), rate)


_decoding = threading.Lock()  # one decoder, used by one caller at a time (a server has several threads)


@cache
def _decoder() -> Decoder:
    """PocketSphinx loaded once per process (about half a second: the language model is 27 MB)."""
    import pocketsphinx

    pocketsphinx.set_loglevel("FATAL")  # its INFO lines would land on the person's terminal
    return pocketsphinx.Decoder(samprate=MODEL_RATE)


def transcribe(audio: Audio) -> Transcript:
    """The words heard in `audio` (any rate; resampled to the model's), lower case; empty for silence."""
    _require()
    if audio.seconds > MAX_SECONDS:
        raise InvalidInput(f"the recording is longer than {MAX_SECONDS} seconds", field="audio")
    pcm = resample(audio).pcm
    if _is_silent(pcm):
        return Transcript("", audio.seconds)
    with _decoding:
        decoder = _decoder()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        found = decoder.hyp()
        text = found.hypstr if found is not None else ""
    return Transcript(" ".join(text.split()), audio.seconds)


def _is_silent(pcm: bytes) -> bool:
    """Nothing or near-nothing was recorded: the model makes up a word for pure digital silence, so it is not asked."""
    import numpy as np

    return not pcm or int(np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32)).max()) < SILENCE_PEAK


def transcribe_wav(data: bytes) -> Transcript:
    """The words heard in a WAV file's bytes."""
    return transcribe(decode_wav(data))


def save_wav(audio: Audio, path: Path) -> None:
    """Write `audio` to `path` as WAV, readable by its owner only (a recording of a person's voice is private)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(audio.to_wav())
    os.chmod(path, 0o600)  # a file that existed keeps its mode through O_CREAT: make it private too


class Microphone:
    """Records the default input device into memory from `start()` until `stop()`.

    The device's own rate is used (many refuse 16 kHz); `transcribe` resamples.
    """

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._stream: Any = None
        self._rate = MODEL_RATE
        self._lock = threading.Lock()

    def start(self) -> None:
        sounddevice = _sounddevice()
        try:
            info = sounddevice.query_devices(kind="input")
            self._rate = int(info["default_samplerate"]) or MODEL_RATE
            self._stream = sounddevice.RawInputStream(
                samplerate=self._rate, channels=1, dtype="int16", callback=self._on_audio
            )
            self._stream.start()
        except (sounddevice.PortAudioError, ValueError) as exc:
            self._stream = None
            raise VoiceUnavailable(
                f"no microphone to record from ({_first_line(exc)})",
                hint="connect a microphone, or check the system's default input device",
            ) from None

    def _on_audio(self, data: Any, frames: int, time: Any, status: Any) -> None:
        with self._lock:
            self._chunks.append(bytes(data))

    def stop(self) -> Audio:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None
        with self._lock:
            pcm, self._chunks = b"".join(self._chunks), []
        return Audio(pcm, self._rate)


def _sounddevice() -> Any:
    try:
        import sounddevice
    except ImportError:
        raise VoiceUnavailable(
            "recording needs the sounddevice package, which is not installed", hint=EXTRA_HINT
        ) from None
    except OSError:  # the module is there but PortAudio, the C library it wraps, is not
        raise VoiceUnavailable(
            "recording needs the PortAudio library, which is not installed",
            hint="install it with the system's packages, e.g. apt install libportaudio2",
        ) from None
    return sounddevice


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
