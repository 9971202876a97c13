"""The `paa` command line: one Typer module per command group; commands parse, call core, render."""
