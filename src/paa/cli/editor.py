"""Open text in the user's editor ($VISUAL, then $EDITOR, then a known terminal editor) and read it back."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

# Tried in order when neither VISUAL nor EDITOR is set; each runs in the terminal.
KNOWN_EDITORS = ("sensible-editor", "editor", "nano", "vim", "vi")


def find_editor(environ: Mapping[str, str]) -> list[str]:
    """The editor's command line: $VISUAL, $EDITOR, or the first known terminal editor on PATH."""
    from paa.errors import ConfigError

    for name in ("VISUAL", "EDITOR"):
        value = environ.get(name, "").strip()
        if value:
            try:
                command = shlex.split(value)
            except ValueError as exc:
                raise ConfigError(f"${name} cannot be read as a command: {exc}") from None
            if command:
                return command
    for editor in KNOWN_EDITORS:
        found = shutil.which(editor, path=environ.get("PATH"))
        if found is not None:
            return [found]
    raise ConfigError(
        "no editor to open: neither $VISUAL nor $EDITOR is set, and no terminal editor was found",
        hint="set one, e.g. `export EDITOR=nano`",
    )


def edit_text(text: str, environ: Mapping[str, str], *, prefix: str = "paa-") -> str:
    """Open `text` in the editor and return the file as it was saved; the temporary file is 0600 and removed."""
    from paa.errors import Aborted, InvalidInput

    command = find_editor(environ)
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=".txt")  # mkstemp creates it 0600: answers are private
    path = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        try:
            status = subprocess.run([*command, str(path)], env=dict(environ), check=False).returncode
        except OSError as exc:
            raise InvalidInput(f"cannot run the editor {command[0]!r}: {exc.strerror or exc}") from None
        if status != 0:
            raise Aborted(f"the editor exited with status {status}; nothing was saved")
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("the edited file is not valid UTF-8; nothing was saved") from None
    finally:
        path.unlink(missing_ok=True)
