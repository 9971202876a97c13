"""`paa export`: everything you own in paa, raw, as JSON (the documented export schema) or CSV files in a zip."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from paa.cli.output import say
from paa.errors import InvalidInput


def export(
    format_: Annotated[
        str, typer.Option("--format", "-f", help="json (one document) or csv (a zip of CSV files).")
    ] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout, JSON only).")
    ] = None,
) -> None:
    """Export everything you own: habits and logs, check-ins, chats, memories, reminders, preferences.

    The JSON document's schema is docs/export-schema.json (explained in docs/data.md); paa import reads it back.

    The csv format is a zip of one CSV file per table; it needs -o.

    Sealed text comes out readable: keep the export as private as the data.

    Examples:

      paa export -o paa-export.json

      paa export --format csv -o paa-export.zip

      paa --user alice export > alice.json
    """
    import json

    from paa import __version__
    from paa.cli import runtime
    from paa.core.dataio.export import csv_zip, document_json, export_user
    from paa.files import write_private_text

    kind = format_.strip().lower()
    if kind not in ("json", "csv"):
        raise InvalidInput(f"unknown format {format_!r}", hint="use --format json or --format csv", field="format")
    with runtime.current().context() as ctx:
        document = export_user(ctx, paa_version=__version__)
    if kind == "csv":
        if output is None:
            raise InvalidInput("the csv format is a zip file: name it with -o", field="output")
        _write_bytes(output.expanduser(), csv_zip(document))
        say(f"Exported to {output} (CSV files in a zip).")
        return
    text = json.dumps(document_json(document), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_private_text(output.expanduser(), text, create_folders=False)
    except OSError as exc:
        raise InvalidInput(f"cannot write {output}: {exc.strerror}", field="output") from None
    say(f"Exported to {output}.")


def _write_bytes(path: Path, data: bytes) -> None:
    """Write the zip 0600, whole (a temporary file renamed into place)."""
    import os

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInput(f"cannot write {path}: {exc.strerror}", field="output") from None
