"""How the TUI is started: `paa tui`, and bare `paa` on a terminal; help stays fast and Textual-free."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.processes import child_env, paa_executable
from tests.support.waiting import GIVE_UP_SECONDS, readable_within, wait_until


def test_bare_paa_without_a_terminal_prints_help_and_does_not_open_the_tui(cli, monkeypatch) -> None:
    from paa.tui import launch

    opened = []
    monkeypatch.setattr(launch, "launch", lambda **_: opened.append(True) or 0)
    result = cli()
    assert result.code == 0
    assert "Usage: paa" in result.out and "tui" in result.out
    assert opened == []


def test_bare_paa_on_a_terminal_opens_the_tui(cli, monkeypatch) -> None:
    from paa.tui import launch

    opened = []
    monkeypatch.setattr(launch, "interactive", lambda: True)
    monkeypatch.setattr(launch, "launch", lambda **options: opened.append(options) or 0)
    result = cli()
    assert result.code == 0 and opened == [{"exit_when_ready": False}]
    assert "Usage" not in result.out


def test_paa_tui_runs_the_app_and_passes_its_exit_code_on(cli, monkeypatch) -> None:
    from paa.tui import launch

    monkeypatch.setattr(launch, "launch", lambda **options: 3 if options == {"exit_when_ready": True} else 0)
    assert cli("tui", "--exit-when-ready").code == 3
    result = cli("tui", "--help")
    assert result.code == 0 and "Open the terminal dashboard" in result.out
    assert "--exit-when-ready" not in result.out  # a benchmark aid, hidden


@pytest.mark.e2e
def test_the_cli_module_of_the_tui_imports_no_textual() -> None:
    code = "import sys, paa.cli.main, paa.cli.tui_cmd, paa.tui.launch; print('textual' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.e2e
def test_the_way_to_the_tui_loads_no_command_line() -> None:
    """`paa tui` goes from the entry point to the TUI's launch without importing Typer (or the database)."""
    code = (
        "import sys; from paa.tui import launch; "
        "launch.launch = lambda **options: print(sorted({'typer', 'click', 'sqlmodel'} & set(sys.modules))) or 0; "
        "from paa.cli.main import main; raise SystemExit(main(['tui']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _run_on_a_terminal(args: list[str], until: bytes, then: bytes | None) -> tuple[int | None, bytes]:
    """Run the installed `paa` on a pseudo-terminal of 80x24 until its output shows `until`; then type `then`.

    Returns once the program has exited; a program that never does fails the test, showing the screen.
    """
    import fcntl
    import pty
    import struct
    import termios

    main_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = child_env({"TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"})
    process = subprocess.Popen([paa_executable(), *args], stdin=child_fd, stdout=child_fd, stderr=child_fd, env=env,
                               close_fds=True)  # fmt: skip
    os.close(child_fd)
    output = bytearray()
    sent = then is None

    def finished() -> bool:
        """Read what the terminal shows (waiting up to 0.1 s for it); true once the program has closed it."""
        nonlocal sent
        ready = readable_within(main_fd, 0.1)
        if ready:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:
                return True
            if not chunk:
                return True
            output.extend(chunk)
        if not sent and until in output:
            assert then is not None
            os.write(main_fd, then)
            sent = True
        return process.poll() is not None and not ready

    try:
        wait_until(finished, interval=0, what=f"paa {' '.join(args)} to finish", describe=lambda: _visible(output))
        return process.wait(timeout=GIVE_UP_SECONDS), bytes(output)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main_fd)


def _visible(output: bytes | bytearray) -> str:
    """The text of a terminal's output without its escape sequences (for failure messages)."""
    import re

    return re.sub(rb"\x1b\[[0-9;?<>=$]*[a-zA-Z~]|\x1b\][^\x07]*\x07", b"", output).decode("utf-8", "replace")[-4000:]


@pytest.mark.e2e
@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_bare_paa_on_a_real_terminal_shows_the_dashboard_and_q_quits(seeded) -> None:
    code, output = _run_on_a_terminal([], until=b"Drink water", then=b"q")
    assert b"Drink water" in output, _visible(output)
    assert code == 0


@pytest.mark.e2e
@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_paa_tui_exit_when_ready_paints_the_dashboard_and_exits(seeded) -> None:
    code, output = _run_on_a_terminal(["tui", "--exit-when-ready"], until=b"", then=None)
    assert b"Drink water" in output, _visible(output)
    assert code == 0
