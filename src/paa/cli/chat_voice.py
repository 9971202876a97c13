"""`paa chat --voice`: say the message. Record from the default microphone until Enter, transcribe it on this machine,
and let the person edit the transcript before it is sent."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from paa import terminal_text

SEND_PROMPT = "Send: "


def _status(text: str) -> None:
    """A progress line on stderr: stdout carries the answer, which may be piped on."""
    sys.stderr.write(terminal_text.clean(text) + "\n")
    sys.stderr.flush()


def _stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def dictate(keep_audio: Path | None = None) -> str:
    """Record until Enter, transcribe, and return the text the person chose to send.

    The recording stays in memory and is dropped after transcription, unless `keep_audio` names a WAV file for it.
    """
    from paa.ai import voice
    from paa.errors import Aborted, InvalidInput

    reason = voice.unavailable_reason()  # before the microphone opens: no recording that cannot be transcribed
    if reason is not None:
        raise voice.VoiceUnavailable(reason, hint=voice.EXTRA_HINT)
    microphone = voice.Microphone()
    microphone.start()
    try:
        _status("Recording: speak, then press Enter (Ctrl-C cancels).")
        input()
    except (EOFError, KeyboardInterrupt):
        microphone.stop()
        raise Aborted("nothing was sent: the recording was cancelled") from None
    audio = microphone.stop()
    if keep_audio is not None:
        voice.save_wav(audio, keep_audio)
        _status(f"(the recording is saved in {keep_audio})")
    _status(f"Transcribing {audio.seconds:.1f} s of audio on this machine...")
    heard = voice.transcribe(audio)
    if not heard.text:
        raise InvalidInput(
            "no words were heard in the recording",
            hint='speak closer to the microphone, or type the message: paa chat "..."',
        )
    return edit_transcript(heard.text)


def edit_transcript(text: str) -> str:
    """The transcript on an editable line (Enter sends it as it stands); without line editing, shown above the
    prompt, where Enter alone sends it and anything typed replaces it."""
    from paa.errors import Aborted

    with _prefilled(text) as prefilled:
        if not prefilled:
            _status(f"Heard: {text}")
            _status("(Enter sends it as heard; or type the message to send instead)")
        try:
            line = input(SEND_PROMPT)
        except (EOFError, KeyboardInterrupt):
            sys.stdout.write("\n")
            raise Aborted("nothing was sent") from None
    chosen = line.strip() if prefilled else (line.strip() or text)
    if not chosen:
        raise Aborted("nothing was sent: the message was left empty")
    return chosen


@contextlib.contextmanager
def _prefilled(text: str) -> Iterator[bool]:
    """Put `text` on the next input line where readline edits a terminal; yields whether it did."""
    if not _stdin_is_terminal():
        yield False
        return
    try:
        import readline
    except ImportError:  # Windows without pyreadline
        yield False
        return
    shown = terminal_text.clean(text)
    readline.set_startup_hook(lambda: readline.insert_text(shown))
    try:
        yield True
    finally:
        readline.set_startup_hook(None)
