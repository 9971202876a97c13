"""`paa analytics`: (being built)."""

from __future__ import annotations

import typer


def create() -> typer.Typer:
    return typer.Typer(help="(being built)", no_args_is_help=True)
