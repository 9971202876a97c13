"""The `paa` entry point: runs a command (or opens the TUI) and turns every failure into one clear line.

Typer is imported only when a command runs: `paa tui`, and bare `paa` at a terminal, go straight to the TUI. `run`
first offers the command line to a warm server (`paa.cli.warm_client`), so this module imports nothing at the top
beyond what Python itself has loaded.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing itself is not imported at start-up
if TYPE_CHECKING:
    from typing import NoReturn


def _opens_tui(argv: list[str]) -> bool:
    """`paa tui`, or bare `paa` with a person at a terminal."""
    if argv in (["tui"], ["tui", "--exit-when-ready"]):
        return True
    if argv:
        return False
    from paa.tui import launch

    return launch.interactive()


def _command_named(argv: list[str]) -> str | None:
    """The top-level command a command line runs, when it is a known one."""
    from paa.cli.commands import COMMANDS

    position = _command_position(argv)
    return None if position is None or argv[position] not in COMMANDS else argv[position]


def _command_position(argv: list[str]) -> int | None:
    """Where the top-level command's name is in the command line (None: help, version or no command)."""
    takes_value = ("--user",)  # root options followed by a value, which is not a command
    skip = False
    for position, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg in ("-h", "--help", "-V", "--version"):
            return None
        if arg in takes_value:
            skip = True
        elif not arg.startswith("-"):
            return position
    return None


def _subcommand_named(argv: list[str]) -> str | None:
    """The word right after the command group's name (`log` in `paa habit log water`), which may name one of its
    subcommands; None when an option comes first (the group's own, or its help)."""
    position = _command_position(argv)
    if position is None or position + 1 >= len(argv) or argv[position + 1].startswith("-"):
        return None
    return argv[position + 1]


# paa.errors.ExitCode.ABORTED (tests/e2e/test_exit.py checks it), not imported: the Ctrl-C it reports may have landed
# in that very import. A command interrupted once running ends with it too, quietly (as Typer ends it).
ABORTED_EXIT = 130

# One-shot everyday commands, and analytics (read-only): they make little garbage that only the cycle collector
# would free, and its passes over the tens of thousands of objects the imports create cost them about 70 ms (100 ms
# for an analytics summary of ten years, at the same peak memory). Every other command (the TUI, servers, the chat
# REPL, imports of big exports) keeps the collector.
WITHOUT_COLLECTOR = frozenset({"habit", "checkin", "remind", "analytics"})


def run(argv: list[str] | None = None) -> None:
    """Run paa and exit with its documented exit code: through a warm server when one runs, else in this process."""
    from paa.cli.warm_client import run_warm

    args = sys.argv[1:] if argv is None else argv
    warm = run_warm(args)
    if warm is not None:
        if sys.gettrace() is None and sys.getprofile() is None:  # (as in `finish`: a profiler writes after we return)
            os._exit(warm)  # the client has loaded next to nothing, yet the interpreter's teardown took it 15-20 ms
        sys.exit(warm)
    spare_the_collector(args)
    load_the_model_ahead(args)
    try:
        code = main(args)
    except KeyboardInterrupt:  # Ctrl-C in paa's first imports, before `main` can report it: no traceback
        code = ABORTED_EXIT
    finish(code)


def spare_the_collector(args: list[str]) -> None:
    """Turn the cycle collector off for a command line of WITHOUT_COLLECTOR (a cold run, and a warm worker)."""
    if _command_named(args) in WITHOUT_COLLECTOR:
        import gc

        gc.disable()


def load_the_model_ahead(args: list[str]) -> None:
    """A cold `paa memory search`: load the embedding model in a helper process while this one imports paa (the
    search needs the model last; `paa.ai.embedding_helper.start_ahead`)."""
    if _command_named(args) == "memory" and _subcommand_named(args) == "search" and not {"-h", "--help"} & set(args):
        from paa.ai.embedding_helper import start_ahead

        start_ahead()


def finish(code: int) -> NoReturn:
    """End the process with `code` the way the interpreter ends it, without tearing every module down.

    What an exit must still do is done here, in the interpreter's order: wait for the command's non-daemon threads,
    run the `atexit` handlers (logging's flush, temporary folders) and flush stdout and stderr. The command has
    already closed its database (its runtime closes with the command line, which checkpoints SQLite's WAL). Freeing
    every object of SQLAlchemy, pydantic and Typer one by one, which nobody would see, took 100-170 ms of each
    command. A flush that fails (a closed pipe) is left to the interpreter, which reports it as it always has.
    """
    if sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(code)  # a profiler or coverage runs paa and writes its results after paa returns: let it
    import atexit
    import threading

    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # any failure: the interpreter's own exit reports it, with its own code
        sys.exit(code)
    os._exit(code & 0xFF)


def main(argv: list[str] | None = None) -> int:
    """Run one command line in this process (the cold path, and what a warm server's worker runs); its exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        from paa import __version__

        sys.stdout.write(f"paa {__version__}\n")  # without building the command tree
        return 0
    from paa.cli.output import print_error
    from paa.errors import ExitCode, PaaError, error_text

    # paa uses no pydantic plugins; skipping their entry-point scan saves ~20 ms per command.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        _check_encoding(args)
        if _opens_tui(args):
            from paa.tui import launch

            # Straight to the TUI, without Typer: building the command line would only delay the first paint.
            return launch.launch(exit_when_ready="--exit-when-ready" in args)
        return _run_command(args)
    except PaaError as exc:
        print_error(exc.message, exc.hint)
        return int(exc.exit_code)
    except (KeyboardInterrupt, EOFError):
        print_error("aborted")
        return int(ExitCode.ABORTED)
    except BrokenPipeError:
        # The reader went away (e.g. `paa habit list | head`); nothing more to say.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return int(ExitCode.OK)
    except Exception as exc:
        if os.environ.get("PAA_DEBUG") == "1":
            raise
        from paa.db.errors import as_storage_error

        storage = as_storage_error(exc)  # the database failed mid-command, or a folder paa needs is not one
        if storage is not None:
            print_error(storage.message, storage.hint)
            return int(storage.exit_code)
        print_error(f"unexpected {type(exc).__name__}: {error_text(exc)}", "run again with PAA_DEBUG=1 and report it")
        return int(ExitCode.INTERNAL)


def _check_encoding(args: list[str]) -> None:
    """Refuse an argument that is not UTF-8: Python keeps its bad bytes as lone surrogates, which nothing can store."""
    from paa.errors import InvalidInput

    for position, arg in enumerate(args, start=1):
        if any("\ud800" <= char <= "\udfff" for char in arg):
            try:
                shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")  # each bad byte: �
            except UnicodeEncodeError:
                shown = arg.encode("utf-8", "replace").decode("utf-8")
            if len(shown) > 40:
                shown = shown[:40] + "…"
            raise InvalidInput(
                f"argument {position} ({shown!r}) is not valid UTF-8 text",
                hint="paa reads its arguments as UTF-8: check the encoding of your terminal or script",
            )


def _run_command(args: list[str]) -> int:
    """Build only the command group `args` name (all of them for help) and run it."""
    import typer

    from paa.cli.app import command_for, report_usage

    try:
        command = command_for(_command_named(args), _subcommand_named(args))
        result = command.main(args=args, prog_name="paa", standalone_mode=False)
    except typer.TyperException as exc:
        return report_usage(exc)
    except typer.Abort:
        raise KeyboardInterrupt from None  # reported as "aborted", like Ctrl-C
    except SystemExit as exc:
        # Typer turns a write to a closed pipe (`paa habit list | head -1`) into a silent exit 1; paa ends such a
        # command as `main` ends its own: quietly, with 0.
        if exc.code == 1 and _stdout_reader_gone():
            raise BrokenPipeError from None
        raise
    return int(result) if isinstance(result, int) else 0


def _stdout_reader_gone() -> bool:
    """Whether standard output is a pipe whose reading end is closed (the kernel flags it as an error to poll)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.__stdout__.fileno(), select.POLLOUT)  # type: ignore[union-attr]
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), no stdout: nothing to say
        return False
